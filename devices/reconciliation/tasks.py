"""Reconciliation's tasks: thin, they take ids, call one service, and are the only place that queues tasks.

The services take the queueing as an argument (``queue_workers``, ``queue_dispatch``), so they never import
this module back.
"""

from __future__ import annotations

import dataclasses

from celery import shared_task

from devices.reconciliation.bulk import bulk_job_execute
from devices.reconciliation.runs import (
    WORKER_BUDGET,
    RunAlreadyRunning,
    reconciliation_dispatch,
    reconciliation_execute,
    reconciliation_start,
)
from devices.reconciliation.sweeper import reconciliation_sweep


def queue_workers(run_id: int, count: int) -> None:
    """Queue ``count`` worker tasks to share the run (once what the run wrote so far is committed)."""
    for _n in range(count):
        reconciliation_worker_task.delay_on_commit(run_id)


def queue_dispatch(run_id: int) -> None:
    reconciliation_run_task.delay_on_commit(run_id)


@shared_task(acks_late=True)
def reconciliation_run_task(run_id: int) -> dict[str, int]:
    """Plan a started run and fan it out to RECONCILE_WORKERS worker tasks; a redelivery queues more, harmlessly."""
    return {"run": run_id, "workers": reconciliation_dispatch(run_id, queue_workers=queue_workers)}


@shared_task(acks_late=True)
def reconciliation_worker_task(run_id: int) -> dict[str, int]:
    """One worker of a run: claim a chunk, process it, complete it, until none is claimable.

    Progress is in the database (chunk rows with a lease), so a redelivered or duplicated message only helps."""
    reconciliation_execute(run_id=run_id, budget=WORKER_BUDGET, queue_workers=queue_workers)
    return {"run": run_id}


@shared_task
def reconciliation_sweep_task() -> dict[str, int]:
    """Every minute: free the chunks of killed workers and queue workers for them; end runs that are done."""
    return dataclasses.asdict(
        reconciliation_sweep(queue_workers=queue_workers, queue_dispatch=queue_dispatch)
    )


@shared_task
def reconciliation_scheduled_task(dry_run: bool = False) -> dict[str, int | None]:
    try:
        run = reconciliation_start(trigger="schedule", dry_run=dry_run)
    except RunAlreadyRunning:
        return {"run": None}  # the run already going covers this one
    return {"run": run.pk, "workers": reconciliation_dispatch(run.pk, queue_workers=queue_workers)}


@shared_task
def bulk_job_task(job_id: int) -> dict[str, int]:
    """Run a bulk refresh or re-check over its devices (devices/reconciliation/bulk.py)."""
    bulk_job_execute(job_id)
    return {"job": job_id}
