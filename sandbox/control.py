"""/_control: unsigned, loopback-only hooks for tests and demos (stats, faults, reset, WeChat truth)."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from sandbox import catalog as C
from sandbox.cloud import complete_payment
from sandbox.errors import ControlError
from sandbox.faults import FaultError
from sandbox.store import now_ms

if TYPE_CHECKING:
    from sandbox.app import App

DISAGREE_SQL = """
SELECT d.id FROM devices d
JOIN openids o ON o.user_id = d.auth_user_id AND o.app_id = d.app_id
LEFT JOIN wx_auth w ON w.open_id = o.open_id AND w.sn = d.uuid
WHERE d.has_voip = 1 AND d.is_auth != COALESCE(w.status, 0)
ORDER BY d.seq
"""
AGREE_SQL = """
SELECT d.id, d.uuid, d.app_id, d.model_id, d.is_auth, o.open_id, w.status FROM devices d
JOIN openids o ON o.user_id = d.auth_user_id AND o.app_id = d.app_id
LEFT JOIN wx_auth w ON w.open_id = o.open_id AND w.sn = d.uuid
WHERE d.has_voip = 1 AND d.is_auth = COALESCE(w.status, 0)
ORDER BY d.seq
"""


def stats(app: App, body: Any) -> dict:
    s = app.store
    disagree = [r[0] for r in s.query(DISAGREE_SQL)]
    saves = {r[0]: r[1] for r in s.query("SELECT device_id, n FROM save_wx ORDER BY device_id")}
    codes = {"valid": 0, "used": 0, "expired": 0}
    codes.update({r[0]: r[1] for r in s.query("SELECT state, COUNT(*) FROM exchange_codes GROUP BY state")})
    return {
        "homes": s.scalar("SELECT COUNT(*) FROM homes"),
        "users": s.scalar("SELECT COUNT(*) FROM users"),
        "devices": s.scalar("SELECT COUNT(*) FROM devices"),
        "voip_devices": s.scalar("SELECT COUNT(*) FROM devices WHERE has_voip = 1"),
        "commodities": sum(len(C.SITES) for _ in C.COMMODITIES),
        "malls": len(C.MALLS),
        "orders": s.scalar("SELECT COUNT(*) FROM orders"),
        "orders_by_status": {
            r[0]: r[1] for r in s.query("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status")
        },
        "subscriptions": s.scalar("SELECT COUNT(*) FROM subscriptions"),
        "subscriptions_by_status": {
            str(r[0]): r[1]
            for r in s.query("SELECT status, COUNT(*) FROM subscriptions GROUP BY status ORDER BY status")
        },
        "exchange_codes": codes,
        "auth_disagree": len(disagree),
        "auth_disagree_devices": disagree,
        "save_wx_voip_auth": saves,
        "save_wx_voip_auth_total": sum(saves.values()),
        "wechat_authorizations": s.scalar("SELECT COUNT(*) FROM wx_auth WHERE status = 1"),
        "writes": app.faults.writes(),
        "faults": app.faults.snapshot(),
        "world": app.store.world,
    }


def get_faults(app: App, body: Any) -> dict:
    return app.faults.snapshot()


def set_faults(app: App, body: Any) -> dict:
    try:
        return app.faults.set(body or {})
    except FaultError as exc:
        raise ControlError(400, str(exc)) from None


def expire_tokens(app: App, body: Any) -> dict:
    return {"expired": {"cloud": app.cloud_tokens.expire_all(), "wechat": app.wechat.expire_all()}}


def reset(app: App, body: Any) -> dict:
    seconds = app.store.reset()
    app.flips = 0
    app.faults.reset_counters()
    return {"ok": True, "seconds": round(seconds, 4)}


def flip(app: App, body: Any) -> dict:
    count = (body or {}).get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ControlError(400, "count must be a non-negative integer")
    with app.store.write() as conn:
        rows = conn.execute(AGREE_SQL).fetchall()
        rng = random.Random(f"{app.seed}:flip:{app.flips}")
        app.flips += 1
        chosen = rng.sample(rows, min(count, len(rows)))
        now = now_ms()
        for r in chosen:
            new = 1 - (r["status"] if r["status"] is not None else 0)
            conn.execute(
                "INSERT INTO wx_auth VALUES (?,?,?,?,?,?) "
                "ON CONFLICT(open_id, sn) DO UPDATE SET status=?, updated=?",
                (r["open_id"], r["uuid"], r["app_id"], r["model_id"], new, now, new, now),
            )
    return {"devices": sorted(r["id"] for r in chosen)}


def clear(app: App, body: Any) -> dict:
    openid = (body or {}).get("openid")
    if not isinstance(openid, str) or not openid:
        raise ControlError(400, "openid is required")
    with app.store.write() as conn:
        n = conn.execute("DELETE FROM wx_auth WHERE open_id = ?", (openid,)).rowcount
    return {"cleared": n}


def pay(app: App, body: Any) -> dict:
    order_id = (body or {}).get("orderId")
    if not isinstance(order_id, str):
        raise ControlError(400, "orderId is required")
    if app.store.one("SELECT 1 FROM orders WHERE order_id = ?", (order_id,)) is None:
        raise ControlError(404, "no such order")
    done = complete_payment(app, order_id)
    if done is None:
        raise ControlError(409, "the order is not awaiting payment")
    return done


def touch_order(app: App, body: Any) -> dict:
    body = body or {}
    order_id, status = body.get("orderId"), body.get("orderStatus")
    if not isinstance(order_id, str) or status not in C.ORDER_STATUSES:
        raise ControlError(400, "orderId and a known orderStatus are required")
    with app.store.write() as conn:
        row = conn.execute("SELECT gmt_modified FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            raise ControlError(404, "no such order")
        modified = max(now_ms(), row[0] + 1)
        conn.execute(
            "UPDATE orders SET status = ?, gmt_modified = ?, pay_due = NULL WHERE order_id = ?",
            (status, modified, order_id),
        )
        conn.execute("UPDATE subscriptions SET gmt_modified = ? WHERE order_id = ?", (modified, order_id))
    return {"orderId": order_id, "orderStatus": status, "gmtModified": modified}


def rename_device(app: App, body: Any) -> dict:
    """A device renamed in the app: its name changes and ``gmtModified`` moves."""
    body = body or {}
    device_id, name = body.get("deviceId"), body.get("name")
    if not isinstance(device_id, str) or not isinstance(name, str) or not name.strip():
        raise ControlError(400, "deviceId and a non-empty name are required")
    with app.store.write() as conn:
        row = conn.execute("SELECT gmt_modified FROM devices WHERE id = ?", (device_id,)).fetchone()
        if row is None:
            raise ControlError(404, "no such device")
        modified = max(now_ms(), row[0] + 1)
        conn.execute(
            "UPDATE devices SET name = ?, gmt_modified = ? WHERE id = ?", (name, modified, device_id)
        )
    return {"deviceId": device_id, "name": name, "gmtModified": modified}


def move_device(app: App, body: Any) -> dict:
    """A device paired again in another home (reset and re-added): same id, the new home, ``gmtModified`` moves."""
    body = body or {}
    device_id, owner_id = body.get("deviceId"), body.get("ownerId")
    if not isinstance(device_id, str) or not isinstance(owner_id, str):
        raise ControlError(400, "deviceId and ownerId are required")
    with app.store.write() as conn:
        row = conn.execute("SELECT gmt_modified FROM devices WHERE id = ?", (device_id,)).fetchone()
        if (
            row is None
            or conn.execute("SELECT 1 FROM homes WHERE owner_id = ?", (owner_id,)).fetchone() is None
        ):
            raise ControlError(404, "no such device or home")
        modified = max(now_ms(), row[0] + 1)
        conn.execute(
            "UPDATE devices SET owner_id = ?, gmt_modified = ? WHERE id = ?", (owner_id, modified, device_id)
        )
    return {"deviceId": device_id, "ownerId": owner_id, "gmtModified": modified}


def add_device(app: App, body: Any) -> dict:
    """A new device activated in a home: a copy of the home's first device (product, VoIP, auth user) with a
    new id, sn and name, and no services yet; deterministic from the home and how many devices it holds."""
    body = body or {}
    owner_id, name = body.get("ownerId"), body.get("name")
    if not isinstance(owner_id, str) or (name is not None and not isinstance(name, str)):
        raise ControlError(400, "ownerId is required (name optional)")
    with app.store.write() as conn:
        model = conn.execute(
            "SELECT * FROM devices WHERE owner_id = ? ORDER BY seq LIMIT 1", (owner_id,)
        ).fetchone()
        if model is None:
            raise ControlError(404, "no such home, or a home without devices")
        count = conn.execute("SELECT COUNT(*) FROM devices WHERE owner_id = ?", (owner_id,)).fetchone()[0]
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM devices").fetchone()[0]
        rng = random.Random(f"{app.seed}:add-device:{owner_id}:{count}")
        device_id = f"6c{rng.getrandbits(64):016x}new"
        values = dict(model)
        values.update(
            id=device_id,
            name=name or f"{model['name']} {count + 1}",
            uuid=f"tuya{rng.getrandbits(64):016x}",
            gmt_modified=now_ms(),
            auth_update_time=now_ms() if model["auth_user_id"] else model["auth_update_time"],
            quirk=0,
            seq=seq,
        )
        columns = ", ".join(values)
        conn.execute(
            f"INSERT INTO devices ({columns}) VALUES ({', '.join('?' for _ in values)})",  # noqa: S608
            tuple(values.values()),
        )
    return {"deviceId": device_id, "ownerId": owner_id, "name": values["name"]}


def dump(app: App, body: Any) -> dict:
    """The records a mirror must equal: homes, devices, services, VoIP states, orders (with their line),
    subscriptions — in the cloud's own values (times in ms)."""
    s = app.store
    return {
        "homes": {r["owner_id"]: {"name": r["name"]} for r in s.query("SELECT * FROM homes ORDER BY seq")},
        "devices": {
            r["id"]: {
                "ownerId": r["owner_id"],
                "name": r["name"],
                "uuid": r["uuid"],
                "types": sorted(json.loads(r["types"])),
                "voip": bool(r["has_voip"]),
            }
            for r in s.query("SELECT * FROM devices ORDER BY seq")
        },
        "services": {
            f"{r['device_id']}/{r['code']}": {"name": r["name"], "type": r["type"], "endTime": r["end_time"]}
            for r in s.query("SELECT * FROM services ORDER BY seq")
        },
        "voip": {
            r["id"]: {
                "userId": r["auth_user_id"],
                "isAuth": bool(r["is_auth"]),
                "isValid": bool(r["is_valid"]),
            }
            for r in s.query(
                "SELECT * FROM devices WHERE has_voip = 1 AND auth_user_id IS NOT NULL ORDER BY seq"
            )
        },
        "orders": {
            r["order_id"]: {
                "status": r["status"],
                "deviceId": r["device_id"],
                "lines": [
                    {
                        "commodityCode": r["commodity_code"],
                        "skuCode": r["sku_code"],
                        "quantity": r["quantity"],
                    }
                ],
            }
            for r in s.query("SELECT * FROM orders ORDER BY order_id")
        },
        "subscriptions": {
            r["subscribe_id"]: {"status": r["status"], "orderId": r["order_id"]}
            for r in s.query("SELECT * FROM subscriptions ORDER BY subscribe_id")
        },
    }


def exchange_codes(app: App, body: Any) -> list[dict]:
    rows = app.store.query("SELECT * FROM exchange_codes ORDER BY seq")
    return [
        {
            "code": r["code"],
            "state": r["state"],
            "catalogCode": r["catalog_code"],
            "serviceCode": r["service_code"],
            "expireTime": r["expire_time"],
            "usedBy": r["used_by"],
        }
        for r in rows
    ]


def health(app: App, body: Any) -> dict:
    return {"ok": True, "world": app.store.world}


ROUTES = {
    ("GET", "stats"): stats,
    ("GET", "faults"): get_faults,
    ("POST", "faults"): set_faults,
    ("POST", "tokens/expire"): expire_tokens,
    ("POST", "reset"): reset,
    ("POST", "wechat/flip"): flip,
    ("POST", "wechat/clear"): clear,
    ("POST", "pay"): pay,
    ("POST", "touch-order"): touch_order,
    ("POST", "rename-device"): rename_device,
    ("POST", "add-device"): add_device,
    ("POST", "move-device"): move_device,
    ("GET", "dump"): dump,
    ("GET", "exchange-codes"): exchange_codes,
    ("GET", "health"): health,
}
