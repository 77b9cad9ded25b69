"""The 16 SDK calls and the extensions: POST /v1.0/vas/voip/{name} with the SDK's parameters as JSON."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sandbox import catalog as C
from sandbox.errors import DEVICE_NOT_EXIST, NO_VOIP_CAPABILITY, CloudError, param_error
from sandbox.quirks import add_extra, cents_str, money
from sandbox.store import now_ms

if TYPE_CHECKING:
    from sandbox.app import App

Handler = Callable[["App", dict], Any]
MAX_PAGE_SIZE = 1000


# -- parameter helpers ---------------------------------------------------------------------------------------
def _str(params: dict, key: str, required: bool = True) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise param_error(f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise param_error(f"{key} must be a string")
    return str(value)


def _int(
    params: dict, key: str, required: bool = True, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise param_error(f"{key} is required")
        return None
    if isinstance(value, bool):
        raise param_error(f"{key} must be a number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise param_error(f"{key} must be a number") from None
    if isinstance(value, float) and value != number:
        raise param_error(f"{key} must be an integer")
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise param_error(f"{key} out of range")
    return number


def _paging(params: dict) -> tuple[int, int]:
    return _int(params, "pageNo", minimum=1), _int(params, "pageSize", minimum=1, maximum=MAX_PAGE_SIZE)


def _device(app: App, params: dict) -> sqlite3.Row:
    device_id = _str(params, "device_id")
    row = app.store.one(
        "SELECT d.*, h.site, h.lang FROM devices d JOIN homes h ON h.owner_id = d.owner_id WHERE d.id = ?",
        (device_id,),
    )
    if row is None:
        raise CloudError(DEVICE_NOT_EXIST, "device not exist")
    return row


def _voip_device(app: App, params: dict) -> sqlite3.Row:
    dev = _device(app, params)
    if not dev["has_voip"]:
        raise CloudError(NO_VOIP_CAPABILITY, f"device has no VoIP capability ({C.VOIP_CAPABILITY})")
    return dev


def derived_quirk(*parts: object) -> int:
    """A per-record quirk for records that are not stored rows (commodity prices, new orders)."""
    n = int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:8], 16)
    r = (n & 0xFFFF) / 0x10000
    style = 0 if r < 0.8 else (1 if r < 0.9 else 2)
    extra = ((n >> 16) % 3) + 1 if ((n >> 20) & 0xFF) < 10 else 0
    return style | (extra << 2)


def _page(total: int, page_no: int, size: int) -> dict:
    return {"pageCount": math.ceil(total / size) if total else 0, "pageSize": size, "totalRecord": total}


def _select_page(
    app: App,
    count_from: str,
    select: str,
    where: list[str],
    args: list[Any],
    since: int | None,
    changed: tuple[str, str],
    newest_first: str,
    page_no: int,
    size: int,
) -> tuple[int, list[sqlite3.Row]]:
    """One page of a paged listing and its total: changed since a time in change order, else newest first.

    ``changed`` is (the modified-time column, the order that walks changes oldest first)."""
    column, order = changed
    if since is not None:
        where, args = [*where, f"{column} >= ?"], [*args, since]
    else:
        order = newest_first
    cond = " AND ".join(where)
    total = app.store.count(f"SELECT COUNT(*) {count_from} WHERE {cond}", args)
    rows = app.store.query(
        f"{select} WHERE {cond} ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, size, (page_no - 1) * size],
    )
    return total, rows


# -- devices -------------------------------------------------------------------------------------------------
def _device_item(row: sqlite3.Row) -> dict:
    item = {
        "types": json.loads(row["types"]),
        "icon": row["icon"],
        "name": row["name"],
        "id": row["id"],
        "locationName": row["location_name"],
        "uuid": row["uuid"],
    }
    return add_extra(item, row["quirk"])


def get_device_list(app: App, params: dict) -> list[dict]:
    owner = _str(params, "owner_id")
    rows = app.store.query("SELECT * FROM devices WHERE owner_id = ? ORDER BY seq", (owner,))
    return [_device_item(r) for r in rows]


def get_device_add_value_type(app: App, params: dict) -> dict:
    dev = _device(app, params)
    return {"types": json.loads(dev["types"]), "icon": dev["icon"], "name": dev["name"], "id": dev["id"]}


def get_device_capability(app: App, params: dict) -> dict | None:
    dev = _device(app, params)
    code = _str(params, "code")
    if code != C.VOIP_CAPABILITY or not dev["has_voip"]:
        return None
    return {
        "WechatMPAppid": dev["app_id"],
        "WechatMPOid": C.APP_ORIGINAL_IDS[dev["app_id"]],
        "WechatMPMid": dev["model_id"],
    }


# -- mall ----------------------------------------------------------------------------------------------------
def _price(com: C.Commodity, site: str, opt: C.PriceOption, seed: int) -> dict:
    quirk = derived_quirk(seed, com.sku_code(site), opt.option_no)
    price: dict[str, Any] = {
        "optionType": opt.option_type,
        "periodType": opt.period_type,
        "originalPrice": money(opt.original_cents, quirk),
        "strOriginalPrice": cents_str(opt.original_cents),
        "price": money(opt.cents, quirk),
        "strPrice": cents_str(opt.cents),
        "currency": C.SITES[site],
        "optionNo": opt.option_no,
        "periodUnit": opt.period_unit,
        "periodValue": opt.period_value,
    }
    if opt.discount is not None or opt.trial_unit is not None:
        strategy: dict[str, int] = {"discount": opt.discount or 0}
        if opt.trial_unit is not None:
            strategy["periodUnit"] = opt.trial_unit
            strategy["periodValue"] = opt.trial_value or 0
        price["marketingStrategy"] = strategy
    return price


# Some devices are offered a discount of their own (deterministic per device and commodity), in percent.
DEVICE_DISCOUNT = 15


def device_option(dev: sqlite3.Row, com: C.Commodity, opt: C.PriceOption, had: set[str]) -> C.PriceOption:
    """What this device is offered: no trial once it has had the service; some devices a discount of their own."""
    if com.service_code in had and opt.trial_unit is not None:
        opt = replace(opt, trial_unit=None, trial_value=None)
    lucky = int(hashlib.sha256(f"offer:{dev['id']}:{com.key}".encode()).hexdigest()[:4], 16) % 4 == 0
    if lucky and opt.discount is None and opt.trial_unit is None:
        cents = opt.original_cents * (100 - DEVICE_DISCOUNT) // 100
        opt = replace(opt, cents=cents, discount=DEVICE_DISCOUNT)
    return opt


def _services_had(app: App, dev: sqlite3.Row) -> set[str]:
    rows = app.store.query("SELECT code FROM services WHERE device_id = ?", (dev["id"],))
    return {r[0] for r in rows}


def get_commodity_list(app: App, params: dict) -> list[dict]:
    dev = _device(app, params)
    site, lang = dev["site"], dev["lang"]
    types = json.loads(dev["types"])
    had = _services_had(app, dev)
    out = []
    for com in C.COMMODITIES:
        if com.type not in types:
            continue
        code = com.commodity_code(site)
        out.append(
            {
                "subTitle": com.sub_title[lang],
                "serviceCode": com.service_code,
                "targetUrlType": com.target_url_type,
                "commodityCode": code,
                "commodityUrl": f"https://mall.sandbox.invalid/commodity/{code}?site={site}",
                "prices": [
                    _price(com, site, device_option(dev, com, opt, had), app.seed)
                    for opt in com.options[site]
                ],
                "title": com.title[lang],
                "type": com.type,
                "uuid": dev["uuid"],
                "skuCode": com.sku_code(site),
            }
        )
    return out


def get_app_mall_info(app: App, params: dict) -> dict:
    dev = _device(app, params)
    catalog = _str(params, "catalog_code")
    mall = C.MALL_BY_CATALOG_SITE.get((catalog, dev["site"]))
    if mall is None:
        raise param_error(f"unknown catalog_code {catalog!r}")
    return {
        "currency": mall.currency,
        "mallCode": mall.mall_code,
        "shopCode": mall.shop_code,
        "siteCode": mall.site_code,
    }


def _mall(params: dict) -> tuple[str, str]:
    mall_code, site = _str(params, "mallCode"), _str(params, "siteCode")
    return mall_code, site


def _changed_since(params: dict) -> int | None:
    return _int(params, "changedSince", required=False, minimum=0)


def _order_item(r: sqlite3.Row) -> dict:
    q = r["quirk"]
    base = {
        "orderTypeCode": r["order_type_code"],
        "totalQuantity": r["quantity"],
        "orderId": r["order_id"],
        "amountOrigin": money(r["amount_origin"], q),
        "amOrder": bool(r["am_order"]),
        "orderStatus": r["status"],
        "currency": r["currency"],
        "afterSaleEnabled": bool(r["after_sale"]),
        "amountTrade": money(r["amount_trade"], q),
        "gmtCreate": str(r["gmt_create"]),
        "mallInfo": {"shopCode": r["shop_code"], "siteCode": r["site_code"], "mallCode": r["mall_code"]},
        "tradeType": r["trade_type"],
        "deviceId": r["device_id"],
        "homeId": r["home_id"],
        "uid": r["uid"],
        "gmtModified": r["gmt_modified"],
    }
    qty = r["quantity"] or 1
    commodity = {
        "quantity": r["quantity"],
        "skuSrvPeriodDTO": {
            "srvCode": r["srv_code"],
            "srvPeriodUnit": r["period_unit"],
            "srvPeriodValue": r["period_value"],
            "skuCode": r["sku_code"],
        },
        "unitPriceOrigin": money(r["amount_origin"] // qty, q),
        "commodityCode": r["commodity_code"],
        "unitPriceTrade": money(r["amount_trade"] // qty, q),
        "afterSaleEnabled": bool(r["after_sale"]),
        "iconUrl": C.ORDER_ICONS.get(C.CATALOGS.get(_catalog_of_srv(r["srv_code"]), 1), C.ORDER_ICONS[1]),
        "commodityType": r["commodity_type"],
        "skuValueList": [],
        "skuCode": r["sku_code"],
        "commodityName": r["commodity_name"],
    }
    return {
        "orderBaseInfo": add_extra(base, q),
        "orderCommodityInfos": [commodity],
        "orderLogisticsInfo": {"orderLogisticsTag": False},
    }


def _catalog_of_srv(srv: str) -> str:
    for com in C.COMMODITIES:
        if com.service_code == srv:
            return C.CATALOG_BY_TYPE[com.type]
    return "VOIP"


def get_order_list(app: App, params: dict) -> dict:
    mall_code, site = _mall(params)
    page_no, size = _paging(params)
    since = _changed_since(params)
    where = ["mall_code = ?", "site_code = ?"]
    args: list[Any] = [mall_code, site]
    statuses = params.get("orderStatusList")
    if statuses:
        if not isinstance(statuses, list) or any(s not in C.ORDER_STATUSES for s in statuses):
            raise param_error("orderStatusList holds an unknown OrderStatus")
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        args += statuses
    key = _str(params, "searchKey", required=False)
    if key:
        where.append("(order_id LIKE ? OR device_id = ? OR uid = ? OR home_id = ? OR commodity_name LIKE ?)")
        args += [key + "%", key, key, key, f"%{key}%"]
    changed = ("gmt_modified", "gmt_modified, order_id")
    total, rows = _select_page(
        app,
        "FROM orders",
        "SELECT * FROM orders",
        where,
        args,
        since,
        changed,
        "gmt_create DESC, order_id DESC",
        page_no,
        size,
    )
    data = [_order_item(r) for r in rows]
    page = _page(total, page_no, size)
    return {
        "pageCount": page["pageCount"],
        "data": data,
        "pageSize": size,
        "totalRecord": total,
        "pageNum": page_no,
        "empty": not data,
    }


SUBS_SELECT = """SELECT s.*, o.currency, o.shop_code, o.status AS order_status, o.amount_origin,
    o.amount_trade, o.quantity, o.sku_code, o.commodity_name, o.srv_code
    FROM subscriptions s JOIN orders o ON o.order_id = s.order_id"""


def get_subscription_order_list(app: App, params: dict) -> dict:
    mall_code, site = _mall(params)
    page_no, size = _paging(params)
    since = _changed_since(params)
    where = ["s.mall_code = ?", "s.site_code = ?"]
    args: list[Any] = [mall_code, site]
    statuses = params.get("statusList")
    if statuses:
        if not isinstance(statuses, list) or any(
            isinstance(s, bool) or not isinstance(s, int) for s in statuses
        ):
            raise param_error("statusList must be a list of numbers")
        where.append(f"s.status IN ({','.join('?' * len(statuses))})")
        args += statuses
    changed = ("s.gmt_modified", "s.gmt_modified, s.subscribe_id")
    total, rows = _select_page(
        app,
        "FROM subscriptions s",
        SUBS_SELECT,
        where,
        args,
        since,
        changed,
        "s.order_gmt_create DESC, s.subscribe_id DESC",
        page_no,
        size,
    )
    page = _page(total, page_no, size)
    data = []
    for r in rows:
        q = r["quirk"]
        item = {
            "gmtNextTime": r["gmt_next_time"],
            "orderListModel": {
                "amountOrigin": money(r["amount_origin"], q),
                "amountTrade": money(r["amount_trade"], q),
                "currency": r["currency"],
                "mallInfo": {
                    "mallCode": r["mall_code"],
                    "siteCode": r["site_code"],
                    "shopCode": r["shop_code"],
                },
                "orderGmtCreate": r["order_gmt_create"],
                "orderId": r["order_id"],
                "orderItemList": [
                    {
                        "amountOrigin": money(r["amount_origin"], q),
                        "amountTrade": money(r["amount_trade"], q),
                        "currency": r["currency"],
                        "quantity": r["quantity"],
                        "skuCode": r["sku_code"],
                        "skuPic": C.ORDER_ICONS.get(
                            C.CATALOGS[_catalog_of_srv(r["srv_code"])], C.ORDER_ICONS[1]
                        ),
                        "skuValueList": [],
                        "title": r["commodity_name"],
                    }
                ],
                "orderStatus": r["order_status"],
                "quantity": r["quantity"],
            },
            "paidProvider": r["paid_provider"],
            "regularInterval": r["regular_interval"],
            "regularUnit": r["regular_unit"],
            "status": r["status"],
            "subscribeId": r["subscribe_id"],
            "deviceId": r["device_id"],
            "gmtModified": r["gmt_modified"],
            "totalRecord": total,
            "pageCount": page["pageCount"],
        }
        data.append(add_extra(item, q))
    return {
        "data": data,
        "index": (page_no - 1) * size,
        "pageSize": size,
        "totalRecord": total,
        "pageNum": page_no,
        "empty": not data,
        "pageCount": page["pageCount"],
    }


# -- services ------------------------------------------------------------------------------------------------
def get_service_introduction(app: App, params: dict) -> dict:
    category = _str(params, "categoryCode")
    if category not in C.CATEGORY_CODES:
        raise param_error(f"unknown categoryCode {category!r}")
    return C.service_introduction(category)


def get_service_list_by_device(app: App, params: dict) -> list[dict]:
    dev = _device(app, params)
    rows = app.store.query("SELECT * FROM services WHERE device_id = ? ORDER BY seq", (dev["id"],))
    out = []
    for r in rows:
        item: dict[str, Any] = {}
        if r["duration"] is not None:
            item["duration"] = r["duration"]
        item.update(
            {"code": r["code"], "isAY": bool(r["is_ay"]), "isFree": bool(r["is_free"]), "name": r["name"]}
        )
        item["isExit"] = bool(r["is_exit"])
        if r["has_purchased"] is not None:
            item["hasPurchasedOrder"] = bool(r["has_purchased"])
        if r["start_time"] is not None:
            item["startTime"] = r["start_time"]
        if r["end_time"] is not None:
            item["endTime"] = r["end_time"]
        item["type"] = r["type"]
        item["tags"] = json.loads(r["tags"])
        item["isPermanent"] = bool(r["is_permanent"])
        out.append(item)
    return out


def extend_service(
    conn: sqlite3.Connection,
    device: sqlite3.Row,
    srv: str,
    ctype: int,
    title: str,
    unit: int,
    value: int,
    renew: bool,
) -> int:
    """Add or extend a device's service by a period; returns the new endTime (ms)."""
    now = now_ms()
    period = C.PERIOD_DAYS[unit] * value * C.DAY_MS
    row = conn.execute(
        "SELECT * FROM services WHERE device_id = ? AND code = ?", (device["id"], srv)
    ).fetchone()
    tags = '["automaticRenewal"]' if renew else "[]"
    if row is None:
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM services").fetchone()[0]
        end = now + period
        conn.execute(
            "INSERT INTO services VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                device["id"],
                srv,
                title,
                ctype,
                now,
                end,
                tags,
                0,
                int(device["site"] == "CN"),
                1,
                0,
                None,
                1,
                seq,
            ),
        )
        return end
    if row["is_permanent"]:
        return row["end_time"] or now
    start = row["start_time"] if row["end_time"] and row["end_time"] > now else now
    end = max(row["end_time"] or 0, now) + period
    conn.execute(
        "UPDATE services SET start_time=?, end_time=?, tags=?, is_free=0, has_purchased=1, duration=NULL "
        "WHERE device_id=? AND code=?",
        (start, end, tags, device["id"], srv),
    )
    return end


