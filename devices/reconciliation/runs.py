"""Reconciliation runs of VoIP authorization: the cloud's stored ``isAuth`` against WeChat's observation.

For every VoIP-capable device of the mirror: the cloud's auth user, ``isAuth`` and ``authUpdateTime``
(getVoipAuthUser), the user's openId (getDeviceWXUserInfo), and WeChat's observation for (uuid as sn, model id,
openId), one observation call per chunk of up to 50 devices sharing a model id. Where they disagree and the
observation is newer than the cloud's last change, ``saveWXVoipAuth`` pushes WeChat's value — unless the run is
a dry run or ``settings.RECONCILE_MODE == "report"``.

Shape (docs/reconciliation.md), built so several workers can share a run and a killed one loses nothing:

- ``reconciliation_start`` refuses while a run is running (the project lock, voipadmin/core/locks.py, with a lease
  renewed as the run makes progress, plus the database state) and creates the run; ``reconciliation_execute``
  does the work and is safe to call again for the same run (a redelivered task continues where the last one stopped).
- The work is planned once as ``ReconciliationChunk`` rows. A worker claims a chunk with a conditional update
  (pending, or leased with an expired lease -> leased by me) and acts only when it changed one row.
- Each device's step is idempotent: its row is unique per (run, device); a final row is never redone; a write
  is marked ``fixing`` before it is sent, and the cloud is re-read before writing, so a chunk re-processed
  after a crash confirms an earlier write instead of sending it twice.
- Counts are kept per chunk and summed into the run, so re-processing a chunk never counts twice.

The parts: the decision (decision.py, pure), both sides of a device (sides.py), the write (push.py), the chunk
rows (chunks.py), processing a chunk (settle.py), the sweeper (sweeper.py); this module starts, executes and
ends runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from devices.models import Device, ReconciliationChunk, ReconciliationRun
from devices.reconciliation.chunks import claim, complete, plan, release, sum_counts
from devices.reconciliation.settle import ChunkRetry, Context, process_chunk
from voipadmin.core import locks
from voipadmin.core.audit import audit_record
from voipadmin.core.clients import CloudClient, WeChatClient
from voipadmin.core.clients.errors import WeChatQuotaExceeded
from voipadmin.core.locks import LockHeld
from voipadmin.core.models import AuditEvent

log = logging.getLogger(__name__)


LOCK_KEY = "devices:reconcile:lock"
# Renewed after every chunk, so it only has to outlast one chunk; a crashed run frees it after this.
LOCK_TTL = 15 * 60
# A worker task stops claiming after this long and queues its successor, well inside the task time limits.
WORKER_BUDGET = 15 * 60
MAX_CHUNK_ATTEMPTS = 3
READ_THREADS = 4  # the cloud's latency, not our code, bounds a chunk: read its devices side by side

Progress = Callable[[int], None]
# (run id, how many): queues that many worker tasks; devices/reconciliation/tasks.py passes its own, so the
# services never import the tasks that call them.
QueueWorkers = Callable[[int, int], None]


class RunAlreadyRunning(LockHeld):
    """A reconciliation run is running; runs never overlap."""


# -- starting a run ------------------------------------------------------------------------------------------
def reconciliation_start(
    *,
    trigger: str,
    dry_run: bool = False,
    actor: AbstractBaseUser | None = None,
    device_id: str = "",
    scope: dict[str, Any] | None = None,
) -> ReconciliationRun:
    """Create a run, or raise ``RunAlreadyRunning``; ``reconciliation_execute`` then does the work.

    ``scope`` limits it (a bulk action): ``{"devices": [ids]}``, ``{"home": owner_id}`` or ``{"model": id}``."""
    refused = _("A reconciliation run is already running; wait for it to finish.")
    token = locks.acquire(LOCK_KEY, LOCK_TTL)
    if token is None:
        raise RunAlreadyRunning(refused)
    try:
        _abandon_stale_runs()
        # The lock can be lost (cache flushed, expired); the database still knows a live run.
        if ReconciliationRun.objects.filter(state=ReconciliationRun.State.RUNNING).exists():
            raise RunAlreadyRunning(refused)
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                trigger=trigger,
                requested_by=actor if actor is not None and actor.is_authenticated else None,
                dry_run=dry_run,
                mode=settings.RECONCILE_MODE,
                device_scope=device_id,
                scope=scope or {},
                lock_token=token,
                heartbeat_at=timezone.now(),
            )
            if actor is not None and actor.is_authenticated:
                audit_record(
                    actor=actor,
                    action="reconciliation_start",
                    result=AuditEvent.Result.OK,
                    message="reconcile.started",
                    params={"run": run.pk, "dry_run": dry_run, "mode": run.mode},
                    device_id=device_id,
                    target=f"run {run.pk}",
                    after={"dry_run": dry_run, "mode": run.mode},
                )
    except BaseException:
        locks.release(LOCK_KEY, token)
        raise
    return run


def _abandon_stale_runs() -> None:
    """Fail running runs that made no progress for longer than the lock lives: their worker is gone."""
    cutoff = timezone.now() - dt.timedelta(seconds=LOCK_TTL)
    stale = ReconciliationRun.objects.filter(state=ReconciliationRun.State.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, started_at__lt=cutoff)
    )
    for run in stale:
        since = (run.heartbeat_at or run.started_at).isoformat()
        message = f"abandoned: no progress since {since}"
        ReconciliationRun.objects.filter(pk=run.pk, state=ReconciliationRun.State.RUNNING).update(
            state=ReconciliationRun.State.FAILED,
            finished_at=timezone.now(),
            errors=[*run.errors, message],
            counts=sum_counts(run),
        )


def _renew_lock(run: ReconciliationRun) -> None:
    # Renewed by whichever worker of the run makes progress; retaken (same owner) if it expired meanwhile.
    if not locks.renew(LOCK_KEY, run.lock_token, LOCK_TTL):
        locks.acquire(LOCK_KEY, LOCK_TTL, run.lock_token)


def _release_lock(run: ReconciliationRun) -> None:
    if run.lock_token:
        locks.release(LOCK_KEY, run.lock_token)


# -- executing a run ------------------------------------------------------------------------------------------
def reconciliation_execute(
    *,
    run_id: int,
    progress: Progress | None = None,
    cloud: CloudClient | None = None,
    wechat: Callable[[str], WeChatClient] | None = None,
    budget: float | None = None,
    queue_workers: QueueWorkers | None = None,
) -> ReconciliationRun:
    """Work through the run's chunks until none is left, then finish it; safe to call again for the same run.

    Several of these (worker tasks) share a run: each claims chunks until none is claimable, and the one that
    sees every chunk done finishes the run. With ``budget`` (seconds) it stops claiming after that long and
    queues a worker task to go on (``queue_workers``), so a long run never meets the task time limit."""
    if budget is not None and queue_workers is None:
        raise ValueError("a budget needs queue_workers to hand the run over")
    run = ReconciliationRun.objects.select_related("requested_by").get(pk=run_id)
    if run.state != ReconciliationRun.State.RUNNING:
        return run
    clients: dict[str, WeChatClient] = {}

    def wechat_for(app_id: str) -> WeChatClient:
        if app_id not in clients:
            clients[app_id] = (wechat or WeChatClient.from_settings)(app_id)
        return clients[app_id]

    cloud = cloud or CloudClient.from_settings()
    stop: str | None = None
    try:
        if run.planned_at is None:
            plan(run)
            run.refresh_from_db()
        deadline = None if budget is None else time.monotonic() + budget
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            ctx = Context(run, cloud, wechat_for, run.requested_by, pool, clients)
            stop = _work(ctx, progress, deadline)
    except Exception as exc:
        log.exception("reconciliation run %s failed", run.pk)
        finish(run, failed=f"{type(exc).__name__}: {exc}"[:500])
        raise
    if stop is _OUT_OF_BUDGET:
        assert queue_workers is not None
        queue_workers(run.pk, 1)
        return reload(run)
    finish(run, stop=stop)
    return reload(run)


_OUT_OF_BUDGET = "out of budget"  # not a stop: this worker hands over to a fresh task


def _work(ctx: Context, progress: Progress | None, deadline: float | None = None) -> str | None:
    """Claim and process chunks; returns why the run stopped early (a quota stop), else None."""
    run = ctx.run
    while True:
        if not ReconciliationRun.objects.filter(pk=run.pk, state=ReconciliationRun.State.RUNNING).exists():
            return None  # another worker ended it (a quota stop)
        if deadline is not None and time.monotonic() >= deadline:
            return _OUT_OF_BUDGET
        claimed = claim(run)
        if claimed is None:
            if ReconciliationChunk.objects.filter(run=run, state=ReconciliationChunk.State.PENDING).exists():
                continue  # given back (a retry) after we looked, or lost a race for it: look again
            return None
        chunk, token = claimed
        calls_before = ctx.calls()
        try:
            counts = process_chunk(ctx, chunk, final_attempt=chunk.attempts >= MAX_CHUNK_ATTEMPTS)
        except WeChatQuotaExceeded as exc:
            release(chunk, token)
            return (
                f"WeChat's daily quota is used up ({exc}); the devices not reached are left for the next run"
            )
        except ChunkRetry as exc:
            log.warning("reconciliation run %s chunk %s: %s; will retry", run.pk, chunk.seq, exc)
            release(chunk, token)
            time.sleep(min(2.0 * chunk.attempts, 10.0))
            continue
        calls = ctx.calls()
        counts |= {key: calls[key] - calls_before[key] for key in calls}
        complete(chunk, token, counts)
        now = timezone.now()
        if not ReconciliationRun.objects.filter(pk=run.pk, state=ReconciliationRun.State.RUNNING).update(
            heartbeat_at=now, counts=sum_counts(run)
        ):
            # Another worker ended the run (a quota stop) while this chunk was in hand: add it to the totals.
            _recount_ended(run)
            return None
        _renew_lock(run)
        if progress is not None:
            progress(len(chunk.device_ids))


def finish(
    run: ReconciliationRun,
    *,
    stop: str | None = None,
    failed: str | None = None,
) -> None:
    """End the run once no chunk is left (or it was stopped); the state follows from what happened.

    Idempotent: the end is a conditional update (running -> final), so of several workers (and the sweeper)
    seeing the last chunk done, one ends the run."""
    open_chunks = ReconciliationChunk.objects.filter(run=run).exclude(state=ReconciliationChunk.State.DONE)
    if stop is None and failed is None and open_chunks.exists():
        return  # another worker still holds (or is about to take) a chunk; it finishes the run
    with transaction.atomic():
        # Locked while counting and ending: a worker completing a chunk meanwhile then sees the run ended and
        # adds its chunk (``_recount_ended``) instead of writing running totals over the final ones.
        locked = _lock_run(run, ReconciliationRun.State.RUNNING)
        if locked is None:
            return
        ended = _end(locked, open_chunks, stop=stop, failed=failed)
    if ended:
        _release_lock(run)


def _lock_run(run: ReconciliationRun, *states: str) -> ReconciliationRun | None:
    """The run's row, locked until the end of the transaction (where the database can), if in ``states``."""
    qs = ReconciliationRun.objects.select_for_update().filter(pk=run.pk)
    return qs.filter(state__in=states).first() if states else qs.first()


