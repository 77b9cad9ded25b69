"""The one path every write to the cloud takes: one call, one ``WriteResult``, one audit row.

Four outcomes, decided here and nowhere else:

- *applied*: the cloud answered success (``true``, or ``success: true``): the caller's mirror change and the
  audit row (ok) in one ``atomic``.
- *refused*: an error code, ``false`` or ``success: false``; nothing changed; the row (failed) keeps the
  cloud's code, trace id and message.
- *unknown*: anything once the request may have reached the cloud (a timeout, a lost connection, a 5xx, an
  answer that does not parse): the row (unknown) and a queued re-read; never a guess.
- *not sent*: stopped by us before any call (the device busy with another write, the mirror lacking what the
  call needs, the cloud unreachable before the request left, a form already submitted).

A read-back after an applied write is the caller's and not part of the outcome. A write on a device runs inside
``device_write_lock`` (the lock reconciliation holds too), so two writes on one device never interleave. A form
that creates something passes ``once``: its one-time token; a second submit answers the first result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from voipadmin.core import audit_messages, locks
from voipadmin.core.audit import audit_record
from voipadmin.core.clients.errors import CloudBadResponse, CloudError, CloudTimeout, CloudUnavailable
from voipadmin.core.locks import LockHeld
from voipadmin.core.models import AuditEvent, WriteToken

T = TypeVar("T")

# Long enough for the cloud call, its read-back and the audit row; a crashed holder frees it after this.
DEVICE_LOCK_TTL = 60


class Outcome(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"
    UNKNOWN = "unknown"
    NOT_SENT = "not_sent"


RESULT_OF = {
    Outcome.APPLIED: AuditEvent.Result.OK,
    Outcome.REFUSED: AuditEvent.Result.FAILED,
    Outcome.UNKNOWN: AuditEvent.Result.UNKNOWN,
    Outcome.NOT_SENT: AuditEvent.Result.NOT_SENT,
}
OUTCOME_OF = {result: outcome for outcome, result in RESULT_OF.items()}


@dataclass(frozen=True)
class WriteResult:
    """How a write went: its outcome, its audit row, the cloud's typed answer when applied."""

    outcome: Outcome
    action: str
    message_code: str
    params: dict[str, Any] = field(default_factory=dict)
    event: AuditEvent | None = None
    value: Any = None
    replayed: bool = False  # a repeated submit of a one-time form, answered with the first result

    @property
    def applied(self) -> bool:
        return self.outcome == Outcome.APPLIED

    @property
    def unknown(self) -> bool:
        return self.outcome == Outcome.UNKNOWN

    @property
    def message(self) -> str:
        """What happened, for the page, in the active language (the audit log renders the same row)."""
        return audit_messages.render(self.message_code, self.action, self.params)

    @classmethod
    def from_event(cls, event: AuditEvent, *, replayed: bool = False) -> WriteResult:
        return cls(
            outcome=OUTCOME_OF.get(event.result, Outcome.REFUSED),
            action=event.action,
            message_code=event.message,
            params=event.params or {},
            event=event,
            replayed=replayed,
        )


def is_success(value: Any) -> bool:
    """The cloud's yes: ``true``, or an answer whose ``success`` is not ``false``."""
    if isinstance(value, bool):
        return value
    return value is not None and getattr(value, "success", True) is not False


def classify(exc: CloudError) -> tuple[Outcome, dict[str, Any]]:
    """The outcome of a write that raised, and the parameters that say why."""
    if isinstance(exc, CloudBadResponse):
        return Outcome.UNKNOWN, {"failure": "malformed", "field": exc.field}
    if isinstance(exc, CloudUnavailable):
        if not exc.outcome_unknown:
            return Outcome.NOT_SENT, {"reason": "unreachable"}
        if isinstance(exc, CloudTimeout):
            return Outcome.UNKNOWN, {"failure": "timeout", "seconds": f"{settings.CLOUD_TIMEOUT:g}"}
        if exc.http_status and exc.http_status >= 500:
            return Outcome.UNKNOWN, {"failure": "http", "status": exc.http_status}
        if exc.code is not None:
            return Outcome.UNKNOWN, {"reason": "cloud_code", "cloud_code": exc.code, "failure": "http"}
        return Outcome.UNKNOWN, {"failure": "connection"}
    return Outcome.REFUSED, {"reason": "cloud_code", "cloud_code": exc.code}


