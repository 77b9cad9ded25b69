"""Reads of the cross-app records (audit log, sync runs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from voipadmin.models import AuditEvent


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events(*, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if actor := filters.get("actor"):
        qs = qs.filter(actor_name=actor)
    if action := filters.get("action"):
        qs = qs.filter(action=action)
    if device := filters.get("device"):
        qs = qs.filter(device_id=device)
    if result := filters.get("result"):
        qs = qs.filter(result=result)
    if day := filters.get("date_from"):
        qs = qs.filter(created_at__gte=_day_start(day))
    if day := filters.get("date_to"):
        qs = qs.filter(created_at__lt=_day_start(day + dt.timedelta(days=1)))
    return qs.order_by("-created_at", "-id")
