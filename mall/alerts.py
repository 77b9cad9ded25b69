"""The alerts about the mall (voipadmin/core/alerts.py): orders stuck awaiting payment, failed renewals."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from mall.models import Order, Subscription
from voipadmin.core.alerts import AlertKind, Finding, register
from voipadmin.core.models import AlertRule

# "created" is an order awaiting payment; "paying" one whose payment was started and never came back.
STUCK_STATUSES = ("created", "paying")
RENEWAL_FAILED = 3


def _orders_stuck(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    cutoff = now - dt.timedelta(hours=rule.threshold)
    # Indexed: (status, -created_at) per status; a COUNT, never a scan in Python.
    count = Order.objects.filter(status__in=STUCK_STATUSES, created_at__lt=cutoff).count()
    if not count:
        return {}
    to = timezone.localtime(cutoff).date().isoformat()
    query = urlencode([("status", s) for s in STUCK_STATUSES] + [("to", to)])
    link = f"{reverse('mall:order-list')}?{query}"
    return {"orders": Finding({"count": count, "hours": rule.threshold}, link)}


def _renewals_failed(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    since = now - dt.timedelta(days=1)
    count = (
        Subscription.objects.filter(status=RENEWAL_FAILED)
        .filter(Q(cloud_modified_at__gte=since) | Q(cloud_modified_at=None, synced_at__gte=since))
        .count()
    )
    if count <= rule.threshold:
        return {}
    link = f"{reverse('mall:subscription-list')}?status={RENEWAL_FAILED}"
    return {"renewals": Finding({"count": count}, link)}


KINDS = [
    AlertKind(
        "orders_stuck",
        _("Orders stuck awaiting payment"),
        _("Orders created or paying for more than %(threshold)s hours"),
        _("%(count)s orders have been created or paying for more than %(hours)s hours."),
        24,
        _orders_stuck,
        _("hours"),
    ),
    AlertKind(
        "renewals_failed",
        _("Subscription renewals failed"),
        _("More than %(threshold)s subscription renewals failed in the last day"),
        _("%(count)s subscription renewals failed in the last day."),
        0,
        _renewals_failed,
    ),
]
register(*KINDS)
