"""Keyset paging through an opaque, signed cursor: the cost of a page does not grow with its depth.

A cursor names the last row of the page seen (its time and id) and the direction to go. It is signed so a
forged or truncated cursor is refused up front (a 400), instead of turning into an odd query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from django.core import signing
from django.db.models import Model, Q, QuerySet

Direction = Literal["next", "prev"]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    time: dt.datetime
    key: str
    direction: Direction = "next"


def _micros(value: dt.datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def encode(cursor: Cursor, *, salt: str) -> str:
    payload = [_micros(cursor.time), cursor.key, "n" if cursor.direction == "next" else "p"]
    return signing.Signer(salt=salt).sign_object(payload, compress=False)


def decode(raw: str, *, salt: str) -> Cursor:
    try:
        micros, key, way = signing.Signer(salt=salt).unsign_object(raw)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise BadCursor(raw) from exc
    if not isinstance(micros, int) or not isinstance(key, str) or way not in ("n", "p"):
        raise BadCursor(raw)
    return Cursor(_EPOCH + dt.timedelta(microseconds=micros), key, "next" if way == "n" else "prev")


@dataclass
class KeysetPage:
    """One page of rows, newest first, with the cursors of its neighbours (None where there is none)."""

    object_list: list[Any]
    next_cursor: str | None
    prev_cursor: str | None
    is_first: bool

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor)


def keyset_page(
    qs: QuerySet[Model],
    *,
    time_field: str,
    key_field: str,
    cursor: Cursor | None,
    salt: str,
    per_page: int,
) -> KeysetPage:
    """``per_page`` rows of ``qs`` ordered by (time, key) descending, after or before ``cursor``.

    One query: it fetches one row more than the page to learn whether another page follows. The range
    condition ``time <= t`` comes first so the database walks the (time desc, key desc) index from t on;
    the tie-break on the key is only a filter on the rows that share t.
    """
    going_back = cursor is not None and cursor.direction == "prev"
    if cursor is not None:
        t, k = cursor.time, cursor.key
        if going_back:
            qs = qs.filter(
                Q(**{f"{time_field}__gte": t})
                & (Q(**{f"{time_field}__gt": t}) | Q(**{f"{key_field}__gt": k}))
            )
        else:
            qs = qs.filter(
                Q(**{f"{time_field}__lte": t})
                & (Q(**{f"{time_field}__lt": t}) | Q(**{f"{key_field}__lt": k}))
            )
    order = (time_field, key_field) if going_back else (f"-{time_field}", f"-{key_field}")
    rows = list(qs.order_by(*order)[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    if going_back:
        rows.reverse()

    def at(row: Any, direction: Direction) -> str:
        # A lean list pages over .values() dicts, a detailed one over model instances.
        t, k = (
            (row[time_field], row[key_field])
            if isinstance(row, dict)
            else (
                getattr(row, time_field),
                getattr(row, key_field),
            )
        )
        return encode(Cursor(t, str(k), direction), salt=salt)

    older = more if not going_back else True
    newer = cursor is not None and (not going_back or more)
    return KeysetPage(
        object_list=rows,
        next_cursor=at(rows[-1], "next") if rows and older else None,
        prev_cursor=at(rows[0], "prev") if rows and newer else None,
        is_first=cursor is None,
    )
