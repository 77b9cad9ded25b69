"""CloudClient against the sandbox over real HTTP: every call returns its typed model; every write reads back."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from tests.clients.conftest import CloudRig, VoipDevice, find_voip_device
from voipadmin.core.clients.errors import (
    DeviceNotFound,
    ExchangeCodeExpired,
    ExchangeCodeInvalid,
    ExchangeCodeUsed,
    InvalidParameter,
    NoVoipCapability,
)
from voipadmin.core.clients.models import (
    CloudUser,
    Commodity,
    Device,
    DeviceService,
    DeviceVasInfo,
    Home,
    IntroItem,
    MallInfo,
    Order,
    Page,
    ServiceIntroduction,
    Subscription,
    VoipAuthorization,
    WxUserInfo,
)
from voipadmin.core.enums import (
    AuthTag,
    CategoryCode,
    CommodityType,
    OrderStatus,
    PeriodUnit,
    VasType,
)

CATALOG_BY_TYPE = {0: "CLOUD_STORAGE", 1: "VOIP", 2: "AI"}


def aware(value: dt.datetime | None) -> bool:
    return value is not None and value.utcoffset() == dt.timedelta(0)


def test_homes_users_and_devices(cloud: CloudRig) -> None:
    client, stats = cloud.client, cloud.box.stats()
    homes = list(client.iter_homes(page_size=5))
    assert len(homes) == stats["homes"] and all(isinstance(h, Home) and aware(h.modified_at) for h in homes)
    first = client.list_homes(page_no=1, page_size=5)
    assert isinstance(first, Page) and first.total_record == stats["homes"] and first.page_count == 3
    users = list(client.iter_users(page_size=7))
    assert len(users) == stats["users"] and isinstance(users[0], CloudUser) and users[0].user_id

    devices = client.get_device_list(homes[0].owner_id)
    assert devices.errors == () and len(devices) >= 1
    dev = devices[0]
    assert isinstance(dev, Device) and dev.uuid and all(isinstance(t, VasType) for t in dev.types)

    changed = [d for page in client.iter_devices_changed(page_size=16) for d in page]
    assert len(changed) == stats["devices"] and len({d.id for d in changed}) == stats["devices"]
    stamps = [(d.modified_at, d.id) for d in changed]
    assert stamps == sorted(stamps) and all(aware(d.modified_at) and d.owner_id for d in changed)
    newest = changed[-1].modified_at
    assert [d.id for d in client.list_devices_changed(newest)] == [
        d.id for d in changed if d.modified_at == newest
    ]

    vas = client.get_device_add_value_type(dev.id)
    assert isinstance(vas, DeviceVasInfo) and (vas.id, vas.types) == (dev.id, dev.types)


def test_capability_is_none_without_voip(cloud: CloudRig) -> None:
    client = cloud.client
    stats = cloud.box.stats()
    assert stats["voip_devices"] < stats["devices"]  # the world has devices without VoIP
    without = next(
        d for p in client.iter_devices_changed() for d in p if client.get_device_capability(d.id) is None
    )
    assert client.get_voip_auth_user(without.id) is None
    with pytest.raises(NoVoipCapability) as caught:
        client.voip_service_authorization(without.id, without.name, without.uuid or "")
    assert caught.value.code == 40000903


def test_voip_device_reads(cloud: CloudRig, voip_device: VoipDevice) -> None:
    client, dev = cloud.client, voip_device
    cap = dev.capability
    assert cap.app_id.startswith("wx") and cap.model_id and cap.original_id.startswith("gh_")
    assert isinstance(dev.auth.is_auth, bool) and aware(dev.auth.auth_update_time)
    info = client.get_device_wx_user_info(cap.app_id, dev.auth.user_id)
    assert info == WxUserInfo(open_id=dev.open_id, user_id=dev.auth.user_id)
    assert client.get_device_wx_user_info(cap.app_id, device_id=dev.id).open_id == dev.open_id

    auth = client.voip_service_authorization(dev.id, "门铃" * 10, dev.uuid)
    assert isinstance(auth, VoipAuthorization)
    assert (auth.sn, auth.model_id, auth.device_name) == (dev.uuid, cap.model_id, ("门铃" * 10)[:13])
    assert len(auth.sn_ticket) >= 16

    services = client.get_service_list_by_device(dev.id)
    assert services.errors == () and all(isinstance(s, DeviceService) for s in services)
    voip = next(s for s in services if s.type is CommodityType.VOIP)
    assert voip.code == "voip" and (voip.end_time is None or aware(voip.end_time))


def test_mall_reads(cloud: CloudRig, voip_device: VoipDevice) -> None:
    client, dev = cloud.client, voip_device
    malls = client.list_malls()
    assert len(malls) == cloud.box.stats()["malls"] and all(isinstance(m, MallInfo) for m in malls)
    mall = client.get_app_mall_info(dev.id, "VOIP")
    assert isinstance(mall, MallInfo) and mall.currency in {"CNY", "USD"}
    assert (mall.mall_code, mall.site_code) in {(m.mall_code, m.site_code) for m in malls}

    commodities = client.get_commodity_list(dev.id)
    assert commodities.errors == () and all(isinstance(c, Commodity) for c in commodities)
    prices = [p for c in commodities for p in c.prices]
    assert prices and all(isinstance(p.price, Decimal) and p.currency == mall.currency for p in prices)
    assert any(p.marketing_strategy and p.marketing_strategy.discount for p in prices)
    assert all(p.period_unit in set(PeriodUnit) for p in prices)

    for category in CategoryCode:
        intro = client.get_service_introduction(category)
        assert isinstance(intro, ServiceIntroduction) and intro.service_name
        assert all(isinstance(i, IntroItem) for items in intro.modules().values() for i in items)


def test_orders_and_subscriptions(cloud: CloudRig) -> None:
    client, box = cloud.client, cloud.box
    stats = box.stats()
    orders: list[Order] = []
    subs: list[Subscription] = []
    for mall in client.list_malls():
        for page in client.iter_order_pages(mall.mall_code, mall.site_code, page_size=50):
            assert page.errors == ()
            orders += page.items
        for page in client.iter_subscription_pages(mall.mall_code, mall.site_code, page_size=50):
            assert page.errors == ()
            subs += page.items
    assert len(orders) == stats["orders"] and len(subs) == stats["subscriptions"]
    assert all(isinstance(o.amount_trade, Decimal) and aware(o.created_at) for o in orders)
    assert all(o.status.known and o.device_id and aware(o.modified_at) for o in orders)
    assert all(s.status.known and s.order.order_id and aware(s.modified_at) for s in subs)

    one = orders[0]
    found = client.get_order_list(one.mall.mall_code, one.mall.site_code, search_key=one.order_id)
    assert [o.order_id for o in found] == [one.order_id]
    wanted = [OrderStatus.REFUNDED, OrderStatus.CANCELED]
    filtered = client.get_order_list(
        one.mall.mall_code, one.mall.site_code, order_status_list=wanted, page_size=500
    )
    assert filtered.items and {o.status for o in filtered} <= set(wanted)

    touched = box.control("POST", "touch-order", {"orderId": one.order_id, "orderStatus": "refunded"})
    since = dt.datetime.fromtimestamp(touched["gmtModified"] / 1000, dt.UTC)
    changed = client.get_order_list(one.mall.mall_code, one.mall.site_code, changed_since=since)
    assert [(o.order_id, o.status) for o in changed] == [(one.order_id, OrderStatus.REFUNDED)]
    assert changed[0].modified_at == since


def test_save_voip_auth_user_reads_back(cloud: CloudRig, voip_device: VoipDevice) -> None:
    client, dev = cloud.client, voip_device
    other = next(u for u in client.iter_users() if u.user_id != dev.auth.user_id)
    assert client.save_voip_auth_user(dev.id, other.user_id) is True
    after = client.get_voip_auth_user(dev.id)
    assert after is not None and (after.user_id, after.user_name) == (other.user_id, other.user_name)
    assert after.is_auth is False and after.auth_update_time > dev.auth.auth_update_time
    with pytest.raises(InvalidParameter) as caught:
        client.save_voip_auth_user(dev.id, "no-such-user")
    assert caught.value.code == 1109


def test_save_wx_voip_auth_reads_back(cloud: CloudRig, voip_device: VoipDevice) -> None:
    client, dev = cloud.client, voip_device
    flipped = AuthTag.NOT_AUTHORIZED if dev.auth.is_auth else AuthTag.AUTHORIZED
    assert client.save_wx_voip_auth(dev.id, flipped) is True
    after = client.get_voip_auth_user(dev.id)
    assert after is not None and after.is_auth is bool(flipped)
    assert cloud.box.stats()["save_wx_voip_auth"][dev.id] == 1
    assert client.save_wx_voip_auth(dev.id, bool(flipped)) is True
    assert cloud.box.stats()["save_wx_voip_auth"][dev.id] == 2


def test_exchange_code_extends_the_service_and_refusals_are_typed(cloud: CloudRig) -> None:
    client, box = cloud.client, cloud.box
    codes = box.control("GET", "exchange-codes")
    code = next(c for c in codes if c["state"] == "valid" and c["catalogCode"] == "VOIP")
    dev = find_voip_device(client)
    before = {s.code: s.end_time for s in client.get_service_list_by_device(dev.id)}

    def redeem(text: str, catalog: str = "VOIP") -> object:
        return client.exchange_code(
            device_id=dev.id,
            catalog_code=catalog,
            home_id=dev.owner_id,
            code=text,
            name=dev.name,
            uuid=dev.uuid,
        )

    done = redeem(code["code"])
    assert done.service_code == code["serviceCode"] and aware(done.end_time)
    after = {s.code: s.end_time for s in client.get_service_list_by_device(dev.id)}
    assert after[done.service_code] == done.end_time
    assert before.get(done.service_code) is None or after[done.service_code] > before[done.service_code]

    with pytest.raises(ExchangeCodeUsed) as used:
        redeem(code["code"])
    expired = next(c for c in codes if c["state"] == "expired")
    with pytest.raises(ExchangeCodeExpired):
        redeem(expired["code"], expired["catalogCode"])
    with pytest.raises(ExchangeCodeInvalid) as invalid:
        redeem("NOSUCHCODE42")
    assert (used.value.code, invalid.value.code) == (28841301, 28841303)


def test_buy_creates_an_order_that_turns_paid(cloud: CloudRig, voip_device: VoipDevice) -> None:
    client, dev = cloud.client, voip_device
    commodity = next(c for c in client.get_commodity_list(dev.id) if c.type is CommodityType.VOIP)
    price = commodity.prices[0]
    mall = client.get_app_mall_info(dev.id, CATALOG_BY_TYPE[commodity.type])
    assert mall.currency is not None
    bought = client.buy_increase_service_by_wx(
        device_id=dev.id,
        mall_code=mall.mall_code,
        site_code=mall.site_code,
        currency=mall.currency,
        sku_code=commodity.sku_code,
        option_type=price.option_type,
        option_no=price.option_no,
        home_id=dev.owner_id,
        open_id=dev.open_id,
        name=dev.name,
        uuid=dev.uuid,
        wx_app_id=dev.capability.app_id,
    )
    assert bought.order_status is OrderStatus.CREATED and bought.pay_params["package"].startswith(
        "prepay_id="
    )

    def listed() -> Order:
        (order,) = client.get_order_list(mall.mall_code, mall.site_code, search_key=bought.order_id).items
        return order

    order = listed()
    assert (order.order_id, order.device_id, order.uid) == (bought.order_id, dev.id, dev.auth.user_id)
    assert order.status in {OrderStatus.CREATED, OrderStatus.PAID} and order.amount_trade == price.price
    deadline = time.monotonic() + 10  # the sandbox pays after --payment-delay (2 s)
    while order.status is not OrderStatus.PAID and time.monotonic() < deadline:
        time.sleep(0.25)
        order = listed()
    assert order.status is OrderStatus.PAID


def test_unknown_device_and_bad_parameters_are_typed(cloud: CloudRig) -> None:
    with pytest.raises(DeviceNotFound) as caught:
        cloud.client.get_service_list_by_device("no-such-device")
    assert caught.value.code == 40000901 and caught.value.tid
    with pytest.raises(InvalidParameter):
        cloud.client.get_service_introduction("no_such_category")
    assert cloud.client.stats()["cloud_retries"] == 0  # refusals are never retried
