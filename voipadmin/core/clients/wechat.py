"""Client of the WeChat server API, per AppID: access token, sn tickets, authorization observations.

The endpoints, errcodes and why authorization can only be observed are in docs/wechat-api.md; sandbox/ serves
the same contract.

The access token is shared across processes through Django's cache and refreshed by one process at a time;
``/cgi-bin/stable_token`` (normal mode) is preferred because it does not invalidate other holders' tokens,
``/cgi-bin/token`` is the fallback. A 40001/42001/40014 on a call drops the token and retries once. -1 (busy),
5xx and timeouts are retried with backoff a bounded number of times (both calls are reads); 45009 (daily
quota) and 45011 (frequency) are raised at once as WeChatQuotaExceeded / WeChatRateLimited for the caller's
limiter to act on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import requests

from voipadmin.core.clients import _parse
from voipadmin.core.clients._http import (
    Redactor,
    SharedToken,
    TokenRecord,
    TokenWaitTimeout,
    backoff_delay,
    shared_session,
    timeouts,
)
from voipadmin.core.clients._parse import Malformed, Obj
from voipadmin.core.clients.errors import (
    WeChatBadResponse,
    WeChatBusy,
    WeChatConfigError,
    WeChatTokenInvalid,
    WeChatUnavailable,
    wechat_error_for,
)
from voipadmin.core.clients.models import AuthObservation, Items, SnTicket

log = logging.getLogger("voipadmin.core.clients.wechat")

OBSERVE_PATH = "/wxa/business/voip/getIotBindContactList"
SN_TICKET_PATH = "/wxa/getsnticket"
MAX_OBSERVATION_BATCH = 50
SN_TICKET_TTL = dt.timedelta(seconds=300)
# stable_token renews 5 minutes before expiry; refreshing 4 minutes before means a refresh gets a new one.
TOKEN_MARGIN_S = 240
STABLE_UNSUPPORTED_HTTP = {404, 405}
RETRYABLE = (WeChatBusy, WeChatUnavailable)

Devices = Sequence[tuple[str, Sequence[str]]] | Mapping[str, Sequence[str]]


class WeChatClient:
    """One mini program's server API. Thread-safe; a process may keep one per AppID."""

    def __init__(
        self,
        app_id: str,
        secret: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        backoff: float | None = None,
        session: requests.Session | None = None,
        cache: Any = None,
        prefer_stable_token: bool = True,
    ) -> None:
        from django.conf import settings

        secrets = getattr(settings, "WECHAT_APP_SECRETS", {}) or {}
        secret = secret or secrets.get(app_id)
        if not secret:
            raise WeChatConfigError(None, "no secret configured in WECHAT_APP_SECRETS", app_id=app_id)
        self.app_id = app_id
        self._secret = secret
        self.base_url = (base_url or settings.WECHAT_BASE_URL).rstrip("/")
        default_timeout = getattr(settings, "WECHAT_TIMEOUT", getattr(settings, "CLOUD_TIMEOUT", 5.0))
        self.timeout = float(timeout if timeout is not None else default_timeout)
        self.max_attempts = max(1, int(max_attempts or getattr(settings, "WECHAT_MAX_ATTEMPTS", 3)))
        self.backoff = float(
            backoff if backoff is not None else getattr(settings, "WECHAT_RETRY_BACKOFF", 0.5)
        )
        self.prefer_stable_token = prefer_stable_token
        self.session = session or shared_session("wechat")
        self.mask = Redactor(secret)
        key_id = hashlib.sha256(f"{self.base_url}|{app_id}".encode()).hexdigest()[:16]
        self.token = SharedToken(
            f"voipadmin:wechat-token:{key_id}",
            self._fetch_token,
            cache=cache,
            margin=TOKEN_MARGIN_S,
            lock_ttl=max(10.0, 3 * self.timeout),
            name=f"WeChat token ({app_id})",
        )
        self._counts = {"wechat_calls": 0, "wechat_retries": 0, "wechat_token_retries": 0}
        self._counts_lock = threading.Lock()

    @classmethod
    def from_settings(cls, app_id: str, **overrides: Any) -> WeChatClient:
        """A client for ``app_id`` with its secret from settings.WECHAT_APP_SECRETS."""
        return cls(app_id, **overrides)

    def __repr__(self) -> str:
        return f"<WeChatClient {self.base_url} app_id={self.app_id}>"

    def stats(self) -> dict[str, int]:
        with self._counts_lock:
            return {**self._counts, "wechat_token_refreshes": self.token.refreshes}

    def _count(self, key: str) -> None:
        with self._counts_lock:
            self._counts[key] += 1

    # -- transport -------------------------------------------------------------------------------------------
    def _http(
        self, method: str, path: str, *, params: dict | None = None, body: dict | None = None
    ) -> requests.Response:
        self._count("wechat_calls")
        data = (
            json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() if body is not None else None
        )
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            return self.session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=timeouts(self.timeout),
            )
        except requests.RequestException as exc:
            # From None: requests' text holds the URL, and WeChat's URLs hold the access token or the secret.
            what = f"{type(exc).__name__}: {self.mask(exc)}"[:300]
            raise WeChatUnavailable(None, f"WeChat unreachable ({what})", app_id=self.app_id) from None

    def _json(self, resp: requests.Response, *, token_call: bool) -> dict[str, Any]:
        """The body as a dict, or the typed error for a non-zero errcode / unusable answer."""
        try:
            body = _parse.loads(resp.content)
        except ValueError:
            body = None
        if resp.status_code >= 500 or (body is None and resp.status_code >= 400):
            raise WeChatUnavailable(None, f"HTTP {resp.status_code}", app_id=self.app_id)
        if not isinstance(body, dict):
            raise WeChatBadResponse("body", f"HTTP {resp.status_code}, not a JSON object", app_id=self.app_id)
        errcode = body.get("errcode", 0)
        if errcode not in (0, None):
            try:
                code = _parse.to_int(errcode, "errcode")
            except Malformed as exc:
                raise WeChatBadResponse(exc.field, exc.reason, app_id=self.app_id) from None
            msg = self.mask(body.get("errmsg") or "")
            raise wechat_error_for(code, msg, app_id=self.app_id, token_call=token_call)
        return body

    # -- token -----------------------------------------------------------------------------------------------
    def _fetch_token(self, current: TokenRecord | None) -> TokenRecord:
        started = time.time()
        body = self._stable_token() if self.prefer_stable_token else None
        if body is None:
            query = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
            body = self._json(self._http("GET", "/cgi-bin/token", params=query), token_call=True)
        try:
            o = Obj(body)
            record = TokenRecord(o.str("access_token", nonempty=True), started + o.int("expires_in"))
        except Malformed as exc:
            raise WeChatBadResponse(exc.field, exc.reason, app_id=self.app_id) from None
        self.mask.add(record.access_token)
        return record

    def _stable_token(self) -> dict[str, Any] | None:
        """/cgi-bin/stable_token in normal mode; None where it does not exist (then /cgi-bin/token)."""
        body = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        resp = self._http("POST", "/cgi-bin/stable_token", body=body)
        if resp.status_code in STABLE_UNSUPPORTED_HTTP:
            log.info(
                "stable_token unavailable (HTTP %d) for %s; using /cgi-bin/token",
                resp.status_code,
                self.app_id,
            )
            return None
        return self._json(resp, token_call=True)

    def access_token(self) -> str:
        """The shared access token (refreshed if it is near expiry)."""
        try:
            return self.token.get()
        except TokenWaitTimeout as exc:
            raise WeChatUnavailable(None, str(exc), app_id=self.app_id) from None

    # -- calls -----------------------------------------------------------------------------------------------
    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``path?access_token=`` with a JSON body -> the success body. Our calls are reads: retried."""
        attempt, stale, token_retried = 0, None, False
        while True:
            attempt += 1
            token = None
            try:
                token = self.token.get(stale)
                resp = self._http("POST", path, params={"access_token": token}, body=body)
                return self._json(resp, token_call=False)
            except TokenWaitTimeout as exc:
                raise WeChatUnavailable(None, str(exc), app_id=self.app_id) from None
            except WeChatTokenInvalid as exc:
                if token_retried or token is None:
                    raise
                log.info("%s: access token refused (%s); refreshing once", path, exc.errcode)
                token_retried, stale, attempt = True, token, attempt - 1
                self._count("wechat_token_retries")
            except RETRYABLE as exc:
                if attempt >= self.max_attempts:
                    raise
                delay = backoff_delay(attempt, self.backoff)
                log.warning("%s: %s; retry %d/%d in %.2f s", path, exc, attempt, self.max_attempts - 1, delay)
                self._count("wechat_retries")
                time.sleep(delay)

    def get_sn_ticket(self, sn: str, model_id: str) -> SnTicket:
        """/wxa/getsnticket: a ticket for wx.requestDeviceVoIP, valid 5 minutes."""
        issued = dt.datetime.now(dt.UTC)
        body = self.call(SN_TICKET_PATH, {"sn": sn, "model_id": model_id})
        try:
            ticket = Obj(body).str("sn_ticket", nonempty=True)
        except Malformed as exc:
            raise WeChatBadResponse(exc.field, exc.reason, app_id=self.app_id) from None
        return SnTicket(sn=sn, model_id=model_id, ticket=ticket, expires_at=issued + SN_TICKET_TTL)

    def observe_authorization(
        self,
        model_id: str,
        devices: Devices | None = None,
        *,
        sn: str | None = None,
        openids: Sequence[str] | None = None,
    ) -> Items[AuthObservation]:
        """Observe whether each openid has authorized each device (sn) of one model: one quota unit per call.

        ``devices`` is [(sn, [openid, ...]), ...] or {sn: [openid, ...]} with 1..50 devices; or pass ``sn``
        and ``openids`` for one device (sent in the endpoint's single form). Records that do not parse come
        back in ``errors`` naming their field; the rest are kept."""
        body = self._observation_body(model_id, devices, sn, openids)
        answer = self.call(OBSERVE_PATH, body)
        try:
            o = Obj(answer)
            observed_at = o.time("observed_at")
            raw = o.data.get("contact_list")
            items, bad = _parse.each(
                [] if raw is None else raw, "contact_list", lambda c: AuthObservation.parse(c, observed_at)
            )
        except Malformed as exc:
            raise WeChatBadResponse(exc.field, exc.reason, app_id=self.app_id) from None
        errors = tuple(WeChatBadResponse(e.field, e.reason, app_id=self.app_id) for e in bad)
        return Items(tuple(items), errors)

    @staticmethod
    def _observation_body(
        model_id: str, devices: Devices | None, sn: str | None, openids: Sequence[str] | None
    ) -> dict[str, Any]:
        if sn is not None:
            if devices is not None:
                raise ValueError("pass either devices or sn/openids, not both")
            if not openids:
                raise ValueError("openids must name at least one openid")
            return {"sn": sn, "model_id": model_id, "openid_list": list(openids)}
        pairs = list(devices.items()) if isinstance(devices, Mapping) else list(devices or [])
        if not 1 <= len(pairs) <= MAX_OBSERVATION_BATCH:
            raise ValueError(f"observe 1..{MAX_OBSERVATION_BATCH} devices per call, not {len(pairs)}")
        if any(not ids for _, ids in pairs):
            raise ValueError("every device needs at least one openid")
        return {"model_id": model_id, "devices": [{"sn": s, "openid_list": list(ids)} for s, ids in pairs]}
