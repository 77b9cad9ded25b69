"""The audit writer: one place that records what the product changed, or tried to change, and how it went.

A shared leaf: it imports no app, so both ``devices`` and ``mall`` services call it. Writes to the cloud happen
first, outside any transaction; then the caller records the result here — inside the same ``atomic`` as the
mirror change when the cloud said yes, alone when it said no or did not answer (``audit_cloud_write``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from voipadmin.models import AuditEvent

SYSTEM_ACTOR = "system"


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    result: str,
    device_id: str = "",
    target: str = "",
    before: Any = None,
    after: Any = None,
    detail: str = "",
) -> AuditEvent:
    if result not in AuditEvent.Result.values:
        raise ValueError(f"unknown audit result {result!r}")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor.get_username() if actor is not None and actor.is_authenticated else SYSTEM_ACTOR,
        action=action,
        result=result,
        device_id=device_id,
        target=target,
        before=before,
        after=after,
        detail=detail[:2000],
    )


@dataclass(frozen=True)
class CloudWrite:
    """How a write to the cloud went: the audit row and the message the user is shown."""

    result: str  # an AuditEvent.Result: ok | failed | unknown
    message: str
    event: AuditEvent

    @property
    def ok(self) -> bool:
        return self.result == AuditEvent.Result.OK

    @property
    def unknown(self) -> bool:
        return self.result == AuditEvent.Result.UNKNOWN


def audit_cloud_write(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    message: str,
    device_id: str = "",
    target: str = "",
    before: Any = None,
    after: Any = None,
    error: Exception | None = None,
    unknown: bool = False,
) -> CloudWrite:
    """Record how a write to the cloud went, with the message the user is shown.

    Without ``error`` the cloud said yes (ok); with one it said no (failed) or, ``unknown``, may have made the
    change all the same (unknown). The error is the detail of the row.
    """
    if error is None:
        result = AuditEvent.Result.OK
    else:
        result = AuditEvent.Result.UNKNOWN if unknown else AuditEvent.Result.FAILED
    event = audit_record(
        actor=actor,
        action=action,
        result=result,
        device_id=device_id,
        target=target,
        before=before,
        after=after,
        detail="" if error is None else str(error),
    )
    return CloudWrite(result, message, event)
