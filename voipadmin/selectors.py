"""Reads of the cross-app records (audit log, sync runs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from voipadmin.csvstream import csv_lines
from voipadmin.models import AuditEvent


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def local_days_q(field: str, first: dt.date | None, last: dt.date | None) -> Q:
    """``field`` within whole local days ``first``..``last`` (either may be open), in the reader's time zone."""
    q = Q()
    if first:
        q &= Q(**{f"{field}__gte": _day_start(first)})
    if last:
        q &= Q(**{f"{field}__lt": _day_start(last + dt.timedelta(days=1))})
    return q


def audit_events(*, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if actor := filters.get("actor"):
        qs = qs.filter(actor_name=actor)
    if actions := filters.get("action"):
        qs = qs.filter(action__in=actions)
    if device := filters.get("device"):
        qs = qs.filter(device_id=device)
    if result := filters.get("result"):
        qs = qs.filter(result=result)
    qs = qs.filter(local_days_q("created_at", filters.get("from"), filters.get("to")))
    return qs.order_by("-created_at", "-id")


def audit_csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The filtered audit log as CSV lines, streamed: the columns every audit row keeps, times in the reader's zone.

    The change's details are left to the audit renderer (voipadmin/audit.py), which owns how they read.
    """
    header = [_("Time"), _("Actor"), _("Action"), _("Result"), _("Device"), _("Target")]
    fields = ("created_at", "actor_name", "action", "result", "device_id", "target")
    rows = (
        [timezone.localtime(created).isoformat(timespec="seconds"), *rest]
        for created, *rest in events.values_list(*fields).iterator(chunk_size=2000)
    )
    return csv_lines(header, rows)
