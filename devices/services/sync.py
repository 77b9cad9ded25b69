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
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from devices.models import (
    CloudUser,
    Device,
    DeviceService,
    DeviceVasType,
    Home,
    HomeMember,
    VoipAuthState,
    WeChatIdentity,
)
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.clients.errors import CloudError, CloudRateLimited, CloudUnavailable, DeviceNotFound
from voipadmin.core.models import SyncFailure, SyncRun
from voipadmin.core.syncpass import SyncPass, Tally, run_pass

log = logging.getLogger(__name__)

VOIP_CAPABILITY = "tyabiwxrn9"
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
    _upsert(Home, "owner_id", rows, now, p.tally)
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
                _write_users(users, now, p.tally)
            p.advance(len(users))
    except CloudError as exc:
        if _missing_call(exc):
            p.note(NO_USER_LISTING)
        else:
            p.fail(SyncFailure.Scope.LISTING, where, where, exc)


def _write_users(users: dict[str, Any], now: dt.datetime, tally: Tally) -> None:
    rows = {
        pk: {"user_name": u.user_name, "avatar_url": u.avatar_url or "", "cloud_modified_at": u.modified_at}
        for pk, u in users.items()
    }
    _upsert(CloudUser, "user_id", rows, now, tally)
    # A listed user's homes are the cloud's current list: memberships that left it are removed.
    wanted = {(pk, home) for pk, u in users.items() for home in u.home_ids}
    have = set(HomeMember.objects.filter(user_id__in=list(users)).values_list("user_id", "home_id"))
    for user_id, home_id in have - wanted:
        HomeMember.objects.filter(user_id=user_id, home_id=home_id).delete()
    if new := wanted - have:
        HomeMember.objects.bulk_create(
            [HomeMember(user_id=u, home_id=h, synced_at=now) for u, h in new],
            batch_size=1000,
            ignore_conflicts=True,
        )
    tally.add("members_created", len(new))
    tally.add("members_deleted", len(have - wanted))
    tally.add("users_seen", len(users))


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
            _write_devices(rows, now, tally)
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
            rows.update({item.id: _device_values(item, owner_id) for item in items})
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
            rows = {item.id: _device_values(item, item.owner_id) for item in page}
            known_homes = set(
                Home.objects.filter(pk__in={v["home_id"] for v in rows.values()}).values_list("pk", flat=True)
            )
            for values in rows.values():
                if values["home_id"] not in known_homes:
                    values["home_id"] = None
            with transaction.atomic():
                _write_devices(rows, now, p.tally)
            device_ids += rows
            p.advance(len(rows))
    except CloudError as exc:
        if _missing_call(exc):
            p.note(NO_CHANGE_LISTING)
            return None
        p.fail(SyncFailure.Scope.PAGE, where, where, exc)
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
    home_device_counts_keep()
    if p.notes:
        p.tally.add("homes_stored", Home.objects.count())
        p.tally.add("devices_stored", Device.objects.count())


def home_device_counts_keep(*, homes: list[str] | None = None) -> int:
    """Keep each home's ``device_count`` (the homes list shows it without counting per request).

    One grouped pass over the devices, writing only the homes whose count changed; ``homes`` narrows it to a
    few (a refresh). Returns how many homes changed.
    """
    counted = (
        Device.objects.filter(home=OuterRef("pk"))
        .order_by()
        .values("home")
        .annotate(n=Count("pk"))
        .values("n")
    )
    fresh = Coalesce(Subquery(counted), 0)
    qs = Home.objects.all() if homes is None else Home.objects.filter(pk__in=homes)
    return qs.exclude(device_count=fresh).update(device_count=fresh)


def device_refresh(*, device_id: str, client: CloudClient | None = None) -> Device:
    """Re-read one device from the cloud now: its name, icon and types (getDeviceAddValueType), then what the
    sync reads for it (capability, services, VoIP). A device the mirror lacks becomes a row (its home comes
    with the next pass); raises DeviceNotFound (40000901) when the cloud does not know it. "Last synced" moves.
    """
    client = client or CloudClient.from_settings()
    info = client.get_device_add_value_type(device_id)
    details = fetch_details(client, device_id)
    now, tally = timezone.now(), Tally()
    values = {"name": info.name, "icon": info.icon, "vas_types": sorted(int(t) for t in info.types)}
    with transaction.atomic():
        _write_devices({device_id: values}, now, tally)
        Device.objects.filter(pk=device_id).update(synced_at=now)
        store_details(details, now, tally)
    return Device.objects.select_related("home").get(pk=device_id)


def home_refresh(*, owner_id: str, client: CloudClient) -> Home:
    """Read one home now (ext/getHome; DataNotFound when the cloud has none), its members the mirror knows,
    and its devices with their details."""
    info = client.get_home(owner_id)
    now, tally = timezone.now(), Tally()
    home = info.home
    items = list(client.get_device_list(owner_id).raise_errors())
    details = [fetch_details(client, item.id) for item in items]
    with transaction.atomic():
        values = {"name": home.name, "geo_name": home.geo_name or "", "cloud_modified_at": home.modified_at}
        _upsert(Home, "owner_id", {owner_id: values}, now, tally)
        Home.objects.filter(pk=owner_id).update(synced_at=now)
        known = CloudUser.objects.filter(pk__in=info.user_ids).values_list("pk", flat=True)
        HomeMember.objects.bulk_create(
            [HomeMember(home_id=owner_id, user_id=u, synced_at=now) for u in known], ignore_conflicts=True
        )
        _write_devices({item.id: _device_values(item, owner_id) for item in items}, now, tally)
        store_details_batch(details, now, tally)
        home_device_counts_keep(homes=[owner_id])
    return Home.objects.get(pk=owner_id)
