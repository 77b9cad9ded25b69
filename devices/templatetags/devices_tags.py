from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from voipadmin.core import enums

register = template.Library()


@register.filter
def vas_type_label(code: int | None) -> str:
    return "—" if code is None else str(enums.vas_type_label(code))


# The two states every device table draws in each row, in Python: as includes they were a third of a 50-row page.
def _badge(kind: str, text: str) -> SafeString:
    return format_html('<span class="badge badge-{}">{}</span>', kind, text)


@register.filter
def vas_badges(types: list[int] | None) -> SafeString:
    """A device's service types as badges, or a dash."""
    if not types:
        return mark_safe('<span class="muted">—</span>')
    return format_html_join(
        "", '<span class="badge badge-muted">{}</span> ', ((vas_type_label(t),) for t in types)
    )


@register.simple_tag
def voip_state(device: object, auth: object | None) -> SafeString:
    """VoIP capability and authorization state, told in words and colour (the device tables and the device page)."""
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
    return format_html("{} {}", cloud, seen)


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
