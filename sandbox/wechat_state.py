"""WeChat's server-side state in the sandbox: access tokens, sn tickets and observed authorizations.

Held by the App (sandbox/app.py) and served by sandbox/wechat.py; it imports neither.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox import catalog as C
from sandbox.errors import WeChatError

TOKEN_TTL_S = 7200
OVERLAP_S = 300
TICKET_TTL_S = 300
FORCE_PER_DAY = 20
FORCE_MIN_GAP_S = 30
MAX_OBSERVED_DEVICES = 50
SN_RE = re.compile(r"^[0-9A-Za-z_-]+$")


@dataclass
class WxToken:
    value: str
    app_id: str
    kind: str  # "token" or "stable"
    expires_at: float
    superseded_at: float | None = None


class WeChat:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tokens: dict[str, WxToken] = {}
        self.current: dict[tuple[str, str], WxToken] = {}
        self.forced: dict[str, list[float]] = {}
        self.tickets: dict[str, tuple[str, str, float]] = {}
        self._n = 0

    # -- tokens ----------------------------------------------------------------------------------------------
    def _issue(self, app_id: str, kind: str) -> WxToken:
        now = time.time()
        self._n += 1
        tok = WxToken(f"{80 + self._n % 10}_{secrets.token_urlsafe(96)}", app_id, kind, now + TOKEN_TTL_S)
        old = self.current.get((app_id, kind))
        if old is not None and old.superseded_at is None:
            old.superseded_at = now
        self.current[(app_id, kind)] = tok
        self.tokens[tok.value] = tok
        return tok

    @staticmethod
    def _check_credentials(grant_type: Any, appid: Any, secret: Any) -> None:
        if not appid:
            raise WeChatError(41002, "appid missing")
        if not secret:
            raise WeChatError(41004, "appsecret missing")
        if grant_type != "client_credential":
            raise WeChatError(40002, "invalid grant_type")
        if appid not in C.WECHAT_APPS:
            raise WeChatError(40013, "invalid appid")
        if secret != C.WECHAT_APPS[appid]:
            # What WeChat answers for a wrong secret (its token doc lists 40001 and 40125 for it).
            raise WeChatError(40125, "invalid appsecret")

    def token(self, query: dict[str, str]) -> dict:
        self._check_credentials(query.get("grant_type"), query.get("appid"), query.get("secret"))
        with self._lock:
            tok = self._issue(query["appid"], "token")
        return {"access_token": tok.value, "expires_in": TOKEN_TTL_S}

    def stable_token(self, body: dict) -> dict:
        appid = body.get("appid")
        self._check_credentials(body.get("grant_type"), appid, body.get("secret"))
        force = body.get("force_refresh") in (True, "true", 1)
        now = time.time()
        with self._lock:
            cur = self.current.get((appid, "stable"))
            if force:
                day = datetime.now(UTC).strftime("%Y-%m-%d")
                recent = [
                    t
                    for t in self.forced.get(appid, [])
                    if datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d") == day
                ]
                if len(recent) >= FORCE_PER_DAY:
                    raise WeChatError(45009, "reach max api daily quota limit")
                if recent and now - recent[-1] < FORCE_MIN_GAP_S:
                    raise WeChatError(45011, "api minute-quota reach limit  mustslower  retry next minute")
                recent.append(now)
                self.forced[appid] = recent
                cur = self._issue(appid, "stable")
            elif cur is None or cur.expires_at - now < OVERLAP_S or cur.superseded_at is not None:
                cur = self._issue(appid, "stable")
        return {"access_token": cur.value, "expires_in": max(0, int(cur.expires_at - now))}

    def check(self, token: str | None) -> str:
        """The AppID of a usable access token, or the WeChat error for it."""
        if not token:
            raise WeChatError(41001, "access_token missing")
        with self._lock:
            tok = self.tokens.get(token)
        now = time.time()
        if tok is None:
            raise WeChatError(40014, "invalid access_token")
        if now >= tok.expires_at:
            raise WeChatError(42001, "access_token expired")
        if tok.superseded_at is not None and now >= tok.superseded_at + OVERLAP_S:
            raise WeChatError(40001, "invalid credential, access_token is invalid or not latest")
        return tok.app_id

    def expire_all(self) -> int:
        with self._lock:
            now = time.time()
            live = [t for t in self.tokens.values() if t.expires_at > now]
            for tok in live:
                tok.expires_at = now - 1
            return len(live)

    # -- tickets ---------------------------------------------------------------------------------------------
    def issue_ticket(self, app_id: str, sn: str, model_id: str) -> str:
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            now = time.time()
            self.tickets = {k: v for k, v in self.tickets.items() if v[2] > now}
            self.tickets[ticket] = (sn, model_id, now + TICKET_TTL_S)
        return ticket

    def getsnticket(self, app_id: str, body: dict) -> dict:
        sn, model_id = body.get("sn"), body.get("model_id")
        if not isinstance(sn, str) or not isinstance(model_id, str):
            raise WeChatError(47001, "data format error")
        check_sn(sn)
        if model_id not in C.MODELS_BY_APP[app_id]:
            raise WeChatError(9800003, "model_id check failed")
        return {"errcode": 0, "errmsg": "ok", "sn_ticket": self.issue_ticket(app_id, sn, model_id)}


def check_sn(sn: str) -> None:
    if len(sn.encode()) > 128:
        raise WeChatError(9800001, "sn too long")
    if not SN_RE.match(sn):
        raise WeChatError(9800002, "sn contains illegal characters")
