"""WeChat side: tokens, sn tickets, the observation endpoint, quotas, and the truth controls (flip, clear)."""

from __future__ import annotations

import pytest

from tests.fixtures.sandbox import Sandbox
from tests.sandbox.helpers import APPS, observe, voip_devices, wechat_status, wx_token

APP = "wx5d1ac9e5a7f0b001"


@pytest.fixture
def voip(sandbox_clean: Sandbox) -> list[dict]:
    return voip_devices(sandbox_clean)


def get_token(box: Sandbox, **params: str) -> dict:
    return box.http.get(f"{box.url}/cgi-bin/token", params=params, timeout=10).json()


def test_token_errors_and_rid(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    ok = get_token(box, grant_type="client_credential", appid=APP, secret=APPS[APP])
    assert set(ok) == {"access_token", "expires_in"} and ok["expires_in"] == 7200
    cases = {
        40125: {"grant_type": "client_credential", "appid": APP, "secret": "wrong"},
        41002: {"grant_type": "client_credential", "secret": APPS[APP]},
        41004: {"grant_type": "client_credential", "appid": APP},
        40002: {"grant_type": "password", "appid": APP, "secret": APPS[APP]},
        40013: {"grant_type": "client_credential", "appid": "wx0000000000000000", "secret": "x"},
    }
    for code, params in cases.items():
        body = get_token(box, **params)
        assert body["errcode"] == code and " rid: " in body["errmsg"]


def test_access_token_errors(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    dev = voip[0]
    pairs = [(dev["uuid"], [dev["openId"]])]
    assert observe(box, "not-a-token", dev["WechatMPMid"], pairs)["errcode"] == 40014
    app = dev["WechatMPAppid"]
    token = wx_token(box, app)
    assert observe(box, token, dev["WechatMPMid"], pairs)["errcode"] == 0
    # A newer token leaves the old one valid for a 300 s overlap.
    wx_token(box, app)
    assert observe(box, token, dev["WechatMPMid"], pairs)["errcode"] == 0
    box.control("POST", "tokens/expire")
    assert observe(box, token, dev["WechatMPMid"], pairs)["errcode"] == 42001


def test_stable_token(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    url = f"{box.url}/cgi-bin/stable_token"
    body = {"grant_type": "client_credential", "appid": APP, "secret": APPS[APP]}
    a = box.http.post(url, json=body, timeout=10).json()
    b = box.http.post(url, json=body, timeout=10).json()
    assert a["access_token"] == b["access_token"] and a["expires_in"] > 300
    forced = box.http.post(url, json={**body, "force_refresh": True}, timeout=10).json()
    assert forced["access_token"] != a["access_token"]
    again = box.http.post(url, json={**body, "force_refresh": True}, timeout=10).json()
    assert again["errcode"] == 45011
    assert box.http.post(url, json={**body, "secret": "x"}, timeout=10).json()["errcode"] == 40125
    assert box.http.post(url, json={**body, "appid": ""}, timeout=10).json()["errcode"] == 41002
    assert box.http.post(url, json={**body, "secret": ""}, timeout=10).json()["errcode"] == 41004


def test_getsnticket(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    dev = voip[0]
    token = wx_token(box, dev["WechatMPAppid"])
    url = f"{box.url}/wxa/getsnticket"

    def ticket(sn: str, model: str) -> dict:
        return box.http.post(
            url, params={"access_token": token}, json={"sn": sn, "model_id": model}, timeout=10
        ).json()

    ok = ticket(dev["uuid"], dev["WechatMPMid"])
    assert ok["errcode"] == 0 and ok["errmsg"] == "ok" and ok["sn_ticket"]
    assert ticket("x" * 129, dev["WechatMPMid"])["errcode"] == 9800001
    assert ticket("bad sn!", dev["WechatMPMid"])["errcode"] == 9800002
    assert ticket(dev["uuid"], "nope")["errcode"] == 9800003


def test_observation_batch_and_single_forms(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    dev = voip[0]
    same = [d for d in voip if d["WechatMPMid"] == dev["WechatMPMid"]][:5]
    token = wx_token(box, dev["WechatMPAppid"])
    body = observe(box, token, dev["WechatMPMid"], [(d["uuid"], [d["openId"], "ounknown"]) for d in same])
    assert body["errcode"] == 0 and body["errmsg"] == "ok" and isinstance(body["observed_at"], int)
    assert len(body["contact_list"]) == 2 * len(same)
    assert {c["status"] for c in body["contact_list"] if c["openid"] == "ounknown"} == {0}
    single = box.http.post(
        f"{box.url}/wxa/business/voip/getIotBindContactList",
        params={"access_token": token},
        json={"sn": dev["uuid"], "model_id": dev["WechatMPMid"], "openid_list": [dev["openId"]]},
        timeout=10,
    ).json()
    assert single["contact_list"] == [
        c for c in body["contact_list"] if c["sn"] == dev["uuid"] and c["openid"] == dev["openId"]
    ]
    too_many = observe(box, token, dev["WechatMPMid"], [(f"sn{i}", ["o"]) for i in range(51)])
    assert too_many["errcode"] != 0
    assert observe(box, token, "wrong-model", [(dev["uuid"], [dev["openId"]])])["errcode"] == 9800003


def test_qps_limit_gives_45011(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    dev = voip[0]
    token = wx_token(box, dev["WechatMPAppid"])
    box.faults(wechat_qps=3)
    codes = [
        observe(box, token, dev["WechatMPMid"], [(dev["uuid"], [dev["openId"]])])["errcode"] for _ in range(8)
    ]
    assert codes.count(45011) >= 1
    # Within one second window at most 3 pass; over a few windows the first calls of each pass.
    assert codes[0] == 0


def test_daily_quota_gives_45009(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    dev = voip[0]
    token = wx_token(box, dev["WechatMPAppid"])
    box.faults(wechat_daily_quota=4)
    codes = [
        observe(box, token, dev["WechatMPMid"], [(dev["uuid"], [dev["openId"]])])["errcode"] for _ in range(6)
    ]
    assert codes == [0, 0, 0, 0, 45009, 45009]
    box.faults()
    assert observe(box, token, dev["WechatMPMid"], [(dev["uuid"], [dev["openId"]])])["errcode"] == 0


def test_wechat_error_fault_is_minus_one(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    dev = voip[0]
    token = wx_token(box, dev["WechatMPAppid"])
    box.faults(error_rate=1)
    body = observe(box, token, dev["WechatMPMid"], [(dev["uuid"], [dev["openId"]])])
    assert body["errcode"] == -1 and " rid: " in body["errmsg"]
    assert "access_token" in get_token(box, grant_type="client_credential", appid=APP, secret=APPS[APP])


def test_flip_changes_exactly_k_devices(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    before = box.stats()
    tokens: dict[str, str] = {}
    truth = {d["id"]: wechat_status(box, d, tokens) for d in voip}
    flipped = box.control("POST", "wechat/flip", {"count": 3})["devices"]
    assert len(flipped) == 3 and not set(flipped) & set(before["auth_disagree_devices"])
    after = box.stats()
    assert after["auth_disagree"] == before["auth_disagree"] + 3
    assert set(after["auth_disagree_devices"]) == set(before["auth_disagree_devices"]) | set(flipped)
    changed = {d["id"] for d in voip if wechat_status(box, d, tokens) != truth[d["id"]]}
    assert changed == set(flipped)


def test_clear_drops_every_authorization_of_an_openid(sandbox_clean: Sandbox, voip: list[dict]) -> None:
    box = sandbox_clean
    tokens: dict[str, str] = {}
    authorized = [d for d in voip if wechat_status(box, d, tokens) == 1]
    by_openid: dict[str, list[dict]] = {}
    for d in authorized:
        by_openid.setdefault(d["openId"], []).append(d)
    openid, devs = max(by_openid.items(), key=lambda kv: len(kv[1]))
    res = box.control("POST", "wechat/clear", {"openid": openid})
    assert res["cleared"] >= len(devs)
    assert all(wechat_status(box, d, tokens) == 0 for d in devs)
    others = [d for d in authorized if d["openId"] != openid]
    assert all(wechat_status(box, d, tokens) == 1 for d in others)
    assert box.control("POST", "wechat/clear", {"openid": openid})["cleared"] == 0
