"""What ``getCommodityList`` offers each device, kept once per distinct price set.

Offers depend on the device (a trial only for a device that never had the service, a discount of its own for
some), yet most devices get one of a few price sets per commodity: a ``PriceSet`` is keyed by a hash of the
commodity and its normalized prices, and each device's offer row points at one. A million devices thus make
a million small offer rows and a few hundred price sets, never ten million price rows.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from mall.models import PriceSet


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def normalized(prices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The price options in one order with decimals as strings: equal offers give equal lists."""
    rows = [{k: _plain(v) for k, v in p.items()} for p in prices]
    return sorted(rows, key=lambda p: (p["option_type"] or 0, p["option_no"] or 0, p["currency"]))


def digest(commodity_code: str, prices: list[dict[str, Any]]) -> str:
    text = json.dumps([commodity_code, prices], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def price_set_row(commodity_code: str, prices: list[dict[str, Any]]) -> PriceSet:
    """An unsaved PriceSet for ``prices`` (mapping.commodity's price dicts), its summary filled in."""
    rows = normalized(prices)
    amounts = [p["price"] for p in prices if p.get("price") is not None]
    return PriceSet(
        digest=digest(commodity_code, rows),
        commodity_id=commodity_code,
        prices=rows,
        currency=prices[0]["currency"] if prices else "",
        min_price=min(amounts, default=None),
        max_price=max(amounts, default=None),
        has_trial=any(p.get("trial_unit") is not None and p.get("trial_value") for p in prices),
        has_discount=any(p.get("discount") for p in prices),
    )


def price_sets_store(rows: list[PriceSet]) -> dict[str, int]:
    """Insert the price sets not stored yet; return every digest's row id (two queries)."""
    unique = {r.digest: r for r in rows}
    if not unique:
        return {}
    PriceSet.objects.bulk_create(list(unique.values()), batch_size=500, ignore_conflicts=True)
    return dict(PriceSet.objects.filter(digest__in=list(unique)).values_list("digest", "pk"))
