"""``stamp`` writes what Django's ``date`` filter writes, for every format it knows, in any reader's zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.template import engines
from django.utils import timezone

from voipadmin.core.templatetags.time_tags import FORMATS, local_stamp

UTC = dt.UTC
VALUES = [
    dt.datetime(2025, 1, 31, 17, 5, 9, 123456, tzinfo=UTC),  # the next day in Shanghai
    dt.datetime(2024, 3, 10, 7, 30, tzinfo=UTC),  # New York's spring-forward morning
    dt.datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),
    dt.datetime(2025, 6, 1, 8, 0),  # naive
    dt.date(2025, 2, 28),
    dt.time(9, 5, 7),
    None,
    "",
    "2025-01-01",
]


def _render(source: str, value: object) -> str:
    return engines["django"].from_string("{% load time_tags %}" + source).render({"v": value})


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_stamp_writes_what_date_writes(fmt: str, zone: str) -> None:
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for value in VALUES:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and "H" in fmt:
                continue  # ``date`` refuses a time format for a day: no page asks for it
            expected = _render(f'{{{{ v|date:"{fmt}" }}}}', value)
            assert _render(f'{{{{ v|stamp:"{fmt}" }}}}', value) == expected, (value, fmt)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
@pytest.mark.parametrize("fmt", ["Y-m-d H:i", "Y-m-d H:i:s"])
def test_a_row_builders_zone_looked_up_once_writes_what_date_writes(fmt: str, zone: str) -> None:
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        tz = timezone.get_current_timezone()
        for value in VALUES:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                continue
            expected = _render(f'{{{{ v|date:"{fmt}" }}}}', value)
            assert local_stamp(value, fmt, tz) == local_stamp(value, fmt) == expected, (value, fmt)
