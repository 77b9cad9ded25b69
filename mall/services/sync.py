"""The mall sync: mall info and catalog per device, then every mall/site pair's orders and subscriptions, then
the service introductions — into the local mirror, in bulk.

The first pass reads everything; later passes ask the cloud only for orders and subscriptions changed since
the watermark less an overlap (the changedSince extension), so a paid -> refunded change is picked up without
re-reading a million orders. The pass's lifecycle (lock, SyncRun, progress, failures, watermark) is the one
every sync shares (voipadmin/core/syncpass.py): a device, mall or page that fails is kept and read first next time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from devices.models import Device
from mall import selectors
from mall.enums import CATALOG_BY_TYPE, CATEGORY_BY_TYPE
from mall.models import (
    Commodity,
    CommodityPrice,
    DeviceCommodity,
    DeviceMall,
    Mall,
    Order,
    PriceSet,
    ServiceIntroduction,
    ServiceIntroItem,
    Subscription,
)
from mall.services import mapping
from mall.services import offers as offers_service
from mall.services.upsert import (
    catalog_names_add,
    order_day_totals_rebuild,
    orders_upsert,
    subscriptions_upsert,
)
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.clients.errors import CloudError, DeviceNotFound
from voipadmin.core.models import SyncFailure, SyncRun
from voipadmin.core.syncpass import SyncPass, Tally, run_pass

log = logging.getLogger(__name__)

PAGE_SIZE = 500
DEVICE_BATCH = 200
NO_SUCH_CALL = 1108


@dataclass
class _Pass:
    p: SyncPass
    client: CloudClient
    days: set[dt.date] = field(default_factory=set)

    @property
    def tally(self) -> Tally:
        return self.p.tally

    @property
    def since(self) -> dt.datetime | None:
        return self.p.since


def mall_sync(
    *,
    trigger: str = "command",
    full: bool = False,
    progress: bool = False,
    client: CloudClient | None = None,
    actor: Any = None,
    task_id: str = "",
) -> SyncRun:
    """Run one mall sync pass (full, or incremental from the watermark); raises LockHeld if one runs."""

    def body(p: SyncPass) -> None:
        state = _Pass(p=p, client=client or CloudClient())
        try:
            _run(state)
        finally:
            p.tally.counts.update(state.client.stats())

    return run_pass(
        SyncRun.Kind.MALL, body, full=full, trigger=trigger, progress=progress, actor=actor, task_id=task_id
    )


def _run(state: _Pass) -> None:
    _devices(state)
    pairs = _malls(state)
    state.p.step("malls", len(pairs))
    for mall in pairs:
        _orders(state, mall)
        _subscriptions(state, mall)
        state.p.advance(1)
    _service_introductions(state)
    state.tally.add("day_totals", order_day_totals_rebuild(days=None if state.since is None else state.days))
    # Totals of a device or a search are read from the orders: they too are stale now.
    selectors.mirror_changed()


# -- per device: where it buys and what it is offered --------------------------------------------------------
def _devices(state: _Pass) -> None:
    devices = Device.objects.order_by("device_id")
    retry = state.p.retry(SyncFailure.Scope.DEVICE)
    if state.since is not None:
        # Mall info and offers change with the device, not with time: re-read changed and never-read devices,
        # and those that failed last time.
        devices = devices.filter(
            Q(cloud_modified_at__gte=state.since)
            | Q(synced_at__gte=state.since)
            | Q(mall_infos__isnull=True)
            | Q(pk__in=retry)
        ).distinct()
    state.p.step("devices", devices.count())
    batch: list[tuple[Device, list[Any], list[Any] | None]] = []
    for device in devices.iterator(chunk_size=DEVICE_BATCH):
        batch.append(_read_device(state, device))
        state.p.advance(1)
        if len(batch) >= DEVICE_BATCH:
            _write_devices(state.tally, batch)
            batch = []
    _write_devices(state.tally, batch)


def _read_device(state: _Pass, device: Device) -> tuple[Device, list[Any], list[Any]]:
    infos: list[Any] = []
    for vas_type in sorted({t for t in device.vas_types if isinstance(t, int)}):
        catalog = CATALOG_BY_TYPE.get(vas_type)
        if catalog is None:
            continue
        try:
            infos.append(
                (catalog, state.client.get_app_mall_info(device_id=device.device_id, catalog_code=catalog))
            )
        except DeviceNotFound:
            # Gone from the cloud since the devices sync: not a failure of this pass.
            state.tally.add("devices_gone")
            return device, [], None
        except CloudError as exc:
            where = f"getAppMallInfo {device.device_id} {catalog}"
            state.p.fail(SyncFailure.Scope.DEVICE, device.device_id, where, exc)
    try:
        offered = state.client.get_commodity_list(device_id=device.device_id)
    except DeviceNotFound:
        state.tally.add("devices_gone")
        return device, infos, None
    except CloudError as exc:
        state.p.fail(SyncFailure.Scope.DEVICE, device.device_id, f"getCommodityList {device.device_id}", exc)
        return device, infos, None
    for problem in offered.errors:
        state.p.fail(
            SyncFailure.Scope.DEVICE, device.device_id, f"getCommodityList {device.device_id}", problem
        )
    commodities = list(offered.items)
    return device, infos, commodities


def device_mall_refresh(*, device_id: str, client: CloudClient) -> None:
    """Re-read one device's mall info (each catalog of its types) and its offers now; a CloudError is raised."""
    device = Device.objects.get(pk=device_id)
    catalogs = sorted({CATALOG_BY_TYPE[t] for t in device.vas_types if t in CATALOG_BY_TYPE})
    infos = [(c, client.get_app_mall_info(device_id=device_id, catalog_code=c)) for c in catalogs]
    offered = client.get_commodity_list(device_id=device_id)
    _write_devices(Tally("mall refresh"), [(device, infos, list(offered.items))])


