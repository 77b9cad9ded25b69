"""Typed errors of the cloud and WeChat clients.

The codes and what each means are documented in docs/cloud-api.md ("Errors") and docs/wechat-api.md.

Callers tell outcomes apart by class: ``CloudUnavailable`` (no answer; for a write, ``outcome_unknown``
says the cloud may have done it), ``CloudRateLimited``, ``CloudAuthError`` (our credentials or token),
``CloudRefused`` (the cloud answered no), ``CloudBadResponse`` (the answer did not parse; ``field`` names
where). Messages never hold a secret or a token: the clients mask them before building an error.
"""

from __future__ import annotations


class BadResponse(Exception):
    """Mixin of both clients' parse errors: ``field`` is the dotted path of the offending field."""

    field: str
    reason: str


# -- cloud ---------------------------------------------------------------------------------------------------
class CloudError(Exception):
    """A failed cloud call: ``code`` (Tuya's; None when the cloud gave none), ``msg``, ``tid`` (trace id)."""

    def __init__(self, code: int | None, msg: str, tid: str | None = None, *, http_status: int | None = None):
        self.code = code
        self.msg = msg
        self.tid = tid
        self.http_status = http_status
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"{self.code} {self.msg}" if self.code is not None else self.msg
        return f"{head} (tid {self.tid})" if self.tid else head

    @property
    def message(self) -> str:
        return self.msg

    def __reduce__(self) -> tuple:  # picklable through Celery results
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[CloudError], state: dict) -> CloudError:
    exc = cls.__new__(cls)
    exc.__dict__.update(state)
    Exception.__init__(exc, exc._text())
    return exc


class CloudAuthError(CloudError):
    """Our client id, secret, signature, clock or token was refused (1001-1013, 1106, 28841105)."""


class CloudTokenInvalid(CloudAuthError):
    """1010 expired / 1011 invalid / 1012 token status: the client drops the token and retries once."""


class CloudRateLimited(CloudError):
    """1110 concurrent requests over limit, 1199 requests too frequent."""


class CloudUnavailable(CloudError):
    """No usable answer: HTTP 5xx, 500 system error, 1111 system busy, timeout, connection failure.

    ``outcome_unknown`` is True when the request may have reached the cloud (a read timeout, a dropped
    connection, a 5xx): a write may or may not have happened."""

    def __init__(
        self,
        code: int | None,
        msg: str,
        tid: str | None = None,
        *,
        http_status: int | None = None,
        outcome_unknown: bool = True,
    ):
        self.outcome_unknown = outcome_unknown
        super().__init__(code, msg, tid, http_status=http_status)


class CloudTimeout(CloudUnavailable):
    """The cloud did not answer within the read timeout."""


class CloudBadResponse(CloudError, BadResponse):
    """The answer did not have the contract's shape; ``field`` is the dotted path of the bad field."""

    def __init__(self, field: str, reason: str, tid: str | None = None):
        self.field = field
        self.reason = reason
        super().__init__(None, f"malformed field {field!r}: {reason}", tid)


class CloudRefused(CloudError):
    """The cloud answered and said no (a business or parameter error)."""


class InvalidParameter(CloudRefused):
    """1100/1101/1102/1109 parameter errors (also an unknown user for saveVoipAuthUser)."""


class DataNotFound(CloudRefused):
    """1000 data not exist."""


class DeviceNotFound(CloudRefused):
    """40000901 device not exist."""


class NoVoipCapability(CloudRefused):
    """40000903: the device lacks the VoIP capability tyabiwxrn9."""


class ExchangeCodeRefused(CloudRefused):
    """exchangeCode refused the code."""


class ExchangeCodeUsed(ExchangeCodeRefused):
    """28841301 exchange code used."""


class ExchangeCodeExpired(ExchangeCodeRefused):
    """28841302 exchange code expired."""


class ExchangeCodeInvalid(ExchangeCodeRefused):
    """28841303 exchange code invalid (unknown, other catalog, or not applicable to the device)."""


class TrialQuotaUsed(CloudRefused):
    """28841004 trial quota used up."""


