"""Keyset paging through an opaque, signed cursor: the cost of a page does not grow with its depth.

Every list that can grow pages here. A list declares its order as a tuple of fields, the last one unique (the
primary key breaks ties): ``Keyset("audit", ("-created_at", "-id"))``. A cursor names the edge row of the page
seen (its values in that order) and the way to go. It is signed with the list's name and order, so a forged,
truncated or other list's cursor is refused up front (a 400 with a message), never turned into an odd query.

NULL sorts after every value whichever the direction (PostgreSQL's own order for an ascending index), so a
nullable column's index still serves the page. No OFFSET and no COUNT(*): a total comes from ``list_total``,
kept or estimated, and it says which. A list parses ``?cursor=`` with ``CursorField`` (its filter form's, or
its own form's), so a bad cursor is the form's error.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma, intword
from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.lookups import Lookup
from django.utils.translation import gettext_lazy as _

PER_PAGE = 50
Direction = Literal["next", "prev"]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
BAD_CURSOR = _("This page link is not valid (it was changed or cut short). Start again from the first page.")


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    values: tuple[Any, ...]
    direction: Direction = "next"


def _pack(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        delta = value - _EPOCH
        return ["t", (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, Decimal):
        return ["n", str(value)]
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, list):
        tag, raw = value
        if tag == "t" and isinstance(raw, int):
            return _EPOCH + dt.timedelta(microseconds=raw)
        if tag == "d" and isinstance(raw, str):
            return dt.date.fromisoformat(raw)
        if tag == "n" and isinstance(raw, str):
            return Decimal(raw)
        raise ValueError(tag)
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise ValueError(value)


@dataclass
class Total:
    """How many rows the list holds: exact (kept, or cheap to count) or the database's estimate."""

    count: int
    estimated: bool

    @property
    def shown(self) -> str:
        """ "1,234", or "1.2 million" from a million on (in the reader's language)."""
        return intword(self.count) if self.count >= 1_000_000 else intcomma(self.count)


@dataclass
class KeysetPage:
    """One page of rows with the cursors of its neighbours (None where there is none)."""

    object_list: list[Any]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    is_first: bool = True
    total: Total | None = field(default=None)

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.prev_cursor or not self.is_first)


def _nullable(model: type[Model], name: str) -> bool:
    """Only a column that can hold NULL pays for the NULL terms (they would keep its index from a plain range)."""
    for part in name.split("__"):
        try:
            model_field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        if model_field.null:
            return True
        model = model_field.related_model or model
    return False


def _value(row: Any, name: str) -> Any:
    """A row's value of an order field: rows are model instances, or dicts where a list reads ``.values()``."""
    if isinstance(row, dict):
        return row[name]
    for part in name.split("__"):
        row = getattr(row, part)
    return row