# -- VoIP authorization --------------------------------------------------------------------------------------
def get_voip_auth_user(app: App, params: dict) -> dict | None:
    dev = _device(app, params)
    if not dev["has_voip"] or not dev["auth_user_id"]:
        return None
    user = app.store.one("SELECT * FROM users WHERE user_id = ?", (dev["auth_user_id"],))
    return {
        "isAuth": bool(dev["is_auth"]),
        "avatarUrl": user["avatar_url"] if user else "",
        "isValid": bool(dev["is_valid"]),
        "userName": user["user_name"] if user else "",
        "userId": dev["auth_user_id"],
        "authUpdateTime": dev["auth_update_time"],
    }


def save_wx_voip_auth(app: App, params: dict) -> bool:
    tag = _int(params, "auth_tag")
    if tag not in C.UNVERIFIED["saveWXVoipAuth.auth_tag"]:
        raise param_error("auth_tag must be 0 or 1")
    dev = _voip_device(app, params)
    with app.store.write() as conn:
        cur = conn.execute("SELECT is_auth FROM devices WHERE id = ?", (dev["id"],)).fetchone()[0]
        if cur != tag:
            conn.execute(
                "UPDATE devices SET is_auth = ?, auth_update_time = ? WHERE id = ?",
                (tag, now_ms(), dev["id"]),
            )
        conn.execute(
            "INSERT INTO save_wx VALUES (?, 1) ON CONFLICT(device_id) DO UPDATE SET n = n + 1", (dev["id"],)
        )
    return True