@transaction.atomic
def _write_devices(tally: Tally, batch: list[tuple[Device, list[Any], list[Any] | None]]) -> None:
    now = timezone.now()
    mall_rows, device_malls, commodities, prices, offers, names = {}, [], {}, {}, [], set()
    price_sets: list[PriceSet] = []
    read_offers = [device.device_id for device, _, offered in batch if offered is not None]
    for device, infos, offered in batch:
        for catalog, info in infos:
            fields = mapping.mall_info(info)
            device_malls.append(DeviceMall(device=device, catalog_code=catalog, synced_at=now, **fields))
            mall_rows[(fields["mall_code"], fields["site_code"])] = Mall(
                catalog_code=catalog, synced_at=now, **fields
            )
        for item in offered or []:
            fields, price_rows = mapping.commodity(item)
            code = fields["commodity_code"]
            commodities[code] = Commodity(synced_at=now, **fields)
            for p in price_rows:
                prices[(code, p["option_type"], p["option_no"])] = CommodityPrice(
                    commodity_id=code, synced_at=now, **p
                )
            price_sets.append(offers_service.price_set_row(code, price_rows))
            offers.append(DeviceCommodity(device=device, commodity_id=code, synced_at=now))
            if fields["title"]:
                names.add((code, fields["sku_code"], fields["title"]))
    _upsert(Mall, list(mall_rows.values()), ["mall_code", "site_code"])
    _upsert(DeviceMall, device_malls, ["device", "catalog_code"])
    _upsert(Commodity, list(commodities.values()), ["commodity_code"])
    _upsert(CommodityPrice, list(prices.values()), ["commodity", "option_type", "option_no"])
    set_ids = offers_service.price_sets_store(price_sets)
    for offer, price_set in zip(offers, price_sets, strict=True):
        offer.price_set_id = set_ids[price_set.digest]
    # What a device is offered is the cloud's current list: offers that left it are removed.
    DeviceCommodity.objects.filter(device_id__in=read_offers).delete()
    DeviceCommodity.objects.bulk_create(offers, batch_size=1000, ignore_conflicts=True)
    catalog_names_add(names=names)
    tally.add("devices", len(batch))
    tally.add("commodity_offers", len(offers))


def _upsert(model: type, rows: list[Any], unique: list[str]) -> None:
    if not rows:
        return
    update = [f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in unique]
    model.objects.bulk_create(
        rows, batch_size=1000, update_conflicts=True, unique_fields=unique, update_fields=update
    )


# -- malls, orders, subscriptions ----------------------------------------------------------------------------
def _malls(state: _Pass) -> list[Mall]:
    """Every mall/site pair: ext/listMalls where the cloud has it, else the pairs the devices reported."""
    now = timezone.now()
    try:
        listed = state.client.list_malls()
    except CloudError as exc:
        if exc.code == NO_SUCH_CALL:
            state.p.note("no_mall_listing")
        else:
            state.p.fail(
                SyncFailure.Scope.LISTING, "ext/listMalls", "ext/listMalls (using the devices' malls)", exc
            )
        listed = []
    for problem in getattr(listed, "errors", ()):
        state.p.fail(SyncFailure.Scope.LISTING, "ext/listMalls", "ext/listMalls", problem)
    rows = []
    for info in listed:
        fields = mapping.mall_info(info)
        rows.append(Mall(catalog_code=getattr(info, "catalog_code", "") or "", synced_at=now, **fields))
    _upsert(Mall, rows, ["mall_code", "site_code"])
    pairs = list(Mall.objects.order_by("mall_code", "site_code"))
    state.tally.add("malls", len(pairs))
    return pairs


