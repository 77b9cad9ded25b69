"""A test purchase of a commodity for a device (buyIncreaseServiceByWx), on a sandbox-backed install only.

It goes through the one cloud-write path with the form's one-time token, so a second submit answers the first
result and never makes a second order; it holds the device's write lock. The order itself arrives in the mirror
with the next mall sync; when the outcome is unknown, the device's orders are re-read (getOrderList with the
device id as searchKey) soon after.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from devices.models import Device, VoipAuthState, WeChatIdentity
from devices.services.fixes import device_params
from devices.services.refresh import reread_delay
from mall.enums import CATALOG_BY_TYPE
from mall.models import CommodityPrice, DeviceMall
from mall.services import mapping
from mall.services.upsert import order_day_totals_rebuild, orders_upsert
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.clients.errors import CloudUnavailable
from voipadmin.core.clients.models import Purchase
from voipadmin.core.cloudwrite import WriteResult, cloud_write, guarded, not_sent

ACTION = "mall.test_purchase"


def _open_id(device: Device) -> str:
    """The buyer's openId in the device's mini program: the VoIP auth user's, as the mini program sends."""
    auth = VoipAuthState.objects.filter(device=device).first()
    if auth is None:
        return ""
    if auth.user_id:
        found = WeChatIdentity.objects.filter(user_id=auth.user_id, app_id=device.wechat_app_id).first()
        if found:
            return found.open_id
    return auth.open_id


def purchase_params(device: Device, price: CommodityPrice) -> dict[str, Any]:
    commodity = price.commodity
    return {
        **device_params(device),
        "commodity": commodity.title or commodity.commodity_code,
        "option": f"{price.option_type}.{price.option_no}",
    }


def _device_mall(device: Device, price: CommodityPrice) -> DeviceMall | None:
    kind = price.commodity.commodity_type  # 0 is cloud storage: a real type, not "no type"
    catalog = CATALOG_BY_TYPE.get(kind, "") if kind is not None else ""
    return DeviceMall.objects.filter(device=device, catalog_code=catalog).first() if catalog else None


def queue_orders_reread(device_id: str, mall_code: str, site_code: str) -> dt.datetime:
    delay = reread_delay()
    device_orders_reread_task.apply_async_on_commit((device_id, mall_code, site_code), countdown=delay)
    return timezone.now() + dt.timedelta(seconds=delay)


def device_orders_reread(
    *, device_id: str, mall_code: str, site_code: str, client: CloudClient | None = None
) -> int:
    """Read the device's orders in one mall now (getOrderList, searchKey = device id) into the mirror."""
    client = client or CloudClient.from_settings()
    page_no, stored, days = 1, 0, set()
    while True:
        page = client.get_order_list(mall_code, site_code, page_no=page_no, search_key=device_id)
        now = timezone.now()
        records = [mapping.order(item, synced_at=now) for item in page.items if item.device_id == device_id]
        days |= orders_upsert(orders=records)
        stored += len(records)
        if page.page_count is None or page_no >= page.page_count:
            break
        page_no += 1
    if days:
        order_day_totals_rebuild(days=days)
    return stored


# Queued by this module (an unknown outcome), so it lives here: tasks.py imports services, never the reverse.
@shared_task(autoretry_for=(CloudUnavailable,), retry_backoff=10, max_retries=3)
def device_orders_reread_task(device_id: str, mall_code: str, site_code: str) -> dict[str, Any]:
    """After a purchase whose outcome is unknown: the device's orders in that mall, read now."""
    stored = device_orders_reread(device_id=device_id, mall_code=mall_code, site_code=site_code)
    return {"device": device_id, "orders": stored}


def test_purchase_make(
    *,
    actor: AbstractBaseUser,
    device: Device,
    price: CommodityPrice,
    once: str,
    client: CloudClient | None = None,
) -> WriteResult:
    commodity = price.commodity
    target = f"{commodity.commodity_code}#{price.option_type}.{price.option_no}"
    params = purchase_params(device, price)
    audit = {"actor": actor, "action": ACTION, "device_id": device.device_id, "target": target}
    mall = _device_mall(device, price)
    open_id = _open_id(device)
    missing = [
        name
        for name, value in (
            ("mall", mall),
            ("home", device.home_id),
            ("app_id", device.wechat_app_id),
            ("open_id", open_id),
        )
        if not value
    ]
    if missing or mall is None:
        return not_sent(**audit, params=params, reason="mirror_lacks", missing=missing)
    request = {
        "mall_code": mall.mall_code,
        "site_code": mall.site_code,
        "currency": mall.currency,
        "sku_code": commodity.sku_code,
        "option_type": str(price.option_type),
        "option_no": str(price.option_no),
    }

    def applied(value: Purchase) -> tuple[Any, dict[str, Any]]:
        status = str(value.order_status)
        return {"order_id": value.order_id, "order_status": status}, {
            "order": value.order_id,
            "order_status": status,
        }

    def write() -> WriteResult:
        return cloud_write(
            **audit,
            params=params,
            send=lambda: (client or CloudClient.from_settings()).buy_increase_service_by_wx(
                device_id=device.device_id,
                home_id=device.home_id or "",
                open_id=open_id,
                name=device.name,
                uuid=device.uuid,
                wx_app_id=device.wechat_app_id,
                **request,
            ),
            before=request,
            on_applied=applied,
            applied_message="purchase.applied",
            reread=lambda: queue_orders_reread(device.device_id, mall.mall_code, mall.site_code),
            once=once,
        )

    return guarded(device.device_id, write, lambda: not_sent(**audit, params=params, reason="device_busy"))
