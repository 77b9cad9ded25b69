"""The device page's re-check: observe one device now, and push a drift to the cloud as a run would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser

from devices.models import Device
from devices.reconciliation.decision import Verdict, reconcile_decision
from devices.reconciliation.push import push_locked
from devices.reconciliation.sides import (
    AUDIT_RECHECK,
    cloud_changed_at,
    mirror_observation,
    observe_with_backoff,
    read_cloud_side,
)
from devices.services.fixes import device_params
from voipadmin.core.audit import audit_record, audit_text
from voipadmin.core.clients import CloudClient, WeChatClient
from voipadmin.core.clients.errors import WeChatError
from voipadmin.core.clients.models import AuthObservation
from voipadmin.core.cloudwrite import WriteResult, device_write_lock, not_sent
from voipadmin.core.locks import LockHeld
from voipadmin.core.models import AuditEvent

RECHECK_TARGET = "re-check"


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
    mirror_observation(device.device_id, side.auth, observation, None)
    both = {"is_auth": side.auth.is_auth, "wechat_authorized": observation.authorized}
    decision = reconcile_decision(
        cloud_is_auth=side.auth.is_auth,
        cloud_changed_at=cloud_changed_at(device.device_id, side.auth),
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
