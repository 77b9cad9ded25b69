"""The safe fixes support and ops may run on a device, each through the one cloud-write path.

The write goes to the cloud first, outside any transaction, holding the device's write lock; its outcome
(applied, refused, unknown, not sent) is decided by voipadmin/core/cloudwrite.py alone. After an applied write the
device is read back to refresh the mirror; a read-back that fails leaves the write applied and queues a re-read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.utils import timezone

from devices.models import CloudUser, Device, DeviceService, HomeMember, VoipAuthState
from devices.services.mirror import fetch_details, store_details
from devices.services.refresh import device_refresh, queue_refresh
from voipadmin.core import audit_messages
from voipadmin.core.audit import audit_record, audit_text
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.clients.errors import CloudError, CloudUnavailable
from voipadmin.core.clients.models import ExchangeResult
from voipadmin.core.cloudwrite import WriteResult, cloud_write, guarded, not_sent
from voipadmin.core.models import AuditEvent
from voipadmin.core.syncpass import Tally

log = logging.getLogger(__name__)

ACTION_AUTH_USER = "voip_auth_user_set"
ACTION_EXCHANGE = "exchange_code_redeem"
ACTION_REFRESH = "device_refresh"
ACTION_AUTHORIZATION = "voip_authorization_load"


def device_params(device: Device) -> dict[str, Any]:
    return {"device": device.name or device.device_id, "device_id": device.device_id}


def read_back(client: CloudClient, device_id: str) -> None:
    """Refresh the mirror after an applied write; a failure only queues a re-read (the write stands)."""
    try:
        details = fetch_details(client, device_id)
    except CloudError as exc:
        log.info("read-back of %s failed (%s); re-read queued", device_id, exc)
        queue_refresh(device_id)
        return
    store_details(details, timezone.now(), Tally())


def _auth_snapshot(device: Device) -> dict[str, object] | None:
    return VoipAuthState.objects.filter(device=device).values("user_id", "is_auth").first()


def voip_auth_user_params(device: Device, user_id: str) -> dict[str, Any]:
    user = CloudUser.objects.filter(pk=user_id).first()
    name = user.user_name if user is not None and user.user_name else user_id
    return {**device_params(device), "user": name, "user_id": user_id}


def home_members(device: Device) -> list[CloudUser]:
    """Who may be the device's VoIP auth user: the members of its home (ext/listUsers), by name."""
    if device.home_id is None:
        return []
    return list(
        CloudUser.objects.filter(memberships__home_id=device.home_id).order_by("user_name", "user_id")
    )


def is_home_member(device: Device, user_id: str) -> bool:
    return (
        device.home_id is not None
        and HomeMember.objects.filter(home_id=device.home_id, user_id=user_id).exists()
    )


def _safe_write(
    *,
    actor: AbstractBaseUser,
    action: str,
    device: Device,
    target: str,
    params: dict[str, Any],
    client: CloudClient,
    send: Callable[[], Any],
    before: Callable[[], Any],
    on_applied: Callable[[Any], tuple[Any, dict[str, Any]]],
    applied_message: str,
) -> WriteResult:
    """A safe fix's write: under the device's lock, read back when applied; a busy device is not sent to.

    ``before`` is read under the lock, so it is what the write changed."""
    audit = {"actor": actor, "action": action, "device_id": device.device_id, "target": target}

    def write() -> WriteResult:
        result = cloud_write(
            **audit,
            params=params,
            send=send,
            before=before(),
            on_applied=on_applied,
            applied_message=applied_message,
            reread=lambda: queue_refresh(device.device_id),
        )
        if result.applied:
            read_back(client, device.device_id)
        return result

    return guarded(device.device_id, write, lambda: not_sent(**audit, params=params, reason="device_busy"))


def voip_auth_user_set(
    *, actor: AbstractBaseUser, device: Device, user_id: str, client: CloudClient | None = None
) -> WriteResult:
    """Make a member of the device's home its VoIP auth user; anyone else is refused before any cloud call."""
    params = voip_auth_user_params(device, user_id)
    if not is_home_member(device, user_id):
        return not_sent(
            actor=actor,
            action=ACTION_AUTH_USER,
            params=params,
            reason="not_a_member",
            device_id=device.device_id,
            target=user_id,
        )
    client = client or CloudClient.from_settings()

    def applied(_value: bool) -> tuple[Any, dict[str, Any]]:
        VoipAuthState.objects.filter(device=device).update(user_id=user_id, synced_at=timezone.now())
        return {"user_id": user_id}, {}

    return _safe_write(
        actor=actor,
        action=ACTION_AUTH_USER,
        device=device,
        target=user_id,
        params=params,
        client=client,
        send=lambda: client.save_voip_auth_user(device.device_id, user_id),
        before=lambda: _auth_snapshot(device),
        on_applied=applied,
        applied_message="voip_auth_user.applied",
    )


