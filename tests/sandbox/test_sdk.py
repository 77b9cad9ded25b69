"""The 16 SDK calls: seed shapes, quirks, exchange codes, purchases, auth saves, faults."""

from __future__ import annotations

import time

import pytest
import requests

from tests.fixtures.sandbox import Sandbox
from tests.sandbox.helpers import all_pages, devices, first, voip_devices
from tests.sandbox.shapes import EXAMPLES, is_money, problems


@pytest.fixture
def world(sandbox_clean: Sandbox) -> dict:
    devs = devices(sandbox_clean)
    voip = voip_devices(sandbox_clean)
    homes = {h["ownerId"]: h for h in all_pages(sandbox_clean, "ext/listHomes", {})}
    return {"devices": devs, "voip": voip, "homes": homes}


def _buy_params(box: Sandbox, dev: dict, option_type: int = 0) -> dict:
    mall = box.result("getAppMallInfo", {"device_id": dev["id"], "catalog_code": "VOIP"})
    com = first(box.result("getCommodityList", {"device_id": dev["id"]}), lambda c: c["type"] == 1)
    price = first(com["prices"], lambda p: p["optionType"] == option_type)
    return {
        "device_id": dev["id"],
        "mallCode": mall["mallCode"],
        "siteCode": mall["siteCode"],
        "currency": mall["currency"],
        "skuCode": com["skuCode"],
        "optionType": str(price["optionType"]),
        "optionNo": str(price["optionNo"]),
        "homeId": dev["ownerId"],
        "openId": dev["openId"],
        "name": dev["name"],
        "uuid": dev["uuid"],
        "wxAppId": dev["WechatMPAppid"],
    }


def test_every_sdk_call_answers_its_seed_shape(sandbox_clean: Sandbox, world: dict) -> None:
    box = sandbox_clean
    dev = world["voip"][0]
    mall = box.result("getAppMallInfo", {"device_id": dev["id"], "catalog_code": "CLOUD_STORAGE"})
    where = {"mallCode": mall["mallCode"], "siteCode": mall["siteCode"], "pageNo": 1, "pageSize": 5}
    code = first(box.control("GET", "exchange-codes"), lambda c: c["state"] == "valid")
    calls = {
        "getCommodityList": {"device_id": dev["id"]},
        "getAppMallInfo": {"device_id": dev["id"], "catalog_code": "CLOUD_STORAGE"},
        "getDeviceAddValueType": {"device_id": dev["id"]},
        "getDeviceList": {"owner_id": dev["ownerId"]},
        "getDeviceCapability": {"device_id": dev["id"], "code": "tyabiwxrn9"},
        "getOrderList": {**where, "orderStatusList": ["created", "finished", "canceled", "closed"]},
        "getSubscriptionOrderList": where,
        "getServiceIntroduction": {"categoryCode": "voip"},
        "getServiceListByDevice": {"device_id": dev["id"]},
        "getVoipAuthUser": {"device_id": dev["id"]},
        "saveWXVoipAuth": {"device_id": dev["id"], "auth_tag": 1},
        "saveVoipAuthUser": {"device_id": dev["id"], "user_id": dev["auth"]["userId"]},
        "getDeviceWXUserInfo": {"app_id": dev["WechatMPAppid"], "user_id": dev["auth"]["userId"]},
        "buyIncreaseServiceByWx": _buy_params(box, dev),
        "exchangeCode": None,
        "voipServiceAuthorization": {"device_id": dev["id"], "name": dev["name"], "uuid": dev["uuid"]},
    }
    exchange_dev = first(
        world["devices"],
        lambda d: {"VOIP": 1, "CLOUD_STORAGE": 0, "AI": 2}[code["catalogCode"]] in d["types"],
    )
    calls["exchangeCode"] = {
        "device_id": exchange_dev["id"],
        "catalog_code": code["catalogCode"],
        "homeId": exchange_dev["ownerId"],
        "code": code["code"],
        "name": exchange_dev["name"],
        "uuid": exchange_dev["uuid"],
    }
    assert set(calls) == set(EXAMPLES)
    for name, params in calls.items():
        result = box.result(name, params)
        assert not problems(EXAMPLES[name], result, name), (name, problems(EXAMPLES[name], result, name))
        if isinstance(EXAMPLES[name], list | dict) and name != "getSubscriptionOrderList":
            assert result, f"{name} returned an empty result"
    # Extensions on top of the seed.
    assert "uuid" in box.result("getDeviceList", {"owner_id": dev["ownerId"]})[0]
    assert "authUpdateTime" in box.result("getVoipAuthUser", {"device_id": dev["id"]})
    order = box.result("getOrderList", where)["data"][0]["orderBaseInfo"]
    assert {"deviceId", "homeId", "uid", "gmtModified"} <= set(order)
    auth = box.result(
        "voipServiceAuthorization",
        {"device_id": dev["id"], "name": "一个很长很长很长的设备名字啊啊啊", "uuid": dev["uuid"]},
    )
    assert (
        len(auth["deviceName"]) == 13 and auth["sn"] == dev["uuid"] and auth["modelId"] == dev["WechatMPMid"]
    )


