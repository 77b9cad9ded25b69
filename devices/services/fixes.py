"""The safe fixes support and ops may run on a device: each goes to the cloud first, then is audited.

Cloud first, outside any transaction; then the mirror change and an ``AuditEvent(result=ok)`` in one atomic
block. A refused call writes only ``AuditEvent(result=failed)`` with the reason; a call whose outcome is unknown
(timeout, connection lost) writes ``AuditEvent(result=unknown)`` and queues a refresh of the device.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from devices.models import Device, VoipAuthState
from devices.services.sync import Tally, fetch_details, store_details
from voipadmin.audit import audit_cloud_write
from voipadmin.clients.cloud import CloudClient
from voipadmin.clients.errors import (
    CloudError,
    CloudUnavailable,
    ExchangeCodeExpired,
    ExchangeCodeInvalid,
    ExchangeCodeUsed,
)
from voipadmin.models import AuditEvent


@dataclass(frozen=True)
class FixOutcome:
    ok: bool
    message: str
    event: AuditEvent
    unknown: bool = False


def queue_refresh(device_id: str) -> None:
    from devices.tasks import device_refresh_task

    # Later than the cloud could still be working on the call that timed out, so the refresh sees its result.
    delay = max(5.0, 2 * settings.CLOUD_TIMEOUT)
    transaction.on_commit(lambda: device_refresh_task.apply_async((device_id,), countdown=delay))


def _auth_snapshot(device: Device) -> dict[str, object] | None:
    state = VoipAuthState.objects.filter(device=device).values("user_id", "is_auth").first()
    return state


def _cloud_failure(
    *,
    actor: AbstractBaseUser,
    action: str,
    device: Device,
    target: str,
    before: object,
    exc: CloudError,
    message: str,
) -> FixOutcome:
    unknown = isinstance(exc, CloudUnavailable) and exc.outcome_unknown
    if unknown:
        message = _(
            "The cloud did not answer in time; the change may or may not have been made. The device is being "
            "refreshed — check it again in a moment."
        )
    write = audit_cloud_write(
        actor=actor,
        action=action,
        device_id=device.device_id,
        target=target,
        before=before,
        error=exc,
        unknown=unknown,
        message=message,
    )
    if unknown:
        queue_refresh(device.device_id)
    return FixOutcome(False, write.message, write.event, unknown=unknown)


def voip_auth_user_set(
    *, actor: AbstractBaseUser, device: Device, user_id: str, client: CloudClient | None = None
) -> FixOutcome:
    client = client or CloudClient.from_settings()
    action = "voip_auth_user_set"
    before = _auth_snapshot(device)
    try:
        client.save_voip_auth_user(device.device_id, user_id)
        details = fetch_details(client, device.device_id)
    except CloudError as exc:
        return _cloud_failure(
            actor=actor,
            action=action,
            device=device,
            target=user_id,
            before=before,
            exc=exc,
            message=_("The cloud refused to set the auth user: %(reason)s") % {"reason": exc.message},
        )
    with transaction.atomic():
        store_details(details, timezone.now(), Tally())
        write = audit_cloud_write(
            actor=actor,
            action=action,
            device_id=device.device_id,
            target=user_id,
            before=before,
            after=_auth_snapshot(device),
            message=_("The VoIP auth user is now %(user)s.") % {"user": user_id},
        )
    return FixOutcome(True, write.message, write.event)


# Lazy: built at import, shown in the language of the request.
EXCHANGE_MESSAGES = {
    ExchangeCodeUsed: gettext_lazy("This exchange code has already been used."),
    ExchangeCodeExpired: gettext_lazy("This exchange code has expired."),
    ExchangeCodeInvalid: gettext_lazy("This exchange code is not valid for this device."),
}


def exchange_code_redeem(
    *,
    actor: AbstractBaseUser,
    device: Device,
    code: str,
    catalog_code: str,
    client: CloudClient | None = None,
) -> FixOutcome:
    client = client or CloudClient.from_settings()
    action = "exchange_code_redeem"
    before = {"services": sorted(device.services.values_list("code", flat=True))}
    try:
        result = client.exchange_code(
            device_id=device.device_id,
            catalog_code=catalog_code,
            home_id=device.home_id or "",
            code=code,
            name=device.name,
            uuid=device.uuid,
        )
        details = fetch_details(client, device.device_id)
    except CloudError as exc:
        message = next((m for cls, m in EXCHANGE_MESSAGES.items() if isinstance(exc, cls)), None)
        return _cloud_failure(
            actor=actor,
            action=action,
            device=device,
            target=catalog_code,
            before=before,
            exc=exc,
            message=str(message or _("The cloud refused the code: %(reason)s") % {"reason": exc.message}),
        )
    with transaction.atomic():
        store_details(details, timezone.now(), Tally())
        write = audit_cloud_write(
            actor=actor,
            action=action,
            device_id=device.device_id,
            target=catalog_code,
            before=before,
            after={
                "service": result.service_code,
                "ends": result.end_time.isoformat() if result.end_time else None,
            },
            message=_("Code redeemed: %(service)s is extended.") % {"service": result.service_code},
        )
    return FixOutcome(True, write.message, write.event)
