"""Name search, one rule on every page: three characters or more match anywhere in a name, fewer match its start.

On PostgreSQL one trigram index on ``UPPER(name)`` serves both (devices/migrations/0007 and 0008):

- ``icontains`` runs as ``UPPER(name) LIKE UPPER('%q%')``; the index finds it from the trigrams of ``q``, and a
  query needs three characters to have one;
- ``istartswith`` runs as ``UPPER(name) LIKE UPPER('q%')``; its anchored start gives the index the name's
  first trigrams (two spaces and a character, a space and two characters), so one or two characters are served.

A contains match of one or two characters would read every name instead (seconds at 10^6 devices: ``make
bench-lookup``). The lists and the search page say so when a query is that short.

The search page orders names by ``name_key``: ``UPPER(name)`` in the "C" collation, which a btree of
``(UPPER(name) COLLATE "C", pk)`` serves (devices/migrations/0009). In that index a start match is one range
read in the page's own order, so the first rows come at once whatever the planner's statistics say. Ordered
by the bare name instead, the planner may walk the name's index and test every row before the matches:
71 ms against 0.8 ms for ``王伟`` among 10^5 users, after an ANALYZE that misjudged how many names start so.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model, Q
from django.db.models.functions import Collate, Upper

SHORT = 3  # characters in a trigram


def is_short(q: str) -> bool:
    """Whether a name query matches from the start of the name only."""
    return 0 < len(q) < SHORT


def name_q(field: str, q: str) -> Q:
    """Names in ``field`` that match ``q`` by the rule above."""
    lookup = "istartswith" if is_short(q) else "icontains"
    return Q(**{f"{field}__{lookup}": q})


def name_or_id_q(model: type[Model], field: str, q: str, by_id: Q) -> Q:
    """Rows whose name in ``field`` matches ``q``, and the rows ``by_id`` picks where it picks any.

    The ids are asked apart (one indexed ``exists()``): OR-ed into the name match unasked, they would keep the
    name's index from reading a start match as one range (``name_key`` below)."""
    names = name_q(field, q)
    return by_id | names if model._default_manager.filter(by_id).exists() else names


def name_key(field: str) -> Upper | Collate:
    """The search page's order of names: upper-cased, by code point ("C"; SQLite's own order is already so)."""
    upper = Upper(field)
    return Collate(upper, "C") if connection.vendor == "postgresql" else upper
