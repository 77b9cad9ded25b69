"""WeChat server side: access tokens, sn tickets and the authorization observation endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox import catalog as C
from sandbox.errors import WeChatError
from sandbox.store import now_ms
from sandbox.wechat_state import MAX_OBSERVED_DEVICES, check_sn

if TYPE_CHECKING:
    from sandbox.app import App


def parse_observation(app_id: str, body: dict) -> tuple[str, list[tuple[str, list[str]]]]:
    """Validate the getIotBindContactList body (batch or single form)."""
    if not isinstance(body, dict):
        raise WeChatError(47001, "data format error")
    model_id = body.get("model_id")
    if "devices" in body:
        devices = body["devices"]
    elif "sn" in body:
        devices = [{"sn": body.get("sn"), "openid_list": body.get("openid_list")}]
    else:
        raise WeChatError(47001, "data format error")
    if not isinstance(model_id, str) or not isinstance(devices, list):
        raise WeChatError(47001, "data format error")
    if not 1 <= len(devices) <= MAX_OBSERVED_DEVICES:
        raise WeChatError(40097, f"invalid args: 1..{MAX_OBSERVED_DEVICES} devices")
    if model_id not in C.MODELS_BY_APP[app_id]:
        raise WeChatError(9800003, "model_id check failed")
    out = []
    for dev in devices:
        if not isinstance(dev, dict) or not isinstance(dev.get("sn"), str):
            raise WeChatError(47001, "data format error")
        openids = dev.get("openid_list")
        if not isinstance(openids, list) or not openids or not all(isinstance(o, str) for o in openids):
            raise WeChatError(40097, "invalid args: openid_list")
        check_sn(dev["sn"])
        out.append((dev["sn"], openids))
    return model_id, out


def observe(app: App, app_id: str, body: dict) -> dict:
    model_id, devices = parse_observation(app_id, body)
    code = app.faults.wechat_admit()
    if code == 45009:
        raise WeChatError(45009, "reach max api daily quota limit")
    if code == 45011:
        raise WeChatError(45011, "api freq out of limit, must slower, retry next second")
    sns = [sn for sn, _ in devices]
    rows = app.store.query(
        f"SELECT open_id, sn, status FROM wx_auth WHERE sn IN ({','.join('?' * len(sns))}) "  # noqa: S608
        "AND app_id = ? AND model_id = ?",
        [*sns, app_id, model_id],
    )
    truth = {(r["open_id"], r["sn"]): r["status"] for r in rows}
    contact = [
        {"sn": sn, "model_id": model_id, "openid": oid, "status": 1 if truth.get((oid, sn)) == 1 else 0}
        for sn, openids in devices
        for oid in openids
    ]
    return {"errcode": 0, "errmsg": "ok", "observed_at": now_ms(), "contact_list": contact}
