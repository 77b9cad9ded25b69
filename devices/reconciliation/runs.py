"""Reconciliation of VoIP authorization: the cloud's stored ``isAuth`` against WeChat's observation.

For every VoIP-capable device of the mirror: the cloud's auth user, ``isAuth`` and ``authUpdateTime``
(getVoipAuthUser), the user's openId (getDeviceWXUserInfo), and WeChat's observation for (uuid as sn, model id,
openId), one observation call per chunk of up to 50 devices sharing a model id. Where they disagree and the
observation is newer than the cloud's last change, ``saveWXVoipAuth`` pushes WeChat's value — unless the run is
a dry run or ``settings.RECONCILE_MODE == "report"``.

Shape (docs/reconciliation.md), built so several workers can share a run and a killed one loses nothing:

- ``reconciliation_start`` refuses while a run is running (the project lock, voipadmin/core/locks.py, with a lease
  renewed as the run makes progress, plus the database state) and creates the run; ``reconciliation_execute`` does the work and is safe
  to call again for the same run (a redelivered task continues where the last one stopped).
- The work is planned once as ``ReconciliationChunk`` rows. A worker claims a chunk with a conditional update
  (pending, or leased with an expired lease -> leased by me) and acts only when it changed one row.
- Each device's step is idempotent: its row is unique per (run, device); a final row is never redone; a write
  is marked ``fixing`` before it is sent, and the cloud is re-read before writing, so a chunk re-processed
  after a crash confirms an earlier write instead of sending it twice.
- Counts are kept per chunk and summed into the run, so re-processing a chunk never counts twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from devices.models import (
    Device,
    ReconciliationChunk,
    ReconciliationItem,
    ReconciliationRun,
    VoipAuthState,
)
from devices.services.fixes import device_params, queue_refresh
from voipadmin.core import locks
from voipadmin.core.audit import audit_record, audit_text
from voipadmin.core.clients import MAX_OBSERVATION_BATCH, CloudClient, WeChatClient
from voipadmin.core.clients.errors import (
    CloudError,
    WeChatConfigError,
    WeChatError,
    WeChatQuotaExceeded,
    WeChatRateLimited,
)
from voipadmin.core.clients.models import AuthObservation, VoipAuthUser
from voipadmin.core.cloudwrite import Outcome as WriteOutcome
from voipadmin.core.cloudwrite import WriteResult, cloud_write, device_write_lock, not_sent
from voipadmin.core.locks import LockHeld
from voipadmin.core.models import AuditEvent
from voipadmin.core.ratelimit import acquire as rate_limit

log = logging.getLogger(__name__)

LOCK_KEY = "devices:reconcile:lock"
# Renewed after every chunk, so it only has to outlast one chunk; a crashed run frees it after this.
LOCK_TTL = 15 * 60
# A worker task stops claiming after this long and queues its successor, well inside the task time limits.
WORKER_BUDGET = 15 * 60
WECHAT_RATE_KEY = "wechat:observe"
MAX_CHUNK_ATTEMPTS = 3
READ_THREADS = 4  # the cloud's latency, not our code, bounds a chunk: read its devices side by side
RATE_LIMIT_RETRIES = 6
AUDIT_FIX = "reconcile_fix"
AUDIT_RECHECK = "voip_auth_recheck"
RECHECK_TARGET = "re-check"
# Per chunk, summed into the run: the devices, what became of them, and the calls made (each worker its own).
DEVICE_KEYS = ("total", "checked", "in_sync", "drift_found", "fixed", "reported", "skipped", "failed")
CALL_KEYS = ("cloud_calls", "wechat_calls")
COUNT_KEYS = DEVICE_KEYS + CALL_KEYS

Progress = Callable[[int], None]
# (run id, how many): queues that many worker tasks; devices/reconciliation/tasks.py passes its own, so the
# services never import the tasks that call them.
QueueWorkers = Callable[[int, int], None]
Outcome = ReconciliationItem.Outcome


class RunAlreadyRunning(LockHeld):
    """A reconciliation run is running; runs never overlap."""


# -- the decision ------------------------------------------------------------------------------------------------
class Verdict(StrEnum):
    IN_SYNC = "in_sync"
    FIX = "fix"
    REPORT = "report"
    SKIP = "skip"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""


def reconcile_decision(
    *,
    cloud_is_auth: bool,
    cloud_changed_at: dt.datetime | None,
    wechat_authorized: bool,
    observed_at: dt.datetime,
    dry_run: bool,
    mode: str,
) -> Decision:
    """What to do with one device, given both sides; pure, so every rule is tested on its own."""
    if cloud_is_auth == wechat_authorized:
        return Decision(Verdict.IN_SYNC)
    # A user may have granted or revoked after WeChat was observed: never overwrite a newer cloud state.
    if cloud_changed_at is not None and observed_at <= cloud_changed_at:
        return Decision(Verdict.SKIP, "stale_observation")
    if dry_run:
        return Decision(Verdict.REPORT, "dry_run")
    if mode != "fix":
        return Decision(Verdict.REPORT, "report_mode")
    return Decision(Verdict.FIX, "fixed")


def _cloud_changed_at(device_id: str, auth: VoipAuthUser) -> dt.datetime | None:
    """The cloud's last change: ``authUpdateTime``, or where the cloud lacks it our last audited write."""
    if auth.auth_update_time is not None:
        return auth.auth_update_time
    return (
        AuditEvent.objects.filter(
            device_id=device_id,
            action__in=[AUDIT_FIX, AUDIT_RECHECK],
            result=AuditEvent.Result.OK,
            message="fix.applied",
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


# -- one device's two sides ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CloudSide:
    auth: VoipAuthUser | None
    open_id: str | None = None
    error: str = ""  # a reason code when a read failed
    detail: str = ""


def read_cloud_side(client: CloudClient, device: Device) -> CloudSide:
    """The cloud's auth user and state, and that user's openId in the device's mini program."""
    try:
        auth = client.get_voip_auth_user(device.device_id)
    except CloudError as exc:
        return CloudSide(None, error="cloud_read", detail=str(exc))
    if auth is None or not auth.user_id:
        return CloudSide(None)
    try:
        info = client.get_device_wx_user_info(device.wechat_app_id, auth.user_id, device_id=device.device_id)
    except CloudError as exc:
        return CloudSide(auth, error="openid", detail=str(exc))
    return CloudSide(auth, info.open_id)


def observe_with_backoff(
    client: WeChatClient, model_id: str, pairs: list[tuple[str, list[str]]]
) -> dict[tuple[str, str], AuthObservation]:
    """One observation call, waiting and retrying on 45011 (calls too frequent); keyed by (sn, openid).

    Every call first takes a slot of the calls-per-second limit shared by all workers (``WECHAT_QPS``)."""
    for attempt in range(RATE_LIMIT_RETRIES):
        rate_limit(WECHAT_RATE_KEY, settings.WECHAT_QPS)
        try:
            seen = client.observe_authorization(model_id, pairs)
            return {(o.sn, o.openid): o for o in seen}
        except WeChatRateLimited:
            if attempt == RATE_LIMIT_RETRIES - 1:
                raise
            # The sandbox counts per second and WeChat per minute; start short, back off to whole seconds.
            time.sleep(min(0.25 * 2**attempt, 8.0))
    raise AssertionError("unreachable")


# -- the write -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FixResult:
    outcome: str  # an Outcome value
    reason: str
    detail: str = ""
    cloud_changed_at: dt.datetime | None = None
    write: WriteResult | None = None  # the write's own result, when one was sent or stopped


WRITE_REASONS = {
    WriteOutcome.REFUSED: "cloud_refused",
    WriteOutcome.UNKNOWN: "outcome_unknown",
    WriteOutcome.NOT_SENT: "not_sent",
}


def push_observation(
    *,
    client: CloudClient,
    device: Device,
    user_id: str,
    observation: AuthObservation,
    actor: AbstractBaseUser | None,
    action: str,
    target: str,
    on_written: Callable[[FixResult], None] | None = None,
) -> FixResult:
    """Write WeChat's value with saveWXVoipAuth, holding the device's write lock; see ``push_locked``."""
    try:
        with device_write_lock(device.device_id):
            return push_locked(
                client=client,
                device=device,
                user_id=user_id,
                observation=observation,
                actor=actor,
                action=action,
                target=target,
                on_written=on_written,
            )
    except LockHeld:
        return FixResult(Outcome.SKIPPED, "device_busy")


def push_locked(
    *,
    client: CloudClient,
    device: Device,
    user_id: str,
    observation: AuthObservation,
    actor: AbstractBaseUser | None,
    action: str,
    target: str,
    on_written: Callable[[FixResult], None] | None = None,
) -> FixResult:
    """Write WeChat's value through the one cloud-write path, after re-reading the cloud (lock held by the caller).

    The re-read makes the step idempotent (a value already there is not written again) and catches a change
    made after the observation. The mirror, ``on_written`` (the caller's own row) and the audit row are written
    in one atomic block when the cloud applied the write.
    """
    wanted = observation.authorized
    try:
        fresh = client.get_voip_auth_user(device.device_id)
    except CloudError as exc:
        return FixResult(Outcome.FAILED, "cloud_read", str(exc))
    if fresh is None or fresh.user_id != user_id:
        return FixResult(Outcome.SKIPPED, "user_changed")
    if fresh.is_auth == wanted:
        return FixResult(Outcome.SKIPPED, "already_in_sync", cloud_changed_at=fresh.auth_update_time)
    changed_at = _cloud_changed_at(device.device_id, fresh)
    if changed_at is not None and observation.observed_at <= changed_at:
        return FixResult(Outcome.SKIPPED, "stale_observation", cloud_changed_at=changed_at)
    # When each side last changed: why this write was allowed (the observation is the newer).
    params = {
        **device_params(device),
        "authorized": wanted,
        "observed_at": observation.observed_at.isoformat(),
        "changed_at": _iso(changed_at),
    }
    now = timezone.now()
    # The cloud moved authUpdateTime to its own clock; ours is close enough for the page until the next sync.
    done = FixResult(Outcome.FIXED, "fixed", cloud_changed_at=now)

    def applied(_value: bool) -> tuple[Any, dict[str, Any]]:
        VoipAuthState.objects.filter(device_id=device.device_id).update(
            is_auth=wanted, cloud_auth_updated_at=now, synced_at=now
        )
        if on_written is not None:
            on_written(done)
        return {"is_auth": wanted}, {}

    result = cloud_write(
        actor=actor,
        action=action,
        params=params,
        send=lambda: client.save_wx_voip_auth(device.device_id, int(wanted)),
        device_id=device.device_id,
        target=target,
        before={"is_auth": fresh.is_auth},
        on_applied=applied,
        applied_message="fix.applied",
        reread=lambda: queue_refresh(device.device_id),
    )
    if result.applied:
        return FixResult(Outcome.FIXED, "fixed", cloud_changed_at=now, write=result)
    return FixResult(Outcome.FAILED, WRITE_REASONS[result.outcome], _technical(result), write=result)


def _technical(result: WriteResult) -> str:
    """A run item's detail: what the write's audit row holds, in codes (the row renders it for people)."""
    event = result.event
    parts = [str(result.outcome), str(result.params.get("reason") or result.params.get("failure") or "")]
    if event is not None and event.cloud_code is not None:
        parts.append(f"{event.cloud_code} {event.cloud_msg}".strip())
    return " · ".join(p for p in parts if p)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _mirror_observation(
    device_id: str, cloud: VoipAuthUser, observation: AuthObservation, run_id: int | None
) -> None:
    _mirror_observations([(device_id, cloud, observation)], run_id)


def _mirror_observations(seen: list[tuple[str, VoipAuthUser, AuthObservation]], run_id: int | None) -> None:
    """Store WeChat's side, and the cloud's side as just read where it is still the mirrored auth user.

    Devices share a few distinct values, so one update per distinct value rather than per device."""
    wechat: dict[tuple[bool, dt.datetime], list[str]] = {}
    cloud: dict[tuple[bool, dt.datetime | None], list[Q]] = {}
    for device_id, auth, observation in seen:
        wechat.setdefault((observation.authorized, observation.observed_at), []).append(device_id)
        cloud.setdefault((auth.is_auth, auth.auth_update_time), []).append(
            Q(device_id=device_id, user_id=auth.user_id)
        )
    for (authorized, observed_at), device_ids in wechat.items():
        VoipAuthState.objects.filter(device_id__in=device_ids).update(
            wechat_authorized=authorized, wechat_observed_at=observed_at, wechat_observed_run_id=run_id
        )
    for (is_auth, changed_at), pairs in cloud.items():
        VoipAuthState.objects.filter(reduce(operator.or_, pairs)).update(
            is_auth=is_auth, cloud_auth_updated_at=changed_at
        )


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
            counts=_sum_counts(run),
        )


def _renew_lock(run: ReconciliationRun) -> None:
    # Renewed by whichever worker of the run makes progress; retaken (same owner) if it expired meanwhile.
    if not locks.renew(LOCK_KEY, run.lock_token, LOCK_TTL):
        locks.acquire(LOCK_KEY, LOCK_TTL, run.lock_token)


def _release_lock(run: ReconciliationRun) -> None:
    if run.lock_token:
        locks.release(LOCK_KEY, run.lock_token)


# -- planning and leasing chunks -----------------------------------------------------------------------------
def _chunk_size() -> int:
    """Devices per chunk: one observation call each, so at most WeChat's batch of 50."""
    return max(1, min(int(settings.RECONCILE_CHUNK_SIZE), MAX_OBSERVATION_BATCH))


def _lease() -> dt.timedelta:
    """How long a worker holds a chunk; far longer than one chunk takes (reads, one observation, writes)."""
    return dt.timedelta(seconds=int(settings.RECONCILE_LEASE_SECONDS))


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def _plan(run: ReconciliationRun) -> None:
    """Split the run into chunks of up to 50 devices sharing (AppID, model id); done once per run."""
    devices = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="")
    if run.device_scope:
        devices = devices.filter(pk=run.device_scope)
    if ids := run.scope.get("devices"):
        devices = devices.filter(pk__in=ids)
    if home := run.scope.get("home"):
        devices = devices.filter(home_id=home)
    if model := run.scope.get("model"):
        devices = devices.filter(wechat_model_id=model)
    rows = devices.order_by("wechat_app_id", "wechat_model_id", "device_id").values_list(
        "wechat_app_id", "wechat_model_id", "device_id"
    )
    chunks: list[ReconciliationChunk] = []
    current: ReconciliationChunk | None = None
    size = _chunk_size()
    for app_id, model_id, device_id in rows.iterator(chunk_size=2000):
        if (
            current is None
            or (current.app_id, current.model_id) != (app_id, model_id)
            or (len(current.device_ids) >= size)
        ):
            current = ReconciliationChunk(run=run, seq=len(chunks), app_id=app_id, model_id=model_id)
            chunks.append(current)
        current.device_ids.append(device_id)
    with transaction.atomic():
        # Conditional: of two workers planning the same run, one writes the chunks.
        if ReconciliationRun.objects.filter(pk=run.pk, planned_at=None).update(planned_at=timezone.now()):
            ReconciliationChunk.objects.bulk_create(chunks, batch_size=500)
            total = sum(len(c.device_ids) for c in chunks)
            ReconciliationRun.objects.filter(pk=run.pk).update(counts={**_zero(), "total": total})


