"""Thin tasks: take ids, call one service, own retries and failure handling."""

from __future__ import annotations

import dataclasses
from typing import Any

from celery import shared_task

from voipadmin.core.clients.errors import CloudUnavailable
from voipadmin.core.models import SyncRun
from voipadmin.core.syncpass import run_task


@shared_task(autoretry_for=(CloudUnavailable,), retry_backoff=10, max_retries=3)
def device_refresh_task(device_id: str) -> None:
    from devices.services.sync import device_refresh

    device_refresh(device_id=device_id)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def devices_sync_task(
    self: Any, trigger: str = "schedule", full: bool = False, actor_id: int | None = None
) -> dict:
    """One devices sync pass. Redelivery is safe (upserts; a pass's run row is ended by the next pass), so a
    pass whose worker was killed is redelivered and run again."""
    from devices.services.sync import devices_sync

    return run_task(self, devices_sync, SyncRun.Kind.DEVICES, trigger=trigger, full=full, actor_id=actor_id)


@shared_task(acks_late=True)
def reconciliation_run_task(run_id: int) -> int:
    """Plan a started run and fan it out to RECONCILE_WORKERS worker tasks; a redelivery queues more, harmlessly."""
    from devices.services.reconcile import reconciliation_dispatch

    return reconciliation_dispatch(run_id)


@shared_task(acks_late=True)
def reconciliation_worker_task(run_id: int) -> None:
    """One worker of a run: claim a chunk, process it, complete it, until none is claimable.

    Progress is in the database (chunk rows with a lease), so a redelivered or duplicated message only helps."""
    from devices.services.reconcile import WORKER_BUDGET, reconciliation_execute

    reconciliation_execute(run_id=run_id, budget=WORKER_BUDGET)


@shared_task
def reconciliation_sweep_task() -> dict[str, int]:
    """Every minute: free the chunks of killed workers and queue workers for them; end runs that are done."""
    from devices.services.reconcile import reconciliation_sweep

    return dataclasses.asdict(reconciliation_sweep())


@shared_task
def reconciliation_scheduled_task(dry_run: bool = False) -> int | None:
    from devices.services.reconcile import RunAlreadyRunning, reconciliation_dispatch, reconciliation_start

    try:
        run = reconciliation_start(trigger="schedule", dry_run=dry_run)
    except RunAlreadyRunning:
        return None  # the run already going covers this one
    reconciliation_dispatch(run.pk)
    return run.pk


@shared_task
def bulk_job_task(job_id: int) -> None:
    """Run a bulk refresh or re-check over its devices (devices/services/bulk.py)."""
    from devices.services.bulk import bulk_job_execute

    bulk_job_execute(job_id)
