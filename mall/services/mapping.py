"""The one place where the cloud's typed records (voipadmin.core.clients.models) become the mirror's field dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from voipadmin.core.clients import models as cloud

MAX_NAME = 200


def _code(value: Any) -> Any:
    """An enum member's raw value (an unknown code is kept as its number, never dropped)."""
    return getattr(value, "value", value)


def _text(value: str | None, limit: int = MAX_NAME) -> str:
    return (value or "")[:limit]


def mall_info(info: cloud.MallInfo) -> dict[str, Any]:
    return {
        "mall_code": info.mall_code,
        "site_code": info.site_code,
        "shop_code": info.shop_code or "",
        "currency": info.currency or "",
    }


def commodity(item: cloud.Commodity) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    fields = {
        "commodity_code": item.commodity_code,
        "sku_code": item.sku_code,
        "service_code": item.service_code,
        "title": _text(item.title),
        "sub_title": _text(item.sub_title),
        "commodity_url": _text(item.commodity_url, 500),
        "target_url_type": _code(item.target_url_type),
        "commodity_type": _code(item.type),
    }
    prices = []
    for p in item.prices:
        strategy = p.marketing_strategy
        prices.append(
            {
                "option_type": _code(p.option_type),
                "option_no": p.option_no,
                "currency": p.currency,
                "price": p.price,
                "original_price": p.original_price,
                "period_unit": _code(p.period_unit),
                "period_value": p.period_value,
                "period_type": _code(p.period_type),
                "discount": strategy.discount if strategy else None,
                "trial_unit": _code(strategy.trial_unit) if strategy else None,
                "trial_value": strategy.trial_value if strategy else None,
            }
        )
    return fields, prices


def order(item: cloud.Order, *, synced_at: dt.datetime | None = None) -> dict[str, Any]:
    lines = [
        {
            "commodity_code": line.commodity_code or "",
            "commodity_name": _text(line.commodity_name),
            "commodity_type": _code(line.commodity_type),
            "sku_code": line.sku_code or (line.service_period.sku_code if line.service_period else "") or "",
            "srv_code": (line.service_period.srv_code if line.service_period else "") or "",
            "period_unit": _code(line.service_period.period_unit) if line.service_period else None,
            "period_value": line.service_period.period_value if line.service_period else None,
            "quantity": line.quantity,
            "unit_price_origin": line.unit_price_origin,
            "unit_price_trade": line.unit_price_trade,
            "after_sale_enabled": bool(line.after_sale_enabled),
            "icon_url": _text(line.icon_url, 500),
            "sku_values": list(line.sku_values),
        }
        for line in item.lines
    ]
    return {
        "order_id": item.order_id,
        "mall_code": item.mall.mall_code,
        "shop_code": item.mall.shop_code or "",
        "site_code": item.mall.site_code,
        "currency": item.currency,
        "amount_origin": item.amount_origin,
        "amount_trade": item.amount_trade,
        "status": _code(item.status),
        "order_type_code": item.order_type_code or "",
        "trade_type": item.trade_type or "",
        "total_quantity": item.total_quantity,
        "am_order": bool(item.am_order),
        "after_sale_enabled": bool(item.after_sale_enabled),
        "created_at": item.created_at,
        "cloud_modified_at": item.modified_at,
        "device_id": item.device_id or None,
        "home_id": item.home_id or None,
        "user_id": item.uid or None,
        "synced_at": synced_at or timezone.now(),
        "lines": lines,
    }


def order_modified(item: cloud.Order) -> dt.datetime | None:
    return item.modified_at


def subscription(item: cloud.Subscription, *, synced_at: dt.datetime) -> dict[str, Any]:
    o = item.order
    return {
        "subscribe_id": item.subscribe_id,
        "status": _code(item.status),
        "next_at": item.next_time,
        "regular_interval": item.regular_interval,
        "regular_unit": _code(item.regular_unit),
        "paid_provider": _code(item.paid_provider),
        "order_id": o.order_id or None,
        "order_status": _code(o.status) or "",
        # The keyset of the list needs a time: an order without one sorts by when we first saw it.
        "order_created_at": o.created_at or synced_at,
        "mall_code": o.mall.mall_code if o.mall else "",
        "shop_code": (o.mall.shop_code if o.mall else "") or "",
        "site_code": o.mall.site_code if o.mall else "",
        "currency": o.currency or "",
        "amount_origin": o.amount_origin,
        "amount_trade": o.amount_trade,
        "quantity": o.quantity,
        "title": _text(o.items[0].title) if o.items else "",
        "device_id": item.device_id or None,
        "cloud_modified_at": item.modified_at,
        "synced_at": synced_at,
        "items": [
            {
                "title": _text(i.title),
                "sku_code": i.sku_code or "",
                "sku_pic": _text(i.sku_pic, 500),
                "quantity": i.quantity,
                "currency": i.currency or "",
                "amount_origin": i.amount_origin,
                "amount_trade": i.amount_trade,
                "sku_values": list(i.sku_values),
            }
            for i in o.items
        ],
    }


def subscription_modified(item: cloud.Subscription) -> dt.datetime | None:
    return item.modified_at


def service_items(intro: cloud.ServiceIntroduction) -> Iterable[dict[str, Any]]:
    for module, items in intro.modules().items():
        for n, item in enumerate(items):
            yield {
                "module": module,
                # An item without an id still needs a stable key within its module.
                "item_id": item.id if item.id is not None else -(n + 1),
                "cfg_id": item.cfg_id,
                "lang": item.lang[:16],
                "title": item.title[:300],
                "subtitle": item.subtitle[:300],
                "content": item.content,
                "color": item.color[:32],
                "display": item.display != 0,
                "sub_type": item.sub_type[:64],
                "seq": item.seq or 0,
                "attachments": dict(item.attachments),
            }
