"""What the mall adds to the cloud's enumerations (voipadmin.core.enums holds the codes and their labels):
how a status reads at a glance, and which catalog and service category a commodity type belongs to."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from voipadmin.core import enums as cloud

ORDER_STATUS_LABELS = cloud.ORDER_STATUS_LABELS
SUBSCRIPTION_STATUS_LABELS = cloud.SUBSCRIPTION_STATUS_LABELS

# The badge carries the text too: status is never told by colour alone.
ORDER_STATUS_TONE = {
    "created": "muted",
    "pending_audit_paid": "warn",
    "paying": "warn",
    "paid": "ok",
    "delivering": "info",
    "delivered": "ok",
    "part_delivered": "warn",
    "finished": "ok",
    "canceled": "muted",
    "closed": "muted",
    "refunded": "bad",
}
SUBSCRIPTION_STATUS_TONE = {1: "ok", 2: "info", 3: "bad", 4: "muted", 5: "muted"}

# getAppMallInfo's catalog_code per commodity type ("CLOUD_STORAGE" is the vendor's own example).
CATALOG_BY_TYPE: dict[int, str] = {
    cloud.CommodityType.CLOUD_STORAGE: "CLOUD_STORAGE",
    cloud.CommodityType.VOIP: "VOIP",
    cloud.CommodityType.AI: "AI",
}
# The mall's codes in words (unverified like the codes; an unseen one shows as it is).
CATALOG_LABELS = {"CLOUD_STORAGE": _("Cloud storage"), "VOIP": _("VoIP calls"), "AI": _("AI")}
ORDER_TYPE_LABELS = {"NORMAL": _("one-off purchase"), "SUBSCRIBE": _("subscription")}
TRADE_TYPE_LABELS = {
    "JSAPI": _("WeChat Pay in the mini program"),
    "APP": _("WeChat Pay in an app"),
    "NATIVE": _("WeChat Pay by QR code"),
    "MWEB": _("WeChat Pay in a mobile browser"),
}
CODE_TABLES = {"catalog": CATALOG_LABELS, "order_type": ORDER_TYPE_LABELS, "trade_type": TRADE_TYPE_LABELS}

# getServiceIntroduction's categoryCode per commodity type (unverified, like the codes themselves).
CATEGORY_BY_TYPE: dict[int, str] = {
    cloud.CommodityType.CLOUD_STORAGE: cloud.CategoryCode.CLOUD_STORAGE.value,
    cloud.CommodityType.VOIP: cloud.CategoryCode.VOIP.value,
    cloud.CommodityType.AI: cloud.CategoryCode.AI.value,
}


def label(enum_cls: type, value: Any) -> str:
    return cloud.label_of(enum_cls, value)
