"""Client of the IoT cloud: the 16 ``@ray-js/wechat-ms-voip`` SDK calls and the console's extensions.

The wire contract (signing, tokens, envelopes, the calls' parameters and result shapes, the extensions) is
docs/cloud-api.md; sandbox/ serves the same contract.

Every call is ``POST /v1.0/vas/voip/<sdkFunctionName>`` (extensions under ``ext/``), signed as Tuya signs
(HMAC-SHA256, new algorithm). One access token per client id lives in Django's cache and is refreshed by one
process at a time (``_http.SharedToken``); a 1010/1011 drops it and retries once. Reads are retried with
backoff on 5xx, 500/1111, 1110/1199 and timeouts, a bounded number of times; writes (saveWXVoipAuth,
saveVoipAuthUser, buyIncreaseServiceByWx, exchangeCode) never are. Answers are parsed into ``models``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError

from voipadmin.core.clients import _parse
from voipadmin.core.clients._http import (
    Redactor,
    SharedToken,
    TokenRecord,
    TokenWaitTimeout,
    backoff_delay,
    nonce,
    shared_session,
    timeouts,
)
from voipadmin.core.clients._parse import Malformed, Obj
from voipadmin.core.clients.errors import (
    BadResponse,
    CloudBadResponse,
    CloudError,
    CloudRateLimited,
    CloudTimeout,
    CloudTokenInvalid,
    CloudUnavailable,
    cloud_error_for,
)
from voipadmin.core.clients.models import (
    CloudUser,
    Commodity,
    Device,
    DeviceCapability,
    DeviceService,
    DeviceVasInfo,
    ExchangeResult,
    Home,
    HomeInfo,
    Items,
    MallInfo,
    Order,
    Page,
    Purchase,
    ServiceIntroduction,
    Subscription,
    VoipAuthorization,
    VoipAuthUser,
    WxUserInfo,
)
from voipadmin.core.enums import AuthTag, CategoryCode, OrderStatus

log = logging.getLogger("voipadmin.core.clients.cloud")

T = TypeVar("T")

SDK_PREFIX = "/v1.0/vas/voip/"
EXT_PREFIX = "/v1.0/vas/voip/ext/"
VOIP_CAPABILITY = "tyabiwxrn9"
DEVICE_NAME_MAX = 13  # wx.requestDeviceVoIP shows at most 13 characters
DEFAULT_PAGE_SIZE = 100
# Tuya answers failures with their code in the envelope; these we may retry on a read.
RETRYABLE = (CloudUnavailable, CloudRateLimited)

Since = dt.datetime | int | None


def _ms(value: Since) -> int | None:
    """A datetime (aware, or naive meaning UTC) or ms epoch -> ms epoch."""
    if value is None or isinstance(value, int):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return int(value.timestamp() * 1000)


def _dumps(params: dict[str, Any]) -> bytes:
    # The signature covers these exact bytes, so they are built once and sent as they are.
    return json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_url(path_qs: str) -> str:
    """PATH[?k=v&...] with the query sorted by key, values as sent (Tuya's "Url" line)."""
    parts = urlsplit(path_qs)
    pairs = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")


def string_to_sign(method: str, path_qs: str, body: bytes) -> str:
    return "\n".join([method.upper(), hashlib.sha256(body).hexdigest(), "", canonical_url(path_qs)])


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest().upper()


# -- parsing: one function per call, shared by the methods and the seed-example tests ------------------------
def one(result: Any, tid: str | None, parse: Callable[[Obj], T]) -> T:
    try:
        return parse(Obj(result))
    except Malformed as exc:
        raise CloudBadResponse(exc.field, exc.reason, tid) from None


def optional(result: Any, tid: str | None, parse: Callable[[Obj], T]) -> T | None:
    """A result the cloud answers null when there is nothing (no capability, no auth user)."""
    return None if result is None else one(result, tid, parse)


def many(result: Any, tid: str | None, parse: Callable[[Obj], T], path: str = "") -> Items[T]:
    """Records parsed one by one: a bad record becomes an error naming its field; the rest are kept."""
    try:
        items, bad = _parse.each(result, path, parse)
    except Malformed as exc:
        raise CloudBadResponse(exc.field, exc.reason, tid) from None
    for exc in bad:
        log.warning("dropped a malformed record: %s (tid %s)", exc, tid)
    return Items(tuple(items), tuple(CloudBadResponse(e.field, e.reason, tid) for e in bad))


def page(result: Any, tid: str | None, parse: Callable[[Obj], T]) -> Page[T]:
    """A paged listing (getOrderList's pageNum or the extensions' pageNo; pageCount computed if absent)."""
    try:
        o = Obj(result)
        page_no = o.opt_int("pageNum") or o.opt_int("pageNo") or 1
        size = o.opt_int("pageSize") or 0
        total = o.opt_int("totalRecord")
        count = o.opt_int("pageCount")
        raw = o.data.get("data")
    except Malformed as exc:
        raise CloudBadResponse(exc.field, exc.reason, tid) from None
    if count is None and total is not None and size:
        count = -(-total // size)
    got = many([] if raw is None else raw, tid, parse, "data")
    return Page(got.items, got.errors, page_no=page_no, page_size=size, total_record=total, page_count=count)


def boolean(result: Any, tid: str | None) -> bool:
    if not isinstance(result, bool):
        raise CloudBadResponse("result", f"expected true or false, got {result!r:.40}", tid)
    return result


def _authorization(result: Any, tid: str | None) -> VoipAuthorization:
    auth = one(result, tid, VoipAuthorization.parse)
    if len(auth.device_name) > DEVICE_NAME_MAX:  # WeChat refuses longer names; the cloud should have cut it
        auth = replace(auth, device_name=auth.device_name[:DEVICE_NAME_MAX])
    return auth


RESULTS: dict[str, Callable[[Any, str | None], Any]] = {
    "getCommodityList": partial(many, parse=Commodity.parse),
    "getAppMallInfo": partial(one, parse=MallInfo.parse),
    "getDeviceAddValueType": partial(one, parse=DeviceVasInfo.parse),
    "getDeviceList": partial(many, parse=Device.parse),
    "getDeviceCapability": partial(optional, parse=DeviceCapability.parse),
    "getOrderList": partial(page, parse=Order.parse),
    "getSubscriptionOrderList": partial(page, parse=Subscription.parse),
    "getServiceIntroduction": partial(one, parse=ServiceIntroduction.parse),
    "getServiceListByDevice": partial(many, parse=DeviceService.parse),
    "getVoipAuthUser": partial(optional, parse=VoipAuthUser.parse),
    "saveWXVoipAuth": boolean,
    "saveVoipAuthUser": boolean,
    "getDeviceWXUserInfo": partial(one, parse=WxUserInfo.parse),
    "buyIncreaseServiceByWx": partial(one, parse=Purchase.parse),
    "exchangeCode": partial(one, parse=ExchangeResult.parse),
    "voipServiceAuthorization": _authorization,
    "ext/listHomes": partial(page, parse=Home.parse),
    "ext/listUsers": partial(page, parse=CloudUser.parse),
    "ext/getHome": partial(one, parse=HomeInfo.parse),
    "ext/listMalls": partial(many, parse=MallInfo.parse),
    "ext/listDevicesChanged": partial(page, parse=Device.parse),
}
WRITES = frozenset({"saveWXVoipAuth", "saveVoipAuthUser", "buyIncreaseServiceByWx", "exchangeCode"})


def parse_result(name: str, result: Any, tid: str | None = None) -> Any:
    """The typed value of call ``name``'s ``result`` (what the matching CloudClient method returns)."""
    return RESULTS[name](result, tid)


class CloudClient:
    """The cloud: one method per SDK call (snake_case) plus the extensions. Thread-safe; share one freely."""

    def __init__(
        self,
        base_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        timeout: float | None = None,
        max_attempts: int | None = None,
        backoff: float | None = None,
        session: requests.Session | None = None,
        cache: Any = None,
        lang: str | None = None,
    ) -> None:
        from django.conf import settings

        self.base_url = (base_url or settings.CLOUD_BASE_URL).rstrip("/")
        self.client_id = client_id or settings.CLOUD_CLIENT_ID
        self._secret = client_secret or settings.CLOUD_CLIENT_SECRET
        self.timeout = float(timeout if timeout is not None else getattr(settings, "CLOUD_TIMEOUT", 5.0))
        self.max_attempts = max(1, int(max_attempts or getattr(settings, "CLOUD_MAX_ATTEMPTS", 3)))
        self.backoff = float(
            backoff if backoff is not None else getattr(settings, "CLOUD_RETRY_BACKOFF", 0.5)
        )
        self.lang = lang or getattr(settings, "CLOUD_LANG", None)
        self.session = session or shared_session("cloud")
        self.mask = Redactor(self._secret)
        key_id = hashlib.sha256(f"{self.base_url}|{self.client_id}".encode()).hexdigest()[:16]
        self.token = SharedToken(
            f"voipadmin:cloud-token:{key_id}",
            self._fetch_token,
            cache=cache,
            margin=300,
            lock_ttl=max(10.0, 3 * self.timeout),
            name=f"cloud token ({self.client_id})",
        )
        self._counts: dict[str, int] = {"cloud_calls": 0, "cloud_retries": 0, "cloud_token_retries": 0}
        self._counts_lock = threading.Lock()
        self._by_call: dict[str, int] = {}

    @classmethod
    def from_settings(cls, **overrides: Any) -> CloudClient:
        """A client configured from settings (CLOUD_BASE_URL, CLOUD_CLIENT_ID/SECRET, CLOUD_TIMEOUT)."""
        return cls(**overrides)

    def __repr__(self) -> str:
        return f"<CloudClient {self.base_url} client_id={self.client_id}>"

    def stats(self) -> dict[str, int]:
        """This client's counters (calls, retries, token retries, token refreshes) for a run's record."""
        with self._counts_lock:
            return {**self._counts, "cloud_token_refreshes": self.token.refreshes}

    def calls(self) -> dict[str, int]:
        """Requests sent by this client per cloud call name (``getDeviceList``, ``ext/listHomes``, ...)."""
        with self._counts_lock:
            return dict(self._by_call)

    def _count(self, key: str) -> None:
        with self._counts_lock:
            self._counts[key] += 1

    # -- transport -------------------------------------------------------------------------------------------
    def _headers(self, method: str, path_qs: str, body: bytes, token: str | None) -> dict[str, str]:
        t = str(int(time.time() * 1000))
        once = nonce()
        message = self.client_id + (token or "") + t + once + string_to_sign(method, path_qs, body)
        headers = {
            "client_id": self.client_id,
            "sign_method": "HMAC-SHA256",
            "t": t,
            "nonce": once,
            "sign": sign(self._secret, message),
        }
        if token:
            headers["access_token"] = token
        if body:
            headers["Content-Type"] = "application/json"
        if self.lang:
            headers["lang"] = self.lang
        return headers

    def _send(self, method: str, path_qs: str, body: bytes, token: str | None) -> tuple[Any, str | None]:
        """One HTTP exchange -> (result, tid), or the typed error."""
        headers = self._headers(method, path_qs, body, token)
        started = time.monotonic()
        self._count("cloud_calls")
        name = path_qs.split("?", 1)[0].rsplit("/vas/voip/", 1)[-1]
        with self._counts_lock:
            self._by_call[name] = self._by_call.get(name, 0) + 1
        try:
            resp = self.session.request(
                method,
                self.base_url + path_qs,
                data=body or None,
                headers=headers,
                timeout=timeouts(self.timeout),
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc) from None
        elapsed = (time.monotonic() - started) * 1000
        log.debug("%s %s -> HTTP %d in %.0f ms", method, self.mask(path_qs), resp.status_code, elapsed)
        return self._envelope(resp)

    def _transport_error(self, exc: requests.RequestException) -> CloudUnavailable:
        """No answer. Chained from None: requests' own text may carry the URL, and a URL may carry a token."""
        what = f"{type(exc).__name__}: {self.mask(exc)}"[:300]
        if isinstance(exc, requests.ReadTimeout):
            return CloudTimeout(None, f"no answer within {self.timeout:g} s ({what})")
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        never_sent = isinstance(exc, requests.ConnectTimeout) or isinstance(reason, ConnectTimeoutError)
        return CloudUnavailable(None, f"cloud unreachable ({what})", outcome_unknown=not never_sent)

    def _envelope(self, resp: requests.Response) -> tuple[Any, str | None]:
        status = resp.status_code
        try:
            env = _parse.loads(resp.content)
        except ValueError:
            if status >= 500:
                raise CloudUnavailable(
                    None, f"HTTP {status} without an envelope", http_status=status
                ) from None
            raise CloudBadResponse("body", f"HTTP {status}, not JSON") from None
        if not isinstance(env, dict) or not isinstance(env.get("success"), bool):
            if status >= 500:
                raise CloudUnavailable(None, f"HTTP {status} without an envelope", http_status=status)
            raise CloudBadResponse("success", f"HTTP {status}, no envelope")
        tid = env.get("tid") if isinstance(env.get("tid"), str) else None
        if env["success"] and status < 400:
            return env.get("result"), tid
        try:
            code: int | None = _parse.to_int(env.get("code"), "code")
        except Malformed:
            code = None
        msg = self.mask(env.get("msg") or f"HTTP {status}")
        if code is None:
            if status >= 500:
                raise CloudUnavailable(None, msg, tid, http_status=status)
            raise CloudBadResponse("code", f"failure without a code (HTTP {status})", tid)
        raise cloud_error_for(code, msg, tid, http_status=status)

    def _fetch_token(self, current: TokenRecord | None) -> TokenRecord:
        """Refresh with the refresh token when we have one (it works once); else grant a new token."""
        if current is not None and current.refresh_token:
            try:
                return self._token_call(f"/v1.0/token/{current.refresh_token}")
            except CloudUnavailable:
                raise
            except CloudError as exc:
                log.info("cloud refresh token refused (%s); granting a new token", exc.code)
        return self._token_call("/v1.0/token?grant_type=1")

    def _token_call(self, path_qs: str) -> TokenRecord:
        started = time.time()
        result, tid = self._send("GET", path_qs, b"", None)
        try:
            o = Obj(result)
            record = TokenRecord(
                access_token=o.str("access_token", nonempty=True),
                refresh_token=o.opt_str("refresh_token"),
                expires_at=started + (o.opt_int("expire_time") or o.int("expire")),
            )
        except Malformed as exc:
            raise CloudBadResponse(exc.field, exc.reason, tid) from None
        self.mask.add(record.access_token)
        self.mask.add(record.refresh_token)
        return record

    def _access_token(self, stale: str | None) -> str:
        try:
            return self.token.get(stale)
        except TokenWaitTimeout as exc:
            raise CloudUnavailable(None, str(exc), outcome_unknown=False) from None

    def call(
        self, name: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> tuple[Any, str | None]:
        """POST /v1.0/vas/voip/<name>: (result, tid). Retries reads only; a stale token is replaced once."""
        path = SDK_PREFIX + name
        body = _dumps({k: v for k, v in (params or {}).items() if v is not None})
        attempts = 1 if write else self.max_attempts
        attempt, stale, token_retried = 0, None, False
        while True:
            attempt += 1
            token = None
            try:
                token = self._access_token(stale)
                return self._send("POST", path, body, token)
            except CloudTokenInvalid as exc:
                # Rejected before it ran, so even a write may go again: once, with the token another process
                # may already have refreshed, or a new one.
                if token_retried or token is None:
                    raise
                log.info("%s: token refused (%s); refreshing once", name, exc.code)
                token_retried, stale, attempt = True, token, attempt - 1
                self._count("cloud_token_retries")
            except RETRYABLE as exc:
                if write or attempt >= attempts:
                    raise
                delay = backoff_delay(attempt, self.backoff)
                log.warning("%s: %s; retry %d/%d in %.2f s", name, exc, attempt, attempts - 1, delay)
                self._count("cloud_retries")
                time.sleep(delay)

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        """Call ``name`` (a write when it is one) and parse its result into its typed value."""
        return parse_result(name, *self.call(name, params, write=name in WRITES))

    # -- devices ---------------------------------------------------------------------------------------------
    def get_device_list(self, owner_id: str) -> Items[Device]:
        """getDeviceList: the devices of a home (owner_id is the home id)."""
        return self._result("getDeviceList", {"owner_id": owner_id})

    def get_device_add_value_type(self, device_id: str) -> DeviceVasInfo:
        """getDeviceAddValueType: the value-added service types the device supports."""
        return self._result("getDeviceAddValueType", {"device_id": device_id})

    def get_device_capability(self, device_id: str, code: str = VOIP_CAPABILITY) -> DeviceCapability | None:
        """getDeviceCapability: the WeChat binding (``tyabiwxrn9``); None when the device lacks it."""
        return self._result("getDeviceCapability", {"device_id": device_id, "code": code})

    # -- mall ------------------------------------------------------------------------------------------------
    def get_commodity_list(self, device_id: str) -> Items[Commodity]:
        """getCommodityList: what the device may buy, with prices."""
        return self._result("getCommodityList", {"device_id": device_id})

    def get_app_mall_info(self, device_id: str, catalog_code: str) -> MallInfo:
        """getAppMallInfo: the mall, shop, site and currency serving the device for a catalog."""
        params = {"device_id": device_id, "catalog_code": catalog_code}
        return self._result("getAppMallInfo", params)

    def get_order_list(
        self,
        mall_code: str,
        site_code: str,
        *,
        page_no: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        search_key: str | None = None,
        order_status_list: Iterable[OrderStatus | str] | None = None,
        changed_since: Since = None,
    ) -> Page[Order]:
        """getOrderList. ``changed_since`` (extension): orders modified at/after it, oldest change first."""
        params = {
            "mallCode": mall_code,
            "siteCode": site_code,
            "pageNo": page_no,
            "pageSize": page_size,
            "searchKey": search_key or None,
            "orderStatusList": [str(s) for s in order_status_list] if order_status_list else None,
            "changedSince": _ms(changed_since),
        }
        return self._result("getOrderList", params)

    def get_subscription_order_list(
        self,
        mall_code: str,
        site_code: str,
        *,
        page_no: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        status_list: Iterable[int] | None = None,
        changed_since: Since = None,
    ) -> Page[Subscription]:
        """getSubscriptionOrderList (``changed_since`` and ``status_list`` are extensions)."""
        params = {
            "mallCode": mall_code,
            "siteCode": site_code,
            "pageNo": page_no,
            "pageSize": page_size,
            "statusList": [int(s) for s in status_list] if status_list else None,
            "changedSince": _ms(changed_since),
        }
        return self._result("getSubscriptionOrderList", params)

    # -- services --------------------------------------------------------------------------------------------
    def get_service_introduction(self, category_code: CategoryCode | str) -> ServiceIntroduction:
        """getServiceIntroduction: the service page the mini program shows for a category."""
        params = {"categoryCode": str(category_code)}
        return self._result("getServiceIntroduction", params)

    def get_service_list_by_device(self, device_id: str) -> Items[DeviceService]:
        """getServiceListByDevice: the device's services, with their periods."""
        return self._result("getServiceListByDevice", {"device_id": device_id})

    # -- VoIP authorization ----------------------------------------------------------------------------------
    def get_voip_auth_user(self, device_id: str) -> VoipAuthUser | None:
        """getVoipAuthUser: the device's VoIP auth user and the cloud's isAuth; None when it has none."""
        return self._result("getVoipAuthUser", {"device_id": device_id})

    def save_wx_voip_auth(self, device_id: str, auth_tag: AuthTag | int | bool) -> bool:
        """saveWXVoipAuth (write): store WeChat's observed authorization state in the cloud."""
        params = {"device_id": device_id, "auth_tag": int(auth_tag)}
        return self._result("saveWXVoipAuth", params)

    def save_voip_auth_user(self, device_id: str, user_id: str) -> bool:
        """saveVoipAuthUser (write): make ``user_id`` the device's VoIP auth user."""
        params = {"device_id": device_id, "user_id": user_id}
        return self._result("saveVoipAuthUser", params)

    def get_device_wx_user_info(
        self, app_id: str, user_id: str | None = None, *, device_id: str | None = None
    ) -> WxUserInfo:
        """getDeviceWXUserInfo: the user's openId in mini program ``app_id`` (``user_id``: an extension)."""
        params = {"app_id": app_id, "user_id": user_id, "device_id": device_id}
        return self._result("getDeviceWXUserInfo", params)

    def voip_service_authorization(self, device_id: str, name: str, uuid: str) -> VoipAuthorization:
        """voipServiceAuthorization: sn, snTicket, modelId and deviceName for wx.requestDeviceVoIP."""
        params = {"device_id": device_id, "name": name, "uuid": uuid}
        return self._result("voipServiceAuthorization", params)

    # -- writes: purchases and codes -------------------------------------------------------------------------
    def buy_increase_service_by_wx(
        self,
        *,
        device_id: str,
        mall_code: str,
        site_code: str,
        currency: str,
        sku_code: str,
        option_type: int | str,
        option_no: int | str,
        home_id: str,
        open_id: str,
        name: str,
        uuid: str,
        wx_app_id: str,
    ) -> Purchase:
        """buyIncreaseServiceByWx (write): create an order paid through WeChat Pay; it turns "paid" later."""
        params = {
            "device_id": device_id,
            "mallCode": mall_code,
            "siteCode": site_code,
            "currency": currency,
            "skuCode": sku_code,
            "optionType": str(option_type),
            "optionNo": str(option_no),
            "homeId": home_id,
            "openId": open_id,
            "name": name,
            "uuid": uuid,
            "wxAppId": wx_app_id,
        }
        return self._result("buyIncreaseServiceByWx", params)

    def exchange_code(
        self, *, device_id: str, catalog_code: str, home_id: str, code: str, name: str, uuid: str
    ) -> ExchangeResult:
        """exchangeCode (write): redeem a code; ExchangeCodeUsed/Expired/Invalid when refused."""
        params = {
            "device_id": device_id,
            "catalog_code": catalog_code,
            "homeId": home_id,
            "code": code,
            "name": name,
            "uuid": uuid,
        }
        return self._result("exchangeCode", params)

    # -- extensions ------------------------------------------------------------------------------------------
    def list_homes(self, *, page_no: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page[Home]:
        """ext/listHomes (extension)."""
        return self._result("ext/listHomes", {"pageNo": page_no, "pageSize": page_size})

    def list_users(
        self, *, page_no: int = 1, page_size: int = DEFAULT_PAGE_SIZE, changed_since: Since = None
    ) -> Page[CloudUser]:
        """ext/listUsers (extension): users with their homes; ``changed_since``: changed at/after it, oldest first."""
        params = {"pageNo": page_no, "pageSize": page_size, "changedSince": _ms(changed_since)}
        return self._result("ext/listUsers", params)

    def get_home(self, owner_id: str) -> HomeInfo:
        """ext/getHome (extension): one home and its members; DataNotFound (1000) when the cloud has none."""
        return self._result("ext/getHome", {"ownerId": owner_id})

    def list_malls(self) -> Items[MallInfo]:
        """ext/listMalls (extension): every mall/site pair."""
        return self._result("ext/listMalls", {})

    def list_devices_changed(
        self, since: Since = None, *, page_no: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[Device]:
        """ext/listDevicesChanged (extension): devices modified at/after ``since``, by (gmtModified, id)."""
        params = {"since": _ms(since) or 0, "pageNo": page_no, "pageSize": page_size}
        return self._result("ext/listDevicesChanged", params)

    # -- walking every page ----------------------------------------------------------------------------------
    @staticmethod
    def iter_pages(fetch: Callable[[int], Page[T]]) -> Iterator[Page[T]]:
        """Pages 1, 2, ... of ``fetch(page_no)`` until the last (by pageCount, else a short page).

        Page numbers over a listing that changes while it is walked can skip a record; a sync that must not
        should walk ``changed_since`` from the newest change seen instead (mall/services/sync.py does)."""
        page_no = 1
        while True:
            page = fetch(page_no)
            yield page
            if not page.has_next or not (page.items or page.errors):
                return
            page_no += 1

    @staticmethod
    def _items(pages: Iterator[Page[T]], on_error: Callable[[BadResponse], None] | None) -> Iterator[T]:
        for page in pages:
            for err in page.errors:
                if on_error is not None:
                    on_error(err)
            yield from page.items

    def iter_home_pages(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Page[Home]]:
        return self.iter_pages(lambda n: self.list_homes(page_no=n, page_size=page_size))

    def iter_homes(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, on_error: Callable[[BadResponse], None] | None = None
    ) -> Iterator[Home]:
        """Every home; a record that did not parse goes to ``on_error`` (and the log) instead."""
        return self._items(self.iter_home_pages(page_size=page_size), on_error)

    def iter_users(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, on_error: Callable[[BadResponse], None] | None = None
    ) -> Iterator[CloudUser]:
        pages = self.iter_pages(lambda n: self.list_users(page_no=n, page_size=page_size))
        return self._items(pages, on_error)

    def iter_devices_changed(
        self, since: Since = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Page[Device]]:
        """Pages of ext/listDevicesChanged from ``since`` (None: every device)."""
        return self.iter_pages(lambda n: self.list_devices_changed(since, page_no=n, page_size=page_size))

    def iter_order_pages(
        self, mall_code: str, site_code: str, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Iterator[Page[Order]]:
        return self.iter_pages(
            lambda n: self.get_order_list(mall_code, site_code, page_no=n, page_size=page_size, **filters)
        )

    def iter_subscription_pages(
        self, mall_code: str, site_code: str, *, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Iterator[Page[Subscription]]:
        return self.iter_pages(
            lambda n: self.get_subscription_order_list(
                mall_code, site_code, page_no=n, page_size=page_size, **filters
            )
        )