def _claim(run: ReconciliationRun) -> tuple[ReconciliationChunk, str] | None:
    """Lease the next chunk that is pending or whose lease expired; None when there is none left."""
    now = timezone.now()
    candidates = ReconciliationChunk.objects.filter(run=run).filter(
        Q(state=ReconciliationChunk.State.PENDING)
        | Q(state=ReconciliationChunk.State.LEASED, lease_expires_at__lt=now)
    )
    for chunk in candidates.order_by("seq")[:20]:
        token = uuid.uuid4().hex
        claimed = (
            ReconciliationChunk.objects.filter(pk=chunk.pk, state=chunk.state, lease_token=chunk.lease_token)
            .filter(Q(state=ReconciliationChunk.State.PENDING) | Q(lease_expires_at__lt=now))
            .update(
                state=ReconciliationChunk.State.LEASED,
                lease_token=token,
                lease_expires_at=now + _lease(),
                leased_by=_worker_name(),
                attempts=F("attempts") + 1,
            )
        )
        if claimed == 1:
            chunk.refresh_from_db()
            return chunk, token
    return None


def _release(chunk: ReconciliationChunk, token: str) -> None:
    """Give a chunk back (quota stop, a WeChat failure to retry): someone may take it again."""
    ReconciliationChunk.objects.filter(pk=chunk.pk, lease_token=token).update(
        state=ReconciliationChunk.State.PENDING, lease_token="", lease_expires_at=None
    )


