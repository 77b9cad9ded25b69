"""Reads of the mall mirror: the only place that builds the mall's list querysets."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Sum

from devices.models import Device
from mall.models import (
    CatalogName,
    Commodity,
    CommodityPrice,
    DeviceCommodity,
    DeviceMall,
    Mall,
    Order,
    OrderDayTotal,
    OrderLine,
    ServiceIntroduction,
    ServiceIntroItem,
    Subscription,
)
from voipadmin.core.keyset import Keyset, KeysetPage
from voipadmin.core.selectors import local_days_q

PER_PAGE = 50
# Newest first; each order is served by a composite index ending in these fields (mall/models.py).
ORDER_PAGES = Keyset("orders", ("-created_at", "-order_id"))
SUBSCRIPTION_PAGES = Keyset("subscriptions", ("-order_created_at", "-subscribe_id"))
COMMODITY_PAGES = Keyset("commodities", ("commodity_type", "title", "commodity_code"))
COMMODITY_DEVICE_PAGES = Keyset("commodity-devices", ("name", "device_id"))
# Bumped by every sync that wrote orders: cached totals of the old mirror are never served again.
MIRROR_VERSION_KEY = "mall:orders:version"
TOTALS_TTL = 300


# -- catalog -------------------------------------------------------------------------------------------------
def mall_site_choices() -> tuple[list[tuple[str, str]], list[str]]:
    """The filter's mall and site choices, from the small malls table (one query, never the orders)."""
    rows = list(Mall.objects.values_list("mall_code", "catalog_code", "site_code"))
    malls = {code: f"{code} · {catalog}" if catalog else code for code, catalog, _site in rows}
    return sorted(malls.items()), sorted({site for _code, _catalog, site in rows})


def catalog_codes_matching(q: str) -> set[str]:
    """Commodity codes whose code, SKU or any known name contains ``q`` (case-folded, in Python).

    The catalog is a few dozen rows, so matching it in Python works the same for 通话 on every database,
    and the orders are then found through the (commodity_code, order) index.
    """
    needle = q.casefold()
    codes: set[str] = set()
    for code, sku, name in CatalogName.objects.values_list("commodity_code", "sku_code", "name"):
        if needle in name.casefold() or needle == code.casefold() or (sku and needle == sku.casefold()):
            codes.add(code)
    for code, sku, title in Commodity.objects.values_list("commodity_code", "sku_code", "title"):
        if needle in title.casefold() or needle == code.casefold() or needle == sku.casefold():
            codes.add(code)
    return codes


def commodity_list() -> QuerySet[Commodity]:
    return (
        Commodity.objects.annotate(
            device_count=Count("offers"),
            # The range across devices: each device's offer points at its price set (mall/services/offers.py).
            lowest=Min("offers__price_set__min_price"),
            highest=Max("offers__price_set__max_price"),
            trial_devices=Count("offers", filter=Q(offers__price_set__has_trial=True)),
            discount_devices=Count("offers", filter=Q(offers__price_set__has_discount=True)),
        )
        .prefetch_related(
            Prefetch("prices", queryset=CommodityPrice.objects.order_by("option_type", "option_no"))
        )
        .order_by(*COMMODITY_PAGES.order)
    )


def commodity_devices(*, commodity: Commodity) -> QuerySet[Device]:
    return (
        Device.objects.filter(
            Exists(DeviceCommodity.objects.filter(device=OuterRef("pk"), commodity=commodity))
        )
        .select_related("home")
        .order_by(*COMMODITY_DEVICE_PAGES.order)
    )


def device_mall_infos(*, device: Device) -> list[DeviceMall]:
    return list(DeviceMall.objects.filter(device=device).order_by("catalog_code"))


def device_offers(*, device: Device) -> list[Commodity]:
    """The commodities on offer to this device, each with ``offer_prices``: what the cloud offered this device."""
    offers = DeviceCommodity.objects.filter(device=device).select_related("commodity", "price_set")
    commodities = []
    for offer in offers.order_by("commodity__commodity_type", "commodity__title", "commodity_id"):
        commodity = offer.commodity
        rows = offer.price_set.prices if offer.price_set is not None else []
        commodity.offer_prices = [SimpleNamespace(**_decimals(p)) for p in rows]
        commodities.append(commodity)
    return commodities


MONEY_KEYS = ("price", "original_price", "discount")


def _decimals(row: dict[str, Any]) -> dict[str, Any]:
    return {k: Decimal(v) if k in MONEY_KEYS and v is not None else v for k, v in row.items()}


def service_introduction(*, category_code: str, lang: str) -> dict[str, list[ServiceIntroItem]] | None:
    """One category's items by module, in the language asked for (items without a language always show)."""
    intro = ServiceIntroduction.objects.filter(pk=category_code).first()
    if intro is None:
        return None
    items = intro.items.filter(Q(lang=lang) | Q(lang=""), display=True).order_by("module", "seq", "item_id")
    grouped: dict[str, list[ServiceIntroItem]] = defaultdict(list)
    for item in items:
        grouped[item.module].append(item)
    return grouped


def service_languages(*, category_code: str) -> list[str]:
    return sorted(
        set(
            ServiceIntroItem.objects.filter(introduction_id=category_code)
            .exclude(lang="")
            .values_list("lang", flat=True)
        )
    )


