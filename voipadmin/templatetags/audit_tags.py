from __future__ import annotations

from typing import Any

from django import template

from voipadmin import audit_messages
from voipadmin.audit import audit_text

register = template.Library()


@register.filter
def audit_changes(event: Any) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field an audit event's before/after snapshots name, changed ones first."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    rows = [(k, before.get(k), after.get(k)) for k in keys]
    return sorted(rows, key=lambda row: row[1] == row[2])


@register.filter
def audit_message(event: Any) -> str:
    """The row's sentence, rendered from its message code and parameters in the reader's language."""
    return audit_text(event)


@register.filter
def audit_action(action: str) -> str:
    return audit_messages.action_label(action)