def save_voip_auth_user(app: App, params: dict) -> bool:
    user_id = _str(params, "user_id")
    dev = _voip_device(app, params)
    if app.store.one("SELECT 1 FROM users WHERE user_id = ?", (user_id,)) is None:
        raise param_error("unknown user_id")
    with app.store.write() as conn:
        if dev["auth_user_id"] != user_id:
            conn.execute(
                "UPDATE devices SET auth_user_id = ?, is_auth = 0, is_valid = 1, auth_update_time = ? "
                "WHERE id = ?",
                (user_id, now_ms(), dev["id"]),
            )
    return True


def get_device_wx_user_info(app: App, params: dict) -> dict:
    app_id = _str(params, "app_id")
    if app_id not in C.WECHAT_APPS:
        raise param_error("unknown app_id")
    user_id = _str(params, "user_id", required=False)
    if params.get("device_id"):
        dev = _device(app, params)
        user_id = user_id or dev["auth_user_id"]
    if not user_id:
        raise param_error("user_id is required")
    row = app.store.one("SELECT open_id FROM openids WHERE user_id = ? AND app_id = ?", (user_id, app_id))
    if row is None:
        raise param_error("unknown user_id")
    return {"openId": row["open_id"], "userId": user_id}


def voip_service_authorization(app: App, params: dict) -> dict:
    dev = _voip_device(app, params)
    name = _str(params, "name")
    uuid = _str(params, "uuid")
    if uuid != dev["uuid"]:
        raise param_error("uuid does not match the device")
    ticket = app.wechat.issue_ticket(dev["app_id"], dev["uuid"], dev["model_id"])
    return {"sn": dev["uuid"], "snTicket": ticket, "modelId": dev["model_id"], "deviceName": name[:13]}


