"""Bulk writes of the mall mirror: one statement per kind of row per batch, whatever the batch size.

The sync maps the cloud's typed records to plain field dicts and hands them here; the benchmark seeds a
million orders through the same functions, so what it measures is what the sync builds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from mall.models import CatalogName, Order, OrderDayTotal, OrderLine, Subscription, SubscriptionItem
from mall.selectors import mirror_changed

ORDER_FIELDS = [
    f.name for f in Order._meta.concrete_fields if not f.primary_key
]  # every column but the key is refreshed on conflict
SUBSCRIPTION_FIELDS = [f.name for f in Subscription._meta.concrete_fields if not f.primary_key]


def _local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


@transaction.atomic
def orders_upsert(*, orders: list[dict[str, Any]]) -> set[dt.date]:
    """Insert or refresh orders with their lines; returns the local days whose totals changed.

    Each dict holds Order fields plus ``lines`` (a list of OrderLine field dicts). A changed order's day
    before and after is returned (its creation day never changes, but its status may).
    """
    if not orders:
        return set()
    ids = [o["order_id"] for o in orders]
    days = {_local_day(o["created_at"]) for o in orders}
    # An order already mirrored on another day (the cloud corrected gmtCreate) changes that day's totals too.
    days |= {_local_day(t) for t in Order.objects.filter(pk__in=ids).values_list("created_at", flat=True)}
    rows, lines, names = [], [], set()
    for o in orders:
        fields = {k: v for k, v in o.items() if k != "lines"}
        order_lines = o.get("lines") or []
        if order_lines:
            first = order_lines[0]
            fields.setdefault("commodity_code", first.get("commodity_code", ""))
            fields.setdefault("commodity_name", first.get("commodity_name", ""))
        fields["line_count"] = len(order_lines)
        rows.append(Order(**fields))
        for n, line in enumerate(order_lines):
            lines.append(OrderLine(order_id=o["order_id"], line_no=n, **line))
            if line.get("commodity_code") and line.get("commodity_name"):
                names.add((line["commodity_code"], line.get("sku_code", ""), line["commodity_name"][:200]))
    Order.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=["order_id"], update_fields=ORDER_FIELDS
    )
    # Lines have no identity of their own in the cloud: replace them with the order's current lines.
    OrderLine.objects.filter(order_id__in=ids).delete()
    OrderLine.objects.bulk_create(lines, batch_size=1000)
    catalog_names_add(names=names)
    return days


def catalog_names_add(*, names: Iterable[tuple[str, str, str]]) -> None:
    rows = [CatalogName(commodity_code=c, sku_code=s, name=n) for c, s, n in set(names)]
    if rows:
        CatalogName.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def subscriptions_upsert(*, subscriptions: list[dict[str, Any]]) -> None:
    """Insert or refresh subscriptions with their items (``items``: SubscriptionItem field dicts)."""
    if not subscriptions:
        return
    rows, items = [], []
    # The listing names no user: the subscription's user is its order's.
    users = dict(
        Order.objects.filter(pk__in=[s["order_id"] for s in subscriptions if s.get("order_id")])
        .exclude(user=None)
        .values_list("pk", "user_id")
    )
    for s in subscriptions:
        s = {**s, "user_id": users.get(s.get("order_id"))}
        rows.append(Subscription(**{k: v for k, v in s.items() if k != "items"}))
        items += [
            SubscriptionItem(subscription_id=s["subscribe_id"], line_no=n, **item)
            for n, item in enumerate(s.get("items") or [])
        ]
    Subscription.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["subscribe_id"],
        update_fields=SUBSCRIPTION_FIELDS,
    )
    SubscriptionItem.objects.filter(subscription_id__in=[s["subscribe_id"] for s in subscriptions]).delete()
    SubscriptionItem.objects.bulk_create(items, batch_size=1000)


@transaction.atomic
def order_day_totals_rebuild(*, days: set[dt.date] | None = None) -> int:
    """Recompute the daily totals of ``days`` (all when None) from the orders; returns the rows written."""
    tz = timezone.get_current_timezone()
    qs = Order.objects.all()
    if days is None:
        OrderDayTotal.objects.all().delete()
    elif not days:
        return 0
    else:
        OrderDayTotal.objects.filter(day__in=days).delete()
        start = timezone.make_aware(dt.datetime.combine(min(days), dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time.min))
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    grouped = (
        qs.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "mall_code", "site_code", "status", "currency")
        .annotate(n=Count("pk"), trade=Sum("amount_trade"), origin=Sum("amount_origin"))
        .order_by()
    )
    rows = [
        OrderDayTotal(
            day=g["day"],
            mall_code=g["mall_code"],
            site_code=g["site_code"],
            status=g["status"],
            currency=g["currency"],
            orders=g["n"],
            amount_trade=g["trade"] or Decimal(0),
            amount_origin=g["origin"] or Decimal(0),
        )
        for g in grouped.iterator(chunk_size=5000)
        if days is None or g["day"] in days
    ]
    OrderDayTotal.objects.bulk_create(rows, batch_size=2000)
    # Cached totals were computed from the old rows: move the version on, so none is served again.
    transaction.on_commit(mirror_changed)
    return len(rows)
