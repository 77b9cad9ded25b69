"""Tuya OpenAPI request signing (new algorithm, HMAC-SHA256), shared by the server, the load script and tests.

stringToSign = METHOD \\n hex(sha256(body)) \\n Headers \\n URL
sign = UPPER(hex(HMAC_SHA256(secret, client_id + [access_token] + t + [nonce] + stringToSign)))
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl, urlsplit

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def canonical_url(path: str, query: str = "") -> str:
    """PATH[?k=v&...] with the query parameters sorted by key, values not URL-encoded."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return path
    return path + "?" + "&".join(f"{k}={v}" for k, v in sorted(pairs))


def string_to_sign(method: str, url: str, body: bytes = b"", headers_block: str = "") -> str:
    parts = urlsplit(url)
    return "\n".join(
        [
            method.upper(),
            hashlib.sha256(body or b"").hexdigest(),
            headers_block,
            canonical_url(parts.path, parts.query),
        ]
    )


def sign(secret: str, client_id: str, t: str, sts: str, access_token: str = "", nonce: str = "") -> str:
    message = client_id + access_token + t + nonce + sts
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest().upper()


def signed_headers(
    method: str,
    url: str,
    body: bytes,
    client_id: str,
    secret: str,
    access_token: str | None = None,
    nonce: str | None = None,
    t: int | None = None,
) -> dict[str, str]:
    """Headers for one request; ``url`` may be absolute or a path with query."""
    t_str = str(t if t is not None else int(time.time() * 1000))
    sts = string_to_sign(method, url, body)
    headers = {
        "client_id": client_id,
        "sign_method": "HMAC-SHA256",
        "t": t_str,
        "sign": sign(secret, client_id, t_str, sts, access_token or "", nonce or ""),
    }
    if access_token:
        headers["access_token"] = access_token
    if nonce:
        headers["nonce"] = nonce
    if body:
        headers["Content-Type"] = "application/json"
    return headers


def dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
