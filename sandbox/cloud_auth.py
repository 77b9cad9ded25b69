"""Cloud tokens (grant, refresh, expiry) and verification of signed requests, as Tuya's OpenAPI does it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sandbox import signing
from sandbox.errors import CloudError

TOKEN_TTL_S = 7200
MAX_SKEW_MS = 15 * 60 * 1000


@dataclass
class Token:
    access: str
    refresh: str
    client_id: str
    expires_at: float  # epoch seconds
    revoked: bool = False
    refresh_used: bool = False


class CloudTokens:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_access: dict[str, Token] = {}
        self.by_refresh: dict[str, Token] = {}
        self.current: dict[str, Token] = {}

    def _new(self, client_id: str) -> Token:
        tok = Token(secrets.token_hex(16), secrets.token_hex(16), client_id, time.time() + TOKEN_TTL_S)
        old = self.current.get(client_id)
        if old is not None:
            old.revoked = True
        self.current[client_id] = tok
        self.by_access[tok.access] = tok
        self.by_refresh[tok.refresh] = tok
        return tok

    def grant(self, client_id: str) -> Token:
        """grant_type=1: a new token; the client's previous access token stops working (as Tuya does)."""
        with self._lock:
            return self._new(client_id)

    def refresh(self, client_id: str, refresh_token: str) -> Token:
        with self._lock:
            old = self.by_refresh.get(refresh_token)
            if old is None or old.refresh_used or old.client_id != client_id:
                raise CloudError(1011, "token invalid")
            old.refresh_used = True
            old.revoked = True
            return self._new(client_id)

    def check(self, access_token: str) -> Token:
        with self._lock:
            tok = self.by_access.get(access_token)
        if tok is None or tok.revoked:
            raise CloudError(1011, "token invalid")
        if time.time() >= tok.expires_at:
            raise CloudError(1010, "token is expired")
        return tok

    def expire_all(self) -> int:
        with self._lock:
            now = time.time()
            live = [t for t in self.by_access.values() if t.expires_at > now]
            for tok in live:
                tok.expires_at = now - 1
            return len(live)


def uid_for(client_id: str) -> str:
    return "bay" + hashlib.sha256(client_id.encode()).hexdigest()[:17]


def verify(
    headers: Mapping[str, str],
    method: str,
    url: str,
    body: bytes,
    client_id: str,
    secret: str,
    tokens: CloudTokens | None,
) -> Token | None:
    """Check a signed request. ``tokens`` None means a token call (no access_token in the string)."""
    cid = headers.get("client_id")
    if not cid or cid != client_id:
        raise CloudError(1005, "clientId invalid")
    t = headers.get("t") or ""
    if not t.isdigit():
        raise CloudError(1105, "missing header: t")
    if abs(int(t) - int(time.time() * 1000)) > MAX_SKEW_MS:
        raise CloudError(1013, "request time invalid")
    method_name = headers.get("sign_method") or "HMAC-SHA256"
    if method_name.upper() != "HMAC-SHA256":
        raise CloudError(1004, "sign invalid")
    access = ""
    if tokens is not None:
        access = headers.get("access_token") or ""
        if not access:
            raise CloudError(1002, "access_token is null")
    block = ""
    names = headers.get("Signature-Headers")
    if names:
        block = "".join(f"{n}:{headers.get(n, '')}\n" for n in names.split(":") if n)
    parts = urlsplit(url)
    sts = "\n".join(
        [
            method.upper(),
            hashlib.sha256(body).hexdigest(),
            block,
            signing.canonical_url(parts.path, parts.query),
        ]
    )
    expected = signing.sign(secret, cid, t, sts, access, headers.get("nonce") or "")
    if not hmac.compare_digest(expected, (headers.get("sign") or "").upper()):
        raise CloudError(1004, "sign invalid")
    if tokens is None:
        return None
    return tokens.check(access)