def _pages(
    state: _Pass, fetch: Callable[..., Any], modified: Callable[[Any], dt.datetime | None]
) -> Iterator[Any]:
    """Pages of a cloud listing: by page number for a full pass; by a moving changedSince otherwise.

    A changed record moves to the end of a changedSince listing, which would shift later records across
    page numbers and skip one; restarting from the newest change seen instead never skips any.
    """
    since, page_no = state.since, 1
    while True:
        page = fetch(page_no=page_no, page_size=PAGE_SIZE, changed_since=since)
        items = list(page.items)
        yield page
        state.p.beat()
        # Records that did not parse still count: the page was full, so another may follow.
        if len(items) + len(page.errors) < PAGE_SIZE:
            return
        if since is None:
            page_no += 1
            continue
        newest = max((m for m in map(modified, items) if m is not None), default=None)
        if newest is not None and newest > since:
            since, page_no = newest, 1
        else:
            page_no += 1  # a whole page changed in the same millisecond: step past it


def _count_missed(state: _Pass, model: type, key: str, records: list[dict[str, Any]]) -> None:
    """New or changed rows (by status and cloud change time): what a full pass finds that was missed."""
    stored = {
        pk: (status, modified)
        for pk, status, modified in model.objects.filter(pk__in=[r[key] for r in records]).values_list(
            "pk", "status", "cloud_modified_at"
        )
    }
    name = model._meta.model_name
    state.tally.add(f"{name}_created", sum(1 for r in records if r[key] not in stored))
    state.tally.add(
        f"{name}_updated",
        sum(
            1
            for r in records
            if r[key] in stored and stored[r[key]] != (r.get("status"), r.get("cloud_modified_at"))
        ),
    )


def _orders(state: _Pass, mall: Mall) -> None:
    def fetch(**kw: Any) -> Any:
        return state.client.get_order_list(mall_code=mall.mall_code, site_code=mall.site_code, **kw)

    where = f"getOrderList {mall.mall_code}/{mall.site_code}"
    try:
        for page in _pages(state, fetch, mapping.order_modified):
            now = timezone.now()
            records = [mapping.order(item, synced_at=now) for item in page.items]
            _count_missed(state, Order, "order_id", records)
            state.days |= orders_upsert(orders=records)
            state.tally.add("orders", len(records))
            # A record that did not parse is named and skipped; the rest of its page is stored.
            for problem in page.errors:
                state.p.fail(SyncFailure.Scope.PAGE, where, where, problem)
    except CloudError as exc:
        state.p.fail(SyncFailure.Scope.MALL, where, where, exc)


def _subscriptions(state: _Pass, mall: Mall) -> None:
    def fetch(**kw: Any) -> Any:
        return state.client.get_subscription_order_list(
            mall_code=mall.mall_code, site_code=mall.site_code, **kw
        )

    where = f"getSubscriptionOrderList {mall.mall_code}/{mall.site_code}"
    try:
        for page in _pages(state, fetch, mapping.subscription_modified):
            now = timezone.now()
            records = [mapping.subscription(item, synced_at=now) for item in page.items]
            _count_missed(state, Subscription, "subscribe_id", records)
            subscriptions_upsert(subscriptions=records)
            state.tally.add("subscriptions", len(page.items))
            for problem in page.errors:
                state.p.fail(SyncFailure.Scope.PAGE, where, where, problem)
    except CloudError as exc:
        state.p.fail(SyncFailure.Scope.MALL, where, where, exc)


# -- service introductions -----------------------------------------------------------------------------------
def _service_introductions(state: _Pass) -> None:
    now = timezone.now()
    for category in sorted(set(CATEGORY_BY_TYPE.values())):
        try:
            intro = state.client.get_service_introduction(category_code=category)
        except CloudError as exc:
            where = f"getServiceIntroduction {category}"
            state.p.fail(SyncFailure.Scope.LISTING, where, where, exc)
            continue
        with transaction.atomic():
            ServiceIntroduction.objects.update_or_create(category_code=category, defaults={"synced_at": now})
            ServiceIntroItem.objects.filter(introduction_id=category).delete()
            items = {
                (row["module"], row["item_id"]): ServiceIntroItem(introduction_id=category, **row)
                for row in mapping.service_items(intro)
            }
            ServiceIntroItem.objects.bulk_create(list(items.values()))
        state.tally.add("service_introductions")