def _complete(chunk: ReconciliationChunk, token: str, counts: dict[str, int]) -> bool:
    """Mark a chunk done with its counts, only while we still hold its lease."""
    return bool(
        ReconciliationChunk.objects.filter(
            pk=chunk.pk, state=ReconciliationChunk.State.LEASED, lease_token=token
        ).update(state=ReconciliationChunk.State.DONE, counts=counts, finished_at=timezone.now())
    )


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNT_KEYS, 0)


def _sum_counts(run: ReconciliationRun) -> dict[str, int]:
    counts = _zero()
    counts["total"] = int(run.counts.get("total") or 0)
    done = ReconciliationChunk.objects.filter(run=run, state=ReconciliationChunk.State.DONE)
    for chunk_counts in done.values_list("counts", flat=True):
        for key in COUNT_KEYS[1:]:
            counts[key] += int(chunk_counts.get(key) or 0)
    return counts


# -- processing a chunk --------------------------------------------------------------------------------------
class _ChunkRetry(Exception):
    """The chunk's observation failed in a way worth another attempt (WeChat busy, unavailable)."""


@dataclass
class _Context:
    run: ReconciliationRun
    cloud: CloudClient
    wechat: Callable[[str], WeChatClient]
    actor: AbstractBaseUser | None
    pool: ThreadPoolExecutor
    wechat_clients: dict[str, WeChatClient]

    def calls(self) -> dict[str, int]:
        """Requests made so far by this worker's clients (retries included)."""
        return {
            "cloud_calls": self.cloud.stats()["cloud_calls"],
            "wechat_calls": sum(c.stats()["wechat_calls"] for c in self.wechat_clients.values()),
        }


