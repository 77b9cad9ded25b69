"""Write what the cloud answered into the device mirror: bulk upserts that touch only rows that changed.

The sync passes (devices/services/sync.py) and the one-device reads (devices/services/refresh.py, the safe fixes)
all write through here, so a row looks the same whichever path stored it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce

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
from voipadmin.core.syncpass import Tally

VOIP_CAPABILITY = "tyabiwxrn9"


def changed(obj: Model, values: dict[str, Any]) -> bool:
    return any(getattr(obj, k) != v for k, v in values.items())


def upsert(
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
        elif changed(obj, values):
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


def write_users(users: dict[str, Any], now: dt.datetime, tally: Tally) -> None:
    rows = {
        pk: {"user_name": u.user_name, "avatar_url": u.avatar_url or "", "cloud_modified_at": u.modified_at}
        for pk, u in users.items()
    }
    upsert(CloudUser, "user_id", rows, now, tally)
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


def device_values(item: Any, owner_id: str | None) -> dict[str, Any]:
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


def write_devices(rows: dict[str, dict[str, Any]], now: dt.datetime, tally: Tally) -> set[str]:
    """Write listed devices; return the homes whose devices changed (a device came in, moved in or moved out),
    the only homes whose kept ``device_count`` can have changed (``home_device_counts_keep``)."""
    if not rows:
        return set()
    existing = Device.objects.in_bulk(list(rows))
    was = {pk: device.home_id for pk, device in existing.items()}
    upsert(
        Device, "device_id", rows, now, tally, existing=existing, make=lambda pk, v: Device(device_id=pk, **v)
    )
    homes = set()
    for pk, values in rows.items():
        if "home_id" in values and (pk not in was or was[pk] != values["home_id"]):
            homes.update(h for h in (was.get(pk), values["home_id"]) if h)
    wanted = {(pk, t) for pk, values in rows.items() for t in values["vas_types"]}
    have = set(DeviceVasType.objects.filter(device_id__in=list(rows)).values_list("device_id", "vas_type"))
    if stale := have - wanted:
        for device_id, vas_type in stale:
            DeviceVasType.objects.filter(device_id=device_id, vas_type=vas_type).delete()
    if new := wanted - have:
        DeviceVasType.objects.bulk_create(
            [DeviceVasType(device_id=d, vas_type=t) for d, t in new], batch_size=1000, ignore_conflicts=True
        )
    return homes


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
        if changed(device, values) or device.details_synced_at is None:
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
    upsert(
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
    upsert(CloudUser, "user_id", users, now, tally)
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
    upsert(
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
    upsert(
        WeChatIdentity,
        None,
        rows,
        now,
        tally,
        existing=existing,
        make=lambda k, values: WeChatIdentity(user_id=k[0], app_id=k[1], **values),
        name="wechat_identity",
    )


RECOUNT_ALL_ABOVE = 5000


def home_device_counts_keep(*, homes: list[str] | None = None) -> int:
    """Keep each home's ``device_count`` (the homes list shows it without counting per request).

    Counts the devices of ``homes`` (the homes ``write_devices`` said changed), or of every home when None (1.8 s
    at 10^6 devices in 5×10^5 homes, which is why a pass recounts only what it changed); writes only the homes
    whose count changed, and returns how many.
    """
    counted = (
        Device.objects.filter(home=OuterRef("pk"))
        .order_by()
        .values("home")
        .annotate(n=Count("pk"))
        .values("n")
    )
    fresh = Coalesce(Subquery(counted), 0)
    if homes is not None and len(homes) > RECOUNT_ALL_ABOVE:
        homes = None  # a first pass touches every home: one grouped pass beats a list of them all
    qs = Home.objects.all() if homes is None else Home.objects.filter(pk__in=homes)
    return qs.exclude(device_count=fresh).update(device_count=fresh)
