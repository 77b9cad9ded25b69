"""Thin tasks: take ids, call one service, own retries and failure handling."""

from __future__ import annotations

from celery import shared_task

from voipadmin.clients.errors import CloudUnavailable
from voipadmin.locks import LockHeld


@shared_task(autoretry_for=(CloudUnavailable,), retry_backoff=10, max_retries=3)
def device_refresh_task(device_id: str) -> None:
    from devices.services.sync import device_refresh

    device_refresh(device_id=device_id)


@shared_task
def devices_sync_task(trigger: str = "schedule") -> int | None:
    from devices.services.sync import devices_sync

    try:
        return devices_sync(trigger=trigger).pk
    except LockHeld:
        return None  # the pass already running covers this one


@shared_task(acks_late=True)
def reconciliation_run_task(run_id: int) -> None:
    """Execute a started run; a redelivered message continues the same run where it stopped."""
    from devices.services.reconcile import reconciliation_execute

    reconciliation_execute(run_id=run_id)


@shared_task
def reconciliation_scheduled_task(dry_run: bool = False) -> int | None:
    from devices.services.reconcile import RunAlreadyRunning, reconciliation_run

    try:
        return reconciliation_run(trigger="schedule", dry_run=dry_run).pk
    except RunAlreadyRunning:
        return None  # the run already going covers this one