def _item(run: ReconciliationRun, device_id: str, **values: Any) -> ReconciliationItem:
    item, _ = ReconciliationItem.objects.update_or_create(run=run, device_id=device_id, defaults=values)
    return item


def _process_chunk(ctx: _Context, chunk: ReconciliationChunk, final_attempt: bool) -> dict[str, int]:
    run = ctx.run
    existing = {i.device_id: i for i in run.items.filter(device_id__in=chunk.device_ids)}
    # A final row is never redone; a "fixing" row is looked at again (its write may or may not have landed).
    todo = [d for d in chunk.device_ids if d not in existing or existing[d].outcome == Outcome.FIXING]
    devices = Device.objects.in_bulk(todo)
    for device_id in todo:
        if device_id not in devices:
            _item(run, device_id, outcome=Outcome.SKIPPED, reason="not_in_mirror")
    present = [devices[d] for d in todo if d in devices]
    sides = dict(zip(present, ctx.pool.map(lambda d: read_cloud_side(ctx.cloud, d), present), strict=True))

    pairs: list[tuple[str, list[str]]] = []
    watched: list[tuple[Device, CloudSide]] = []
    for device, side in sides.items():
        base = {"user_id": side.auth.user_id if side.auth else "", "detail": side.detail}
        if side.error == "cloud_read":
            _item(run, device.device_id, outcome=Outcome.FAILED, reason="cloud_read", **base)
        elif side.auth is None:
            _item(run, device.device_id, outcome=Outcome.SKIPPED, reason="no_auth_user", **base)
        elif side.error:
            _item(run, device.device_id, outcome=Outcome.FAILED, reason=side.error, **base)
        elif not device.uuid:
            _item(run, device.device_id, outcome=Outcome.SKIPPED, reason="no_sn", **base)
        else:
            pairs.append((device.uuid, [side.open_id]))
            watched.append((device, side))

    in_sync = 0
    if pairs:
        try:
            seen = observe_with_backoff(ctx.wechat(chunk.app_id), chunk.model_id, pairs)
        except WeChatQuotaExceeded:
            raise
        except (WeChatConfigError, WeChatError) as exc:
            retryable = not isinstance(exc, WeChatConfigError)
            if retryable and not final_attempt:
                raise _ChunkRetry(str(exc)) from exc
            for device, side in watched:
                _item(
                    run,
                    device.device_id,
                    outcome=Outcome.FAILED,
                    reason="wechat",
                    user_id=side.auth.user_id,
                    detail=str(exc)[:500],
                )
            seen = None
        if seen is not None:
            observed = [(d, s, seen.get((d.uuid, s.open_id))) for d, s in watched]
            _mirror_observations([(d.device_id, s.auth, o) for d, s, o in observed if o is not None], run.pk)
            fixing = {d for d, item in existing.items() if item.outcome == Outcome.FIXING}
            for device, side, observation in observed:
                in_sync += _settle_device(ctx, device, side, observation, device.device_id in fixing)
    return _chunk_counts(run, chunk, in_sync)


