"""The write: WeChat's value pushed to the cloud with saveWXVoipAuth, through voipadmin/core/cloudwrite.py.

Holds the device's write lock and re-reads the cloud first, so a step done again never writes twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from devices.models import Device, ReconciliationItem, VoipAuthState
from devices.reconciliation.sides import cloud_changed_at
from devices.services.fixes import device_params
from devices.services.refresh import queue_refresh
from voipadmin.core.clients import CloudClient
from voipadmin.core.clients.errors import CloudError
from voipadmin.core.clients.models import AuthObservation
from voipadmin.core.cloudwrite import Outcome as WriteOutcome
from voipadmin.core.cloudwrite import WriteResult, cloud_write, device_write_lock
from voipadmin.core.locks import LockHeld

Outcome = ReconciliationItem.Outcome


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
    changed_at = cloud_changed_at(device.device_id, fresh)
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
