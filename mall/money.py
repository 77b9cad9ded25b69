"""How an exact amount is written: at least two decimals, never rounded, never through a float."""

from __future__ import annotations

from decimal import Decimal

_CENT = Decimal("0.01")


def money_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    if value == value.quantize(_CENT):
        return str(value.quantize(_CENT))
    return str(value.normalize())
