"""Fill the device mirror from the cloud: homes -> devices -> each device's details.

The first pass (or ``full=True``) walks every home and asks for its devices (getDeviceList); later passes ask
the cloud only for devices changed since the watermark, less an overlap (the ``listDevicesChanged`` extension),
and fetch their details. Rows are upserted in bulk and only where something changed, so a pass with no change
writes nothing but its ``SyncRun``. A home, device or page that still fails after the retries is kept as a
``SyncFailure`` and read first by the next pass; the watermark stays before it (voipadmin/core/syncpass.py). Every
row already stored stays.

Without the listing extensions (the cloud answers 1108 "uri path invalid" for ``ext/listHomes`` or
``ext/listDevicesChanged``) the pass says so once, re-reads the homes already stored, and lists what it could
not do: find new homes, and find changed devices without walking every stored home.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import transaction

from devices.models import (
    Device,
    Home,
)
from devices.services.mirror import (
    DeviceDetails,
    device_values,
    fetch_details,
    home_device_counts_keep,
    store_details_batch,
    upsert,
    write_devices,
    write_users,
)
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.clients.errors import CloudError, CloudRateLimited, CloudUnavailable, DeviceNotFound
from voipadmin.core.models import SyncFailure, SyncRun
from voipadmin.core.syncpass import SyncPass, Tally, run_pass

log = logging.getLogger(__name__)

DETAIL_THREADS = 4
PAGE_SIZE = 200
WRITE_BATCH = 200  # devices written per transaction
# On top of the client's own retries of each request: a page or device that still failed is tried again.
SYNC_ATTEMPTS = 3
# The cloud's answer for a call it does not have (a cloud without our listing extensions).
NO_SUCH_CALL = 1108

# What a pass without the listing extensions could not do (voipadmin/core/syncpass.py NOTES says it in words).
NO_HOME_LISTING = "no_home_listing"
NO_CHANGE_LISTING = "no_change_listing"
NO_USER_LISTING = "no_user_listing"


def _retrying(tally: Tally, where: str, fetch: Callable[[], Any]) -> Any:
    """Call ``fetch``; when the cloud was unavailable or throttling, try again, counting each retry."""
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            return fetch()
        except (CloudUnavailable, CloudRateLimited):
            if attempt == SYNC_ATTEMPTS:
                raise
            tally.add("sync_retries")
            log.info("sync: retrying %s (%d/%d)", where, attempt, SYNC_ATTEMPTS - 1)
    raise AssertionError("unreachable")


def _pages(tally: Tally, where: str, fetch: Callable[[int], Any]) -> Iterable[Any]:
    """Every page of a paged listing, each page retried on its own."""
    page_no = 1
    while True:
        page = _retrying(tally, f"{where} page {page_no}", lambda n=page_no: fetch(n))
        for bad in page.errors:
            tally.error(where, bad)
        yield page
        if not page.has_next or not (page.items or page.errors):
            return
        page_no += 1


def _missing_call(exc: CloudError) -> bool:
    return exc.code == NO_SUCH_CALL


def sync_homes(client: CloudClient, now: dt.datetime, p: SyncPass) -> list[str] | None:
    """Every home (ext/listHomes); None when the cloud has no home listing or it failed."""
    rows: dict[str, dict[str, Any]] = {}
    try:
        for page in _pages(p.tally, "listHomes", lambda n: client.list_homes(page_no=n, page_size=PAGE_SIZE)):
            if page.errors:
                p.fail(SyncFailure.Scope.PAGE, "ext/listHomes", "ext/listHomes", page.errors[0])
            for home in page:
                rows[home.owner_id] = {
                    "name": home.name,
                    "geo_name": home.geo_name or "",
                    "cloud_modified_at": home.modified_at,
                }
    except CloudError as exc:
        if _missing_call(exc):
            p.note(NO_HOME_LISTING)
        else:
            p.fail(SyncFailure.Scope.LISTING, "ext/listHomes", "ext/listHomes", exc)
        return None
    upsert(Home, "owner_id", rows, now, p.tally)
    p.tally.add("homes_seen", len(rows))
    return list(rows)


def sync_users(client: CloudClient, now: dt.datetime, p: SyncPass) -> None:
    """Every cloud user with the homes they belong to (ext/listUsers), buyers included; changed ones only
    after the first pass (``changedSince`` = the pass's ``since``, which already overlaps the watermark)."""
    where = "ext/listUsers"
    pages = _pages(
        p.tally,
        where,
        lambda n: client.list_users(page_no=n, page_size=PAGE_SIZE, changed_since=p.since),
    )
    p.step("users", None)
    try:
        for page in pages:
            if page.errors:
                # Unknown which user did not parse: the listing is read again next pass from here.
                p.fail(SyncFailure.Scope.LISTING, where, where, page.errors[0])
            users = {u.user_id: u for u in page}
            with transaction.atomic():
                write_users(users, now, p.tally)
            p.advance(len(users))
    except CloudError as exc:
        if _missing_call(exc):
            p.note(NO_USER_LISTING)
        else:
            p.fail(SyncFailure.Scope.LISTING, where, where, exc)


def sync_device_list_per_home(
    client: CloudClient, owner_ids: Iterable[str], now: dt.datetime, p: SyncPass
) -> list[str]:
    """Each home's devices (getDeviceList) fetched on a few threads, written in batches on this one."""
    tally = p.tally

    def fetch(owner_id: str) -> Any:
        try:
            return _retrying(tally, f"getDeviceList {owner_id}", lambda: client.get_device_list(owner_id))
        except CloudError as exc:
            return exc

    owner_ids = list(dict.fromkeys(owner_ids))
    device_ids: list[str] = []
    rows: dict[str, dict[str, Any]] = {}
    homes_in_batch = 0

    def flush() -> None:
        nonlocal rows, homes_in_batch
        with transaction.atomic():
            p.recount |= write_devices(rows, now, tally)
        device_ids.extend(rows)
        p.advance(homes_in_batch)
        rows, homes_in_batch = {}, 0

    p.step("homes", len(owner_ids))
    with ThreadPoolExecutor(max_workers=DETAIL_THREADS) as pool:
        for owner_id, items in zip(owner_ids, pool.map(fetch, owner_ids), strict=True):
            if isinstance(items, Exception):
                p.fail(SyncFailure.Scope.HOME, owner_id, f"getDeviceList {owner_id}", items)
                homes_in_batch += 1
                continue
            if items.errors:
                # A device that did not parse: the home is read again next pass.
                p.fail(SyncFailure.Scope.HOME, owner_id, f"getDeviceList {owner_id}", items.errors[0])
            rows.update({item.id: device_values(item, owner_id) for item in items})
            homes_in_batch += 1
            if len(rows) >= WRITE_BATCH:
                flush()
        flush()
    return device_ids


def sync_changed_devices(
    client: CloudClient, since: dt.datetime, now: dt.datetime, p: SyncPass
) -> list[str] | None:
    """Devices changed since ``since`` (ext/listDevicesChanged); None when the cloud has no such listing."""
    device_ids: list[str] = []
    where = "ext/listDevicesChanged"
    pages = _pages(
        p.tally, where, lambda n: client.list_devices_changed(since, page_no=n, page_size=PAGE_SIZE)
    )
    p.step("changed devices", None)
    try:
        for page in pages:
            if page.errors:
                # Unknown which device did not parse: the watermark stays here and the listing is read again.
                p.fail(SyncFailure.Scope.PAGE, where, where, page.errors[0])
            rows = {item.id: device_values(item, item.owner_id) for item in page}
            known_homes = set(
                Home.objects.filter(pk__in={v["home_id"] for v in rows.values()}).values_list("pk", flat=True)
            )
            for values in rows.values():
                if values["home_id"] not in known_homes:
                    values["home_id"] = None
            with transaction.atomic():
                p.recount |= write_devices(rows, now, p.tally)
            device_ids += rows
            p.advance(len(rows))
    except CloudError as exc:
        if _missing_call(exc):
            p.note(NO_CHANGE_LISTING)
            return None
        p.fail(SyncFailure.Scope.PAGE, where, where, exc)
    return device_ids


def sync_details(client: CloudClient, device_ids: list[str], now: dt.datetime, p: SyncPass) -> None:
    """Fetch details on a few threads (the cloud is the bottleneck), store them in batches on this one."""
    tally = p.tally

    def fetch(device_id: str) -> DeviceDetails | Exception:
        try:
            return _retrying(tally, f"details {device_id}", lambda: fetch_details(client, device_id))
        except CloudError as exc:
            return exc

    device_ids = list(dict.fromkeys(device_ids))
    p.step("devices", len(device_ids))
    batch: list[DeviceDetails] = []
    with ThreadPoolExecutor(max_workers=DETAIL_THREADS) as pool:
        for device_id, result in zip(device_ids, pool.map(fetch, device_ids), strict=True):
            if isinstance(result, DeviceNotFound):
                tally.add("devices_gone")  # gone from the cloud: nothing left to read
            elif isinstance(result, Exception):
                p.fail(SyncFailure.Scope.DEVICE, device_id, f"details {device_id}", result)
            else:
                batch.append(result)
            p.advance(1)
            if len(batch) >= WRITE_BATCH:
                _store_batch(batch, now, p)
                batch = []
        _store_batch(batch, now, p)


def _store_batch(batch: list[DeviceDetails], now: dt.datetime, p: SyncPass) -> None:
    if batch:
        store_details_batch(batch, now, p.tally)
        p.tally.add("devices_detailed", len(batch))
        p.beat()


def devices_sync(
    *,
    full: bool = False,
    trigger: str = "command",
    progress: bool = False,
    client: CloudClient | None = None,
    actor: Any = None,
    task_id: str = "",
) -> SyncRun:
    """One pass: full on the first pass or when asked, incremental after; raises LockHeld while one runs."""

    def body(p: SyncPass) -> None:
        nonlocal client
        client = client or CloudClient.from_settings()
        try:
            _devices_pass(client, p)
        finally:
            p.tally.counts.update(client.stats())

    return run_pass(
        SyncRun.Kind.DEVICES,
        body,
        full=full,
        trigger=trigger,
        progress=progress,
        actor=actor,
        task_id=task_id,
    )


def _devices_pass(client: CloudClient, p: SyncPass) -> None:
    now = p.started
    p.step("homes", None)
    listed = sync_homes(client, now, p)
    sync_users(client, now, p)
    # What failed last time is read first: its homes, then (with the rest) its devices.
    retry_homes = p.retry(SyncFailure.Scope.HOME)
    if p.full:
        homes = (
            listed if listed is not None else list(Home.objects.order_by("pk").values_list("pk", flat=True))
        )
        device_ids = sync_device_list_per_home(client, [*retry_homes, *homes], now, p)
    else:
        device_ids = sync_device_list_per_home(client, retry_homes, now, p) if retry_homes else []
        changed = sync_changed_devices(client, p.since, now, p)
        if changed is None:
            # No change listing: every stored home (and any new one listed) is read again instead.
            stored = list(Home.objects.order_by("pk").values_list("pk", flat=True))
            changed = sync_device_list_per_home(client, [h for h in stored if h not in retry_homes], now, p)
        device_ids += changed
    sync_details(client, [*p.retry(SyncFailure.Scope.DEVICE), *device_ids], now, p)
    if p.recount:
        home_device_counts_keep(homes=sorted(p.recount))
    if p.notes:
        p.tally.add("homes_stored", Home.objects.count())
        p.tally.add("devices_stored", Device.objects.count())