def _settle_device(
    ctx: _Context,
    device: Device,
    side: CloudSide,
    observation: AuthObservation | None,
    was_fixing: bool,
) -> int:
    """Decide and act for one observed device (already mirrored); returns 1 when it was in sync (no row), else 0.

    ``was_fixing``: an earlier attempt of this run marked the device before writing and did not say how it went."""
    run, auth = ctx.run, side.auth
    assert auth is not None
    row = {"user_id": auth.user_id, "cloud_before": auth.is_auth, "detail": ""}
    if observation is None:
        _item(run, device.device_id, outcome=Outcome.FAILED, reason="no_observation", **row)
        return 0
    row |= {"wechat_authorized": observation.authorized, "observed_at": observation.observed_at}
    agree = auth.is_auth == observation.authorized
    # The cloud's last change matters only where the two sides disagree (or a row will be written).
    changed_at = (
        auth.auth_update_time if agree and not was_fixing else _cloud_changed_at(device.device_id, auth)
    )
    row["cloud_changed_at"] = changed_at
    decision = reconcile_decision(
        cloud_is_auth=auth.is_auth,
        cloud_changed_at=changed_at,
        wechat_authorized=observation.authorized,
        observed_at=observation.observed_at,
        dry_run=run.dry_run,
        mode=run.mode,
    )
    if decision.verdict == Verdict.IN_SYNC:
        if was_fixing:
            # An earlier attempt of this run wrote the value and died before saying so.
            _item(run, device.device_id, outcome=Outcome.FIXED, reason="confirmed", drift=True, **row)
        return 0 if was_fixing else 1
    if decision.verdict != Verdict.FIX:
        outcome = Outcome.SKIPPED if decision.verdict == Verdict.SKIP else Outcome.REPORTED
        _item(run, device.device_id, outcome=outcome, reason=decision.reason, drift=True, **row)
        return 0
    # Marked before the write: a crash between the write and the row is found and confirmed, not redone.
    _item(run, device.device_id, outcome=Outcome.FIXING, reason="", drift=True, **row)

    def mark_fixed(result: FixResult) -> None:
        ReconciliationItem.objects.filter(run=run, device_id=device.device_id).update(
            outcome=Outcome.FIXED, reason=result.reason, updated_at=timezone.now()
        )

    result = push_observation(
        client=ctx.cloud,
        device=device,
        user_id=auth.user_id,
        observation=observation,
        actor=ctx.actor,
        action=AUDIT_FIX,
        target=f"run {run.pk}",
        on_written=mark_fixed,
    )
    if result.outcome != Outcome.FIXED:
        _item(
            run,
            device.device_id,
            outcome=result.outcome,
            reason=result.reason,
            drift=True,
            **{**row, "detail": result.detail[:500]},
        )
    return 0