# -- purchases -----------------------------------------------------------------------------------------------
BUY_KEYS = [
    "mallCode",
    "siteCode",
    "currency",
    "skuCode",
    "optionType",
    "optionNo",
    "homeId",
    "openId",
    "name",
    "uuid",
    "wxAppId",
]


def buy_increase_service_by_wx(app: App, params: dict) -> dict:
    dev = _device(app, params)
    values = {k: _str(params, k) for k in BUY_KEYS}
    mall = C.MALL_BY_CATALOG_SITE
    found = C.COMMODITY_BY_SKU.get(values["skuCode"])
    if found is None:
        raise param_error("unknown skuCode")
    com, site = found
    mall_row = mall[(C.CATALOG_BY_TYPE[com.type], site)]
    if (values["mallCode"], values["siteCode"], values["currency"]) != (
        mall_row.mall_code,
        site,
        mall_row.currency,
    ):
        raise param_error("mallCode/siteCode/currency do not match the sku")
    if site != dev["site"]:
        raise param_error("the sku is not sold on the device's site")
    if com.type not in json.loads(dev["types"]):
        raise param_error("the device does not support this service")
    try:
        option = next(
            o
            for o in com.options[site]
            if o.option_type == int(values["optionType"]) and o.option_no == int(values["optionNo"])
        )
    except (StopIteration, ValueError):
        raise param_error("unknown optionType/optionNo") from None
    option = device_option(dev, com, option, _services_had(app, dev))  # what this device was offered
    if values["homeId"] != dev["owner_id"] or values["uuid"] != dev["uuid"]:
        raise param_error("homeId/uuid do not match the device")
    if values["wxAppId"] not in C.WECHAT_APPS:
        raise param_error("unknown wxAppId")
    user = app.store.one(
        "SELECT user_id FROM openids WHERE open_id = ? AND app_id = ?", (values["openId"], values["wxAppId"])
    )
    if user is None:
        raise param_error("openId is unknown for wxAppId")
    lang = dev["lang"]
    now = now_ms()
    with app.store.write() as conn:
        while True:
            order_id = f"{now}{secrets.randbelow(10**7):07d}"
            if conn.execute("SELECT 1 FROM orders WHERE order_id = ?", (order_id,)).fetchone() is None:
                break
        conn.execute(
            "INSERT INTO orders VALUES (" + ",".join("?" * 30) + ")",  # noqa: S608
            (
                order_id,
                mall_row.mall_code,
                mall_row.shop_code,
                site,
                mall_row.currency,
                "created",
                "SUBSCRIBE" if option.period_type == 1 else "NORMAL",
                "JSAPI",
                option.original_cents,
                option.cents,
                1,
                now,
                now,
                dev["id"],
                dev["owner_id"],
                user["user_id"],
                com.sku_code(site),
                option.option_no,
                com.commodity_code(site),
                com.title[lang],
                5,
                com.service_code,
                option.period_unit,
                option.period_value,
                0,
                1,
                derived_quirk(app.seed, order_id),
                now + int(app.payment_delay * 1000),
                values["openId"],
                values["wxAppId"],
            ),
        )
    nonce = secrets.token_hex(16)
    prepay = "wx" + secrets.token_hex(14)
    pay_sign = hashlib.sha256(
        f"{values['wxAppId']}\n{now // 1000}\n{nonce}\nprepay_id={prepay}".encode()
    ).hexdigest()
    return {
        "orderId": order_id,
        "orderStatus": "created",
        "payParams": {
            "appId": values["wxAppId"],
            "timeStamp": str(now // 1000),
            "nonceStr": nonce,
            "package": f"prepay_id={prepay}",
            "signType": "RSA",
            "paySign": pay_sign,
        },
    }


def complete_payment(app: App, order_id: str) -> dict | None:
    """created -> paid, extending the device's service (and starting a subscription for SUBSCRIBE options)."""
    with app.store.write() as conn:
        order = conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if order is None or order["status"] != "created":
            return None
        now = now_ms()
        conn.execute(
            "UPDATE orders SET status='paid', gmt_modified=?, pay_due=NULL WHERE order_id=?", (now, order_id)
        )
        dev = conn.execute(
            "SELECT d.*, h.site FROM devices d JOIN homes h ON h.owner_id = d.owner_id WHERE d.id = ?",
            (order["device_id"],),
        ).fetchone()
        subscribe = order["order_type_code"] == "SUBSCRIBE"
        com, _ = C.COMMODITY_BY_SKU[order["sku_code"]]
        extend_service(
            conn,
            dev,
            com.service_code,
            com.type,
            order["commodity_name"],
            order["period_unit"],
            order["period_value"],
            subscribe,
        )
        if subscribe:
            period = C.PERIOD_DAYS[order["period_unit"]] * order["period_value"] * C.DAY_MS
            conn.execute(
                "INSERT INTO subscriptions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    f"SUB{order_id}",
                    order["mall_code"],
                    order["site_code"],
                    1,
                    1,
                    order["period_value"],
                    order["period_unit"],
                    now + period,
                    order_id,
                    order["gmt_create"],
                    order["device_id"],
                    now,
                    order["quirk"],
                ),
            )
    return {"orderId": order_id, "orderStatus": "paid", "gmtModified": now}