def _recount_ended(run: ReconciliationRun) -> None:
    """Sum the chunks into an ended run's counts again."""
    with transaction.atomic():
        locked = _lock_run(run)
        if locked is None or locked.state == ReconciliationRun.State.RUNNING:
            return
        open_chunks = ReconciliationChunk.objects.filter(run=run).exclude(
            state=ReconciliationChunk.State.DONE
        )
        counts = {**locked.counts, **sum_counts(locked)}
        counts.pop("not_reached", None)
        if not_reached := sum(len(ids) for ids in open_chunks.values_list("device_ids", flat=True)):
            counts["not_reached"] = not_reached
        ReconciliationRun.objects.filter(pk=run.pk).update(counts=counts)


def _end(
    run: ReconciliationRun,
    open_chunks: Any,
    *,
    stop: str | None,
    failed: str | None,
) -> bool:
    counts = sum_counts(run)
    errors = list(run.errors)
    not_reached = sum(len(ids) for ids in open_chunks.values_list("device_ids", flat=True))
    if failed:
        state, errors = ReconciliationRun.State.FAILED, [*errors, failed]
    elif stop:
        state, errors = ReconciliationRun.State.PARTIAL, [*errors, stop]
    elif counts["failed"] and counts["checked"] == 0:
        state = ReconciliationRun.State.FAILED
    elif counts["failed"]:
        state = ReconciliationRun.State.PARTIAL
    else:
        state = ReconciliationRun.State.SUCCEEDED
    if not_reached:
        counts["not_reached"] = not_reached
    return bool(
        ReconciliationRun.objects.filter(pk=run.pk, state=ReconciliationRun.State.RUNNING).update(
            state=state, finished_at=timezone.now(), heartbeat_at=timezone.now(), counts=counts, errors=errors
        )
    )


