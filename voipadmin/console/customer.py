"""What the customer page reads: one cloud user's homes and fellow members, devices, orders, subscriptions,
totals per currency and one timeline. Cross-app (devices, mall, reconciliation, audit), so it lives on the roof.

Every part is bounded (``LIMIT`` rows, or an aggregate): a customer with a thousand orders costs the same
handful of queries as one with none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.urls import reverse

from devices.models import CloudUser, Device, Home, HomeMember, ReconciliationItem
from mall.models import Order, Subscription
from voipadmin.console.overview import PAID_LIKE
from voipadmin.core.models import AuditEvent

LIMIT = 50  # rows per list and in the timeline


@dataclass(frozen=True)
class Event:
    """One line of the timeline: when, what kind, a row to show, and where it links."""

    at: dt.datetime
    kind: str
    obj: Any
    url: str = ""


@dataclass
class HomeOf:
    owner_id: str
    home: Home | None
    members: list[CloudUser] = field(default_factory=list)


@dataclass
class Customer:
    user: CloudUser
    homes: list[HomeOf]
    devices: list[Device]
    orders: list[Order]
    order_totals: list[dict[str, Any]]
    subscriptions: list[Subscription]
    subscription_totals: list[dict[str, Any]]
    timeline: list[Event]


def _homes(user: CloudUser) -> list[HomeOf]:
    home_ids = list(HomeMember.objects.filter(user=user).values_list("home_id", flat=True)[:LIMIT])
    # Homes where they are a device's auth user but not (yet) listed as a member count too.
    home_ids += [
        h
        for h in Device.objects.filter(voip_auth__user=user)
        .exclude(home=None)
        .values_list("home_id", flat=True)
        .distinct()[:LIMIT]
        if h not in home_ids
    ]
    stored = Home.objects.in_bulk(home_ids)
    homes = {h: HomeOf(h, stored.get(h)) for h in home_ids}
    for m in (
        HomeMember.objects.filter(home_id__in=home_ids).select_related("user").order_by("user__user_name")
    ):
        homes[m.home_id].members.append(m.user)
    return list(homes.values())


def customer_for(user: CloudUser) -> Customer:
    homes = _homes(user)
    devices = list(
        Device.objects.filter(Q(home_id__in=[h.owner_id for h in homes]) | Q(voip_auth__user=user))
        .select_related("home", "voip_auth")
        .distinct()
        .order_by("home__name", "name", "device_id")[:LIMIT]
    )
    orders = list(Order.objects.filter(user=user).order_by("-created_at", "-order_id")[:LIMIT])
    subscriptions = list(
        Subscription.objects.filter(user=user).order_by("-order_created_at", "-subscribe_id")[:LIMIT]
    )
    device_ids = [d.device_id for d in devices]
    return Customer(
        user=user,
        homes=homes,
        devices=devices,
        orders=orders,
        order_totals=_order_totals(Order.objects.filter(user=user)),
        subscriptions=subscriptions,
        subscription_totals=_totals(Subscription.objects.filter(user=user), "amount_trade"),
        timeline=_timeline(user, orders, subscriptions, device_ids),
    )


def _order_totals(qs: Any) -> list[dict[str, Any]]:
    """Per currency: every order, and what was paid (the orders whose money the business has) — never a sum of
    closed, cancelled or refunded orders presented as revenue."""
    paid = Q(status__in=PAID_LIKE)
    rows = qs.values("currency").annotate(
        n=Count("pk"), paid_n=Count("pk", filter=paid), total=Sum("amount_trade", filter=paid)
    )
    return list(rows.order_by("currency"))


def _totals(qs: Any, amount: str) -> list[dict[str, Any]]:
    return list(qs.values("currency").annotate(n=Count("pk"), total=Sum(amount)).order_by("currency"))


def _timeline(
    user: CloudUser, orders: list[Order], subscriptions: list[Subscription], device_ids: list[str]
) -> list[Event]:
    findings = ReconciliationItem.objects.filter(
        Q(device_id__in=device_ids) | Q(user_id=user.user_id)
    ).order_by("-created_at")[:LIMIT]
    audit = (
        AuditEvent.objects.filter(Q(device_id__in=device_ids) | Q(target=user.user_id))
        .select_related("actor")
        .order_by("-created_at")[:LIMIT]
    )
    events = [
        *(Event(o.created_at, "order", o, reverse("mall:order-detail", args=[o.order_id])) for o in orders),
        *(
            Event(
                s.order_created_at,
                "subscription",
                s,
                reverse("mall:subscription-detail", args=[s.subscribe_id]),
            )
            for s in subscriptions
            if s.order_created_at
        ),
        *(
            Event(i.created_at, "finding", i, reverse("devices:reconciliation-detail", args=[i.run_id]))
            for i in findings
        ),
        *(Event(e.created_at, "audit", e) for e in audit),
    ]
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:LIMIT]
