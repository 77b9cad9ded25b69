"""Fill the device mirror from the cloud: homes -> devices -> each device's details.

The first pass (or ``full=True``) walks every home and asks for its devices (getDeviceList); later passes ask
the cloud only for devices changed since the last pass (the ``listDevicesChanged`` extension) and fetch their
details. Rows are upserted in bulk and only where something changed, so a pass with no change writes nothing
but its ``SyncRun``. A failed page or device is retried by the client, then recorded in the run's errors;
every row already stored stays.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from tqdm import tqdm

from devices.models import (
    CloudUser,
    Device,
    DeviceService,
    DeviceVasType,
    Home,
    VoipAuthState,
    WeChatIdentity,
)
from voipadmin.clients.cloud import CloudClient
from voipadmin.clients.errors import CloudError, CloudRateLimited, CloudUnavailable
from voipadmin.locks import cache_lock
from voipadmin.models import SyncRun
from voipadmin.syncpass import Tally

log = logging.getLogger(__name__)

VOIP_CAPABILITY = "tyabiwxrn9"
DETAIL_THREADS = 4
PAGE_SIZE = 200
WRITE_BATCH = 200  # devices written per transaction
# On top of the client's own retries of each request: a page or device that still failed is tried again.
SYNC_ATTEMPTS = 3
LOCK_KEY = "devices:sync:lock"
LOCK_TTL = 6 * 3600  # longer than the longest pass; a crashed pass frees it after this

Progress = Callable[[int], None]


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


def _changed(obj: Model, values: dict[str, Any]) -> bool:
    return any(getattr(obj, k) != v for k, v in values.items())


def _upsert(
    model: type[Model],
    key: str | None,
    rows: dict[Any, dict[str, Any]],
    now: dt.datetime,
    tally: Tally,
    *,
    existing: dict[Any, Model] | None = None,
    make: Callable[[Any, dict[str, Any]], Model] | None = None,
    name: str | None = None,
) -> int:
    """Create missing rows, update rows whose values changed; return how many rows were written.

    ``rows`` maps each row's ``key`` field to its values. A composite key (``key`` None) passes the rows
    already stored (``existing``, by the same keys) and how to build a new one (``make``). Counted as
    ``<name>_created`` and ``<name>_updated`` (the model's name by default)."""
    if not rows:
        return 0
    if existing is None or make is None:
        assert key is not None, "a composite key needs existing= and make="
        existing = model.objects.in_bulk(list(rows), field_name=key) if existing is None else existing
        make = make or (lambda pk, values: model(**{key: pk}, **values))
    create, update = [], []
    for pk, values in rows.items():
        obj = existing.get(pk)
        if obj is None:
            obj = make(pk, values)
            obj.synced_at = now
            create.append(obj)
        elif _changed(obj, values):
            for k, v in values.items():
                setattr(obj, k, v)
            obj.synced_at = now
            update.append(obj)
    if create:
        model.objects.bulk_create(create, batch_size=500, ignore_conflicts=True)
    if update:
        model.objects.bulk_update(update, [*next(iter(rows.values())).keys(), "synced_at"], batch_size=500)
    name = name or model._meta.model_name
    tally.add(f"{name}_created", len(create))
    tally.add(f"{name}_updated", len(update))
    return len(create) + len(update)


def sync_homes(client: CloudClient, now: dt.datetime, tally: Tally) -> list[str]:
    rows: dict[str, dict[str, Any]] = {}
    for page in _pages(tally, "listHomes", lambda n: client.list_homes(page_no=n, page_size=PAGE_SIZE)):
        for home in page:
            rows[home.owner_id] = {
                "name": home.name,
                "geo_name": home.geo_name or "",
                "cloud_modified_at": home.modified_at,
            }
    _upsert(Home, "owner_id", rows, now, tally)
    tally.add("homes_seen", len(rows))
    return list(rows)


def _device_values(item: Any, owner_id: str | None) -> dict[str, Any]:
    values = {
        "name": item.name,
        "icon": item.icon,
        "location_name": item.location_name or "",
        "uuid": item.uuid or "",
        "vas_types": sorted(int(t) for t in item.types),
    }
    if owner_id is not None:
        values["home_id"] = owner_id
    if getattr(item, "modified_at", None) is not None:
        values["cloud_modified_at"] = item.modified_at
    return values


def _write_devices(rows: dict[str, dict[str, Any]], now: dt.datetime, tally: Tally) -> None:
    if not rows:
        return
    _upsert(Device, "device_id", rows, now, tally)
    wanted = {(pk, t) for pk, values in rows.items() for t in values["vas_types"]}
    have = set(DeviceVasType.objects.filter(device_id__in=list(rows)).values_list("device_id", "vas_type"))
    if stale := have - wanted:
        for device_id, vas_type in stale:
            DeviceVasType.objects.filter(device_id=device_id, vas_type=vas_type).delete()
    if new := wanted - have:
        DeviceVasType.objects.bulk_create(
            [DeviceVasType(device_id=d, vas_type=t) for d, t in new], batch_size=1000, ignore_conflicts=True
        )


def sync_device_list_per_home(
    client: CloudClient, owner_ids: Iterable[str], now: dt.datetime, tally: Tally, progress: Progress
) -> list[str]:
    """Each home's devices (getDeviceList) fetched on a few threads, written in batches on this one."""

    def fetch(owner_id: str) -> Any:
        try:
            return _retrying(tally, f"getDeviceList {owner_id}", lambda: client.get_device_list(owner_id))
        except CloudError as exc:
            return exc

    owner_ids = list(owner_ids)
    device_ids: list[str] = []
    rows: dict[str, dict[str, Any]] = {}
    homes_in_batch = 0

    def flush() -> None:
        nonlocal rows, homes_in_batch
        with transaction.atomic():
            _write_devices(rows, now, tally)
        device_ids.extend(rows)
        progress(homes_in_batch)
        rows, homes_in_batch = {}, 0

    with ThreadPoolExecutor(max_workers=DETAIL_THREADS) as pool:
        for owner_id, items in zip(owner_ids, pool.map(fetch, owner_ids), strict=True):
            if isinstance(items, Exception):
                tally.error(f"getDeviceList {owner_id}", items)
                continue
            for bad in items.errors:
                tally.error(f"getDeviceList {owner_id}", bad)
            rows.update({item.id: _device_values(item, owner_id) for item in items})
            homes_in_batch += 1
            if len(rows) >= WRITE_BATCH:
                flush()
        flush()
    return device_ids


def sync_changed_devices(
    client: CloudClient, since: dt.datetime, now: dt.datetime, tally: Tally
) -> list[str]:
    device_ids: list[str] = []
    pages = _pages(
        tally,
        "listDevicesChanged",
        lambda n: client.list_devices_changed(since, page_no=n, page_size=PAGE_SIZE),
    )
    for page in pages:
        rows = {item.id: _device_values(item, item.owner_id) for item in page}
        known_homes = set(
            Home.objects.filter(pk__in={v["home_id"] for v in rows.values()}).values_list("pk", flat=True)
        )
        for values in rows.values():
            if values["home_id"] not in known_homes:
                values["home_id"] = None
        with transaction.atomic():
            _write_devices(rows, now, tally)
        device_ids += rows
    return device_ids


@dataclass(frozen=True)
class DeviceDetails:
    device_id: str
    capability: Any
    services: list[Any]
    auth_user: Any
    open_id: str | None


def fetch_details(client: CloudClient, device_id: str) -> DeviceDetails:
    """Everything the device page shows beyond the listing: four or five cloud reads."""
    capability = client.get_device_capability(device_id, VOIP_CAPABILITY)
    services = client.get_service_list_by_device(device_id).raise_errors()
    auth_user = client.get_voip_auth_user(device_id) if capability is not None else None
    open_id = None
    if capability is not None and auth_user is not None and auth_user.user_id:
        info = client.get_device_wx_user_info(capability.app_id, auth_user.user_id, device_id=device_id)
        open_id = info.open_id if info is not None else None
    return DeviceDetails(device_id, capability, list(services), auth_user, open_id)


def store_details(details: DeviceDetails, now: dt.datetime, tally: Tally) -> None:
    """Write one device's details (the device page's refresh, the safe fixes)."""
    store_details_batch([details], now, tally)


def store_details_batch(batch: list[DeviceDetails], now: dt.datetime, tally: Tally) -> None:
    """Write the details of many devices in one transaction and a few queries, touching only what changed."""
    devices = Device.objects.in_bulk([d.device_id for d in batch])
    batch = [d for d in batch if d.device_id in devices]
    if not batch:
        return
    with transaction.atomic():
        _store_device_values(batch, devices, now, tally)
        _store_services(batch, now, tally)
        _store_auth(batch, now, tally)


def _store_device_values(
    batch: list[DeviceDetails], devices: dict[str, Device], now: dt.datetime, tally: Tally
) -> None:
    """The device's capability; devices share a few distinct values, so one update per distinct value."""
    groups: dict[tuple[tuple[str, Any], ...], list[str]] = {}
    for details in batch:
        device, cap = devices[details.device_id], details.capability
        values = {
            "voip_capable": cap is not None,
            "wechat_app_id": cap.app_id if cap else "",
            "wechat_model_id": cap.model_id if cap else "",
            "wechat_original_id": cap.original_id if cap else "",
        }
        if _changed(device, values) or device.details_synced_at is None:
            groups.setdefault(tuple(values.items()), []).append(device.pk)
    for values, pks in groups.items():
        Device.objects.filter(pk__in=pks).update(**dict(values), details_synced_at=now)
        tally.add("device_details_updated", len(pks))


def _store_services(batch: list[DeviceDetails], now: dt.datetime, tally: Tally) -> None:
    existing: dict[Any, Model] = {
        (s.device_id, s.code): s
        for s in DeviceService.objects.filter(device_id__in=[d.device_id for d in batch])
    }
    rows: dict[Any, dict[str, Any]] = {}
    for details in batch:
        for s in details.services:
            # The same code twice in one answer: the first one counts.
            rows.setdefault(
                (details.device_id, s.code),
                {
                    "name": s.name,
                    "service_type": int(s.type),
                    "start_at": s.start_time,
                    "end_at": s.end_time,
                    "is_free": bool(s.is_free),
                    "is_permanent": bool(s.is_permanent),
                    "tags": [str(t) for t in s.tags],
                },
            )
    _upsert(
        DeviceService,
        None,
        rows,
        now,
        tally,
        existing=existing,
        make=lambda k, values: DeviceService(device_id=k[0], code=k[1], **values),
        name="service",
    )
    if gone := [obj.pk for key, obj in existing.items() if key not in rows]:
        DeviceService.objects.filter(pk__in=gone).delete()
        tally.add("service_deleted", len(gone))


def _store_auth(batch: list[DeviceDetails], now: dt.datetime, tally: Tally) -> None:
    with_user = [d for d in batch if d.auth_user is not None and d.auth_user.user_id]
    without = [d.device_id for d in batch if d.auth_user is None or not d.auth_user.user_id]
    if without:
        deleted, _ = VoipAuthState.objects.filter(device_id__in=without).delete()
        tally.add("auth_deleted", deleted)
    if not with_user:
        return
    users = {
        d.auth_user.user_id: {"user_name": d.auth_user.user_name, "avatar_url": d.auth_user.avatar_url or ""}
        for d in with_user
    }
    _upsert(CloudUser, "user_id", users, now, tally)
    _store_identities(with_user, now, tally)
    # Only the cloud's side: WeChat's side belongs to reconciliation.
    rows = {
        d.device_id: {
            "user_id": d.auth_user.user_id,
            "user_name": d.auth_user.user_name,
            "avatar_url": d.auth_user.avatar_url or "",
            "is_auth": d.auth_user.is_auth,
            "is_valid": d.auth_user.is_valid,
            "open_id": d.open_id or "",
            "cloud_auth_updated_at": d.auth_user.auth_update_time,
        }
        for d in with_user
    }
    _upsert(
        VoipAuthState,
        "device_id",
        rows,
        now,
        tally,
        existing=VoipAuthState.objects.in_bulk(list(rows)),
        name="auth",
    )


def _store_identities(with_user: list[DeviceDetails], now: dt.datetime, tally: Tally) -> None:
    """Each (user, AppID)'s openId, written only when new or changed."""
    rows: dict[Any, dict[str, Any]] = {
        (d.auth_user.user_id, d.capability.app_id): {"open_id": d.open_id}
        for d in with_user
        if d.open_id and d.capability is not None
    }
    existing: dict[Any, Model] = {
        (i.user_id, i.app_id): i
        for i in WeChatIdentity.objects.filter(user_id__in={user for user, _app in rows})
    }
    _upsert(
        WeChatIdentity,
        None,
        rows,
        now,
        tally,
        existing=existing,
        make=lambda k, values: WeChatIdentity(user_id=k[0], app_id=k[1], **values),
        name="wechat_identity",
    )


def sync_details(
    client: CloudClient, device_ids: list[str], now: dt.datetime, tally: Tally, progress: Progress
) -> None:
    """Fetch details on a few threads (the cloud is the bottleneck), store them in batches on this one."""

    def fetch(device_id: str) -> DeviceDetails | Exception:
        try:
            return _retrying(tally, f"details {device_id}", lambda: fetch_details(client, device_id))
        except CloudError as exc:
            return exc

    batch: list[DeviceDetails] = []
    with ThreadPoolExecutor(max_workers=DETAIL_THREADS) as pool:
        for device_id, result in zip(device_ids, pool.map(fetch, device_ids), strict=True):
            if isinstance(result, Exception):
                tally.error(f"details {device_id}", result)
                progress(1)
            else:
                batch.append(result)
            if len(batch) >= WRITE_BATCH:
                _store_batch(batch, now, tally, progress)
                batch = []
        _store_batch(batch, now, tally, progress)


def _store_batch(batch: list[DeviceDetails], now: dt.datetime, tally: Tally, progress: Progress) -> None:
    if batch:
        store_details_batch(batch, now, tally)
        tally.add("devices_detailed", len(batch))
        progress(len(batch))


def _last_watermark() -> dt.datetime | None:
    run = (
        SyncRun.objects.filter(
            kind=SyncRun.Kind.DEVICES, state__in=[SyncRun.State.SUCCEEDED, SyncRun.State.PARTIAL]
        )
        .exclude(watermark=None)
        .order_by("-started_at")
        .first()
    )
    return run.watermark if run else None


def _progress_bars(enabled: bool) -> tuple[Callable[[str, int | None], Progress], Callable[[], None]]:
    """A factory of tqdm progress bars on the terminal (or silent counters), and a function closing them."""
    bars: list[tqdm] = []

    def make(label: str, total: int | None) -> Progress:
        if not enabled:
            return lambda n: None
        bar = tqdm(total=total, desc=label, unit="", leave=True, dynamic_ncols=True)
        bars.append(bar)
        return bar.update

    return make, lambda: [bar.close() for bar in bars]


def devices_sync(
    *,
    full: bool = False,
    trigger: str = "command",
    progress: bool = False,
    client: CloudClient | None = None,
) -> SyncRun:
    """One pass: full on the first pass or when asked, incremental after."""
    make_progress, close_progress = _progress_bars(progress)
    try:
        with cache_lock(LOCK_KEY, LOCK_TTL, "a devices sync is already running"):
            return _devices_sync(full=full, trigger=trigger, client=client, make_progress=make_progress)
    finally:
        close_progress()


def _devices_sync(
    *,
    full: bool,
    trigger: str,
    client: CloudClient | None,
    make_progress: Callable[[str, int | None], Progress],
) -> SyncRun:
    client = client or CloudClient.from_settings()
    since = None if full else _last_watermark()
    is_full = since is None
    run = SyncRun.objects.create(kind=SyncRun.Kind.DEVICES, trigger=trigger, full=is_full, since=since)
    tally = Tally("devices sync")
    started = timezone.now()
    try:
        if is_full:
            owner_ids = sync_homes(client, started, tally)
            device_ids = sync_device_list_per_home(
                client, owner_ids, started, tally, make_progress("homes", len(owner_ids))
            )
        else:
            sync_homes(client, started, tally)
            device_ids = sync_changed_devices(client, since, started, tally)
        sync_details(client, device_ids, started, tally, make_progress("devices", len(device_ids)))
        state = SyncRun.State.PARTIAL if tally.errors else SyncRun.State.SUCCEEDED
    except CloudError as exc:
        tally.error("sync", exc)
        state = SyncRun.State.FAILED
    tally.counts.update(client.stats())
    SyncRun.objects.filter(pk=run.pk).update(
        state=state,
        finished_at=timezone.now(),
        watermark=started if state != SyncRun.State.FAILED else None,
        counts=tally.counts,
        errors=tally.errors,
    )
    run.refresh_from_db()
    return run


def device_refresh(*, device_id: str, client: CloudClient | None = None) -> Device:
    """Re-read one device from the cloud now and update the mirror (the device page's refresh button)."""
    client = client or CloudClient.from_settings()
    details = fetch_details(client, device_id)
    tally = Tally()
    store_details(details, timezone.now(), tally)
    return Device.objects.select_related("home").get(pk=device_id)