def _chunk_counts(run: ReconciliationRun, chunk: ReconciliationChunk, in_sync: int) -> dict[str, int]:
    """The chunk's counts from its rows (so a re-processed chunk counts each device once) and its in-sync ones."""
    counts = _zero()
    counts["total"] = len(chunk.device_ids)
    counts["in_sync"] = in_sync
    counts["checked"] = in_sync
    rows = run.items.filter(device_id__in=chunk.device_ids).values_list("outcome", "drift", "observed_at")
    for outcome, drift, observed_at in rows:
        counts["checked"] += observed_at is not None
        counts["drift_found"] += bool(drift)
        if outcome in counts:
            counts[outcome] += 1
        elif outcome == Outcome.FIXING:
            counts["failed"] += 1  # a write left in flight counts as not done
    return counts


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
            _plan(run)
            run.refresh_from_db()
        deadline = None if budget is None else time.monotonic() + budget
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            ctx = _Context(run, cloud, wechat_for, run.requested_by, pool, clients)
            stop = _work(ctx, progress, deadline)
    except Exception as exc:
        log.exception("reconciliation run %s failed", run.pk)
        _finish(run, failed=f"{type(exc).__name__}: {exc}"[:500])
        raise
    if stop is _OUT_OF_BUDGET:
        assert queue_workers is not None
        queue_workers(run.pk, 1)
        return _reload(run)
    _finish(run, stop=stop)
    return _reload(run)


