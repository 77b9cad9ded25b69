"""Labels and money for the mall's templates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _

from mall import enums
from mall.money import money_text
from voipadmin.core import confirm
from voipadmin.core import enums as cloud

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    return money_text(value) if value is not None else "—"


@register.filter
def order_status_label(value: str) -> str:
    return enums.label(cloud.OrderStatus, value)


@register.filter
def order_status_tone(value: str) -> str:
    return enums.ORDER_STATUS_TONE.get(value, "muted")


@register.filter
def subscription_status_label(value: int | None) -> str:
    return enums.label(cloud.SubscriptionStatus, value)


@register.filter
def subscription_status_tone(value: int | None) -> str:
    return enums.SUBSCRIPTION_STATUS_TONE.get(value, "muted")  # type: ignore[arg-type]


@register.filter
def paid_provider_label(value: int | None) -> str:
    return enums.label(cloud.PaidProvider, value)


@register.filter
def option_type_label(value: int | None) -> str:
    return enums.label(cloud.OptionType, value)


@register.filter
def commodity_type_label(value: int | None) -> str:
    return enums.label(cloud.CommodityType, value)


@register.filter
def category_of(value: int | None) -> str:
    return enums.CATEGORY_BY_TYPE.get(value, "")  # type: ignore[arg-type]


@register.simple_tag
def period(value: Any, unit: Any) -> str:
    """ "1 month", "12 months": the value with its unit's label; unknown units say so."""
    if value is None and unit is None:
        return "—"
    unit_label = enums.label(cloud.PeriodUnit, unit)
    return _("%(value)s × %(unit)s") % {"value": value if value is not None else "?", "unit": unit_label}


@register.simple_tag
def renewal(interval: Any, unit: Any) -> str:
    """A subscription's renewal interval (regularUnit has its own, unverified, table)."""
    if interval is None and unit is None:
        return "—"
    unit_label = enums.label(cloud.RegularUnit, unit)
    return _("%(value)s × %(unit)s") % {
        "value": interval if interval is not None else "?",
        "unit": unit_label,
    }


@register.filter
def percent(value: Decimal | None) -> str:
    """27.0000 -> "27", 12.5000 -> "12.5" (exact; the stored places are not the cloud's)."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text


@register.simple_tag
def once_token() -> str:
    """A fresh one-time token for a form that creates something (one order per token)."""
    return confirm.once_token()


@register.filter
def code_label(value: str | None, table: str) -> str:
    """A mall code in words ("CLOUD_STORAGE" → 云存储) from ``enums.CODE_TABLES[table]``; an unseen code as is."""
    if not value:
        return "—"
    found = enums.CODE_TABLES[table].get(value)
    return value if found is None else str(found)