def exchange_code(app: App, params: dict) -> dict:
    dev = _device(app, params)
    catalog = _str(params, "catalog_code")
    home_id, code, _name, uuid = (_str(params, k) for k in ("homeId", "code", "name", "uuid"))
    if home_id != dev["owner_id"] or uuid != dev["uuid"]:
        raise param_error("homeId/uuid do not match the device")
    with app.store.write() as conn:
        row = conn.execute("SELECT * FROM exchange_codes WHERE code = ?", (code.strip().upper(),)).fetchone()
        if row is None or row["catalog_code"] != catalog:
            raise CloudError(28841303, "exchange code invalid")
        if row["state"] == "used":
            raise CloudError(28841301, "exchange code used")
        if row["state"] == "expired" or row["expire_time"] < now_ms():
            raise CloudError(28841302, "exchange code expired")
        if row["type"] not in json.loads(dev["types"]):
            raise CloudError(28841303, "exchange code invalid: not applicable to this device")
        end = extend_service(
            conn,
            dev,
            row["service_code"],
            row["type"],
            row["title"],
            row["period_unit"],
            row["period_value"],
            False,
        )
        conn.execute(
            "UPDATE exchange_codes SET state='used', used_by=?, used_at=? WHERE code=?",
            (dev["id"], now_ms(), row["code"]),
        )
    return {"success": True, "serviceCode": row["service_code"], "endTime": end}


