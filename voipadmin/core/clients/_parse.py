"""JSON answers read into typed values at the edge: money as exact Decimal, ms epochs as aware UTC datetimes.

A required field that is missing, or any field present with the wrong shape, raises ``Malformed`` naming its
dotted path (``data[3].orderBaseInfo.amountTrade``); a missing optional field is None. Unknown fields are
ignored. The clients turn ``Malformed`` into their own BadResponse error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

T = TypeVar("T")
E = TypeVar("E")

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Beyond year 5000 a "ms epoch" is garbage, not a date.
MAX_MS = 95_617_584_000_000


class Malformed(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def loads(text: str | bytes) -> Any:
    """JSON with every non-integer number as a Decimal read from its own digits (never through float)."""
    return json.loads(text, parse_float=Decimal)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# -- scalar converters (value, path) -------------------------------------------------------------------------
def to_str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise Malformed(path, f"expected a string, got {type(value).__name__}")
    return value


def to_currency(value: Any, path: str) -> str:
    """An ISO 4217 code (CNY, USD)."""
    text = to_str(value, path)
    if len(text) != 3 or not (text.isascii() and text.isalpha() and text.isupper()):
        raise Malformed(path, f"expected a currency code, got {text!r:.40}")
    return text


def to_int(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise Malformed(path, "expected a number, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise Malformed(path, f"expected an integer, got {value!r:.40}")


def to_bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise Malformed(path, f"expected a boolean, got {value!r:.40}")


def to_money(value: Any, path: str) -> Decimal:
    """{"Value": "0.01"}, a JSON number (already a Decimal or int through ``loads``) or a string."""
    raw = value.get("Value", value.get("value")) if isinstance(value, dict) else value
    if isinstance(raw, bool) or raw is None:
        raise Malformed(path, f"expected an amount, got {value!r:.40}")
    if isinstance(raw, float):  # only when a caller parsed without ``loads``: go through its shortest repr
        raw = repr(raw)
    try:
        amount = Decimal(raw) if isinstance(raw, str | int | Decimal) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise Malformed(path, f"expected an amount, got {value!r:.40}")
    return amount


def to_time(value: Any, path: str) -> dt.datetime:
    """A ms epoch as a number or a digit string -> aware UTC datetime, exact to the millisecond."""
    if isinstance(value, bool):
        raise Malformed(path, "expected a ms timestamp, got a boolean")
    ms: int | None = None
    if isinstance(value, int):
        ms = value
    elif (isinstance(value, str) and value.strip().isdigit()) or (
        isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
    ):
        ms = int(value)
    if ms is None or not 0 <= ms <= MAX_MS:
        raise Malformed(path, f"expected a ms timestamp, got {value!r:.40}")
    return EPOCH + dt.timedelta(milliseconds=ms)


def to_enum(cls: Callable[[Any], E], value: Any, path: str) -> E:
    """A labelled enum member; an unseen value is a pseudo-member ("unknown (N)"); a wrong type, Malformed."""
    base = int if issubclass(cls, int) else str  # type: ignore[arg-type]
    raw: Any = to_int(value, path) if base is int else to_str(value, path)
    return cls(raw)


# -- objects -------------------------------------------------------------------------------------------------
class Obj:
    """One JSON object being read; every accessor names the field's dotted path when it fails."""

    __slots__ = ("data", "path")

    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            raise Malformed(path or "result", f"expected an object, got {type(data).__name__}")
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return join(self.path, key)

    def _need(self, key: str) -> Any:
        value = self.data.get(key)
        if value is None:
            raise Malformed(self.at(key), "missing")
        return value

    def _opt(self, key: str, conv: Callable[[Any, str], T]) -> T | None:
        value = self.data.get(key)
        return None if value is None else conv(value, self.at(key))

    def str(self, key: str, *, nonempty: bool = False) -> str:
        value = to_str(self._need(key), self.at(key))
        if nonempty and not value.strip():
            raise Malformed(self.at(key), "empty")
        return value

    def opt_str(self, key: str) -> str | None:
        return self._opt(key, to_str)

    def str_or(self, key: str, default: str = "") -> str:
        found = self.opt_str(key)
        return default if found is None else found

    def currency(self, key: str) -> str:
        return to_currency(self._need(key), self.at(key))

    def opt_currency(self, key: str) -> str | None:
        return self._opt(key, to_currency)

    def int(self, key: str) -> int:
        return to_int(self._need(key), self.at(key))

    def opt_int(self, key: str) -> int | None:
        return self._opt(key, to_int)

    def bool(self, key: str) -> bool:
        return to_bool(self._need(key), self.at(key))

    def opt_bool(self, key: str) -> bool | None:
        return self._opt(key, to_bool)

    def money(self, key: str) -> Decimal:
        return to_money(self._need(key), self.at(key))

    def opt_money(self, key: str) -> Decimal | None:
        return self._opt(key, to_money)

    def time(self, key: str) -> dt.datetime:
        return to_time(self._need(key), self.at(key))

    def opt_time(self, key: str) -> dt.datetime | None:
        return self._opt(key, to_time)

    def enum(self, key: str, cls: Callable[[Any], E]) -> E:
        return to_enum(cls, self._need(key), self.at(key))

    def opt_enum(self, key: str, cls: Callable[[Any], E]) -> E | None:
        value = self.data.get(key)
        return None if value is None else to_enum(cls, value, self.at(key))

    def obj(self, key: str) -> Obj:
        return Obj(self._need(key), self.at(key))

    def opt_obj(self, key: str) -> Obj | None:
        value = self.data.get(key)
        return None if value is None else Obj(value, self.at(key))

    def list(self, key: str, conv: Callable[[Any, str], T], *, required: bool = False) -> tuple[T, ...]:
        """Every element converted (an error in one fails the whole field): for lists inside one record."""
        value = self._need(key) if required else self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise Malformed(self.at(key), f"expected a list, got {type(value).__name__}")
        return tuple(conv(v, join(self.at(key), i)) for i, v in enumerate(value))

    def objs(self, key: str, parse: Callable[[Obj], T], *, required: bool = False) -> tuple[T, ...]:
        return self.list(key, lambda v, p: parse(Obj(v, p)), required=required)


def each(raw: Any, path: str, parse: Callable[[Obj], T]) -> tuple[list[T], list[Malformed]]:
    """A list of records parsed one by one: the good ones and one Malformed per bad one."""
    if not isinstance(raw, list):
        raise Malformed(path or "result", f"expected a list, got {type(raw).__name__}")
    items: list[T] = []
    errors: list[Malformed] = []
    for i, value in enumerate(raw):
        try:
            items.append(parse(Obj(value, join(path, i))))
        except Malformed as exc:
            errors.append(exc)
    return items, errors
