"""Clients of the IoT cloud (``CloudClient``) and the WeChat server API (``WeChatClient``).

Nothing past these clients sees raw JSON: answers become the typed models of ``models`` and failures the typed
errors of ``errors``. The wire contracts are in docs/cloud-api.md and docs/wechat-api.md.
"""

from __future__ import annotations

from voipadmin.core.clients.cloud import VOIP_CAPABILITY, CloudClient
from voipadmin.core.clients.errors import (
    CloudAuthError,
    CloudBadResponse,
    CloudError,
    CloudRateLimited,
    CloudRefused,
    CloudTimeout,
    CloudUnavailable,
    ExchangeCodeExpired,
    ExchangeCodeInvalid,
    ExchangeCodeUsed,
    WeChatAuthError,
    WeChatBadResponse,
    WeChatBusy,
    WeChatError,
    WeChatQuotaExceeded,
    WeChatRateLimited,
    WeChatUnavailable,
)
from voipadmin.core.clients.wechat import MAX_OBSERVATION_BATCH, WeChatClient

__all__ = [
    "MAX_OBSERVATION_BATCH",
    "VOIP_CAPABILITY",
    "CloudAuthError",
    "CloudBadResponse",
    "CloudClient",
    "CloudError",
    "CloudRateLimited",
    "CloudRefused",
    "CloudTimeout",
    "CloudUnavailable",
    "ExchangeCodeExpired",
    "ExchangeCodeInvalid",
    "ExchangeCodeUsed",
    "WeChatAuthError",
    "WeChatBadResponse",
    "WeChatBusy",
    "WeChatClient",
    "WeChatError",
    "WeChatQuotaExceeded",
    "WeChatRateLimited",
    "WeChatUnavailable",
]