# -- extensions ----------------------------------------------------------------------------------------------
def _ext_page(app: App, params: dict, count_sql: str, sql: str, args: list, mapper) -> dict:
    page_no, size = _paging(params)
    total = app.store.count(count_sql, args)
    rows = app.store.query(sql + " LIMIT ? OFFSET ?", [*args, size, (page_no - 1) * size])
    page = _page(total, page_no, size)
    return {
        "data": [mapper(r) for r in rows],
        "pageNo": page_no,
        "pageSize": size,
        "totalRecord": total,
        "pageCount": page["pageCount"],
    }


def ext_list_homes(app: App, params: dict) -> dict:
    return _ext_page(
        app,
        params,
        "SELECT COUNT(*) FROM homes",
        "SELECT * FROM homes ORDER BY seq",
        [],
        lambda r: {
            "ownerId": r["owner_id"],
            "name": r["name"],
            "geoName": r["geo_name"],
            "gmtModified": r["gmt_modified"],
        },
    )


def ext_list_users(app: App, params: dict) -> dict:
    """Every user with the homes they belong to; ``changedSince`` (ms): only those changed since, oldest first."""
    since = _int(params, "changedSince", required=False, minimum=0)
    where, order, args = (
        ("", "seq", []) if since is None else ("WHERE gmt_modified >= ?", "gmt_modified, seq", [since])
    )
    return _ext_page(
        app,
        params,
        f"SELECT COUNT(*) FROM users {where}",  # noqa: S608 -- fixed fragments, values bound
        f"SELECT * FROM users {where} ORDER BY {order}",  # noqa: S608
        args,
        lambda r: {
            "userId": r["user_id"],
            "userName": r["user_name"],
            "avatarUrl": r["avatar_url"],
            "homeIds": [r["home_id"]],
            "gmtModified": r["gmt_modified"],
        },
    )


