"""Small values the layout reads on every page, cached until what they come from changes.

A value is stored with the version of its source it was read under (``voipadmin:version:<source>``), and both
come back in one cache round trip. A change to the source sets a new version (``changed``), so no reader keeps
a value from before it: a reader that read the old version stores its value under that version, which no later
reader accepts. The timeout only bounds how long an unused entry stays.
On the embedded default the cache is a database table, where a hit is a query like the source's own: there
the source is read directly.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
# How long a value may stay unread; also how long one can outlive a change the cache could not be told of.
TIMEOUT = 600
log = logging.getLogger(__name__)


def _version_key(source: str) -> str:
    return f"voipadmin:version:{source}"


def _worth_it() -> bool:
    """On the database cache a hit costs a query like the source's own, and a miss costs several: read the
    source (the embedded default). Redis answers without touching the database."""
    return settings.CACHES["default"]["BACKEND"] != "django.core.cache.backends.db.DatabaseCache"


def _value_key(source: str, key: str) -> str:
    return f"voipadmin:cached:{source}:{key}"


class Many:
    """Several cached values a page may read, ``{name: (source, key)}``: the first read of any of them fetches
    every one with its source's version in one round trip; each is computed only if it is read and missed.
    A cache that cannot be reached costs the reads it saves, never the page."""

    def __init__(self, wanted: dict[str, tuple[str, str]]) -> None:
        self.wanted = wanted
        self.got: dict[str, Any] | None = None

    def get(self, name: str, compute: Callable[[], T]) -> T:
        if not _worth_it():
            return compute()
        source, key = self.wanted[name]
        try:
            if self.got is None:
                keys = {_version_key(s) for s, _k in self.wanted.values()}
                keys.update(_value_key(s, k) for s, k in self.wanted.values())
                self.got = cache.get_many(sorted(keys))
            version, entry = self.got.get(_version_key(source)), self.got.get(_value_key(source, key))
            if version is not None and isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
                return entry[1]
            if version is None:
                # add, not set: a process that got here first keeps its version.
                cache.add(_version_key(source), uuid.uuid4().hex, None)
                version = cache.get(_version_key(source))
        except Exception:
            log.warning("the cache could not be read; %s read from its source", source, exc_info=True)
            self.got, version = {}, None
        value = compute()
        if version is not None:
            try:
                cache.set(_value_key(source, key), (version, value), TIMEOUT)
            except Exception:
                log.warning("the cache could not keep %s", source, exc_info=True)
        return value


def read(source: str, key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or the value it gave under the source's current version."""
    return Many({"value": (source, key)}).get("value", compute)


def changed(source: str) -> None:
    """The source changed: values read before this are never served again.

    A new version now, and another once the change commits: a reader between the two may read the old rows
    under the first new version, and the second retires what it stored.
    """

    def bump() -> None:
        try:
            cache.set(_version_key(source), uuid.uuid4().hex, None)
        except Exception:  # what was cached before stays until its TIMEOUT: say so
            log.error("the cache could not be told that %s changed", source, exc_info=True)

    bump()
    transaction.on_commit(bump)


def changed_on(source: str) -> Callable[..., Any]:
    """A signal receiver that marks ``source`` changed."""

    def receiver(**kwargs: Any) -> None:
        changed(source)

    return receiver
