"""The audit writer: one place that records what the product changed, or tried to change, and how it went.

A shared leaf: it imports no app, so both ``devices`` and ``mall`` services call it. A row keeps data — a
message code and its parameters (voipadmin/core/audit_messages.py), and the cloud's code, trace id and message — so
it is rendered in the reader's language when read. Writes to the cloud record their rows through
voipadmin/core/cloudwrite.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from voipadmin.core import audit_messages
from voipadmin.core.models import AuditEvent

SYSTEM_ACTOR = "system"
# Parameter names that may never be stored: a ticket or token in a row would outlive its secrecy.
FORBIDDEN_PARAMS = frozenset({"sn_ticket", "ticket", "token", "access_token", "secret", "open_id", "openid"})


def audit_record(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    result: str,
    message: str = "",
    params: dict[str, Any] | None = None,
    device_id: str = "",
    target: str = "",
    before: Any = None,
    after: Any = None,
    cloud_code: int | None = None,
    cloud_tid: str | None = None,
    cloud_msg: str = "",
) -> AuditEvent:
    if result not in AuditEvent.Result.values:
        raise ValueError(f"unknown audit result {result!r}")
    if message and message not in audit_messages.MESSAGES:
        raise ValueError(f"unknown audit message {message!r}")
    params = dict(params or {})
    if leaked := FORBIDDEN_PARAMS & params.keys():
        raise ValueError(f"audit parameters may not hold {sorted(leaked)}")
    authenticated = actor is not None and actor.is_authenticated
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else SYSTEM_ACTOR,  # type: ignore[union-attr]
        action=action,
        result=result,
        message=message,
        params=params,
        device_id=device_id,
        target=target[:128],
        before=before,
        after=after,
        cloud_code=cloud_code,
        cloud_tid=(cloud_tid or "")[:64],
        cloud_msg=cloud_msg[:500],
    )


def audit_text(event: AuditEvent) -> str:
    """The row's sentence in the active language."""
    return audit_messages.render(event.message, event.action, event.params or {})
