from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from voipadmin.core import audit_messages
from voipadmin.core.audit import audit_text
from voipadmin.core.models import AuditEvent
from voipadmin.core.rowhtml import escape, row_link
from voipadmin.core.templatetags.time_tags import local_stamp

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


# An audit row is drawn in Python (as the device rows are: devices/templatetags/devices_tags.py); in the template
# it was two thirds of a 50-row page. The table around the rows stays voipadmin/_audit_rows.html.
RESULT_BADGES = {"ok": "ok", "failed": "bad", "not_sent": "bad"}  # any other result (unknown): a warning
RESULT_LABELS = dict(AuditEvent.Result.choices)


def _result(event: Any) -> str:
    kind = RESULT_BADGES.get(event.result, "warn")
    label = audit_messages.in_language(RESULT_LABELS).get(event.result, event.result)
    return f'<span class="badge badge-{kind}">{escape(label)}</span>'


def _change(event: Any) -> str:
    """The change cell: each field before → after (changed ones first), the row's sentence, the cloud's answer."""
    parts = []
    for field, old, new in audit_changes(event):
        shown = escape(new) if old is None else f'<span class="muted">{escape(old)}</span> → {escape(new)}'
        parts.append(f'<div><span class="muted">{escape(field)}:</span> {shown}</div>')
    if text := audit_text(event):
        parts.append(f"<div>{escape(text)}</div>")
    if event.cloud_code is not None:
        cloud = _("Cloud: %(code)s %(msg)s (tid %(tid)s)")
        said = cloud % {"code": event.cloud_code, "msg": event.cloud_msg, "tid": event.cloud_tid}
        parts.append(f'<div class="muted">{escape(said)}</div>')
    return "".join(parts)


def _device_cell(event: Any, devices_url: str) -> str:
    if not event.device_id:
        return "<td>—</td>"
    name = getattr(event, "device_name", None)  # the log's annotation; another table has none
    link = row_link(devices_url, event.device_id, escape(name or event.device_id))
    return (
        f'<td>{link}<br><code class="muted">{escape(event.device_id)}</code></td>'
        if name
        else f"<td>{link}</td>"
    )


@register.simple_tag
def audit_rows(events: Iterable[Any], show_device: bool = False) -> SafeString:
    """The rows of an audit table: time, actor, action and target, device (the log's own table), result, change.

    Built as strings with every value escaped (format_html per cell was a third of the page again)."""
    devices_url = reverse("devices:device-list") if show_device else ""
    tz = timezone.get_current_timezone()
    rows = []
    for e in events:
        target = f'<br><code class="muted">{escape(audit_target(e.target))}</code>' if e.target else ""
        device = _device_cell(e, devices_url) if show_device else ""
        rows.append(
            f'<tr><td class="nowrap">{local_stamp(e.created_at, "Y-m-d H:i:s", tz)}</td>'
            f"<td>{escape(e.actor_name)}</td><td>{escape(audit_action(e.action))}{target}</td>{device}"
            f'<td>{_result(e)}</td><td class="change">{_change(e)}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 -- every value in the rows is escaped above