def exchange_code_params(device: Device, code: str, catalog_code: str) -> dict[str, Any]:
    # Only the code's last four characters: an unused code is as good as money.
    masked = "…" + code[-4:] if len(code) > 4 else code
    return {**device_params(device), "code": masked, "catalog": catalog_code}


def exchange_code_redeem(
    *,
    actor: AbstractBaseUser,
    device: Device,
    code: str,
    catalog_code: str,
    client: CloudClient | None = None,
) -> WriteResult:
    client = client or CloudClient.from_settings()
    params = exchange_code_params(device, code, catalog_code)

    def applied(value: ExchangeResult) -> tuple[Any, dict[str, Any]]:
        service = value.service_code or catalog_code
        # The device may not have had this service before; every device's service of one code has one name.
        name = (
            DeviceService.objects.filter(code=service).exclude(name="").values_list("name", flat=True).first()
        )
        ends = value.end_time.isoformat() if value.end_time else None
        return {"service": service, "ends": ends}, {"service": name or service, "ends": ends}

    return _safe_write(
        actor=actor,
        action=ACTION_EXCHANGE,
        device=device,
        target=catalog_code,
        params=params,
        client=client,
        send=lambda: client.exchange_code(
            device_id=device.device_id,
            catalog_code=catalog_code,
            home_id=device.home_id or "",
            code=code,
            name=device.name,
            uuid=device.uuid,
        ),
        before=lambda: {"services": sorted(device.services.values_list("code", flat=True))},
        on_applied=applied,
        applied_message="exchange_code.applied",
    )


# -- reads support starts from the device page: audited, the refresh throttled --------------------------------
REFRESH_EVERY = 10  # seconds between two refreshes of one device


@dataclass(frozen=True)
class ReadResult:
    ok: bool
    message: str
    value: Any = None
    throttled: bool = False


def device_refresh_by(
    *,
    actor: AbstractBaseUser,
    device: Device,
    client: CloudClient | None = None,
    refresh: Callable[..., Device] = device_refresh,
) -> ReadResult:
    """Re-read the device from the cloud now for a person: at most once per device per REFRESH_EVERY s.

    ``refresh(device_id=, client=)`` does the reading; voipadmin/console/refresh.py passes one that also reads the
    device's mall info and offers (this app never imports the mall)."""
    params = device_params(device)
    if not cache.add(f"device-refresh:{device.device_id}", 1, REFRESH_EVERY):
        values = {**params, "reason": "throttled", "seconds": REFRESH_EVERY}
        return ReadResult(
            False, audit_messages.render("refresh.failed", ACTION_REFRESH, values), throttled=True
        )
    try:
        fresh = refresh(device_id=device.device_id, client=client)
    except CloudError as exc:
        event = _read_audit(actor, ACTION_REFRESH, device, "refresh.failed", params, exc)
        return ReadResult(False, audit_text(event))
    event = _read_audit(actor, ACTION_REFRESH, device, "refresh.done", params)
    return ReadResult(True, audit_text(event), fresh)


def voip_authorization_load(
    *, actor: AbstractBaseUser, device: Device, client: CloudClient | None = None
) -> ReadResult:
    """Ask the cloud for what the mini program passes to wx.requestDeviceVoIP; audited, never the ticket."""
    client = client or CloudClient.from_settings()
    params = device_params(device)
    try:
        authorization = client.voip_service_authorization(device.device_id, device.name, device.uuid)
    except CloudError as exc:
        event = _read_audit(actor, ACTION_AUTHORIZATION, device, "authorization.failed", params, exc)
        return ReadResult(False, audit_text(event))
    event = _read_audit(actor, ACTION_AUTHORIZATION, device, "authorization.loaded", params)
    return ReadResult(True, audit_text(event), authorization)


def _read_audit(
    actor: AbstractBaseUser,
    action: str,
    device: Device,
    message: str,
    params: dict[str, Any],
    exc: CloudError | None = None,
) -> AuditEvent:
    cloud: dict[str, Any] = {}
    if exc is not None:
        params = {**params, "reason": "cloud_code", "cloud_code": exc.code}
        if exc.code is None:
            params["reason"] = "unreachable" if isinstance(exc, CloudUnavailable) else "cloud_code"
        cloud = {"cloud_code": exc.code, "cloud_tid": exc.tid, "cloud_msg": exc.msg}
    return audit_record(
        actor=actor,
        action=action,
        result=AuditEvent.Result.OK if exc is None else AuditEvent.Result.FAILED,
        message=message,
        params=params,
        device_id=device.device_id,
        **cloud,
    )