_OUT_OF_BUDGET = "out of budget"  # not a stop: this worker hands over to a fresh task


def _work(ctx: _Context, progress: Progress | None, deadline: float | None = None) -> str | None:
    """Claim and process chunks; returns why the run stopped early (a quota stop), else None."""
    run = ctx.run
    while True:
        if not ReconciliationRun.objects.filter(pk=run.pk, state=ReconciliationRun.State.RUNNING).exists():
            return None  # another worker ended it (a quota stop)
        if deadline is not None and time.monotonic() >= deadline:
            return _OUT_OF_BUDGET
        claimed = _claim(run)
        if claimed is None:
            if ReconciliationChunk.objects.filter(run=run, state=ReconciliationChunk.State.PENDING).exists():
                continue  # given back (a retry) after we looked, or lost a race for it: look again
            return None
        chunk, token = claimed
        calls_before = ctx.calls()
        try:
            counts = _process_chunk(ctx, chunk, final_attempt=chunk.attempts >= MAX_CHUNK_ATTEMPTS)
        except WeChatQuotaExceeded as exc:
            _release(chunk, token)
            return (
                f"WeChat's daily quota is used up ({exc}); the devices not reached are left for the next run"
            )
        except _ChunkRetry as exc:
            log.warning("reconciliation run %s chunk %s: %s; will retry", run.pk, chunk.seq, exc)
            _release(chunk, token)
            time.sleep(min(2.0 * chunk.attempts, 10.0))
            continue
        calls = ctx.calls()
        counts |= {key: calls[key] - calls_before[key] for key in calls}
        _complete(chunk, token, counts)
        now = timezone.now()
        if not ReconciliationRun.objects.filter(pk=run.pk, state=ReconciliationRun.State.RUNNING).update(
            heartbeat_at=now, counts=_sum_counts(run)
        ):
            # Another worker ended the run (a quota stop) while this chunk was in hand: add it to the totals.
            _recount_ended(run)
            return None
        _renew_lock(run)
        if progress is not None:
            progress(len(chunk.device_ids))


