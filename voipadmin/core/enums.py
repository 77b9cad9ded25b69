"""The business's codes (service types, order and subscription states, auth tags …) with readable labels.

One module every part shares: the clients parse wire values into these types, the apps filter and count by them,
the pages show their labels. An unseen value reads "unknown (N)", never a crash.

Which values the vendor documents and which are ours is listed in docs/cloud-api.md ("Enumerations").

Documented values come from the vendor's SDK page (getCommodityList tables, OrderStatus, ServiceTag).
Values no public source gives live in ``UNVERIFIED`` below, the one place to correct them.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

Label = str | Promise


def unknown_label(value: object) -> str:
    return str(_("unknown (%(value)s)") % {"value": value})


class _Labelled:
    """Mixin: ``.label`` from the class's label table, ``.known`` whether the value is in it."""

    labels_key: ClassVar[str] = ""

    @classmethod
    def label_table(cls) -> dict[Any, Label]:
        return {**DOCUMENTED, **UNVERIFIED}.get(cls.labels_key, {})

    @classmethod
    def unverified(cls) -> bool:
        return cls.labels_key in UNVERIFIED

    @property
    def label(self) -> str:
        found = self.label_table().get(self._value_)  # type: ignore[attr-defined]
        return unknown_label(self._value_) if found is None else str(found)  # type: ignore[attr-defined]

    @property
    def known(self) -> bool:
        return self._value_ in self.label_table()  # type: ignore[attr-defined]


class CodeEnum(_Labelled, enum.IntEnum):
    """An integer code; a value the table lacks becomes a pseudo-member named UNKNOWN_<n>."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            member = int.__new__(cls, value)
            member._name_ = f"UNKNOWN_{value}"
            member._value_ = value
            return member
        return None


class TextEnum(_Labelled, enum.StrEnum):
    """A string code; a value the table lacks becomes a pseudo-member."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            member = str.__new__(cls, value)
            member._name_ = f"UNKNOWN_{value}"
            member._value_ = value
            return member
        return None


# -- vendor-documented ---------------------------------------------------------------------------------------
class TargetUrlType(CodeEnum):
    labels_key = enum.nonmember("targetUrlType")
    H5 = 0
    MINI_PROGRAM = 1


class CommodityType(CodeEnum):
    """getCommodityList ``type`` and getServiceListByDevice ``type`` (商品类型)."""

    labels_key = enum.nonmember("commodityType")
    CLOUD_STORAGE = 0
    VOIP = 1
    AI = 2


class PeriodUnit(CodeEnum):
    """Price ``periodUnit`` and the trial ``marketingStrategy.periodUnit``."""

    labels_key = enum.nonmember("periodUnit")
    YEAR = 1
    MONTH = 2
    DAY = 3
    WEEK = 4


class PeriodType(CodeEnum):
    labels_key = enum.nonmember("periodType")
    NORMAL = 0
    SUBSCRIBE = 1


class OrderStatus(TextEnum):
    labels_key = enum.nonmember("orderStatus")
    CREATED = "created"
    PENDING_AUDIT_PAID = "pending_audit_paid"
    PAYING = "paying"
    PAID = "paid"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    PART_DELIVERED = "part_delivered"
    FINISHED = "finished"
    CANCELED = "canceled"
    CLOSED = "closed"
    REFUNDED = "refunded"


class ServiceTag(TextEnum):
    labels_key = enum.nonmember("serviceTag")
    FREE_TRIAL = "freeTrial"
    AUTOMATIC_RENEWAL = "automaticRenewal"


# -- unverified (no public source; labels and members are ours) ---------------------------------------------
class VasType(CodeEnum):
    """getDeviceAddValueType / getDeviceList ``types``."""

    labels_key = enum.nonmember("vasType")
    CLOUD_STORAGE = 0
    VOIP = 1
    AI = 2


class AuthTag(CodeEnum):
    """saveWXVoipAuth ``auth_tag``: written as WeChat's own status (docs/wechat-api.md)."""

    labels_key = enum.nonmember("authTag")
    NOT_AUTHORIZED = 0
    AUTHORIZED = 1


class CategoryCode(TextEnum):
    """getServiceIntroduction ``categoryCode``."""

    labels_key = enum.nonmember("categoryCode")
    CLOUD_STORAGE = "cloud_storage"
    VOIP = "voip"
    AI = "ai"


