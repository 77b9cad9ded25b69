"""The audit writer: one place that records what the product changed, or tried to change, and how it went.

A shared leaf: it imports no app, so both ``devices`` and ``mall`` services call it. Writes to the cloud happen
first, outside any transaction; then the caller records the result here — inside the same ``atomic`` as the
mirror change when the cloud said yes, alone when it said no or did not answer.
"""

from __future__ import annotations

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