def ext_get_home(app: App, params: dict) -> dict:
    """One home by id with its members' ids; 1000 when the cloud has no such home."""
    owner_id = _str(params, "ownerId")
    home = app.store.one("SELECT * FROM homes WHERE owner_id = ?", (owner_id,))
    if home is None:
        raise CloudError(1000, "data not exist")
    members = app.store.query("SELECT user_id FROM users WHERE home_id = ? ORDER BY seq", (owner_id,))
    return {
        "ownerId": home["owner_id"],
        "name": home["name"],
        "geoName": home["geo_name"],
        "gmtModified": home["gmt_modified"],
        "userIds": [m[0] for m in members],
    }


def ext_list_malls(app: App, params: dict) -> list[dict]:
    return [
        {
            "mallCode": m.mall_code,
            "shopCode": m.shop_code,
            "siteCode": m.site_code,
            "currency": m.currency,
            "catalogCode": m.catalog_code,
        }
        for m in C.MALLS
    ]


def ext_list_devices_changed(app: App, params: dict) -> dict:
    since = _int(params, "since", required=False, minimum=0) or 0

    def item(r: sqlite3.Row) -> dict:
        return {
            "id": r["id"],
            "ownerId": r["owner_id"],
            "name": r["name"],
            "icon": r["icon"],
            "locationName": r["location_name"],
            "types": json.loads(r["types"]),
            "uuid": r["uuid"],
            "gmtModified": r["gmt_modified"],
        }

    return _ext_page(
        app,
        params,
        "SELECT COUNT(*) FROM devices WHERE gmt_modified >= ?",
        "SELECT * FROM devices WHERE gmt_modified >= ? ORDER BY gmt_modified, id",
        [since],
        item,
    )


