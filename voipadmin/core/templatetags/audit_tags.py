from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from voipadmin.core import audit_messages
from voipadmin.core.audit import audit_text

register = template.Library()


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


# The two cells of an audit row that hold logic, drawn in Python: in the template they were most of a 50-row page.
RESULT_BADGES = {"ok": "ok", "failed": "bad", "not_sent": "bad"}  # any other result (unknown): a warning


@register.filter
def audit_result(event: Any) -> SafeString:
    """The row's result as a badge coloured by what it means."""
    kind = RESULT_BADGES.get(event.result, "warn")
    return format_html('<span class="badge badge-{}">{}</span>', kind, event.get_result_display())


@register.filter
def audit_change(event: Any) -> SafeString:
    """The change cell: each field before → after (changed ones first), the row's sentence, the cloud's answer."""
    parts = []
    for field, old, new in audit_changes(event):
        if old is None:
            parts.append(format_html('<div><span class="muted">{}:</span> {}</div>', field, new))
        else:
            parts.append(
                format_html(
                    '<div><span class="muted">{}:</span> <span class="muted">{}</span> → {}</div>',
                    field,
                    old,
                    new,
                )
            )
    if text := audit_text(event):
        parts.append(format_html("<div>{}</div>", text))
    if event.cloud_code is not None:
        cloud = _("Cloud: %(code)s %(msg)s (tid %(tid)s)")
        parts.append(
            format_html(
                '<div class="muted">{}</div>',
                cloud % {"code": event.cloud_code, "msg": event.cloud_msg, "tid": event.cloud_tid},
            )
        )
    return format_html_join("", "{}", ((part,) for part in parts))
