"""The one lock of the project: an owner token, a short lease, atomic acquire, renew and release.

Syncs, reconciliation runs and per-device writes all take it. On Redis (``settings.REDIS_URL``) a lock is a
key set with ``SET NX PX`` and renewed or released by a Lua script that first checks the owner, so no process
ever renews or deletes a lock another process took after an expiry. Without Redis it is a row of
``voipadmin.Lock``: taken by a conditional UPDATE of an expired row or an INSERT of a missing one, renewed and
released by an UPDATE/DELETE that names the owner. Never the Django cache: its ``add`` on the database backend
is a SELECT then a write, and culling may delete a live entry.

A holder renews its lease while it works (``Lease.renew``); a killed holder stops renewing, so its lock frees
itself after one lease, not after hours. Take the lock outside any transaction of the caller's: on the
database, a row written inside an open transaction is not seen by other processes until it commits.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

PREFIX = "voipadmin:lock:"

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LockHeld(RuntimeError):
    """Another owner holds the lock."""


class LockLost(RuntimeError):
    """The lease ran out and another owner took the lock: the holder must stop writing."""


@functools.cache
def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def _backend() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    return _RedisLocks(_redis(url)) if url else _DatabaseLocks()


class _RedisLocks:
    def __init__(self, client: Any) -> None:
        self.client = client

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        return bool(self.client.set(PREFIX + key, token, nx=True, px=max(1, int(ttl * 1000))))

    def renew(self, key: str, token: str, ttl: float) -> bool:
        return bool(self.client.eval(_RENEW, 1, PREFIX + key, token, max(1, int(ttl * 1000))))

    def release(self, key: str, token: str) -> bool:
        return bool(self.client.eval(_RELEASE, 1, PREFIX + key, token))

    def owner(self, key: str) -> str | None:
        value = self.client.get(PREFIX + key)
        return value.decode() if value is not None else None


class _DatabaseLocks:
    @staticmethod
    def _model() -> Any:
        from voipadmin.core.models import Lock

        return Lock

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        lock = self._model()
        now = timezone.now()
        expires = now + dt.timedelta(seconds=ttl)
        # An expired row is taken over by one conditional UPDATE: of two racing processes one changes the row,
        # the other then sees an unexpired lease and changes nothing.
        if lock.objects.filter(key=key, expires_at__lte=now).update(owner=token, expires_at=expires):
            return True
        try:
            with transaction.atomic():
                lock.objects.create(key=key, owner=token, expires_at=expires)
        except IntegrityError:
            return False  # a live row: someone holds it
        return True

    def renew(self, key: str, token: str, ttl: float) -> bool:
        now = timezone.now()
        rows = self._model().objects.filter(key=key, owner=token, expires_at__gt=now)
        return bool(rows.update(expires_at=now + dt.timedelta(seconds=ttl)))

    def release(self, key: str, token: str) -> bool:
        deleted, _ = self._model().objects.filter(key=key, owner=token).delete()
        return bool(deleted)

    def owner(self, key: str) -> str | None:
        row = self._model().objects.filter(key=key, expires_at__gt=timezone.now()).first()
        return row.owner if row else None


def new_token() -> str:
    return uuid.uuid4().hex


def acquire(key: str, ttl: float, token: str | None = None) -> str | None:
    """Take ``key`` for ``ttl`` seconds: the owner token, or None when someone else holds it."""
    token = token or new_token()
    return token if _backend().acquire(key, token, ttl) else None


def renew(key: str, token: str, ttl: float) -> bool:
    """Extend the lease to ``ttl`` seconds from now, only while ``token`` still owns it."""
    return _backend().renew(key, token, ttl)


def release(key: str, token: str) -> bool:
    """Free ``key`` if ``token`` owns it (never another owner's lock)."""
    return _backend().release(key, token)


def owner(key: str) -> str | None:
    """Who holds ``key`` now (its token), or None."""
    return _backend().owner(key)


@dataclass
class Lease:
    """A held lock: renew it while working; ``LockLost`` says someone else has it now."""

    key: str
    token: str
    ttl: float

    def renew(self) -> None:
        if not renew(self.key, self.token, self.ttl):
            raise LockLost(f"lost the lock {self.key}: its lease ran out")


@contextmanager
def held(key: str, ttl: float, message: str, *, token: str | None = None) -> Iterator[Lease]:
    """Hold ``key`` with a lease of ``ttl`` seconds; raise ``LockHeld(message)`` when someone else holds it."""
    taken = acquire(key, ttl, token)
    if taken is None:
        raise LockHeld(message)
    try:
        yield Lease(key, taken, ttl)
    finally:
        release(key, taken)
