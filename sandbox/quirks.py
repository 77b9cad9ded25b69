"""Wire quirks: money in three shapes, unknown extra fields, and the malformed-field fault."""

from __future__ import annotations

import random
from typing import Any

from sandbox.catalog import EXTRA_FIELDS

MONEY_KEYS = {"price", "originalPrice", "amountOrigin", "amountTrade", "unitPriceOrigin", "unitPriceTrade"}
TIME_KEYS = {
    "gmtCreate",
    "gmtModified",
    "startTime",
    "endTime",
    "gmtNextTime",
    "orderGmtCreate",
    "authUpdateTime",
    "observed_at",
}
BOOL_KEYS = {"isAuth", "isValid", "isFree", "isPermanent", "status"}
OTHER_KEYS = {
    "types": "garbage",
    "sn_ticket": None,
    "snTicket": None,
    "openId": 0,
    "WechatMPAppid": 0,
    "orderId": 0,
}


def cents_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def money(cents: int, quirk: int) -> Any:
    """Deterministic per record: {"Value": "9.90"} mostly, sometimes a JSON number or a string."""
    style = quirk & 3
    text = cents_str(cents)
    if style == 1:
        return cents / 100
    if style == 2:
        return text
    return {"Value": text}


def add_extra(obj: dict, quirk: int) -> dict:
    """An occasional unknown extra field (deterministic per record)."""
    extra = (quirk >> 2) & 3
    if extra:
        name = EXTRA_FIELDS[extra - 1]
        obj[name] = {"bizExt": '{"src":"sandbox"}', "traceTag": "gray-a", "gray": False}[name]
    return obj


def _garbage(key: str, value: Any) -> Any:
    if key in MONEY_KEYS:
        return {"Value": "abc"}
    if key in TIME_KEYS:
        return "soon"
    if key in BOOL_KEYS:
        return "maybe"
    return OTHER_KEYS.get(key, "garbage")


def corrupt(result: Any, rng: random.Random) -> tuple[Any, str | None]:
    """Replace one required field of ``result`` with garbage. Returns (result, dotted path of the field)."""
    found: list[tuple[str, Any, Any]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                sub = f"{path}.{key}" if path else key
                if key in MONEY_KEYS or key in TIME_KEYS or key in BOOL_KEYS or key in OTHER_KEYS:
                    found.append((sub, node, key))
                elif isinstance(value, dict | list):
                    walk(value, sub)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(result, "")
    if found:
        path, parent, key = rng.choice(found)
        parent[key] = _garbage(key, parent[key])
        return result, path
    if isinstance(result, dict) and result:
        key = next(iter(result))
        # The wrong shape for the field: no parser can take it (a list where a scalar belongs, and vice versa).
        result[key] = "garbage" if isinstance(result[key], list | dict) else ["garbage"]
        return result, key
    if isinstance(result, bool):
        return "garbage", "result"
    return result, None
