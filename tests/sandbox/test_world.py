"""The seeded world: determinism, stats agreeing with the listings, reset, persistence across restarts."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.fixtures.sandbox import Sandbox, start_sandbox
from tests.sandbox.helpers import all_pages, devices, voip_devices, wechat_status

WORLD = {"homes": 8, "devices_per_home": 3, "orders": 250, "subscriptions": 40, "epoch": "2026-01-01"}


def snapshot(box: Sandbox) -> str:
    """Everything the listings return, as one canonical JSON string."""
    data: dict = {
        "homes": all_pages(box, "ext/listHomes", {}),
        "users": all_pages(box, "ext/listUsers", {}),
        "malls": box.result("ext/listMalls", {}),
        "devices": devices(box),
        "codes": box.control("GET", "exchange-codes"),
    }
    for mall in data["malls"]:
        key = f"{mall['mallCode']}/{mall['siteCode']}"
        data[f"orders {key}"] = all_pages(
            box, "getOrderList", {"mallCode": mall["mallCode"], "siteCode": mall["siteCode"]}
        )
        data[f"subs {key}"] = all_pages(
            box, "getSubscriptionOrderList", {"mallCode": mall["mallCode"], "siteCode": mall["siteCode"]}
        )
    for dev in data["devices"]:
        for name in ("getServiceListByDevice", "getVoipAuthUser", "getCommodityList", "getDeviceCapability"):
            params = {"device_id": dev["id"], "code": "tyabiwxrn9"}
            data[f"{name} {dev['id']}"] = box.result(name, params)
    stats = box.stats()
    data["disagree"] = stats["auth_disagree_devices"]
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def test_same_seed_gives_byte_identical_listings(tmp_path: Path) -> None:
    with start_sandbox(tmp_path / "a", seed=7, **WORLD) as a:
        first = snapshot(a)
    with start_sandbox(tmp_path / "b", seed=7, **WORLD) as b:
        second = snapshot(b)
    with start_sandbox(tmp_path / "c", seed=8, **WORLD) as c:
        other = snapshot(c)
    assert first == second
    assert first != other


def test_world_looks_like_the_business(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    devs = devices(box)
    names = " ".join(d["name"] + d["locationName"] for d in devs)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in names), "some Chinese names"
    assert any(ch.isascii() and ch.isalpha() for ch in names), "some English names"
    voip = [d for d in devs if 1 in d["types"]]
    assert 0 < len(devs) - len(voip) < len(devs) * 0.4, "some devices lack VoIP"
    malls = box.result("ext/listMalls", {})
    assert {(m["siteCode"], m["currency"]) for m in malls} == {("CN", "CNY"), ("US", "USD")}
    tags = Counter()
    for dev in devs:
        for svc in box.result("getServiceListByDevice", {"device_id": dev["id"]}):
            tags.update(svc["tags"])
            tags["permanent"] += svc["isPermanent"]
            if "endTime" in svc and svc["endTime"] < time.time() * 1000:
                tags["expired"] += 1
    assert tags["freeTrial"] and tags["automaticRenewal"] and tags["permanent"] and tags["expired"], tags
    types = {c["type"] for d in devs for c in box.result("getCommodityList", {"device_id": d["id"]})}
    assert types == {0, 1, 2}
    users = all_pages(box, "ext/listUsers", {})
    assert all(u["userId"] and u["userName"] and u["avatarUrl"].startswith("https://") for u in users)


def test_stats_equal_what_the_listings_return(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    stats = box.stats()
    assert stats["homes"] == len(all_pages(box, "ext/listHomes", {}))
    assert stats["users"] == len(all_pages(box, "ext/listUsers", {}))
    devs = devices(box)
    assert stats["devices"] == len(devs)
    malls = box.result("ext/listMalls", {})
    assert stats["malls"] == len(malls)
    orders, subs = Counter(), Counter()
    for mall in malls:
        where = {"mallCode": mall["mallCode"], "siteCode": mall["siteCode"]}
        orders.update(
            o["orderBaseInfo"]["orderStatus"] for o in all_pages(box, "getOrderList", where, size=500)
        )
        subs.update(str(s["status"]) for s in all_pages(box, "getSubscriptionOrderList", where, size=500))
    assert stats["orders"] == sum(orders.values())
    assert stats["orders_by_status"] == dict(orders)
    assert len(orders) == 11, "every OrderStatus of the seed occurs"
    assert stats["subscriptions"] == sum(subs.values())
    assert stats["subscriptions_by_status"] == dict(subs)
    assert set(subs) == {"1", "2", "3", "4", "5"}
    codes = Counter(c["state"] for c in box.control("GET", "exchange-codes"))
    assert stats["exchange_codes"] == {
        "valid": codes["valid"],
        "used": codes["used"],
        "expired": codes["expired"],
    }
    assert min(codes.values()) > 0

    # auth_disagree: cloud isAuth vs WeChat's status for the auth user's openid, observed over HTTP.
    voip = voip_devices(box)
    assert stats["voip_devices"] == len(voip)
    tokens: dict[str, str] = {}
    disagree = sorted(d["id"] for d in voip if int(d["auth"]["isAuth"]) != wechat_status(box, d, tokens))
    assert sorted(stats["auth_disagree_devices"]) == disagree
    assert stats["auth_disagree"] == len(disagree) > 0


def test_reset_restores_the_seed_quickly(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    before = box.stats()
    dev = voip_devices(box)[0]
    box.result("saveWXVoipAuth", {"device_id": dev["id"], "auth_tag": 1 - int(dev["auth"]["isAuth"])})
    box.control("POST", "wechat/flip", {"count": 2})
    assert box.stats()["save_wx_voip_auth_total"] == 1
    started = time.monotonic()
    res = box.reset()
    assert time.monotonic() - started < 0.5
    assert res["ok"]
    after = box.stats()
    for key in ("orders_by_status", "auth_disagree_devices", "save_wx_voip_auth", "exchange_codes"):
        assert after[key] == before[key]


@pytest.mark.slow
def test_writes_persist_across_restarts(tmp_path: Path) -> None:
    with start_sandbox(tmp_path, seed=3, **WORLD) as box:
        dev = voip_devices(box)[0]
        new = 1 - int(dev["auth"]["isAuth"])
        assert box.result("saveWXVoipAuth", {"device_id": dev["id"], "auth_tag": new}) is True
    with start_sandbox(tmp_path, seed=3, **WORLD) as box:
        assert int(box.result("getVoipAuthUser", {"device_id": dev["id"]})["isAuth"]) == new
        assert box.stats()["save_wx_voip_auth"] == {dev["id"]: 1}
        box.reset()
        assert int(box.result("getVoipAuthUser", {"device_id": dev["id"]})["isAuth"]) == 1 - new
    log = (tmp_path / "sandbox.log").read_text()
    assert "reusing the seeded world" in log
