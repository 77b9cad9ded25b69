"""The mall sync against the real sandbox server: counts, exact money, incremental changes, the lock."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devices.models import Device, DeviceVasType, Home, VoipAuthState
from mall import selectors
from mall.filters import OrderFilter
from mall.models import Commodity, CommodityPrice, DeviceMall, Order, ServiceIntroItem, Subscription
from mall.services import sync
from mall.tasks import mall_sync_task
from tests.fixtures.sandbox import Sandbox
from voipadmin.console.templatetags.charts import grouped_money
from voipadmin.core import locks
from voipadmin.core.locks import LockHeld
from voipadmin.core.models import AuditEvent, SyncFailure, SyncRun
from voipadmin.core.syncpass import lock_key

pytestmark = pytest.mark.django_db


def mirror_devices(sandbox: Sandbox) -> list[str]:
    """Put the sandbox's devices in the mirror (the devices sync's job; done directly to test the mall alone)."""
    now = timezone.now()
    page, ids = 1, []
    while True:
        result = sandbox.result("ext/listDevicesChanged", {"since": 0, "pageNo": page, "pageSize": 500})
        for d in result["data"]:
            home, _ = Home.objects.get_or_create(owner_id=d["ownerId"], defaults={"synced_at": now})
            types = [t for t in d["types"] if isinstance(t, int)]
            Device.objects.create(
                device_id=d["id"],
                home=home,
                name=d["name"],
                uuid=d.get("uuid") or "",
                vas_types=types,
                synced_at=now,
            )
            DeviceVasType.objects.bulk_create([DeviceVasType(device_id=d["id"], vas_type=t) for t in types])
            ids.append(d["id"])
        if page >= result["pageCount"]:
            return ids
        page += 1


@pytest.fixture
def synced(sandbox_settings: Sandbox) -> Sandbox:
    cache.clear()
    mirror_devices(sandbox_settings)
    run = sync.mall_sync(trigger="test")
    assert run.state == SyncRun.State.SUCCEEDED, run.errors
    return sandbox_settings


def _by_status(model: type, field: str = "status") -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in model.objects.values_list(field, flat=True):
        counts[str(value)] = counts.get(str(value), 0) + 1
    return counts


def test_a_full_pass_mirrors_what_the_cloud_holds(synced: Sandbox) -> None:
    stats = synced.stats()
    assert Order.objects.count() == stats["orders"]
    assert _by_status(Order) == {k: v for k, v in stats["orders_by_status"].items() if v}
    assert Subscription.objects.count() == stats["subscriptions"]
    assert _by_status(Subscription) == {str(k): v for k, v in stats["subscriptions_by_status"].items() if v}
    assert Commodity.objects.count() == stats["commodities"]
    assert DeviceMall.objects.exists() and CommodityPrice.objects.exists()
    assert set(ServiceIntroItem.objects.values_list("introduction_id", flat=True)) == {
        "voip",
        "cloud_storage",
        "ai",
    }
    run = SyncRun.objects.get(kind=SyncRun.Kind.MALL)
    assert run.full and run.since is None and run.watermark == run.started_at
    assert run.counts["orders"] == stats["orders"]
    # The extension links orders to their device, home and user.
    assert Order.objects.filter(device__isnull=False).count() == stats["orders"]


def test_the_filtered_count_equals_the_clouds_count_per_status(
    synced: Sandbox, viewer_client: Client
) -> None:
    stats = synced.stats()["orders_by_status"]
    for chosen in (["paid"], ["refunded", "canceled"]):
        seen, params = [], {"status": chosen}
        while True:
            html = viewer_client.get(reverse("mall:order-list"), params).content.decode()
            form = OrderFilter(params).form
            assert form.is_valid()
            page = selectors.order_page(filters=form.cleaned_data)
            seen += [o["order_id"] for o in page]
            assert all(o["status"] in chosen for o in page)
            assert all(o["order_id"] in html for o in page)
            if not page.next_cursor:
                break
            params = {"status": chosen, "cursor": page.next_cursor}
        assert len(seen) == len(set(seen)) == sum(stats[s] for s in chosen)


def _cloud_amounts(sandbox: Sandbox) -> dict[str, Decimal]:
    """Sum of amountTrade per currency from the raw JSON, parsed without a float anywhere."""
    sums: dict[str, Decimal] = {}
    for mall in sandbox.result("ext/listMalls"):
        page = 1
        while True:
            env = sandbox.request(
                "POST",
                "/v1.0/vas/voip/getOrderList",
                {
                    "mallCode": mall["mallCode"],
                    "siteCode": mall["siteCode"],
                    "pageNo": page,
                    "pageSize": 1000,
                },
                sandbox.token(),
            )
            result = json.loads(env.content, parse_float=Decimal)["result"]
            for item in result["data"]:
                base = item["orderBaseInfo"]
                raw = base["amountTrade"]
                amount = Decimal(raw["Value"] if isinstance(raw, dict) else raw)
                sums[base["currency"]] = sums.get(base["currency"], Decimal(0)) + amount
            if page >= result["pageCount"]:
                break
            page += 1
    return sums


def test_totals_per_currency_equal_the_clouds_exactly(synced: Sandbox, viewer_client: Client) -> None:
    expected = _cloud_amounts(synced)
    for filters in ({}, {"device": Order.objects.first().device_id}):
        totals = selectors.order_totals(filters=filters)
        assert all(isinstance(t["amount_trade"], Decimal) for t in totals)
        if not filters:
            assert {t["currency"]: t["amount_trade"] for t in totals} == expected
    assert all(isinstance(o.amount_trade, Decimal) for o in Order.objects.all()[:50])
    html = viewer_client.get(reverse("mall:order-totals"), HTTP_HX_REQUEST="true").content.decode()
    for currency, amount in expected.items():
        assert f"{grouped_money(amount.quantize(Decimal('0.01')))} {currency}" in html  # thousands grouped


def test_search_finds_an_order_by_id_and_by_commodity_name(synced: Sandbox, viewer_client: Client) -> None:
    order = Order.objects.filter(commodity_name__contains="通话").first()
    assert order is not None
    html = viewer_client.get(reverse("mall:order-list"), {"q": order.order_id}).content.decode()
    assert f"/mall/orders/{order.order_id}/" in html
    form = OrderFilter({"q": "通话"}).form
    assert form.is_valid()
    found = list(selectors.order_list(filters=form.cleaned_data).values_list("commodity_name", flat=True))
    assert found and all("通话" in name for name in found)
    assert len(found) == Order.objects.filter(commodity_name__contains="通话").count()


def test_an_incremental_pass_picks_up_a_status_change(synced: Sandbox) -> None:
    order = Order.objects.filter(status="paid").first()
    synced.control("POST", "touch-order", {"orderId": order.order_id, "orderStatus": "refunded"})
    paid_total = selectors.order_totals(filters={"status": ["paid"]})
    run = sync.mall_sync(trigger="test")
    assert run.state == SyncRun.State.SUCCEEDED and not run.full, run.errors
    order.refresh_from_db()
    assert order.status == "refunded"
    # It read what changed, not every order again.
    assert run.counts.get("orders", 0) < Order.objects.count() / 4
    stats = synced.stats()
    assert _by_status(Order) == {k: v for k, v in stats["orders_by_status"].items() if v}
    # The daily totals moved with it, and the cached totals were dropped.
    after = selectors.order_totals(filters={"status": ["paid"]})
    before_amount = {t["currency"]: t["amount_trade"] for t in paid_total}
    after_amount = {t["currency"]: t["amount_trade"] for t in after}
    assert after_amount[order.currency] == before_amount[order.currency] - order.amount_trade


def test_the_lock_refuses_a_second_concurrent_pass(sandbox_settings: Sandbox) -> None:
    cache.clear()
    key = lock_key(SyncRun.Kind.MALL)
    other = locks.acquire(key, 60)  # as a pass running elsewhere holds it
    assert other
    with pytest.raises(LockHeld):
        sync.mall_sync(trigger="test")
    with pytest.raises(CommandError):
        call_command("sync", "mall", verbosity=0)
    assert mall_sync_task.run(full=False, trigger="test") == {"state": "locked"}
    assert not SyncRun.objects.filter(kind=SyncRun.Kind.MALL).exists()
    locks.release(key, other)
    assert sync.mall_sync(trigger="test").state == SyncRun.State.SUCCEEDED
    assert locks.owner(key) is None  # released after the pass


def test_a_malformed_record_is_named_and_the_rest_of_the_page_stored(sandbox_settings: Sandbox) -> None:
    cache.clear()
    sandbox_settings.faults(malformed_rate=0.3, seed=3)
    run = sync.mall_sync(trigger="test")
    sandbox_settings.faults()
    assert run.state == SyncRun.State.PARTIAL
    assert any("malformed" in e for e in run.errors)
    assert Order.objects.count() > sandbox_settings.stats()["orders"] / 2
    # A partial pass keeps its watermark before its failures: the next pass re-reads from where it began.
    assert run.watermark is not None and run.watermark <= run.started_at
    assert SyncFailure.objects.filter(kind="mall", scope="page").exists()


def _purchase_setup(sandbox: Sandbox) -> tuple[Device, CommodityPrice]:
    """A mirrored device with its WeChat binding and auth user's openId, as the devices sync would leave it."""
    for device in Device.objects.order_by("device_id"):
        cap = sandbox.result("getDeviceCapability", {"device_id": device.device_id, "code": "tyabiwxrn9"})
        auth = sandbox.call("getVoipAuthUser", {"device_id": device.device_id}).get("result") if cap else None
        if not cap or not auth:
            continue
        info = sandbox.result(
            "getDeviceWXUserInfo", {"app_id": cap["WechatMPAppid"], "user_id": auth["userId"]}
        )
        device.wechat_app_id = cap["WechatMPAppid"]
        device.save(update_fields=["wechat_app_id"])
        VoipAuthState.objects.create(device=device, open_id=info["openId"], synced_at=timezone.now())
        price = CommodityPrice.objects.filter(
            commodity__offers__device=device, commodity__commodity_type=1
        ).first()
        if price is not None:
            return device, price
    raise AssertionError("no VoIP device with an auth user in the sandbox")


