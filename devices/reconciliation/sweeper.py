"""The sweeper: hands the chunks of killed workers to new ones, and ends runs whose chunks are all done."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from devices.models import ReconciliationChunk, ReconciliationRun
from devices.reconciliation.chunks import lease, lease_ttl
from devices.reconciliation.runs import LOCK_KEY, QueueWorkers, finish, reload

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    freed: int = 0  # chunks whose lease had expired, put back to pending
    queued: int = 0  # worker tasks queued
    finished: int = 0  # runs ended because every chunk was done


def reconciliation_sweep(
    *, queue_workers: QueueWorkers, queue_dispatch: Callable[[int], None]
) -> SweepResult:
    """Hand the chunks of killed workers to new ones, and end runs whose chunks are all done.

    For each running run: a chunk whose lease expired goes back to pending (a conditional update on its lease,
    so a worker that took it meanwhile keeps it) and a worker task is queued for it; a run with chunks left and
    no live lease gets a worker task (at most once per lease period, so a busy queue is not flooded); a run
    whose chunks are all done is finished. Nothing here is done twice: each device's step is idempotent."""
    freed = queued = finished = 0
    now = timezone.now()
    for run in ReconciliationRun.objects.filter(state=ReconciliationRun.State.RUNNING):
        chunks = ReconciliationChunk.objects.filter(run=run)
        run_freed = 0
        expired = chunks.filter(state=ReconciliationChunk.State.LEASED, lease_expires_at__lt=now)
        for pk, token in expired.values_list("pk", "lease_token"):
            run_freed += chunks.filter(
                pk=pk, state=ReconciliationChunk.State.LEASED, lease_token=token, lease_expires_at__lt=now
            ).update(state=ReconciliationChunk.State.PENDING, lease_token="", lease_expires_at=None)
        freed += run_freed
        if run.planned_at is None:
            # Its dispatch was lost before planning: plan and fan out again, once the dispatch had its time.
            if run.started_at < now - lease() and cache.add(f"{LOCK_KEY}:swept:{run.pk}", 1, lease_ttl()):
                queue_dispatch(run.pk)
                queued += 1
            continue
        open_chunks = chunks.exclude(state=ReconciliationChunk.State.DONE)
        if not open_chunks.exists():
            finish(run)
            finished += reload(run).state != ReconciliationRun.State.RUNNING
            continue
        if run_freed:
            count = min(run_freed, max(1, settings.RECONCILE_WORKERS))
        elif not open_chunks.filter(state=ReconciliationChunk.State.LEASED).exists() and cache.add(
            f"{LOCK_KEY}:swept:{run.pk}", 1, lease_ttl()
        ):
            count = 1  # chunks left and nobody on them: its worker tasks were lost
        else:
            continue
        log.warning(
            "reconciliation run %s: %s chunk(s) freed; queueing %s worker(s)", run.pk, run_freed, count
        )
        queue_workers(run.pk, count)
        queued += count
    return SweepResult(freed, queued, finished)
