from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from voipadmin.core import audit_messages
from voipadmin.core.audit import audit_text

register = template.Library()


@register.filter
def audit_changes(event: Any) -> list[tuple[str, str | None, str]]:
    """(field, before, after) in words for each field the row's snapshots name, changed ones first; ``before``
    is None where it did not change (only the value is worth showing)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        label = audit_messages.field_label(key)
        if key in before and key in after and old != new:
            rows.append((label, audit_messages.value_text(key, old), audit_messages.value_text(key, new)))
        else:
            rows.append((label, None, audit_messages.value_text(key, new if key in after else old)))
    return sorted(rows, key=lambda row: row[1] is None)


@register.filter
def audit_message(event: Any) -> str:
    """The row's sentence, rendered from its message code and parameters in the reader's language."""
    return audit_text(event)


@register.filter
def audit_action(action: str) -> str:
    return audit_messages.action_label(action)


@register.filter
def audit_target(target: str) -> str:
    """The row's target for people: a run by its number, the re-check in words; an id as it is."""
    if target.startswith("run ") and target[4:].isdigit():
        return _("run #%(n)s") % {"n": target[4:]}
    if target == "re-check":
        return _("re-check from the device page")
    return target
