"""Reads of the cross-app records (audit log, sync runs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from voipadmin.core import audit_messages
from voipadmin.core.audit import audit_text
from voipadmin.core.csvstream import csv_lines
from voipadmin.core.keyset import Keyset
from voipadmin.core.models import AuditEvent, SyncRun


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


# Each list's order, served by a composite index ending in the primary key (voipadmin/core/models.py).
AUDIT_PAGES = Keyset("audit", ("-created_at", "-id"))
SYNC_PAGES = Keyset("syncs", ("-started_at", "-id"))
CLEARED_ALERT_PAGES = Keyset("cleared-alerts", ("-cleared_at", "-id"))


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
    return qs.order_by(*AUDIT_PAGES.order)


def sync_runs(*, filters: dict[str, Any]) -> QuerySet[SyncRun]:
    """The devices and mall passes (a one-device refresh is the device page's, not a pass), of one kind if asked."""
    qs = SyncRun.objects.exclude(kind=SyncRun.Kind.DEVICE).select_related("requested_by")
    if kind := filters.get("kind"):
        qs = qs.filter(kind=kind)
    return qs.order_by(*SYNC_PAGES.order)


def audit_csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The filtered audit log as CSV lines, streamed: every row's columns and its sentence in the reader's language,
    times in the reader's zone, the cloud's code and trace id where it answered one."""
    header = [
        _("Time"),
        _("Actor"),
        _("Action"),
        _("Result"),
        _("Device"),
        _("Target"),
        _("What happened"),
        _("Cloud code"),
        _("Cloud trace id"),
    ]
    rows = (
        [
            timezone.localtime(e.created_at).isoformat(timespec="seconds"),
            e.actor_name,
            audit_messages.action_label(e.action),
            e.get_result_display(),
            e.device_id,
            e.target,
            audit_text(e),
            "" if e.cloud_code is None else e.cloud_code,
            e.cloud_tid,
        ]
        for e in events.iterator(chunk_size=2000)
    )
    return csv_lines(header, rows)