SDK: dict[str, Handler] = {
    "getCommodityList": get_commodity_list,
    "getAppMallInfo": get_app_mall_info,
    "getDeviceAddValueType": get_device_add_value_type,
    "getDeviceList": get_device_list,
    "getDeviceCapability": get_device_capability,
    "getOrderList": get_order_list,
    "getSubscriptionOrderList": get_subscription_order_list,
    "getServiceIntroduction": get_service_introduction,
    "getServiceListByDevice": get_service_list_by_device,
    "getVoipAuthUser": get_voip_auth_user,
    "saveWXVoipAuth": save_wx_voip_auth,
    "saveVoipAuthUser": save_voip_auth_user,
    "getDeviceWXUserInfo": get_device_wx_user_info,
    "buyIncreaseServiceByWx": buy_increase_service_by_wx,
    "exchangeCode": exchange_code,
    "voipServiceAuthorization": voip_service_authorization,
}
EXTENSIONS: dict[str, Handler] = {
    "listHomes": ext_list_homes,
    "listUsers": ext_list_users,
    "getHome": ext_get_home,
    "listMalls": ext_list_malls,
    "listDevicesChanged": ext_list_devices_changed,
}
WRITES = {"saveWXVoipAuth", "saveVoipAuthUser", "buyIncreaseServiceByWx", "exchangeCode"}
