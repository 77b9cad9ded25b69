from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from voipadmin.core import enums
from voipadmin.core.rowhtml import escape, row_link
from voipadmin.core.templatetags.time_tags import local_stamp

register = template.Library()


@register.filter
def vas_type_label(code: int | None) -> str:
    return "—" if code is None else str(enums.vas_type_label(code))


# The rows of the growing lists are drawn in Python, as strings with every value escaped: the template engine
# spent ~0.1 ms on each cell, most of a 50-row page (make bench-lists). The markup is what the templates wrote;
# the tables around the rows stay templates.
def _badge(kind: str, text: str) -> str:
    return f'<span class="badge badge-{kind}">{escape(text)}</span>'


def _vas_badges(types: list[int] | None) -> str:
    if not types:
        return '<span class="muted">—</span>'
    return "".join(f"{_badge('muted', vas_type_label(t))} " for t in types)


def _voip_state(device: object, auth: object | None) -> str:
    capable = getattr(device, "voip_capable", None)
    if capable is None:
        return _badge("muted", _("not checked"))
    if not capable:
        return _badge("muted", _("no VoIP"))
    if not auth:
        return _badge("muted", _("no auth user"))
    is_auth, wechat = auth.is_auth, auth.wechat_authorized  # type: ignore[attr-defined]
    cloud = _badge("ok", _("cloud: authorized")) if is_auth else _badge("warn", _("cloud: not authorized"))
    if wechat is None:
        seen = _badge("muted", _("WeChat: never checked"))
    elif wechat == is_auth:
        seen = _badge("ok", _("in sync"))
    else:
        seen = _badge("bad", _("drift"))
    return f"{cloud} {seen}"


@register.filter
def vas_badges(types: list[int] | None) -> SafeString:
    """A device's service types as badges, or a dash."""
    return mark_safe(_vas_badges(types))  # noqa: S308 -- labels escaped by _badge


@register.simple_tag
def voip_state(device: object, auth: object | None) -> SafeString:
    """VoIP capability and authorization state, told in words and colour (the device tables and the device page)."""
    return mark_safe(_voip_state(device, auth))  # noqa: S308 -- labels escaped by _badge


@register.simple_tag
def device_rows(devices: Iterable[Any], selectable: bool = False, show_home: bool = False) -> SafeString:
    """The rows of a device table (devices/_device_table.html): each links by the lists' paths."""
    devices_url, homes_url = reverse("devices:device-list"), reverse("devices:home-list")
    tz = timezone.get_current_timezone()
    rows = []
    for n, device in enumerate(devices, start=1):
        pk, name = escape(device.device_id), escape(device.name or device.device_id)
        pick = ""
        if selectable:
            label = escape(_("Select %(name)s") % {"name": device.name or device.device_id})
            pick = (
                f'<td class="select-col"><input type="checkbox" name="device" value="{pk}" form="bulk-form" '
                f'id="pick-{n}"><label for="pick-{n}" class="visually-hidden">{label}</label></td>'
            )
        home = ""
        if show_home:
            h = device.home
            home = (
                f"<td>{row_link(homes_url, h.owner_id, escape(h.name or h.owner_id))}</td>"
                if h
                else "<td>—</td>"
            )
        rows.append(
            f"<tr>{pick}<td>{row_link(devices_url, device.device_id, name)}<br>"
            f'<code class="muted">{pk}</code></td><td>{escape(device.location_name or "—")}</td>{home}'
            f"<td>{_vas_badges(device.vas_types)}</td>"
            f'<td class="key">{_voip_state(device, getattr(device, "voip_auth", None))}</td>'
            f'<td class="muted">{local_stamp(device.synced_at, "Y-m-d H:i", tz)}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 -- every value in the rows is escaped above


# What ``home_rows`` reads: the list selects these as ``.values()`` (no model instance, no timestamp it does not
# show, per row).
HOME_ROW_FIELDS = ("owner_id", "name", "geo_name", "device_count", "synced_at")


@register.simple_tag
def home_rows(homes: Iterable[dict[str, Any]]) -> SafeString:
    """The rows of the homes list, from its ``.values(*HOME_ROW_FIELDS)``."""
    homes_url, tz = reverse("devices:home-list"), timezone.get_current_timezone()
    return mark_safe(  # noqa: S308 -- every value in the rows is escaped
        "\n".join(
            f"<tr><td>{row_link(homes_url, h['owner_id'], escape(h['name'] or h['owner_id']))}</td>"
            f"<td><code>{escape(h['owner_id'])}</code></td><td>{escape(h['geo_name'] or '—')}</td>"
            f'<td class="num">{h["device_count"]}</td>'
            f'<td class="muted">{local_stamp(h["synced_at"], "Y-m-d H:i", tz)}</td></tr>'
            for h in homes
        )
    )


@register.filter
def service_tag_label(tag: str) -> str:
    return str(enums.service_tag_label(tag))


@register.simple_tag
def days_left(service: object) -> int | None:
    """Whole days until the service ends (negative once it has ended); None without an end."""
    end: dt.datetime | None = getattr(service, "end_at", None)
    if end is None:
        return None
    return (timezone.localdate(end) - timezone.localdate()).days