# -- several workers, and the sweeper ------------------------------------------------------------------------
def reconciliation_dispatch(run_id: int, workers: int | None = None, *, queue_workers: QueueWorkers) -> int:
    """Plan a started run and queue worker tasks to share it; returns how many were queued.

    At most ``RECONCILE_WORKERS`` (or ``workers``), and never more than there are chunks; a run with nothing
    to check is finished here."""
    run = ReconciliationRun.objects.get(pk=run_id)
    if run.state != ReconciliationRun.State.RUNNING:
        return 0
    if run.planned_at is None:
        plan(run)
        run.refresh_from_db()
    open_chunks = ReconciliationChunk.objects.filter(run=run).exclude(state=ReconciliationChunk.State.DONE)
    count = min(max(1, workers or settings.RECONCILE_WORKERS), open_chunks.count())
    if count == 0:
        finish(run)
        return 0
    queue_workers(run.pk, count)
    return count


def reload(run: ReconciliationRun) -> ReconciliationRun:
    run.refresh_from_db()
    return run


def reconciliation_run(
    *,
    trigger: str,
    dry_run: bool = False,
    device_id: str = "",
    progress: Progress | None = None,
    cloud: CloudClient | None = None,
) -> ReconciliationRun:
    """Start and execute a run in this process (the management command, the scheduled task)."""
    run = reconciliation_start(trigger=trigger, dry_run=dry_run, device_id=device_id)
    return reconciliation_execute(run_id=run.pk, progress=progress, cloud=cloud)


def devices_to_check(*, device_ids: Iterable[str] | None = None) -> int:
    """How many devices a run would check (for the command's progress bar before planning)."""
    qs = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="")
    if device_ids is not None:
        qs = qs.filter(pk__in=list(device_ids))
    return qs.count()