def test_a_test_purchase_goes_to_the_cloud_and_is_audited(
    synced: Sandbox, ops_client: Client, settings
) -> None:
    device, price = _purchase_setup(synced)
    before = synced.stats()["orders"]
    url = reverse("mall:device-purchase", args=[device.device_id])
    data: dict[str, Any] = {
        "once": "first-token-0123456789",
        "commodity_code": price.commodity_id,
        "option_type": price.option_type,
        "option_no": price.option_no,
        "confirmed": "yes",
    }
    response = ops_client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"<html" not in response.content
    event = AuditEvent.objects.get(action="mall.test_purchase")
    assert event.result == "ok" and event.device_id == device.device_id
    assert synced.stats()["orders"] == before + 1
    assert not Order.objects.filter(pk=event.after["order_id"]).exists()
    assert sync.mall_sync(trigger="test").state == SyncRun.State.SUCCEEDED
    assert Order.objects.filter(pk=event.after["order_id"], device=device).exists()

    # No answer in time: the cloud may still have made the order (this sandbox does), so the audit says unknown.
    settings.CLOUD_TIMEOUT = 0.5
    synced.faults(timeout_rate=1.0, timeout_ms=1500)
    try:
        ops_client.post(url, {**data, "once": "second-token-0123456789"}, HTTP_HX_REQUEST="true")
    finally:
        synced.faults()
    assert AuditEvent.objects.filter(action="mall.test_purchase", result="unknown").count() == 1

    VoipAuthState.objects.filter(device=device).update(open_id="o-not-a-real-openid")
    before_refusal = synced.stats()["orders"]
    response = ops_client.post(url, {**data, "once": "third-token-0123456789"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="mall.test_purchase", result="failed").count() == 1
    assert synced.stats()["orders"] == before_refusal
