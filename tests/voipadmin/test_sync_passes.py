"""The mirror never loses a change: failures kept and retried first, the watermark held before them.

Deterministic: every fault is a refusal aimed at named calls and records (no rates, no luck), and every change
is made through the sandbox's control routes between passes. The mirror is compared with the sandbox's own
records (``/_control/dump``), field by field, not by counts.
"""

from __future__ import annotations

from typing import Any

import pytest

from devices.models import Device, DeviceService, Home, VoipAuthState
from devices.services.sync import NO_CHANGE_LISTING, NO_HOME_LISTING, devices_sync
from mall.models import Order, Subscription
from mall.services.sync import mall_sync
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.models import SyncFailure, SyncRun
from voipadmin.core.syncpass import OVERLAP

pytestmark = pytest.mark.django_db(transaction=True)
REFUSED = 1109  # a refusal: not retried by the client, so a fault costs no backoff


def _ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if value is not None else None


def mirror_dump() -> dict[str, dict[str, Any]]:
    """The mirror in the shape of the sandbox's /_control/dump."""
    return {
        "homes": {h.owner_id: {"name": h.name} for h in Home.objects.all()},
        "devices": {
            d.device_id: {
                "ownerId": d.home_id,
                "name": d.name,
                "uuid": d.uuid,
                "types": sorted(d.vas_types),
                "voip": d.voip_capable,
            }
            for d in Device.objects.all()
        },
        "services": {
            f"{s.device_id}/{s.code}": {"name": s.name, "type": s.service_type, "endTime": _ms(s.end_at)}
            for s in DeviceService.objects.all()
        },
        "voip": {
            v.device_id: {"userId": v.user_id, "isAuth": v.is_auth, "isValid": v.is_valid}
            for v in VoipAuthState.objects.all()
        },
        "orders": {
            o.order_id: {
                "status": o.status,
                "deviceId": o.device_id,
                "lines": [
                    {"commodityCode": li.commodity_code, "skuCode": li.sku_code, "quantity": li.quantity}
                    for li in o.lines.order_by("line_no")
                ],
            }
            for o in Order.objects.prefetch_related("lines")
        },
        "subscriptions": {
            s.subscribe_id: {"status": s.status, "orderId": s.order_id} for s in Subscription.objects.all()
        },
    }


def assert_mirror_equals(sandbox: Any) -> None:
    cloud, mirror = sandbox.control("GET", "dump"), mirror_dump()
    for part in cloud:
        missing = set(cloud[part]) - set(mirror[part])
        extra = set(mirror[part]) - set(cloud[part])
        differ = [k for k in cloud[part] if k in mirror[part] and cloud[part][k] != mirror[part][k]]
        assert not (missing or extra or differ), (part, sorted(missing)[:5], sorted(extra)[:5], differ[:5])


def _both(**kw: Any) -> tuple[SyncRun, SyncRun]:
    return devices_sync(**kw), mall_sync(trigger="test", **kw)


def _pick(sandbox: Any) -> dict[str, Any]:
    cloud = sandbox.control("GET", "dump")
    devices = list(cloud["devices"])
    voip = [d for d in devices if d in cloud["voip"]]
    orders = [o for o, v in cloud["orders"].items() if v["status"] == "paid"]
    return {"devices": devices, "voip": voip, "orders": orders, "homes": list(cloud["homes"])}


def test_a_partial_pass_records_its_failures_and_the_pass_after_the_faults_makes_the_mirror_exact(
    sandbox_settings: Any,
) -> None:
    box = sandbox_settings
    first_devices, first_mall = _both()
    assert (first_devices.state, first_mall.state) == ("succeeded", "succeeded")
    assert_mirror_equals(box)
    world = _pick(box)
    renamed, other = world["voip"][0], world["voip"][1]
    home = world["homes"][2]
    order, order2 = world["orders"][0], world["orders"][1]
    mall_of = Order.objects.get(pk=order).mall_code

    # Changes in the cloud, then a pass under faults aimed at exactly those records.
    box.control("POST", "rename-device", json={"deviceId": renamed, "name": "改名的门铃"})
    new = box.control("POST", "add-device", json={"ownerId": home})["deviceId"]
    box.control("POST", "touch-order", json={"orderId": order, "orderStatus": "refunded"})
    box.faults(
        refuse_code=REFUSED,
        calls=["getServiceListByDevice", "getOrderList", "getAppMallInfo"],
        records=[renamed, new, mall_of],
    )
    devices_run, mall_run = _both()
    assert (devices_run.state, mall_run.state) == ("partial", "partial")
    failed = set(SyncFailure.objects.values_list("kind", "scope", "key"))
    assert {("devices", "device", renamed), ("devices", "device", new), ("mall", "device", new)} <= failed
    assert any(kind == "mall" and scope == "mall" and mall_of in key for kind, scope, key in failed)
    # The watermark stays before the oldest failure: where the faulty pass began reading.
    assert (
        devices_run.since == first_devices.watermark - OVERLAP
        and mall_run.since == first_mall.watermark - OVERLAP
    )
    assert devices_run.watermark == devices_run.since and mall_run.watermark == mall_run.since

    # More changes, another incremental pass still under the faults: the failures stay open, retried.
    box.control("POST", "rename-device", json={"deviceId": other, "name": "Back door doorbell"})
    box.control("POST", "touch-order", json={"orderId": order2, "orderStatus": "closed"})
    second_new = box.control("POST", "add-device", json={"ownerId": world["homes"][4]})["deviceId"]
    again_devices, again_mall = _both()
    assert (again_devices.state, again_mall.state) == ("partial", "partial")
    assert again_devices.watermark == devices_run.watermark  # held, not moved past the open failures
    assert SyncFailure.objects.get(kind="devices", scope="device", key=renamed).attempts == 2

    # Faults cleared: one incremental pass and the mirror equals the cloud, record by record.
    box.faults()
    last_devices, last_mall = _both()
    assert (last_devices.state, last_mall.state) == ("succeeded", "succeeded"), (
        last_devices.errors,
        last_mall.errors,
    )
    assert not (last_devices.full or last_mall.full)
    assert not SyncFailure.objects.exists()
    assert last_devices.counts["failures_closed"] >= 2 and last_mall.counts["failures_closed"] >= 2
    assert Device.objects.filter(pk__in=[new, second_new]).count() == 2
    assert_mirror_equals(box)


