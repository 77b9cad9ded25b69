"""Tuya conventions: the envelope, HMAC-SHA256 signing, token grant/refresh/expiry and their error codes."""

from __future__ import annotations

import time

from sandbox import signing
from tests.fixtures.sandbox import Sandbox

ORDER_PATH = "/v1.0/vas/voip/ext/listMalls"


def raw(
    box: Sandbox, method: str, path: str, body: object | None = None, token: str | None = None, **over
) -> dict:
    data = signing.dumps(body) if body is not None else b""
    headers = signing.signed_headers(
        method,
        path,
        data,
        over.pop("client_id", box.client_id),
        over.pop("secret", box.client_secret),
        token,
        nonce=over.pop("nonce", None),
        t=over.pop("t", None),
    )
    headers.update(over.pop("headers", {}))
    return box.http.request(method, box.url + path, data=data or None, headers=headers, timeout=10).json()


def grant(box: Sandbox) -> dict:
    env = raw(box, "GET", "/v1.0/token?grant_type=1")
    assert env["success"], env
    return env["result"]


def test_token_and_envelope(sandbox_clean: Sandbox) -> None:
    env = raw(sandbox_clean, "GET", "/v1.0/token?grant_type=1")
    assert env["success"] is True and isinstance(env["t"], int) and len(str(env["t"])) == 13 and env["tid"]
    assert set(env["result"]) == {"access_token", "refresh_token", "expire_time", "uid"}
    assert env["result"]["expire_time"] == 7200
    ok = raw(sandbox_clean, "POST", ORDER_PATH, {}, env["result"]["access_token"])
    assert ok["success"] and isinstance(ok["result"], list)
    bad = raw(
        sandbox_clean, "POST", "/v1.0/vas/voip/getDeviceList", {"owner_id": ""}, env["result"]["access_token"]
    )
    assert bad["success"] is False and bad["code"] == 1109 and bad["msg"] and bad["tid"]


def test_wrong_secret_or_sign_is_1004(sandbox_clean: Sandbox) -> None:
    assert raw(sandbox_clean, "GET", "/v1.0/token?grant_type=1", secret="wrong")["code"] == 1004
    token = grant(sandbox_clean)["access_token"]
    assert raw(sandbox_clean, "POST", ORDER_PATH, {}, token, secret="wrong")["code"] == 1004
    assert raw(sandbox_clean, "POST", ORDER_PATH, {}, token, headers={"sign": "0" * 64})["code"] == 1004


def test_other_header_errors(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    token = grant(box)["access_token"]
    assert raw(box, "POST", ORDER_PATH, {}, token, client_id="someone-else")["code"] == 1005
    assert raw(box, "POST", ORDER_PATH, {})["code"] == 1002
    old = int(time.time() * 1000) - 16 * 60 * 1000
    assert raw(box, "POST", ORDER_PATH, {}, token, t=old)["code"] == 1013
    assert raw(box, "GET", "/v1.0/token?grant_type=2")["code"] == 1003
    assert raw(box, "POST", "/v1.0/vas/voip/noSuchCall", {}, token)["code"] == 1108
    assert raw(box, "POST", "/v1.0/devices/x", {}, token)["code"] == 1106


def test_nonce_and_sorted_query_are_signed(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    token = grant(box)["access_token"]
    assert raw(box, "POST", ORDER_PATH, {}, token, nonce="5138cc3a9033d69856923fd07b491173")["success"]
    # The server sorts the query itself: a client that signs the sorted form may send any order.
    data = b"{}"
    headers = signing.signed_headers(
        "POST", ORDER_PATH + "?b=2&a=1", data, box.client_id, box.client_secret, token
    )
    resp = box.http.post(box.url + ORDER_PATH + "?b=2&a=1", data=data, headers=headers, timeout=10).json()
    assert resp["success"], resp
    assert signing.canonical_url("/p", "b=2&a=1") == "/p?a=1&b=2"


def test_known_signature_vector() -> None:
    sts = signing.string_to_sign("GET", "/v1.0/token?grant_type=1", b"")
    assert (
        sts
        == "GET\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\n/v1.0/token?grant_type=1"
    )
    sign = signing.sign("secret", "cid", "1700000000000", sts)
    assert len(sign) == 64 and sign == sign.upper()


def test_expired_token_is_1010(sandbox_clean: Sandbox) -> None:
    token = grant(sandbox_clean)["access_token"]
    sandbox_clean.control("POST", "tokens/expire")
    assert raw(sandbox_clean, "POST", ORDER_PATH, {}, token)["code"] == 1010


def test_refreshed_away_token_is_1011(sandbox_clean: Sandbox) -> None:
    box = sandbox_clean
    first = grant(box)
    env = raw(box, "GET", f"/v1.0/token/{first['refresh_token']}")
    assert env["success"], env
    second = env["result"]
    assert second["access_token"] != first["access_token"]
    assert raw(box, "POST", ORDER_PATH, {}, first["access_token"])["code"] == 1011
    assert raw(box, "POST", ORDER_PATH, {}, second["access_token"])["success"]
    # The refresh token works once.
    assert raw(box, "GET", f"/v1.0/token/{first['refresh_token']}")["code"] == 1011
    # A new grant invalidates the previous access token of that client too.
    third = grant(box)
    assert raw(box, "POST", ORDER_PATH, {}, second["access_token"])["code"] == 1011
    assert raw(box, "POST", ORDER_PATH, {}, third["access_token"])["success"]
    # An expired token can still be refreshed.
    box.control("POST", "tokens/expire")
    assert raw(box, "POST", ORDER_PATH, {}, third["access_token"])["code"] == 1010
    assert raw(box, "GET", f"/v1.0/token/{third['refresh_token']}")["success"]
