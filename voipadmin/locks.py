"""A lock shared by every process through the cache, with an expiry so a crashed holder cannot keep it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache


class LockHeld(RuntimeError):
    """Another process holds the lock."""


@contextmanager
def cache_lock(key: str, ttl: int, message: str) -> Iterator[str]:
    """Hold ``key`` for at most ``ttl`` seconds; raise ``LockHeld(message)`` when someone else holds it."""
    token = uuid.uuid4().hex
    if not cache.add(key, token, ttl):
        raise LockHeld(message)
    try:
        yield token
    finally:
        # Release only our own lock: after an expiry another process may hold the key.
        if cache.get(key) == token:
            cache.delete(key)