@contextmanager
def device_write_lock(device_id: str) -> Iterator[None]:
    """Hold the device's write lock; ``LockHeld`` when another write on it is under way."""
    with locks.held(f"device-write:{device_id}", DEVICE_LOCK_TTL, "device busy"):
        yield


def not_sent(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    params: dict[str, Any],
    reason: str,
    device_id: str = "",
    target: str = "",
    **reason_params: Any,
) -> WriteResult:
    """Record a write we stopped before any call, and say why."""
    values = {**params, "reason": reason, **reason_params}
    event = audit_record(
        actor=actor,
        action=action,
        result=AuditEvent.Result.NOT_SENT,
        message="write.not_sent",
        params=values,
        device_id=device_id,
        target=target,
    )
    return WriteResult(Outcome.NOT_SENT, action, "write.not_sent", values, event)


def _claim(once: str, action: str) -> WriteResult | WriteToken:
    token, created = WriteToken.objects.get_or_create(key=once, defaults={"action": action})
    if created:
        return token
    if token.event_id is not None:
        return WriteResult.from_event(token.event, replayed=True)  # type: ignore[arg-type]
    # The first submit is still talking to the cloud: say so, and write nothing and no second row.
    return WriteResult(Outcome.NOT_SENT, action, "write.not_sent", {"reason": "in_flight"}, replayed=True)


def cloud_write(
    *,
    actor: AbstractBaseUser | None,
    action: str,
    params: dict[str, Any],
    send: Callable[[], T],
    device_id: str = "",
    target: str = "",
    before: Any = None,
    accepted: Callable[[T], bool] = is_success,
    on_applied: Callable[[T], tuple[Any, dict[str, Any]]] | None = None,
    applied_message: str = "write.applied",
    reread: Callable[[], dt.datetime | None] | None = None,
    once: str | None = None,
) -> WriteResult:
    """Send one write and record its one outcome.

    ``params`` name what is written (for the messages and the confirm step); ``on_applied(value)`` makes the
    mirror change and returns ``(after, extra params)`` inside the audit row's transaction; ``reread()`` queues
    the re-read of what an unknown outcome may have changed and returns when it runs.
    """
    token: WriteToken | None = None
    if once:
        claimed = _claim(once, action)
        if isinstance(claimed, WriteResult):
            return claimed
        token = claimed
    audit = {"actor": actor, "action": action, "device_id": device_id, "target": target, "before": before}
    try:
        value = send()
    except CloudError as exc:
        outcome, why = classify(exc)
        values = {**params, **why}
        message = f"write.{outcome}"
        if outcome == Outcome.UNKNOWN:
            at = reread() if reread is not None else None
            if at is None:
                message = "write.unknown_no_reread"
            else:
                values["reread_at"] = at.isoformat()
        event = audit_record(
            **audit,
            result=RESULT_OF[outcome],
            message=message,
            params=values,
            cloud_code=exc.code,
            cloud_tid=exc.tid,
            cloud_msg=exc.msg,
        )
        return _finish(token, WriteResult(outcome, action, message, values, event))
    if not accepted(value):
        values = {**params, "reason": "answered_false"}
        event = audit_record(**audit, result=AuditEvent.Result.FAILED, message="write.refused", params=values)
        return _finish(token, WriteResult(Outcome.REFUSED, action, "write.refused", values, event))
    with transaction.atomic():
        after, extra = on_applied(value) if on_applied is not None else (None, {})
        values = {**params, **extra}
        event = audit_record(
            **audit, result=AuditEvent.Result.OK, message=applied_message, params=values, after=after
        )
        result = WriteResult(Outcome.APPLIED, action, applied_message, values, event, value)
        return _finish(token, result)


def _finish(token: WriteToken | None, result: WriteResult) -> WriteResult:
    if token is not None and result.event is not None:
        WriteToken.objects.filter(pk=token.pk).update(event=result.event)
    return result


def guarded(device_id: str, write: Callable[[], WriteResult], busy: Callable[[], WriteResult]) -> WriteResult:
    """Run ``write`` holding the device's write lock, or answer ``busy()`` (a not-sent result) when it is held."""
    try:
        with device_write_lock(device_id):
            return write()
    except LockHeld:
        return busy()