TOKEN_CODES = frozenset({1010, 1011, 1012})
AUTH_CODES = frozenset({1001, 1002, 1003, 1004, 1005, 1013, 1105, 1106, 1107, 28841105})
RATE_CODES = frozenset({1110, 1199})
UNAVAILABLE_CODES = frozenset({500, 1111})
_REFUSALS: dict[int, type[CloudRefused]] = {
    1000: DataNotFound,
    1100: InvalidParameter,
    1101: InvalidParameter,
    1102: InvalidParameter,
    1109: InvalidParameter,
    40000901: DeviceNotFound,
    40000903: NoVoipCapability,
    28841004: TrialQuotaUsed,
    28841301: ExchangeCodeUsed,
    28841302: ExchangeCodeExpired,
    28841303: ExchangeCodeInvalid,
}


def cloud_error_for(code: int, msg: str, tid: str | None, http_status: int | None = None) -> CloudError:
    """The typed error for a failure envelope; an unlisted code is a refusal (the cloud answered no)."""
    if code in TOKEN_CODES:
        return CloudTokenInvalid(code, msg, tid, http_status=http_status)
    if code in AUTH_CODES:
        return CloudAuthError(code, msg, tid, http_status=http_status)
    if code in RATE_CODES:
        return CloudRateLimited(code, msg, tid, http_status=http_status)
    if code in UNAVAILABLE_CODES or (http_status or 0) >= 500:
        return CloudUnavailable(code, msg, tid, http_status=http_status)
    return _REFUSALS.get(code, CloudRefused)(code, msg, tid, http_status=http_status)


# -- WeChat --------------------------------------------------------------------------------------------------
class WeChatError(Exception):
    """A failed WeChat call: ``errcode`` (None when WeChat gave none) and ``errmsg`` (with its rid)."""

    def __init__(self, errcode: int | None, errmsg: str, *, app_id: str | None = None):
        self.errcode = errcode
        self.errmsg = errmsg
        self.app_id = app_id
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"{self.errcode} {self.errmsg}" if self.errcode is not None else self.errmsg
        return f"{head} (AppID {self.app_id})" if self.app_id else head

    @property
    def message(self) -> str:
        return self.errmsg

    def __reduce__(self) -> tuple:
        return (_rebuild_wx, (type(self), self.__dict__))


def _rebuild_wx(cls: type[WeChatError], state: dict) -> WeChatError:
    exc = cls.__new__(cls)
    exc.__dict__.update(state)
    Exception.__init__(exc, exc._text())
    return exc


class WeChatConfigError(WeChatError):
    """No secret configured for the AppID (settings.WECHAT_APP_SECRETS)."""


class WeChatAuthError(WeChatError):
    """WeChat refused our AppID/secret (40001 on a token call, 40002, 40013, 40125, 40164 IP not allowed,
    41002 / 41004 AppID / secret missing)."""


class WeChatTokenInvalid(WeChatAuthError):
    """40001 not-latest / 42001 expired / 40014 illegal token on a business call, after one refresh."""


class WeChatBusy(WeChatError):
    """-1 system busy."""


class WeChatQuotaExceeded(WeChatError):
    """45009: the daily quota is used up; a run stops as partial."""


class WeChatRateLimited(WeChatError):
    """45011: calls too frequent; slow down and retry later."""


class WeChatUnavailable(WeChatError):
    """No usable answer: HTTP 5xx, timeout, connection failure."""


class WeChatBadResponse(WeChatError, BadResponse):
    """The answer did not have the contract's shape; ``field`` names the bad field."""

    def __init__(self, field: str, reason: str, *, app_id: str | None = None):
        self.field = field
        self.reason = reason
        super().__init__(None, f"malformed field {field!r}: {reason}", app_id=app_id)


WX_TOKEN_CODES = frozenset({40001, 42001, 40014})
_WX_CLASSES: dict[int, type[WeChatError]] = {
    -1: WeChatBusy,
    40002: WeChatAuthError,
    40013: WeChatAuthError,
    40125: WeChatAuthError,
    40164: WeChatAuthError,
    41002: WeChatAuthError,
    41004: WeChatAuthError,
    45009: WeChatQuotaExceeded,
    45011: WeChatRateLimited,
}


def wechat_error_for(errcode: int, errmsg: str, *, app_id: str | None, token_call: bool) -> WeChatError:
    """The typed error for an errcode; 40001 on a token call means a wrong secret, elsewhere a stale token."""
    if errcode in WX_TOKEN_CODES:
        cls: type[WeChatError] = WeChatAuthError if token_call else WeChatTokenInvalid
        return cls(errcode, errmsg, app_id=app_id)
    return _WX_CLASSES.get(errcode, WeChatError)(errcode, errmsg, app_id=app_id)
