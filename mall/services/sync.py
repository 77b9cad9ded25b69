"""The mall sync: mall info and catalog per device, then every mall/site pair's orders and subscriptions, then
the service introductions — into the local mirror, in bulk.

The first pass reads everything; later passes ask the cloud only for orders and subscriptions changed since
the last successful pass (the changedSince extension), so a paid -> refunded change is picked up without
re-reading a million orders. A lock in the shared cache keeps two passes from ever running at once.
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
from tqdm import tqdm

from devices.models import Device
from mall import selectors
from mall.enums import CATALOG_BY_TYPE, CATEGORY_BY_TYPE
from mall.models import (
    Commodity,
    CommodityPrice,
    DeviceCommodity,
    DeviceMall,
    Mall,
    ServiceIntroduction,
    ServiceIntroItem,
)
from mall.services import mapping
from mall.services.upsert import (
    catalog_names_add,
    order_day_totals_rebuild,
    orders_upsert,
    subscriptions_upsert,
)
from voipadmin.clients.cloud import CloudClient
from voipadmin.clients.errors import CloudError, DeviceNotFound
from voipadmin.locks import cache_lock
from voipadmin.models import SyncRun
from voipadmin.syncpass import Tally

log = logging.getLogger(__name__)

LOCK_KEY = "mall:sync:lock"
# Longer than the longest pass we expect; if a worker dies holding it, the next pass runs after this.
LOCK_TTL = 6 * 3600
PAGE_SIZE = 500
# Re-read a margin before the last pass's start: clocks differ, and re-reading is harmless (upserts).
OVERLAP = dt.timedelta(minutes=10)
DEVICE_BATCH = 200


@dataclass
class _Pass:
    run: SyncRun
    client: CloudClient
    since: dt.datetime | None
    progress: bool
    tally: Tally = field(default_factory=lambda: Tally("mall sync"))
    days: set[dt.date] = field(default_factory=set)

    def bar(self, total: int | None, desc: str) -> tqdm:
        return tqdm(total=total, desc=desc, unit="row", disable=not self.progress, leave=False)


def mall_sync(
    *, trigger: str = "command", full: bool = False, progress: bool = False, client: CloudClient | None = None
) -> SyncRun:
    """Run one mall sync pass (full, or incremental after a clean pass); raises LockHeld if one runs."""
    with cache_lock(LOCK_KEY, LOCK_TTL, "a mall sync is already running"):
        return _run(trigger=trigger, full=full, progress=progress, client=client or CloudClient())


def _run(*, trigger: str, full: bool, progress: bool, client: CloudClient) -> SyncRun:
    started = timezone.now()
    last = (
        SyncRun.objects.filter(kind=SyncRun.Kind.MALL, state=SyncRun.State.SUCCEEDED, since__isnull=False)
        .order_by("-started_at", "-id")
        .first()
    )
    since = None if full or last is None else last.since - OVERLAP
    run = SyncRun.objects.create(kind=SyncRun.Kind.MALL, trigger=trigger, full=since is None)
    state = _Pass(run=run, client=client, since=since, progress=progress)
    try:
        _devices(state, changed_after=None if since is None else last.started_at - OVERLAP)
        pairs = _malls(state)
        for mall in pairs:
            _orders(state, mall)
            _subscriptions(state, mall)
        _service_introductions(state)
        state.tally.add("day_totals", order_day_totals_rebuild(days=None if since is None else state.days))
        # Totals of a device or a search are read from the orders: they too are stale now.
        selectors.mirror_changed()
    except Exception as exc:
        state.tally.error("aborted", exc)
        _finish(state, SyncRun.State.FAILED, next_since=None)
        raise
    _finish(
        state, SyncRun.State.PARTIAL if state.tally.errors else SyncRun.State.SUCCEEDED, next_since=started
    )
    return run


def _finish(state: _Pass, outcome: str, next_since: dt.datetime | None) -> None:
    run = state.run
    run.state = outcome
    run.finished_at = timezone.now()
    run.counts = state.tally.counts
    run.errors = state.tally.errors
    # The next incremental pass asks for changes since this pass began (only a clean pass moves it on).
    run.since = next_since if outcome == SyncRun.State.SUCCEEDED else None
    run.watermark = state.since
    run.save(update_fields=["state", "finished_at", "counts", "errors", "since", "watermark"])


# -- per device: where it buys and what it is offered --------------------------------------------------------
def _devices(state: _Pass, changed_after: dt.datetime | None) -> None:
    devices = Device.objects.order_by("device_id")
    if changed_after is not None:
        # Mall info and offers change with the device, not with time: re-read changed and never-read devices.
        devices = devices.filter(
            Q(cloud_modified_at__gte=changed_after)
            | Q(synced_at__gte=changed_after)
            | Q(mall_infos__isnull=True)
        ).distinct()
    total = devices.count()
    with state.bar(total, "devices") as bar:
        batch: list[tuple[Device, list[Any], list[Any]]] = []
        for device in devices.iterator(chunk_size=DEVICE_BATCH):
            batch.append(_read_device(state, device))
            bar.update(1)
            if len(batch) >= DEVICE_BATCH:
                _write_devices(state, batch)
                batch = []
        _write_devices(state, batch)


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
            state.tally.error(f"getAppMallInfo {device.device_id} {catalog}", exc)
    try:
        offered = state.client.get_commodity_list(device_id=device.device_id)
    except DeviceNotFound:
        state.tally.add("devices_gone")
        return device, infos, None
    except CloudError as exc:
        state.tally.error(f"getCommodityList {device.device_id}", exc)
        return device, infos, None
    for problem in offered.errors:
        state.tally.error(f"getCommodityList {device.device_id}", problem)
    commodities = list(offered.items)
    return device, infos, commodities


@transaction.atomic
def _write_devices(state: _Pass, batch: list[tuple[Device, list[Any], list[Any] | None]]) -> None:
    now = timezone.now()
    mall_rows, device_malls, commodities, prices, offers, names = {}, [], {}, {}, [], set()
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
            offers.append(DeviceCommodity(device=device, commodity_id=code, synced_at=now))
            if fields["title"]:
                names.add((code, fields["sku_code"], fields["title"]))
    _upsert(Mall, list(mall_rows.values()), ["mall_code", "site_code"])
    _upsert(DeviceMall, device_malls, ["device", "catalog_code"])
    _upsert(Commodity, list(commodities.values()), ["commodity_code"])
    _upsert(CommodityPrice, list(prices.values()), ["commodity", "option_type", "option_no"])
    # What a device is offered is the cloud's current list: offers that left it are removed.
    DeviceCommodity.objects.filter(device_id__in=read_offers).delete()
    DeviceCommodity.objects.bulk_create(offers, batch_size=1000, ignore_conflicts=True)
    catalog_names_add(names=names)
    state.tally.add("devices", len(batch))
    state.tally.add("commodity_offers", len(offers))


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
        state.tally.error("ext/listMalls (using the devices' malls)", exc)
        listed = []
    for problem in getattr(listed, "errors", ()):
        state.tally.error("ext/listMalls", problem)
    rows = []
    for info in listed:
        fields = mapping.mall_info(info)
        rows.append(Mall(catalog_code=getattr(info, "catalog_code", "") or "", synced_at=now, **fields))
    _upsert(Mall, rows, ["mall_code", "site_code"])
    pairs = list(Mall.objects.order_by("mall_code", "site_code"))
    state.tally.add("malls", len(pairs))
    return pairs


def _pages(
    state: _Pass, fetch: Callable[..., Any], desc: str, modified: Callable[[Any], dt.datetime | None]
) -> Iterator[Any]:
    """Pages of a cloud listing: by page number for a full pass; by a moving changedSince otherwise.

    A changed record moves to the end of a changedSince listing, which would shift later records across
    page numbers and skip one; restarting from the newest change seen instead never skips any.
    """
    since, page_no = state.since, 1
    with state.bar(None, desc) as bar:
        while True:
            page = fetch(page_no=page_no, page_size=PAGE_SIZE, changed_since=since)
            items = list(page.items)
            if bar.total is None and page.total_record is not None:
                bar.total = page.total_record
                bar.refresh()
            yield page
            bar.update(len(items) + len(page.errors))
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


def _orders(state: _Pass, mall: Mall) -> None:
    def fetch(**kw: Any) -> Any:
        return state.client.get_order_list(mall_code=mall.mall_code, site_code=mall.site_code, **kw)

    where = f"getOrderList {mall.mall_code}/{mall.site_code}"
    try:
        for page in _pages(state, fetch, f"orders {mall.mall_code}/{mall.site_code}", mapping.order_modified):
            now = timezone.now()
            records = [mapping.order(item, synced_at=now) for item in page.items]
            state.days |= orders_upsert(orders=records)
            state.tally.add("orders", len(records))
            # A record that did not parse is named and skipped; the rest of its page is stored.
            for problem in page.errors:
                state.tally.error(where, problem)
    except CloudError as exc:
        state.tally.error(where, exc)


def _subscriptions(state: _Pass, mall: Mall) -> None:
    def fetch(**kw: Any) -> Any:
        return state.client.get_subscription_order_list(
            mall_code=mall.mall_code, site_code=mall.site_code, **kw
        )

    where = f"getSubscriptionOrderList {mall.mall_code}/{mall.site_code}"
    desc = f"subscriptions {mall.mall_code}/{mall.site_code}"
    try:
        for page in _pages(state, fetch, desc, mapping.subscription_modified):
            now = timezone.now()
            subscriptions_upsert(
                subscriptions=[mapping.subscription(item, synced_at=now) for item in page.items]
            )
            state.tally.add("subscriptions", len(page.items))
            for problem in page.errors:
                state.tally.error(where, problem)
    except CloudError as exc:
        state.tally.error(where, exc)


# -- service introductions -----------------------------------------------------------------------------------
def _service_introductions(state: _Pass) -> None:
    now = timezone.now()
    for category in sorted(set(CATEGORY_BY_TYPE.values())):
        try:
            intro = state.client.get_service_introduction(category_code=category)
        except CloudError as exc:
            state.tally.error(f"getServiceIntroduction {category}", exc)
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