class SubscriptionStatus(CodeEnum):
    labels_key = enum.nonmember("subscriptionStatus")
    ACTIVE = 1
    TRIAL = 2
    RENEWAL_FAILED = 3
    CANCELLED = 4
    EXPIRED = 5


class PaidProvider(CodeEnum):
    labels_key = enum.nonmember("paidProvider")
    WECHAT_PAY = 1
    APPLE_IAP = 4


class RegularUnit(CodeEnum):
    """Subscription ``regularUnit``: independent of PeriodUnit (the newer VAS API's getSubscribeList shows 3 meaning a year;
    docs/cloud-api.md)."""

    labels_key = enum.nonmember("regularUnit")
    YEAR = 1
    MONTH = 2
    DAY = 3
    WEEK = 4


class OptionType(CodeEnum):
    """Price ``optionType``."""

    labels_key = enum.nonmember("optionType")
    ONE_OFF = 0
    SUBSCRIPTION = 1


class OrderCommodityType(CodeEnum):
    """``commodityType`` on an order line (the seed shows 5 on a VoIP order)."""

    labels_key = enum.nonmember("orderCommodityType")
    VALUE_ADDED_SERVICE = 5


_PERIOD_UNITS: dict[Any, Label] = {
    1: pgettext_lazy("period unit", "year"),
    2: pgettext_lazy("period unit", "month"),
    3: pgettext_lazy("period unit", "day"),
    4: pgettext_lazy("period unit", "week"),
}

DOCUMENTED: dict[str, dict[Any, Label]] = {
    "targetUrlType": {0: _("H5 page"), 1: _("mini program")},
    "commodityType": {0: _("cloud storage"), 1: _("VoIP"), 2: _("AI")},
    "periodUnit": _PERIOD_UNITS,
    "periodType": {0: _("normal"), 1: _("auto-renewing")},
    "orderStatus": {
        "created": _("created, awaiting payment"),
        "pending_audit_paid": _("awaiting review"),
        "paying": _("paying"),
        "paid": _("paid"),
        "delivering": _("delivering"),
        "delivered": _("delivered"),
        "part_delivered": _("partly delivered"),
        "finished": _("finished"),
        "canceled": _("cancelled"),
        "closed": _("closed"),
        "refunded": _("refunded"),
    },
    "serviceTag": {"freeTrial": _("free trial"), "automaticRenewal": _("automatic renewal")},
}

# UNVERIFIED: no public source documents these enumerations (docs/cloud-api.md, "Enumerations"). The values are those the
# sandbox and the seed show; the labels are ours. Correct them here, in this one table, once the vendor
# confirms them.
UNVERIFIED: dict[str, dict[Any, Label]] = {
    "vasType": {0: _("cloud storage"), 1: _("VoIP"), 2: _("AI")},
    "authTag": {0: _("not authorized"), 1: _("authorized")},
    "categoryCode": {"cloud_storage": _("cloud storage"), "voip": _("VoIP"), "ai": _("AI")},
    "subscriptionStatus": {
        1: _("active"),
        2: _("trial"),
        3: _("renewal failed"),
        4: _("cancelled"),
        5: _("expired"),
    },
    "paidProvider": {1: _("WeChat Pay"), 4: _("Apple IAP")},
    "regularUnit": _PERIOD_UNITS,
    "optionType": {0: _("one-off purchase"), 1: _("subscription")},
    "orderCommodityType": {5: _("value-added service")},
}

# Plain tables for forms and templates that hold raw codes.
VAS_TYPE_LABELS: dict[Any, Label] = UNVERIFIED["vasType"]
COMMODITY_TYPE_LABELS: dict[Any, Label] = DOCUMENTED["commodityType"]
ORDER_STATUS_LABELS: dict[Any, Label] = DOCUMENTED["orderStatus"]
SUBSCRIPTION_STATUS_LABELS: dict[Any, Label] = UNVERIFIED["subscriptionStatus"]


def label_of(enum_cls: type[_Labelled], value: object) -> str:
    """The label of a raw code (int or str) for ``enum_cls``; "unknown (N)" when unseen, "—" when absent."""
    if value is None or value == "":
        return "—"
    found = enum_cls.label_table().get(value)
    return unknown_label(value) if found is None else str(found)


def vas_type_label(code: object) -> str:
    return label_of(VasType, code)


def service_tag_label(tag: object) -> str:
    return label_of(ServiceTag, tag)
