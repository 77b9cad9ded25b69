from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from voipadmin.core import enums

register = template.Library()


@register.filter
def vas_type_label(code: int | None) -> str:
    return "—" if code is None else str(enums.vas_type_label(code))


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