def test_service_list_items_have_the_common_keys(sandbox_clean: Sandbox, world: dict) -> None:
    seen_window = False
    for dev in world["devices"]:
        for svc in sandbox_clean.result("getServiceListByDevice", {"device_id": dev["id"]}):
            assert {"code", "isAY", "isFree", "name", "isExit", "type", "tags"} <= set(svc)
            seen_window |= {"startTime", "endTime"} <= set(svc)
    assert seen_window


def test_money_and_time_quirks(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    shapes: set[str] = set()
    extras = 0
    for mall in box.result("ext/listMalls", {}):
        for order in all_pages(
            box, "getOrderList", {"mallCode": mall["mallCode"], "siteCode": mall["siteCode"]}, 500
        ):
            base = order["orderBaseInfo"]
            assert (
                isinstance(base["gmtCreate"], str)
                and base["gmtCreate"].isdigit()
                and len(base["gmtCreate"]) == 13
            )
            assert isinstance(base["gmtModified"], int)
            assert is_money(base["amountTrade"])
            shapes.add(type(base["amountTrade"]).__name__)
            extras += bool(
                set(base)
                - set(EXAMPLES["getOrderList"]["data"][0]["orderBaseInfo"])
                - {"tradeType", "deviceId", "homeId", "uid", "gmtModified"}
            )
    assert {"dict", "str"} <= shapes and ({"int", "float"} & shapes)
    assert extras > 0, "an occasional unknown extra field"


def test_device_errors(sandbox_clean: Sandbox, world: dict) -> None:
    box = sandbox_clean
    assert box.call("getVoipAuthUser", {"device_id": "nope"})["code"] == 40000901
    plain = first(world["devices"], lambda d: 1 not in d["types"])
    assert box.result("getDeviceCapability", {"device_id": plain["id"], "code": "tyabiwxrn9"}) is None
    env = box.call("voipServiceAuthorization", {"device_id": plain["id"], "name": "x", "uuid": plain["uuid"]})
    assert env["code"] == 40000903
    dev = world["voip"][0]
    assert box.call("saveVoipAuthUser", {"device_id": dev["id"], "user_id": "unknown-user"})["code"] == 1109
    assert box.call("saveWXVoipAuth", {"device_id": dev["id"], "auth_tag": 7})["code"] == 1109
    assert box.call("getServiceIntroduction", {"categoryCode": "nope"})["code"] == 1109


def test_order_filters_and_changed_since(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    mall = box.result("ext/listMalls", {})[0]
    where = {"mallCode": mall["mallCode"], "siteCode": mall["siteCode"], "pageNo": 1, "pageSize": 50}
    page = box.result("getOrderList", {**where, "orderStatusList": ["refunded"]})
    assert all(o["orderBaseInfo"]["orderStatus"] == "refunded" for o in page["data"])
    newest = box.result("getOrderList", where)["data"]
    created = [int(o["orderBaseInfo"]["gmtCreate"]) for o in newest]
    assert created == sorted(created, reverse=True)
    target = newest[-1]["orderBaseInfo"]
    assert (
        box.result("getOrderList", {**where, "searchKey": target["orderId"]})["data"][0]["orderBaseInfo"][
            "orderId"
        ]
        == target["orderId"]
    )
    since = int(time.time() * 1000)
    touched = box.control("POST", "touch-order", {"orderId": target["orderId"], "orderStatus": "refunded"})
    assert touched["gmtModified"] >= since
    changed = box.result("getOrderList", {**where, "changedSince": since})
    assert [o["orderBaseInfo"]["orderId"] for o in changed["data"]] == [target["orderId"]]
    assert changed["data"][0]["orderBaseInfo"]["orderStatus"] == "refunded"


def test_exchange_code_refusals_are_distinct(sandbox_clean: Sandbox, world: dict) -> None:
    box = sandbox_clean
    codes = box.control("GET", "exchange-codes")
    type_of = {"VOIP": 1, "CLOUD_STORAGE": 0, "AI": 2}

    def redeem(code: dict | str, catalog: str | None = None) -> dict:
        text = code if isinstance(code, str) else code["code"]
        catalog = catalog or code["catalogCode"]
        dev = first(world["devices"], lambda d: type_of[catalog] in d["types"])
        return box.call(
            "exchangeCode",
            {
                "device_id": dev["id"],
                "catalog_code": catalog,
                "homeId": dev["ownerId"],
                "code": text,
                "name": dev["name"],
                "uuid": dev["uuid"],
            },
        )

    used = redeem(first(codes, lambda c: c["state"] == "used"))
    expired = redeem(first(codes, lambda c: c["state"] == "expired"))
    invalid = redeem("NOSUCHCODE42", "CLOUD_STORAGE")
    assert (used["code"], expired["code"], invalid["code"]) == (28841301, 28841302, 28841303)
    valid = first(codes, lambda c: c["state"] == "valid")
    ok = redeem(valid)
    assert (
        ok["success"]
        and ok["result"]["success"] is True
        and ok["result"]["serviceCode"] == valid["serviceCode"]
    )
    assert ok["result"]["endTime"] > time.time() * 1000
    assert redeem(valid)["code"] == 28841301
    assert box.stats()["exchange_codes"]["used"] == sum(c["state"] == "used" for c in codes) + 1


def test_buy_is_created_then_paid(sandbox_clean: Sandbox, world: dict) -> None:
    box = sandbox_clean
    dev = world["voip"][0]
    before = {s["code"]: s for s in box.result("getServiceListByDevice", {"device_id": dev["id"]})}
    params = _buy_params(box, dev)
    res = box.result("buyIncreaseServiceByWx", params)
    assert res["orderStatus"] == "created" and res["payParams"]["appId"] == dev["WechatMPAppid"]
    where = {"mallCode": params["mallCode"], "siteCode": params["siteCode"], "pageNo": 1, "pageSize": 5}

    def status() -> str:
        data = box.result("getOrderList", {**where, "searchKey": res["orderId"]})["data"]
        return data[0]["orderBaseInfo"]["orderStatus"]

    assert status() == "created"
    deadline = time.monotonic() + 6
    while status() != "paid" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status() == "paid"
    after = {s["code"]: s for s in box.result("getServiceListByDevice", {"device_id": dev["id"]})}
    assert after["voip"]["isPermanent"] or after["voip"]["endTime"] > before.get("voip", {}).get("endTime", 0)
    # /_control/pay completes a pending purchase at once.
    second = box.result("buyIncreaseServiceByWx", params)
    assert box.control("POST", "pay", {"orderId": second["orderId"]})["orderStatus"] == "paid"
    with pytest.raises(requests.HTTPError):
        box.control("POST", "pay", {"orderId": second["orderId"]})
    bad = box.call("buyIncreaseServiceByWx", {**params, "uuid": "someone-else"})
    assert bad["code"] == 1109


def test_subscription_purchase_starts_a_subscription(sandbox_clean: Sandbox, world: dict) -> None:
    box = sandbox_clean
    dev = world["voip"][0]
    params = _buy_params(box, dev, option_type=1)
    res = box.result("buyIncreaseServiceByWx", params)
    box.control("POST", "pay", {"orderId": res["orderId"]})
    subs = all_pages(
        box, "getSubscriptionOrderList", {"mallCode": params["mallCode"], "siteCode": params["siteCode"]}
    )
    mine = [s for s in subs if s["orderListModel"]["orderId"] == res["orderId"]]
    assert len(mine) == 1 and mine[0]["status"] == 1 and mine[0]["deviceId"] == dev["id"]


def test_save_wx_voip_auth_is_counted_per_device(sandbox_clean: Sandbox, world: dict) -> None:
    box = sandbox_clean
    a, b = world["voip"][:2]
    for _ in range(3):
        assert box.result("saveWXVoipAuth", {"device_id": a["id"], "auth_tag": 1}) is True
    assert box.result("saveWXVoipAuth", {"device_id": b["id"], "auth_tag": 0}) is True
    stats = box.stats()
    assert stats["save_wx_voip_auth"] == {a["id"]: 3, b["id"]: 1}
    assert stats["save_wx_voip_auth_total"] == 4
    auth = box.result("getVoipAuthUser", {"device_id": b["id"]})
    assert auth["isAuth"] is False
    if b["auth"]["isAuth"]:
        assert auth["authUpdateTime"] > b["auth"]["authUpdateTime"]


def test_malformed_rate_one_produces_a_named_garbage_field(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    mall = box.result("ext/listMalls", {})[0]
    box.faults(malformed_rate=1)
    token = box.token()
    resp = box.request(
        "POST",
        "/v1.0/vas/voip/getOrderList",
        {"mallCode": mall["mallCode"], "siteCode": mall["siteCode"], "pageNo": 1, "pageSize": 10},
        token,
    )
    field = resp.headers["X-Sandbox-Malformed"]
    value = resp.json()["result"]
    for part in field.replace("]", "").replace("[", ".").split("."):
        value = value[int(part)] if part.isdigit() else value[part]
    assert value in ({"Value": "abc"}, "soon", "maybe", "garbage", 0)
    box.faults()
    assert "X-Sandbox-Malformed" not in box.request("POST", "/v1.0/vas/voip/ext/listMalls", {}, token).headers


def test_error_timeout_and_latency_faults(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    token = box.token()
    box.faults(error_rate=1)
    for _ in range(4):
        resp = box.request("POST", "/v1.0/vas/voip/ext/listMalls", {}, token)
        assert (resp.status_code, resp.json()["code"]) in ((500, 500), (503, 1111))
    # Token calls are never faulted.
    assert box.request("GET", "/v1.0/token?grant_type=1").json()["success"]
    token = box.token(fresh=True)
    box.faults(timeout_rate=1, timeout_ms=300)
    started = time.monotonic()
    assert box.request("POST", "/v1.0/vas/voip/ext/listMalls", {}, token).json()["success"]
    assert time.monotonic() - started >= 0.3
    box.faults(latency_ms=150)
    started = time.monotonic()
    assert box.request("POST", "/v1.0/vas/voip/ext/listMalls", {}, token).json()["success"]
    assert time.monotonic() - started >= 0.15
    box.faults(cloud_qps=2)
    codes = [
        box.request("POST", "/v1.0/vas/voip/ext/listMalls", {}, token).json().get("code") for _ in range(6)
    ]
    assert 1199 in codes
    box.faults()
