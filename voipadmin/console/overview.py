"""The overview's figures: KPIs and chart series read from aggregates and small tables, cached briefly.

Nothing here scans the orders: order counts and revenue add up ``OrderDayTotal`` (one row per local day,
mall/site, status and currency, rebuilt by the sync), so the cost follows days x malls x statuses, not the
number of orders. The device and subscription counts use indexed columns. The whole result is cached for
``TTL`` seconds, keyed by the mall mirror's version (a sync that wrote orders moves it on), the local day
and the time zone, so a page open all day shows new figures within a minute and a sync's within a request.

The cached value holds codes, numbers, ``Decimal`` amounts and datetimes only, never translated text: one
entry serves every language, and labels are looked up when the page renders.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from devices.models import Device, DeviceService, ReconciliationRun
from devices.selectors import auth_state_q
from mall.enums import ORDER_STATUS_TONE
from mall.models import OrderDayTotal, Subscription
from mall.money import money_text
from mall.selectors import MIRROR_VERSION_KEY
from voipadmin.core.enums import OrderStatus, SubscriptionStatus
from voipadmin.core.enums import label_of as cloud_label
from voipadmin.core.models import SyncRun

TTL = 60
# Bump when the shape of ``Overview`` changes, so a deploy never unpickles an entry of the old shape.
CACHE_SCHEMA = 1
# Orders whose money the business has: the cloud took the payment and did not give it back.
PAID_LIKE: tuple[str, ...] = (
    OrderStatus.PAID.value,
    OrderStatus.DELIVERING.value,
    OrderStatus.DELIVERED.value,
    OrderStatus.PART_DELIVERED.value,
    OrderStatus.FINISHED.value,
)
WINDOW_DAYS = 30
EXPIRING_DAYS = 7
RUNS_CHARTED = 20
SYNC_KINDS: tuple[str, ...] = (SyncRun.Kind.DEVICES.value, SyncRun.Kind.MALL.value)


@dataclass(frozen=True)
class RunHealth:
    """The last run of a job: its state and times (``pk`` None for a sync, whose runs have no page)."""

    state: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    pk: int | None = None
    errors: int = 0
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunDrift:
    pk: int
    started_at: dt.datetime | None
    drift_found: int | None


@dataclass
class Overview:
    today: dt.date
    computed_at: dt.datetime
    orders_today: int = 0
    orders_7d: int = 0
    orders_30d: int = 0
    orders_ever: int = 0
    # (currency, exact amount), currencies in code order.
    revenue_30d: list[tuple[str, Decimal]] = field(default_factory=list)
    # currency -> one (day, amount) per day of the window, oldest first, days without sales as 0.
    revenue_per_day: dict[str, list[tuple[dt.date, Decimal]]] = field(default_factory=dict)
    # (status code, orders), every order in the mirror, most frequent first.
    orders_by_status: list[tuple[str, int]] = field(default_factory=list)
    subscriptions: int = 0
    active_subscriptions: int = 0
    renewal_failed_subscriptions: int = 0
    devices: int = 0
    voip_devices: int = 0
    drift_devices: int = 0
    unchecked_devices: int = 0
    expiring_devices: int = 0
    last_sync: dict[str, RunHealth | None] = field(default_factory=dict)
    last_reconciliation: RunHealth | None = None
    # Oldest first, so the chart reads left to right in time.
    drift_per_run: list[RunDrift] = field(default_factory=list)

    @property
    def window_start(self) -> dt.date:
        return self.today - dt.timedelta(days=WINDOW_DAYS - 1)

    @property
    def week_start(self) -> dt.date:
        return self.today - dt.timedelta(days=6)

    @property
    def mirror_empty(self) -> bool:
        return not (self.devices or self.orders_ever or self.subscriptions)

    @property
    def checked_devices(self) -> int:
        """VoIP devices whose WeChat side has been observed at least once (drift can only be seen there)."""
        return self.voip_devices - self.unchecked_devices

    @property
    def drift_share(self) -> Decimal | None:
        """Drifting VoIP devices as a percentage of the VoIP devices, one decimal.

        None while no device has been compared with WeChat: "0 %" would claim a check that never ran.
        """
        if not self.voip_devices or not self.checked_devices:
            return None
        return (Decimal(100 * self.drift_devices) / self.voip_devices).quantize(Decimal("0.1"))


def cache_key() -> str:
    version = cache.get(MIRROR_VERSION_KEY, 0)
    zone = timezone.get_current_timezone_name()
    return f"overview:v{CACHE_SCHEMA}:{version}:{zone}:{timezone.localdate().isoformat()}"


def overview_figures() -> Overview:
    """The figures, from the cache when a fresh copy is there (two cache reads and no other query)."""
    key = cache_key()
    if (cached := cache.get(key)) is not None:
        return cached
    figures = compute_overview()
    cache.set(key, figures, TTL)
    return figures


def compute_overview() -> Overview:
    today = timezone.localdate()
    result = Overview(today=today, computed_at=timezone.now())
    _orders(result)
    _subscriptions(result)
    _devices(result)
    result.last_sync = {kind: _last_sync(kind) for kind in SYNC_KINDS}
    _reconciliation(result)
    return result


def _orders(result: Overview) -> None:
    start = result.window_start
    rows = (
        OrderDayTotal.objects.filter(day__gte=start, day__lte=result.today)
        .values("day", "status", "currency")
        .annotate(n=Sum("orders"), amount=Sum("amount_trade"))
        .order_by()
    )
    revenue: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    for row in rows:
        day, n = row["day"], row["n"] or 0
        result.orders_30d += n
        if day >= result.week_start:
            result.orders_7d += n
        if day == result.today:
            result.orders_today += n
        if row["status"] in PAID_LIKE:
            per_day = revenue[row["currency"]]
            per_day[day] = per_day.get(day, Decimal(0)) + (row["amount"] or Decimal(0))
    days = [start + dt.timedelta(days=i) for i in range(WINDOW_DAYS)]
    for currency in sorted(revenue):
        series = [(day, revenue[currency].get(day, Decimal(0))) for day in days]
        result.revenue_per_day[currency] = series
        result.revenue_30d.append((currency, sum((amount for _day, amount in series), Decimal(0))))
    by_status = OrderDayTotal.objects.values("status").annotate(n=Sum("orders")).order_by()
    counts = [(row["status"], row["n"] or 0) for row in by_status if row["n"]]
    result.orders_by_status = sorted(counts, key=lambda item: (-item[1], item[0]))
    result.orders_ever = sum(n for _status, n in counts)


def _subscriptions(result: Overview) -> None:
    rows = Subscription.objects.values("status").annotate(n=Count("pk")).order_by()
    by_status = {row["status"]: row["n"] for row in rows}
    result.subscriptions = sum(by_status.values())
    result.active_subscriptions = by_status.get(SubscriptionStatus.ACTIVE.value, 0)
    result.renewal_failed_subscriptions = by_status.get(SubscriptionStatus.RENEWAL_FAILED.value, 0)


def _devices(result: Overview) -> None:
    voip = Q(voip_capable=True)
    figures = Device.objects.aggregate(
        devices=Count("pk"),
        voip=Count("pk", filter=voip),
        drift=Count("pk", filter=voip & auth_state_q("drift")),
        never=Count("pk", filter=voip & auth_state_q("never")),
    )
    result.devices = figures["devices"]
    result.voip_devices = figures["voip"]
    result.drift_devices = figures["drift"]
    result.unchecked_devices = figures["never"]
    # The same rule as the device list's ?expiring= filter, so the number matches the list it links to.
    now = timezone.now()
    result.expiring_devices = (
        DeviceService.objects.filter(
            is_permanent=False, end_at__gte=now, end_at__lte=now + dt.timedelta(days=EXPIRING_DAYS)
        )
        .values("device_id")
        .distinct()
        .count()
    )


def _last_sync(kind: str) -> RunHealth | None:
    run = (
        SyncRun.objects.filter(kind=kind)
        .order_by("-started_at", "-id")
        .only("state", "started_at", "finished_at", "errors")
        .first()
    )
    if run is None:
        return None
    return RunHealth(
        state=run.state, started_at=run.started_at, finished_at=run.finished_at, errors=len(run.errors or [])
    )


def _reconciliation(result: Overview) -> None:
    # A one-device check (``reconcile --device``) says nothing about the fleet: neither KPI nor chart.
    runs = list(
        ReconciliationRun.objects.filter(device_scope="")
        .order_by("-started_at", "-pk")
        .only("state", "started_at", "finished_at", "counts", "errors", "dry_run")[:RUNS_CHARTED]
    )
    if not runs:
        return
    last = runs[0]
    result.last_reconciliation = RunHealth(
        pk=last.pk,
        state=last.state,
        started_at=last.started_at,
        finished_at=last.finished_at,
        counts=dict(last.counts or {}),
        errors=len(last.errors or []),
    )
    # A dry run fixes nothing: charting it beside real runs would read as drift that came back.
    result.drift_per_run = [
        RunDrift(pk=run.pk, started_at=run.started_at, drift_found=_drift_found(run))
        for run in reversed(runs)
        if not run.dry_run
    ]


def _drift_found(run: ReconciliationRun) -> int | None:
    value = (run.counts or {}).get("drift_found")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# -- what the page shows (per request: labels in the reader's language, links to the lists behind) ---------
# Sync passes and reconciliation runs share these states (SyncRun.State, ReconciliationRun.State).
RUN_TONES = {"succeeded": "ok", "partial": "warn", "failed": "bad", "running": "info"}


def _url(name: str, query: list[tuple[str, Any]] | None = None) -> str:
    base = reverse(name)
    return f"{base}?{urlencode(query, doseq=True)}" if query else base


def _reconciliation_url(pk: int | None = None) -> str:
    return (
        reverse("devices:reconciliation-detail", args=[pk]) if pk else reverse("devices:reconciliation-list")
    )


def _run_view(run: RunHealth | None, url: str) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "run": run,
        "label": str(SyncRun.State(run.state).label) if run.state in SyncRun.State.values else run.state,
        "tone": RUN_TONES.get(run.state, "muted"),
        "url": url,
    }


def _day(value: dt.date) -> str:
    return value.strftime("%m-%d")


def page_context(figures: Overview) -> dict[str, Any]:
    """The overview's template context: the figures plus labels, links and chart series."""
    today, week, window = figures.today.isoformat(), figures.week_start.isoformat(), figures.window_start
    orders = "mall:order-list"
    links = {
        "orders_today": _url(orders, [("from", today), ("to", today)]),
        "orders_7d": _url(orders, [("from", week), ("to", today)]),
        "orders_30d": _url(orders, [("from", window.isoformat()), ("to", today)]),
        "revenue": _url(orders, [("status", list(PAID_LIKE)), ("from", window.isoformat()), ("to", today)]),
        "orders": _url(orders),
        "active_subscriptions": _url("mall:subscription-list", [("status", SubscriptionStatus.ACTIVE.value)]),
        "renewal_failed": _url(
            "mall:subscription-list", [("status", SubscriptionStatus.RENEWAL_FAILED.value)]
        ),
        "expiring": _url("devices:device-list", [("expiring", EXPIRING_DAYS)]),
        "voip": _url("devices:device-list", [("voip", "yes")]),
        "drift": _url("devices:device-list", [("auth", "drift"), ("voip", "yes")]),
        "unchecked": _url("devices:device-list", [("auth", "never"), ("voip", "yes")]),
        "schedules": _url("schedules"),
        "syncs": _url("syncs"),
        "reconciliation": _reconciliation_url(),
    }
    status_rows = [
        {
            "code": code,
            "label": cloud_label(OrderStatus, code),
            "orders": n,
            "tone": ORDER_STATUS_TONE.get(code, "muted"),
            "url": _url(orders, [("status", code)]),
        }
        for code, n in figures.orders_by_status
    ]
    revenue_charts = [
        {
            "currency": currency,
            "total": dict(figures.revenue_30d)[currency],
            "points": [
                (_day(day), amount, f"{day.isoformat()}: {money_text(amount)} {currency}")
                for day, amount in series
            ],
            "days": [(day, amount) for day, amount in reversed(series) if amount],
        }
        for currency, series in figures.revenue_per_day.items()
    ]
    drift_points = [
        (
            # The run's number names each column once (times can repeat); the tooltip and the table give the time.
            f"#{run.pk}",
            run.drift_found or 0,
            gettext("Run %(id)s (%(time)s): %(drift)s found")
            % {
                "id": run.pk,
                "time": timezone.localtime(run.started_at).strftime("%Y-%m-%d %H:%M")
                if run.started_at
                else "—",
                "drift": "?" if run.drift_found is None else run.drift_found,
            },
        )
        for run in figures.drift_per_run
    ]
    last_recon = figures.last_reconciliation
    return {
        "o": figures,
        "links": links,
        "status_rows": status_rows,
        "status_points": [(row["label"], row["orders"], row["tone"]) for row in status_rows],
        "revenue_charts": revenue_charts,
        "drift_points": drift_points,
        "drift_runs": [
            {"run": run, "url": _reconciliation_url(run.pk)} for run in reversed(figures.drift_per_run)
        ],
        "syncs": [
            (
                SyncRun.Kind(kind).label,
                _run_view(figures.last_sync.get(kind), _url("syncs", [("kind", kind)])),
            )
            for kind in SYNC_KINDS
        ],
        "reconciliation": _run_view(
            last_recon, _reconciliation_url(last_recon.pk) if last_recon else links["reconciliation"]
        ),
        "paid_like_labels": [cloud_label(OrderStatus, code) for code in PAID_LIKE],
    }


def day_part() -> str:
    """ "morning", "afternoon" or "evening" in the reader's time zone, for the greeting."""
    hour = timezone.localtime().hour
    if 5 <= hour < 12:
        return "morning"
    return "afternoon" if 12 <= hour < 18 else "evening"
