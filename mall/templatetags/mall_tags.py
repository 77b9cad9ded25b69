"""Labels and money for the mall's templates."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mall import enums
from mall.money import money_text
from voipadmin.core import confirm
from voipadmin.core import enums as cloud
from voipadmin.core.rowhtml import escape, row_link
from voipadmin.core.templatetags.time_tags import local_stamp

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


@register.simple_tag
def order_rows(
    orders: Iterable[dict[str, Any]], list_url: str, device_url: str = "", embedded: bool = False
) -> SafeString:
    """The rows of the orders table (mall/order_list.html), drawn in Python as the other growing lists' rows are
    (devices/templatetags/devices_tags.py); an order's page is ``list_url`` + its id. Rows are ``.values()``."""
    rows, tz = [], timezone.get_current_timezone()
    for o in orders:
        name = escape(o["commodity_name"] or o["commodity_code"] or "—")
        if o["line_count"] > 1:
            more = o["line_count"] - 1
            lines = ngettext("+%(counter)s line", "+%(counter)s lines", more) % {"counter": more}
            name += f' <span class="muted">{escape(lines)}</span>'
        amount = ""
        if o["amount_origin"] is not None and o["amount_origin"] != o["amount_trade"]:
            said = escape(_("original amount"))
            amount = (
                f'<s class="muted" title="{said}"><span class="visually-hidden">{said}</span>'
                f"{escape(money(o['amount_origin']))}</s> "
            )
        device = ""
        if not embedded:
            if o["device_seen"]:
                shown = escape(o["device_name"] or o["device_id"])
                device = f"<td>{row_link(device_url, o['device_id'], shown)}</td>"
            elif o["device_id"]:
                device = f'<td><code class="muted">{escape(o["device_id"])}</code></td>'
            else:
                device = "<td>—</td>"
        order_code = f"<code>{escape(o['order_id'])}</code>"
        rows.append(
            f'<tr><td class="nowrap">{local_stamp(o["created_at"], "Y-m-d H:i", tz)}</td>'
            f"<td>{row_link(list_url, o['order_id'], order_code)}</td>"
            f'<td class="key"><span class="badge badge-{escape(order_status_tone(o["status"]))}">'
            f"{escape(order_status_label(o['status']))}</span></td><td>{name}</td>"
            f'<td class="num nowrap key">{amount}{escape(money(o["amount_trade"]))} <span class="muted">'
            f"{escape(o['currency'])}</span></td>"
            f'<td><code class="muted">{escape(o["mall_code"])}</code> · {escape(o["site_code"])}</td>{device}</tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 -- every value in the rows is escaped above