@dataclass(frozen=True)
class Keyset:
    """A list's order (``("name", "id")``, ``("-updated_at", "-id")``): its pages, and its cursors.

    An order may name an expression instead of a field: ``keys`` pairs each such name with a function that builds
    it for the database in use (``(("name_key", lambda: name_key("name")),)``). ``keyed`` adds them to a query as
    columns, so an index on the expression serves the order and each row carries its cursor's values; they are
    never NULL.
    """

    name: str
    order: tuple[str, ...]
    keys: tuple[tuple[str, Callable[[], Any]], ...] = ()

    def keyed(self, qs: QuerySet[Model]) -> QuerySet[Model]:
        """``qs`` with the order's expressions among its columns (a ``.values()`` query's too); one it already
        selects (``ordered`` added it) is not built again."""
        missing = {name: make() for name, make in self.keys if name not in qs.query.annotation_select}
        return qs.annotate(**missing) if missing else qs

    def ordered(self, qs: QuerySet[Model]) -> QuerySet[Model]:
        """``qs`` in this list's order."""
        return self.keyed(qs).order_by(*self.order)

    @property
    def _salt(self) -> str:
        return f"voipadmin.keyset:{self.name}:{','.join(self.order)}"

    def encode(self, cursor: Cursor) -> str:
        payload = [[_pack(v) for v in cursor.values], "n" if cursor.direction == "next" else "p"]
        return signing.Signer(salt=self._salt).sign_object(payload, compress=False)

    def decode(self, raw: str) -> Cursor:
        try:
            values, way = signing.Signer(salt=self._salt).unsign_object(raw)
            if way not in ("n", "p") or not isinstance(values, list) or len(values) != len(self.order):
                raise ValueError(raw)
            unpacked = tuple(_unpack(v) for v in values)
        except (signing.BadSignature, ValueError, TypeError, UnicodeError, json.JSONDecodeError) as exc:
            raise BadCursor(raw) from exc
        return Cursor(unpacked, "next" if way == "n" else "prev")

    def cursor_at(self, row: Any, direction: Direction = "next") -> str:
        """The cursor of the page just after (or before) ``row``."""
        return self.encode(Cursor(tuple(_value(row, f.lstrip("-")) for f in self.order), direction))

    # -- the query -----------------------------------------------------------------------------------------------
    def _fields(self, backwards: bool) -> list[tuple[str, bool]]:
        """(field, ascending) in the order the query walks: reversed when going back."""
        return [(f.lstrip("-"), f.startswith("-") == backwards) for f in self.order]

    def _order_by(self, backwards: bool) -> list[OrderBy]:
        # NULL is the largest value: last when ascending, first when descending (an ascending index's order).
        return [
            F(name).asc(nulls_last=True) if up else F(name).desc(nulls_first=True)
            for name, up in self._fields(backwards)
        ]

    def _after(self, model: type[Model], values: tuple[Any, ...], backwards: bool) -> Q | Lookup:
        """Rows strictly after ``values`` in the walking order.

        Where every field walks the same way and none can be NULL (every list's order but a nullable date's),
        one row comparison, ``(a, b) > (x, y)``: the database starts its walk of the composite index at the
        cursor itself, however many rows share ``a`` (10^6 devices share a few dozen names: the nested form
        below read 37,479 tied rows before a deep page of them). Otherwise nested ranges,
        ``a >= x AND (a > x OR (b >= y AND (b > y OR ...)))``, whose first field's range leads the walk.
        """
        fields = self._fields(backwards)
        ways = {up for _name, up in fields}
        keys = {name for name, _make in self.keys}
        nullable = any(n not in keys and _nullable(model, n) for n, _up in fields)
        if len(ways) == 1 and None not in values and not nullable:
            row = Tuple(*(F(name) for name, _up in fields))
            return (TupleGreaterThan if ways == {True} else TupleLessThan)(row, values)
        condition: Q | None = None
        for (name, up), value in reversed(list(zip(self._fields(backwards), values, strict=True))):
            if value is None:
                # NULL is the largest: nothing is above it; below it is every non-NULL value.
                strictly = Q(pk__in=[]) if up else Q(**{f"{name}__isnull": False})
                equal = Q(**{f"{name}__isnull": True})
                at_least = Q() if not up else equal
            else:
                strictly = Q(**{f"{name}__gt" if up else f"{name}__lt": value})
                equal = Q(**{name: value})
                at_least = Q(**{f"{name}__gte" if up else f"{name}__lte": value})
                if up and name not in keys and _nullable(model, name):
                    strictly |= Q(**{f"{name}__isnull": True})
                    at_least |= Q(**{f"{name}__isnull": True})
            condition = strictly if condition is None else at_least & (strictly | (equal & condition))
        return condition if condition is not None else Q()

    def page(
        self, qs: QuerySet[Model], *, cursor: Cursor | None, per_page: int = PER_PAGE, total: bool = False
    ) -> KeysetPage:
        """``per_page`` rows of ``qs`` after or before ``cursor``, in one query (one row more says "more").

        ``total`` adds the list's size from ``list_total`` (one more bounded query, none when the whole list
        fits the first page).
        """
        backwards = cursor is not None and cursor.direction == "prev"
        qs = self.keyed(qs)
        walked = qs.filter(self._after(qs.model, cursor.values, backwards)) if cursor is not None else qs
        rows = list(walked.order_by(*self._order_by(backwards))[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page]
        if backwards:
            rows.reverse()
        following = more if not backwards else True
        preceding = cursor is not None and (not backwards or more)
        page = KeysetPage(
            object_list=rows,
            next_cursor=self.cursor_at(rows[-1], "next") if rows and following else None,
            prev_cursor=self.cursor_at(rows[0], "prev") if rows and preceding else None,
            is_first=cursor is None,
        )
        if total:
            whole = page.is_first and page.next_cursor is None
            page.total = Total(len(rows), False) if whole else list_total(qs)
        return page


class CursorField(forms.CharField):
    """``?cursor=`` of one list: its ``Cursor``, None for the first page, or the form's error (a 400)."""

    def __init__(self, *, keyset: Keyset, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(**kwargs)
        self.keyset = keyset

    def clean(self, value: Any) -> Cursor | None:  # type: ignore[override]
        raw = super().clean(value)
        if not raw:
            return None
        try:
            return self.keyset.decode(raw)
        except BadCursor:
            raise forms.ValidationError(BAD_CURSOR, code="bad_cursor") from None


def list_total(qs: QuerySet[Model]) -> Total:
    """The list's size without counting it on a database where a count is not cheap.

    PostgreSQL: the table's ``pg_class.reltuples`` for an unfiltered list, else the planner's row estimate of
    the query (``EXPLAIN (FORMAT JSON)``); both are estimates and say so. SQLite holds demo-sized mirrors, where
    an exact count is cheap.
    """
    connection = connections[qs.db]
    if connection.vendor != "postgresql":
        return Total(qs.order_by().count(), False)
    if not qs.query.where and (rows := _table_rows(qs.db, qs.model._meta.db_table)) is not None:
        return Total(_rounded(rows), True)
    with connection.cursor() as cursor:
        sql, params = qs.order_by().query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return Total(_rounded(int(plan[0]["Plan"]["Plan Rows"])), True)


TABLE_ROWS_SECONDS = 60
_table_rows_read: dict[tuple[str, str], tuple[float, int | None]] = {}


def _table_rows(db: str, table: str) -> int | None:
    """``pg_class.reltuples``, read at most once a minute per process: it only moves when the table is
    analysed, and every unfiltered first page would otherwise spend a round trip on it."""
    now = time.monotonic()
    read_at, rows = _table_rows_read.get((db, table), (-TABLE_ROWS_SECONDS, None))
    if now - read_at < TABLE_ROWS_SECONDS:
        return rows
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    rows = int(row[0]) if row and row[0] is not None and row[0] >= 0 else None  # -1: never analysed
    _table_rows_read[(db, table)] = (now, rows)
    return rows


def _rounded(n: int) -> int:
    """An estimate to two significant figures: "about 1,234,567" claims a precision it does not have."""
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return round(n / scale) * scale


class PageForm(forms.Form):
    """The query of a list with no filters: only its cursor (a list with filters has it in its FilterSet)."""

    def __init__(self, data: Any, *, keyset: Keyset) -> None:
        super().__init__(data)
        self.fields["cursor"] = CursorField(keyset=keyset)
