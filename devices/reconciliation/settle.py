"""Processing one leased chunk: read both sides of its devices, observe them in one call, decide and act.

Each device's step is idempotent: its row is unique per (run, device), a final row is never redone, and a
write is marked ``fixing`` before it is sent, so a chunk processed again confirms a write instead of repeating it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from devices.models import Device, ReconciliationChunk, ReconciliationItem, ReconciliationRun
from devices.reconciliation.chunks import zero_counts
from devices.reconciliation.decision import Verdict, reconcile_decision
from devices.reconciliation.push import FixResult, push_observation
from devices.reconciliation.sides import (
    AUDIT_FIX,
    CloudSide,
    cloud_changed_at,
    mirror_observations,
    observe_with_backoff,
    read_cloud_side,
)
from voipadmin.core.clients import CloudClient, WeChatClient
from voipadmin.core.clients.errors import WeChatConfigError, WeChatError, WeChatQuotaExceeded
from voipadmin.core.clients.models import AuthObservation

Outcome = ReconciliationItem.Outcome


class ChunkRetry(Exception):
    """The chunk's observation failed in a way worth another attempt (WeChat busy, unavailable)."""


@dataclass
class Context:
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


def process_chunk(ctx: Context, chunk: ReconciliationChunk, final_attempt: bool) -> dict[str, int]:
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
                raise ChunkRetry(str(exc)) from exc
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
            mirror_observations([(d.device_id, s.auth, o) for d, s, o in observed if o is not None], run.pk)
            fixing = {d for d, item in existing.items() if item.outcome == Outcome.FIXING}
            for device, side, observation in observed:
                in_sync += _settle_device(ctx, device, side, observation, device.device_id in fixing)
    return _chunk_counts(run, chunk, in_sync)


def _settle_device(
    ctx: Context,
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
        auth.auth_update_time if agree and not was_fixing else cloud_changed_at(device.device_id, auth)
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
    counts = zero_counts()
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