# -- orders --------------------------------------------------------------------------------------------------
def order_list(*, filters: dict[str, Any]) -> QuerySet[Order]:
    """Orders matching the filter; the caller orders and pages them (newest first)."""
    qs = Order.objects.all()
    if statuses := filters.get("status"):
        qs = qs.filter(status__in=statuses)
    if mall := filters.get("mall"):
        qs = qs.filter(mall_code=mall)
    if site := filters.get("site"):
        qs = qs.filter(site_code=site)
    if device := filters.get("device"):
        qs = qs.filter(device_id=device)
    qs = qs.filter(local_days_q("created_at", filters.get("from"), filters.get("to")))
    if q := filters.get("q"):
        qs = qs.filter(_order_search(q))
    return qs


def _order_search(q: str) -> Q:
    """An order id (exact), or a commodity by name/code/SKU through the catalog, or a device/user/home id."""
    match = Q(order_id=q) | Q(device_id=q) | Q(user_id=q) | Q(home_id=q)
    if codes := catalog_codes_matching(q):
        match |= Exists(OrderLine.objects.filter(order=OuterRef("pk"), commodity_code__in=sorted(codes)))
    return match


# What a row of the orders list shows: fetched as dicts, no Order instance per row.
ORDER_ROW_FIELDS = (
    "order_id",
    "created_at",
    "status",
    "commodity_name",
    "commodity_code",
    "line_count",
    "amount_origin",
    "amount_trade",
    "currency",
    "mall_code",
    "site_code",
    "device_id",
)


def order_page(*, filters: dict[str, Any], per_page: int = PER_PAGE) -> KeysetPage:
    # The device's name by a join, not select_related: a list row needs one column, not a Device instance.
    qs = order_list(filters=filters).values(
        *ORDER_ROW_FIELDS, device_name=F("device__name"), device_seen=F("device__synced_at")
    )
    return ORDER_PAGES.page(qs, cursor=filters.get("cursor"), per_page=per_page)


def order_cursor_at(order: Order) -> str:
    """The cursor of the page that starts just after ``order`` (the benchmark jumps deep with it)."""
    return ORDER_PAGES.cursor_at(order)


def order_detail(*, order_id: str) -> Order | None:
    return (
        Order.objects.select_related("device", "home", "user")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")))
        .filter(pk=order_id)
        .first()
    )


def order_mall(*, order: Order) -> Mall | None:
    return Mall.objects.filter(mall_code=order.mall_code, site_code=order.site_code).first()


_SUMMARY_FILTERS = {"status", "mall", "site", "from", "to"}


def order_totals(*, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Order count and amounts per currency for the filter, exact (``Decimal``), cached until the next sync.

    A filter over status, mall, site and days adds up the daily summary rows; a device or a search is
    selective and indexed, so those sum the matching orders themselves.
    """
    used = {k for k, v in filters.items() if v and k not in ("cursor", "format")}
    version = cache.get(MIRROR_VERSION_KEY, 0)
    described = repr(sorted((k, str(filters[k])) for k in used)).encode()
    key = f"mall:totals:{version}:{hashlib.sha256(described).hexdigest()}"
    if (cached := cache.get(key)) is not None:
        return cached
    if used <= _SUMMARY_FILTERS:
        qs = OrderDayTotal.objects.all()
        if statuses := filters.get("status"):
            qs = qs.filter(status__in=statuses)
        if mall := filters.get("mall"):
            qs = qs.filter(mall_code=mall)
        if site := filters.get("site"):
            qs = qs.filter(site_code=site)
        if day := filters.get("from"):
            qs = qs.filter(day__gte=day)
        if day := filters.get("to"):
            qs = qs.filter(day__lte=day)
        rows = qs.values("currency").annotate(
            orders=Sum("orders"), amount_trade=Sum("amount_trade"), amount_origin=Sum("amount_origin")
        )
    else:
        rows = (
            order_list(filters=filters)
            .order_by()
            .values("currency")
            .annotate(
                orders=Count("pk"), amount_trade=Sum("amount_trade"), amount_origin=Sum("amount_origin")
            )
        )
    totals = [
        {
            "currency": r["currency"],
            "orders": r["orders"],
            "amount_trade": r["amount_trade"] or Decimal(0),
            "amount_origin": r["amount_origin"] or Decimal(0),
        }
        for r in rows.order_by("currency")
    ]
    cache.set(key, totals, TOTALS_TTL)
    return totals


def mirror_changed() -> None:
    """Called by the sync after it wrote orders: cached totals are stale from now on."""
    try:
        cache.incr(MIRROR_VERSION_KEY)
    except ValueError:
        cache.set(MIRROR_VERSION_KEY, 1, None)


# -- subscriptions -------------------------------------------------------------------------------------------
def subscription_list(*, filters: dict[str, Any]) -> QuerySet[Subscription]:
    qs = Subscription.objects.all()
    if statuses := filters.get("status"):
        qs = qs.filter(status__in=statuses)
    if device := filters.get("device"):
        qs = qs.filter(device_id=device)
    if q := filters.get("q"):
        qs = qs.filter(Q(subscribe_id=q) | Q(order_id=q) | Q(device_id=q))
    return qs.filter(local_days_q("order_created_at", filters.get("from"), filters.get("to")))


def subscription_page(*, filters: dict[str, Any], per_page: int = PER_PAGE) -> KeysetPage:
    return SUBSCRIPTION_PAGES.page(
        subscription_list(filters=filters).select_related("device"),
        cursor=filters.get("cursor"),
        per_page=per_page,
    )


def subscription_detail(*, subscribe_id: str) -> Subscription | None:
    return (
        Subscription.objects.select_related("device", "order")
        .prefetch_related("items")
        .filter(pk=subscribe_id)
        .first()
    )
