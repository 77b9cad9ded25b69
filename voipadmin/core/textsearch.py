"""Name search, one rule on every page: three characters or more match anywhere in a name, fewer match its start.

On PostgreSQL one trigram index on ``UPPER(name)`` serves both (devices/migrations/0007 and 0008):

- ``icontains`` runs as ``UPPER(name) LIKE UPPER('%q%')``; the index finds it from the trigrams of ``q``, and a
  query needs three characters to have one;
- ``istartswith`` runs as ``UPPER(name) LIKE UPPER('q%')``; its anchored start gives the index the name's
  first trigrams (two spaces and a character, a space and two characters), so one or two characters are served.

A contains match of one or two characters would read every name instead (seconds at 10^6 devices: ``make
bench-lookup``). The lists and the search page say so when a query is that short.
"""

from __future__ import annotations

from django.db.models import Q

SHORT = 3  # characters in a trigram


def is_short(q: str) -> bool:
    """Whether a name query matches from the start of the name only."""
    return 0 < len(q) < SHORT


def name_q(field: str, q: str) -> Q:
    """Names in ``field`` that match ``q`` by the rule above."""
    lookup = "istartswith" if is_short(q) else "icontains"
    return Q(**{f"{field}__{lookup}": q})
