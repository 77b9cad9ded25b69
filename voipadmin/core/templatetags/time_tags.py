"""``{{ value|stamp:"Y-m-d H:i" }}``: a time as the pages write it ("2025-01-31 09:05"), in the reader's time zone.

What Django's ``date`` filter writes for the house's few formats, without its cost: ``date`` reads its format one
character at a time through lazily compiled patterns and settings on every call, which was half of a 50-row list's
render. Only the formats below are known (a new one is added here, checked against ``date`` in
tests/voipadmin/test_time_tags.py); anything that is not a date or a time is written as nothing, as ``date`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django import template
from django.utils.timezone import template_localtime

register = template.Library()

FORMATS: dict[str, Callable[[dt.date], str]] = {
    "Y-m-d H:i": lambda v: f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}",
    "Y-m-d H:i:s": lambda v: (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    ),
    "Y-m-d": lambda v: f"{v.year:04d}-{v.month:02d}-{v.day:02d}",
    "H:i": lambda v: f"{v.hour:02d}:{v.minute:02d}",
    "H:i:s": lambda v: f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}",
    "c": lambda v: v.isoformat(),
}


# expects_localtime: the engine turns an aware datetime into the reader's zone first, as it does for ``date``.
@register.filter(expects_localtime=True)
def stamp(value: object, fmt: str) -> str:
    write = FORMATS[fmt]
    try:
        return write(value) if isinstance(value, dt.date | dt.time) else ""
    except AttributeError:  # a time has no day: written as nothing, as ``date`` does
        return ""


def local_stamp(value: object, fmt: str, tz: dt.tzinfo | None = None) -> str:
    """``stamp`` for rows drawn in Python: the value turned into the reader's zone first, as the engine does;
    a row builder passes the zone it looked up once for all its rows."""
    if tz is not None and isinstance(value, dt.datetime) and value.utcoffset() is not None:
        return stamp(value.astimezone(tz), fmt)
    return stamp(template_localtime(value), fmt)