def _finish(
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
        counts = {**locked.counts, **_sum_counts(locked)}
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
    counts = _sum_counts(run)
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
        _plan(run)
        run.refresh_from_db()
    open_chunks = ReconciliationChunk.objects.filter(run=run).exclude(state=ReconciliationChunk.State.DONE)
    count = min(max(1, workers or settings.RECONCILE_WORKERS), open_chunks.count())
    if count == 0:
        _finish(run)
        return 0
    queue_workers(run.pk, count)
    return count


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
            if run.started_at < now - _lease() and cache.add(f"{LOCK_KEY}:swept:{run.pk}", 1, _lease_ttl()):
                queue_dispatch(run.pk)
                queued += 1
            continue
        open_chunks = chunks.exclude(state=ReconciliationChunk.State.DONE)
        if not open_chunks.exists():
            _finish(run)
            finished += _reload(run).state != ReconciliationRun.State.RUNNING
            continue
        if run_freed:
            count = min(run_freed, max(1, settings.RECONCILE_WORKERS))
        elif not open_chunks.filter(state=ReconciliationChunk.State.LEASED).exists() and cache.add(
            f"{LOCK_KEY}:swept:{run.pk}", 1, _lease_ttl()
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


def _lease_ttl() -> int:
    return max(1, int(_lease().total_seconds()))


def _reload(run: ReconciliationRun) -> ReconciliationRun:
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


# -- the device page's re-check ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecheckOutcome:
    ok: bool
    message: str
    write: WriteResult | None = None  # when the re-check wrote (or tried to write) to the cloud

    @property
    def unknown(self) -> bool:
        return self.write is not None and self.write.unknown


def voip_auth_recheck(
    *, actor: AbstractBaseUser, device: Device, client: CloudClient | None = None
) -> RecheckOutcome:
    """Observe one device now, store what WeChat says, and push it to the cloud as a run would; audited.

    Holds the device's write lock from the first read to the write, so nothing else writes in between."""
    client = client or CloudClient.from_settings()
    try:
        with device_write_lock(device.device_id):
            return _recheck_locked(actor, device, client)
    except LockHeld:
        params = device_params(device)
        result = not_sent(
            actor=actor,
            action=AUDIT_RECHECK,
            params=params,
            reason="device_busy",
            device_id=device.device_id,
            target=RECHECK_TARGET,
        )
        return RecheckOutcome(False, result.message, result)


def _recheck_locked(actor: AbstractBaseUser, device: Device, client: CloudClient) -> RecheckOutcome:
    params = device_params(device)
    side = read_cloud_side(client, device)
    failure: dict[str, Any] | None = None
    observation: AuthObservation | None = None
    if side.error:
        failure = {"reason": "cloud_read", "error": side.detail[:300]}
    elif side.auth is None:
        failure = {"reason": "no_auth_user"}
    elif not device.uuid or not device.wechat_model_id:
        failure = {"reason": "no_wechat_ids"}
    if failure is None:
        try:
            seen = observe_with_backoff(
                WeChatClient.from_settings(device.wechat_app_id),
                device.wechat_model_id,
                [(device.uuid, [side.open_id])],
            )
        except WeChatError as exc:
            failure = {"reason": "wechat_error", "errcode": exc.errcode, "errmsg": exc.message[:200]}
        else:
            observation = seen.get((device.uuid, side.open_id))
            if observation is None:
                failure = {"reason": "not_in_answer"}
    if failure is not None:
        return _recheck_audit(
            actor, device, AuditEvent.Result.FAILED, "recheck.failed", {**params, **failure}
        )
    assert side.auth is not None and observation is not None
    _mirror_observation(device.device_id, side.auth, observation, None)
    both = {"is_auth": side.auth.is_auth, "wechat_authorized": observation.authorized}
    decision = reconcile_decision(
        cloud_is_auth=side.auth.is_auth,
        cloud_changed_at=_cloud_changed_at(device.device_id, side.auth),
        wechat_authorized=observation.authorized,
        observed_at=observation.observed_at,
        dry_run=False,
        mode=settings.RECONCILE_MODE,
    )
    reason = decision.reason
    if decision.verdict == Verdict.FIX:
        result = push_locked(
            client=client,
            device=device,
            user_id=side.auth.user_id,
            observation=observation,
            actor=actor,
            action=AUDIT_RECHECK,
            target=RECHECK_TARGET,
        )
        if result.write is not None:  # the write's own audit row says how it went
            return RecheckOutcome(result.write.applied, result.write.message, result.write)
        if result.reason == "cloud_read":
            failure = {"reason": "cloud_read", "error": result.detail[:300]}
            return _recheck_audit(
                actor, device, AuditEvent.Result.FAILED, "recheck.failed", {**params, **failure}
            )
        reason = result.reason
    if decision.verdict == Verdict.IN_SYNC:
        values = {**params, "authorized": observation.authorized}
        return _recheck_audit(actor, device, AuditEvent.Result.OK, "recheck.in_sync", values, after=both)
    values = {**params, "reason": reason, "authorized": observation.authorized}
    return _recheck_audit(actor, device, AuditEvent.Result.OK, "recheck.not_written", values, after=both)


def _recheck_audit(
    actor: AbstractBaseUser,
    device: Device,
    result: str,
    message: str,
    params: dict[str, Any],
    after: Any = None,
) -> RecheckOutcome:
    event = audit_record(
        actor=actor,
        action=AUDIT_RECHECK,
        result=result,
        message=message,
        params=params,
        device_id=device.device_id,
        target=RECHECK_TARGET,
        after=after,
    )
    return RecheckOutcome(result == AuditEvent.Result.OK, audit_text(event))


def devices_to_check(*, device_ids: Iterable[str] | None = None) -> int:
    """How many devices a run would check (for the command's progress bar before planning)."""
    qs = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="")
    if device_ids is not None:
        qs = qs.filter(pk__in=list(device_ids))
    return qs.count()
