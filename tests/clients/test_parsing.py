"""Parsing at the edge: every seed example becomes its typed model; money and time forms are exact."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voipadmin.core.clients import _parse
from voipadmin.core.clients.cloud import RESULTS, parse_result
from voipadmin.core.clients.errors import CloudBadResponse
from voipadmin.core.clients.models import (
    Commodity,
    Device,
    DeviceCapability,
    DeviceService,
    DeviceVasInfo,
    ExchangeResult,
    Items,
    MallInfo,
    Order,
    Page,
    Purchase,
    ServiceIntroduction,
    Subscription,
    VoipAuthorization,
    VoipAuthUser,
    WxUserInfo,
)
from voipadmin.core.enums import (
    UNVERIFIED,
    CommodityType,
    OrderStatus,
    PaidProvider,
    PeriodUnit,
    RegularUnit,
    ServiceTag,
    SubscriptionStatus,
    TargetUrlType,
    VasType,
    label_of,
)

HERE = Path(__file__).parent
SEED = HERE / "seed"
SAMPLES = HERE / "samples"
UTC = dt.UTC


def load(path: Path) -> object:
    return _parse.loads(path.read_bytes())


def seed(name: str) -> object:
    return parse_result(name, load(SEED / f"{name}.json"))


def test_every_seed_example_is_a_fixture_and_parses_without_error() -> None:
    names = sorted(p.stem for p in SEED.glob("*.json"))
    assert len(names) == 13  # the 13 calls the vendor gives a response example for
    for name in names:
        value = seed(name)
        if isinstance(value, Items):
            assert value.errors == (), name


def test_commodity_list_example() -> None:
    items = seed("getCommodityList")
    assert isinstance(items, Items) and len(items) == 1
    com = items[0]
    assert isinstance(com, Commodity)
    assert (com.service_code, com.title, com.sku_code) == ("voip", "微信视频通话(VoIP)", "xxx")
    assert com.type is CommodityType.VOIP and com.type.label == "VoIP"
    assert com.target_url_type is TargetUrlType.H5
    (price,) = com.prices
    assert price.price == Decimal("0.01") and isinstance(price.price, Decimal)
    assert price.original_price == Decimal("0.01")
    assert (price.currency, price.option_type, price.option_no) == ("CNY", 0, 0)
    assert price.period_unit is PeriodUnit.YEAR and price.period_value == 1
    assert price.marketing_strategy is None


def test_mall_device_and_capability_examples() -> None:
    mall = seed("getAppMallInfo")
    assert mall == MallInfo(mall_code="xxxxxxx", site_code="CN", shop_code="xxxxxxx", currency="CNY")
    vas = seed("getDeviceAddValueType")
    assert isinstance(vas, DeviceVasInfo) and vas.types == (VasType.CLOUD_STORAGE, VasType.VOIP)
    devices = seed("getDeviceList")
    assert [type(d) for d in devices] == [Device, Device]
    assert devices[1].name == "VoIP 调试 - 可视对讲1" and devices[1].uuid is None
    cap = seed("getDeviceCapability")
    assert cap == DeviceCapability(app_id="xxxxxx", model_id="xxxxxx", original_id="xxxxxx")


def test_order_list_example() -> None:
    page = seed("getOrderList")
    assert isinstance(page, Page)
    assert (page.page_no, page.page_size, page.total_record, page.page_count) == (1, 1, 14, 2)
    assert page.has_next
    (order,) = page
    assert isinstance(order, Order)
    assert order.status is OrderStatus.FINISHED and order.status.label == "finished"
    assert order.amount_trade == Decimal("1.00") and order.amount_origin == Decimal("1.00")
    assert order.created_at == dt.datetime(2024, 8, 13, 8, 15, 5, 517000, tzinfo=UTC)
    assert order.mall == MallInfo(mall_code="xxx", site_code="CN", shop_code="xxx")
    assert order.trade_type is None and order.device_id is None  # missing optional fields are tolerated
    (line,) = order.lines
    assert line.unit_price_trade == Decimal("1.00") and line.commodity_type == 5
    assert line.commodity_type.label == "value-added service" and line.commodity_type.unverified()
    assert line.service_period is not None and line.service_period.period_unit is PeriodUnit.YEAR
    assert order.logistics_tag is False


def test_subscription_examples() -> None:
    empty = seed("getSubscriptionOrderList")
    assert isinstance(empty, Page) and len(empty) == 0 and empty.total_record == 0 and not empty.has_next
    # The newer VAS API's sample (getSubscribeList, docs/cloud-api.md "Enumerations"): plain-number money, ms numbers, upper-case status.
    page = parse_result("getSubscriptionOrderList", load(SAMPLES / "getSubscriptionOrderList.json"))
    (sub,) = page
    assert isinstance(sub, Subscription)
    assert sub.status is SubscriptionStatus.RENEWAL_FAILED
    assert sub.paid_provider is PaidProvider.APPLE_IAP and sub.regular_unit is RegularUnit.DAY
    assert sub.next_time == dt.datetime(2024, 11, 14, 16, 0, tzinfo=UTC)
    assert sub.order.amount_trade == Decimal(99) and sub.order.created_at == dt.datetime(
        2023, 11, 14, 16, 0, tzinfo=UTC
    )
    assert sub.order.status == "FINISH" and sub.order.status.label == "unknown (FINISH)"
    assert sub.order.items[0].title == "云存储"


def test_service_examples() -> None:
    intro = seed("getServiceIntroduction")
    assert isinstance(intro, ServiceIntroduction)
    assert [len(v) for v in intro.modules().values()] == [2, 1, 3, 1, 2]
    assert intro.service_name[0].subtitle == "门铃呼叫,微信接听"
    assert dict(intro.service_name[0].attachments) == {
        "attachment1": "https://xxx.xxx.com/xxx/xxx/xxx.png",
        "attachment2": "https://xxx.xxx.com/xxx/xxx/xxx.png",
    }
    assert intro.config_item[1].sub_type == "exchange" and isinstance(intro.config_item[1].id, int)
    services = seed("getServiceListByDevice")
    assert [type(s) for s in services] == [DeviceService, DeviceService]
    trial, voip = services
    assert trial.tags == (ServiceTag.FREE_TRIAL,) and trial.duration == 3 and trial.start_time is None
    assert trial.has_purchased_order is False and trial.type is CommodityType.CLOUD_STORAGE
    assert voip.start_time == dt.datetime(2024, 8, 6, 10, 12, 19, 94000, tzinfo=UTC)
    assert voip.end_time == dt.datetime(2031, 8, 6, 10, 12, 19, 94000, tzinfo=UTC)


def test_auth_examples() -> None:
    auth = seed("getVoipAuthUser")
    assert isinstance(auth, VoipAuthUser)
    assert (auth.is_auth, auth.is_valid, auth.user_id, auth.auth_update_time) == (True, True, "xxx", None)
    assert seed("saveWXVoipAuth") is True and seed("saveVoipAuthUser") is True
    assert seed("getDeviceWXUserInfo") == WxUserInfo(open_id="xxx", user_id="xxx")


def test_contract_shapes_of_the_calls_without_a_seed_example() -> None:
    buy = parse_result("buyIncreaseServiceByWx", load(SAMPLES / "buyIncreaseServiceByWx.json"))
    assert isinstance(buy, Purchase) and buy.order_status is OrderStatus.CREATED
    assert buy.pay_params["package"] == "prepay_id=wx1"
    done = parse_result("exchangeCode", load(SAMPLES / "exchangeCode.json"))
    assert done == ExchangeResult(True, "voip", dt.datetime(2031, 8, 6, 10, 12, 19, 94000, tzinfo=UTC))
    auth = parse_result("voipServiceAuthorization", load(SAMPLES / "voipServiceAuthorization.json"))
    assert isinstance(auth, VoipAuthorization) and auth.device_name == "门铃"
    long = {"sn": "s", "snTicket": "t", "modelId": "m", "deviceName": "x" * 20}
    assert parse_result("voipServiceAuthorization", long).device_name == "x" * 13


def test_every_call_has_a_parser() -> None:
    sdk = {
        "getCommodityList", "getAppMallInfo", "getDeviceAddValueType", "getDeviceList", "getDeviceCapability",
        "getOrderList", "getSubscriptionOrderList", "getServiceIntroduction", "getServiceListByDevice",
        "getVoipAuthUser", "saveWXVoipAuth", "saveVoipAuthUser", "getDeviceWXUserInfo", "buyIncreaseServiceByWx",
        "exchangeCode", "voipServiceAuthorization",
    }  # fmt: skip
    assert sdk <= set(RESULTS)
    assert parse_result("getDeviceCapability", None) is None and parse_result("getVoipAuthUser", None) is None


# -- malformed answers -----------------------------------------------------------------------------------------
def test_unknown_fields_are_ignored_and_missing_optional_fields_tolerated() -> None:
    raw = {"id": "d1", "name": "n", "icon": "i", "types": [1], "futureField": {"x": 1}}
    assert parse_result("getDeviceList", [raw]).items == (Device("d1", "n", "i", (VasType.VOIP,)),)


@pytest.mark.parametrize(
    ("name", "result", "field"),
    [
        ("getVoipAuthUser", {"userId": "u", "isAuth": "maybe"}, "isAuth"),
        ("getVoipAuthUser", {"isAuth": True}, "userId"),
        ("getDeviceWXUserInfo", {"openId": 0, "userId": "u"}, "openId"),
        ("getDeviceCapability", {"WechatMPAppid": 0, "WechatMPMid": "m"}, "WechatMPAppid"),
        ("getAppMallInfo", {"mallCode": "M", "siteCode": "CN", "currency": "garbage"}, "currency"),
        ("getServiceIntroduction", {"moduleList": "garbage"}, "moduleList"),
        ("exchangeCode", {"serviceCode": "voip", "endTime": "soon"}, "endTime"),
        ("saveWXVoipAuth", "garbage", "result"),
        ("voipServiceAuthorization", {"sn": "s", "snTicket": None, "modelId": "m"}, "snTicket"),
        ("getOrderList", {"data": "garbage"}, "data"),
    ],
)
def test_a_malformed_field_is_named(name: str, result: object, field: str) -> None:
    with pytest.raises(CloudBadResponse) as caught:
        parse_result(name, result, "tid-1")
    assert caught.value.field == field
    assert field in str(caught.value) and caught.value.tid == "tid-1"


def test_a_bad_record_in_a_page_is_an_error_and_the_rest_are_kept() -> None:
    page = json.loads((SEED / "getOrderList.json").read_text())
    good = page["data"][0]
    bad = json.loads(json.dumps(good))
    bad["orderBaseInfo"]["amountTrade"] = {"Value": "abc"}
    page["data"] = [good, bad, good]
    parsed = parse_result("getOrderList", page)
    assert len(parsed.items) == 2
    (err,) = parsed.errors
    assert isinstance(err, CloudBadResponse) and err.field == "data[1].orderBaseInfo.amountTrade"
    with pytest.raises(CloudBadResponse):
        parsed.raise_errors()


def test_a_bad_commodity_in_a_list_is_named_with_its_index() -> None:
    items = json.loads((SEED / "getCommodityList.json").read_text())
    items.append({**items[0], "prices": [{**items[0]["prices"][0], "price": {"Value": "abc"}}]})
    parsed = parse_result("getCommodityList", items)
    assert len(parsed.items) == 1 and [e.field for e in parsed.errors] == ["[1].prices[0].price"]


# -- money and time ------------------------------------------------------------------------------------------
amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False)


@given(amounts, st.sampled_from(["object", "number", "string"]))
def test_any_money_form_gives_the_exact_decimal(amount: Decimal, form: str) -> None:
    text = {"object": f'{{"Value": "{amount}"}}', "number": str(amount), "string": f'"{amount}"'}[form]
    value = _parse.to_money(_parse.loads(text), "price")
    assert isinstance(value, Decimal) and value == amount


@given(st.integers(min_value=0, max_value=10**9))
def test_a_float_the_sandbox_prints_is_read_from_its_digits(cents: int) -> None:
    text = json.dumps(cents / 100)  # what json.dumps(cents / 100) puts on the wire
    assert _parse.to_money(_parse.loads(text), "price") == Decimal(cents) / 100


@given(st.integers(min_value=0, max_value=_parse.MAX_MS), st.booleans())
def test_any_ms_form_gives_the_exact_instant(ms: int, as_string: bool) -> None:
    text = f'"{ms}"' if as_string else str(ms)
    value = _parse.to_time(_parse.loads(text), "gmtCreate")
    assert value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)
    assert value == dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(milliseconds=ms)
    assert (value - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(milliseconds=1) == ms


@pytest.mark.parametrize("bad", [{"Value": "abc"}, "abc", True, None, {"Value": "NaN"}, "Infinity", []])
def test_garbage_money_is_refused(bad: object) -> None:
    with pytest.raises(_parse.Malformed):
        _parse.to_money(bad, "price")


@pytest.mark.parametrize("bad", ["soon", True, -1, "1.5", 10**20, None])
def test_garbage_time_is_refused(bad: object) -> None:
    with pytest.raises(_parse.Malformed):
        _parse.to_time(bad, "gmtCreate")


# -- enumerations --------------------------------------------------------------------------------------------
def test_unseen_codes_read_unknown_never_crash() -> None:
    assert VasType(7).label == "unknown (7)" and not VasType(7).known and int(VasType(7)) == 7
    assert OrderStatus("FINISH").label == "unknown (FINISH)"
    assert label_of(SubscriptionStatus, 99) == "unknown (99)" and label_of(VasType, None) == "—"
    assert parse_result("getDeviceList", [{"id": "d", "types": [9]}])[0].types == (VasType(9),)


def test_unverified_enumerations_are_in_one_table() -> None:
    assert set(UNVERIFIED) == {
        "vasType", "authTag", "categoryCode", "subscriptionStatus", "paidProvider", "regularUnit",
        "optionType", "orderCommodityType",
    }  # fmt: skip
    assert VasType.unverified() and SubscriptionStatus.unverified() and not PeriodUnit.unverified()
    assert CommodityType.CLOUD_STORAGE.label == "cloud storage" and PeriodUnit.WEEK.label == "week"