def test_the_pass_after_a_faulty_one_reads_the_failures_and_the_changes_not_everything(
    sandbox_settings: Any,
) -> None:
    box = sandbox_settings
    full = CloudClient.from_settings()
    assert devices_sync(client=full).state == "succeeded"
    everything = full.calls()
    world = _pick(box)
    failing, changed = world["voip"][:2], world["voip"][5]
    box.faults(refuse_code=REFUSED, calls=["getServiceListByDevice"], records=failing)
    for device_id in failing:
        box.control("POST", "rename-device", json={"deviceId": device_id, "name": "renamed while failing"})
    assert devices_sync().state == "partial"
    assert set(SyncFailure.objects.values_list("key", flat=True)) == set(failing)

    box.faults()
    box.control("POST", "rename-device", json={"deviceId": changed, "name": "renamed after"})
    after = CloudClient.from_settings()
    run = devices_sync(client=after)
    calls = after.calls()
    assert run.state == "succeeded" and not SyncFailure.objects.exists()
    # The failures (2 devices) and the change (1), each read once; no home walked, nothing else detailed.
    assert calls["getServiceListByDevice"] == 3, calls
    assert calls.get("getDeviceList", 0) == 0 and everything["getDeviceList"] == Home.objects.count()
    assert everything["getServiceListByDevice"] == Device.objects.count()
    assert sum(calls.values()) < sum(everything.values()) / 5, (calls, everything)
    assert Device.objects.get(pk=failing[0]).name == "renamed while failing"
    assert Device.objects.get(pk=changed).name == "renamed after"


def test_without_the_listing_extensions_the_pass_says_so_once_and_keeps_what_is_stored(
    sandbox_settings: Any,
) -> None:
    box = sandbox_settings
    assert devices_sync().state == "succeeded"
    stored = Device.objects.count()
    device = Device.objects.order_by("pk").first()
    box.control("POST", "rename-device", json={"deviceId": device.pk, "name": "renamed without listings"})
    box.faults(refuse_code=1108, calls=["ext/listHomes", "ext/listDevicesChanged"])
    run = devices_sync()
    assert run.state == "partial"
    assert run.notes == [NO_HOME_LISTING, NO_CHANGE_LISTING]
    assert run.errors == [] and not SyncFailure.objects.exists()  # nothing to retry: the cloud lacks the call
    assert Device.objects.count() == stored and Home.objects.count() == box.stats()["homes"]
    # The stored homes were read again instead, so a change still arrives.
    assert Device.objects.get(pk=device.pk).name == "renamed without listings"
    # A full pass too keeps everything and says the same.
    run = devices_sync(full=True)
    assert run.state == "partial" and run.notes == [NO_HOME_LISTING]
    assert Device.objects.count() == stored


def test_a_full_pass_counts_what_incremental_passes_had_missed(sandbox_settings: Any) -> None:
    assert devices_sync().counts.get("missed") is None  # the first pass has nothing to compare with
    # A change the incremental passes cannot see (its cloud time does not move): only a full pass finds it.
    device = Device.objects.order_by("pk").first()
    Device.objects.filter(pk=device.pk).update(name="stale local name")
    assert devices_sync().counts.get("missed") is None
    assert Device.objects.get(pk=device.pk).name == "stale local name"
    run = devices_sync(full=True)
    assert run.full and run.counts["missed"] >= 1 and run.counts["device_updated"] == 1
    assert Device.objects.get(pk=device.pk).name == device.name
