"""Small helpers shared by the sandbox tests (raw HTTP with requests; signing from sandbox.signing)."""

from __future__ import annotations

from typing import Any

from tests.fixtures.sandbox import Sandbox

APPS = {
    "wx5d1ac9e5a7f0b001": "sandbox-wechat-secret-001",
    "wx5d1ac9e5a7f0b002": "sandbox-wechat-secret-002",
    "wx5d1ac9e5a7f0b003": "sandbox-wechat-secret-003",
}


def all_pages(box: Sandbox, name: str, params: dict, size: int = 100) -> list[dict]:
    out: list[dict] = []
    page = 1
    while True:
        res = box.result(name, {**params, "pageNo": page, "pageSize": size})
        out += res["data"]
        if page >= res["pageCount"]:
            return out
        page += 1


def devices(box: Sandbox) -> list[dict]:
    return all_pages(box, "ext/listDevicesChanged", {"since": 0})


def voip_devices(box: Sandbox) -> list[dict]:
    """Every VoIP device, with its capability, auth user and the user's openId merged in."""
    out = []
    for dev in devices(box):
        cap = box.result("getDeviceCapability", {"device_id": dev["id"], "code": "tyabiwxrn9"})
        if cap is None:
            continue
        auth = box.result("getVoipAuthUser", {"device_id": dev["id"]})
        info = box.result("getDeviceWXUserInfo", {"app_id": cap["WechatMPAppid"], "user_id": auth["userId"]})
        out.append({**dev, **cap, "auth": auth, "openId": info["openId"]})
    return out


def wx_token(box: Sandbox, app_id: str) -> str:
    body = box.http.get(
        f"{box.url}/cgi-bin/token",
        params={"grant_type": "client_credential", "appid": app_id, "secret": APPS[app_id]},
        timeout=10,
    ).json()
    assert "access_token" in body, body
    return body["access_token"]


def observe(box: Sandbox, token: str, model_id: str, pairs: list[tuple[str, list[str]]]) -> dict:
    body = {"model_id": model_id, "devices": [{"sn": sn, "openid_list": ids} for sn, ids in pairs]}
    return box.http.post(
        f"{box.url}/wxa/business/voip/getIotBindContactList",
        params={"access_token": token},
        json=body,
        timeout=10,
    ).json()


def wechat_status(box: Sandbox, dev: dict, tokens: dict[str, str] | None = None) -> int:
    tokens = tokens if tokens is not None else {}
    app = dev["WechatMPAppid"]
    if app not in tokens:
        tokens[app] = wx_token(box, app)
    body = observe(box, tokens[app], dev["WechatMPMid"], [(dev["uuid"], [dev["openId"]])])
    assert body["errcode"] == 0, body
    return body["contact_list"][0]["status"]


def first(items: list[Any], pred) -> Any:
    return next(x for x in items if pred(x))
