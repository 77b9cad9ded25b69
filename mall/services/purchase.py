"""A test purchase of a commodity for a device (buyIncreaseServiceByWx), on a sandbox-backed install only.

The cloud is called first, outside any transaction. Yes -> the audit event (ok) in one atomic block; no ->
only an audit event (failed) with the reason; no answer -> an audit event (unknown). The order itself
arrives in the mirror with the next mall sync, as every order does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from devices.models import Device, VoipAuthState, WeChatIdentity
from mall.enums import CATALOG_BY_TYPE
from mall.models import CommodityPrice, DeviceMall
from voipadmin.audit import audit_cloud_write, audit_record
from voipadmin.clients.cloud import CloudClient
from voipadmin.clients.errors import CloudError, CloudUnavailable

ACTION = "mall.test_purchase"


@dataclass(frozen=True)
class PurchaseOutcome:
    ok: bool
    result: str  # the audit result: ok | failed | unknown
    message: str
    order_id: str = ""


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


def test_purchase_make(
    *, actor: AbstractBaseUser, device: Device, price: CommodityPrice, client: CloudClient | None = None
) -> PurchaseOutcome:
    commodity = price.commodity
    target = f"{commodity.commodity_code}#{price.option_type}.{price.option_no}"
    catalog = CATALOG_BY_TYPE.get(commodity.commodity_type or -1, "")
    mall = DeviceMall.objects.filter(device=device, catalog_code=catalog).first()
    open_id = _open_id(device)
    missing = [
        name
        for name, value in (
            (_("mall information"), mall),
            (_("home"), device.home_id),
            (_("WeChat AppID"), device.wechat_app_id),
            (_("openId of the VoIP auth user"), open_id),
        )
        if not value
    ]
    if missing:
        message = _("The test purchase was not sent: the mirror lacks %(what)s for this device.") % {
            "what": ", ".join(missing)
        }
        audit_record(
            actor=actor,
            action=ACTION,
            result="failed",
            device_id=device.device_id,
            target=target,
            detail=message,
        )
        return PurchaseOutcome(ok=False, result="failed", message=message)
    request = {
        "mall_code": mall.mall_code,
        "site_code": mall.site_code,
        "currency": mall.currency,
        "sku_code": commodity.sku_code,
        "option_type": str(price.option_type),
        "option_no": str(price.option_no),
    }
    try:
        result = (client or CloudClient()).buy_increase_service_by_wx(
            device_id=device.device_id,
            home_id=device.home_id,
            open_id=open_id,
            name=device.name,
            uuid=device.uuid,
            wx_app_id=device.wechat_app_id,
            **request,
        )
    except CloudError as exc:
        unknown = isinstance(exc, CloudUnavailable)
        if unknown:
            message = _(
                "The cloud did not answer (%(error)s): the purchase may exist or not; check after the next sync."
            ) % {"error": exc}
        else:
            message = _("The cloud refused the test purchase: %(error)s") % {"error": exc}
        write = audit_cloud_write(
            actor=actor,
            action=ACTION,
            device_id=device.device_id,
            target=target,
            before=request,
            error=exc,
            unknown=unknown,
            message=message,
        )
        return PurchaseOutcome(ok=False, result=write.result, message=write.message)
    message = _(
        "Test order %(order)s created (%(status)s); it shows in the orders after the next mall sync."
    ) % {
        "order": result.order_id,
        "status": result.order_status.label,
    }
    with transaction.atomic():
        write = audit_cloud_write(
            actor=actor,
            action=ACTION,
            device_id=device.device_id,
            target=target,
            before=request,
            after={"order_id": result.order_id, "order_status": str(result.order_status)},
            message=message,
        )
    return PurchaseOutcome(ok=True, result=write.result, message=write.message, order_id=result.order_id)
