"""Plumbing both clients share: pooled sessions, timeouts, backoff, masking, one token shared via the cache.

One shared token with one refresher at a time, retries of safe calls only, and no secret in a log line.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger("voipadmin.core.clients")

USER_AGENT = "voipadmin-clients/1"
MAX_CONNECT_TIMEOUT = 3.05  # a connect that takes longer is a dead host: fail fast, read timeout is separate


# -- sessions ------------------------------------------------------------------------------------------------
def new_session(pool_maxsize: int = 16) -> requests.Session:
    """A keep-alive pool; retries are ours (bounded, reads only), never urllib3's."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


_sessions: dict[tuple[int, str], requests.Session] = {}
_sessions_lock = threading.Lock()


def shared_session(name: str) -> requests.Session:
    """One pool per process and name; keyed by pid so a forked worker never shares its parent's sockets."""
    key = (os.getpid(), name)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = new_session()
        return session


def timeouts(seconds: float) -> tuple[float, float]:
    """(connect, read) for requests."""
    return (min(MAX_CONNECT_TIMEOUT, seconds), seconds)


def backoff_delay(attempt: int, base: float, cap: float = 8.0) -> float:
    """Exponential backoff with jitter so that many workers do not retry in step."""
    step = min(cap, base * (2 ** (attempt - 1)))
    return step / 2 + random.uniform(0, step / 2)


def nonce() -> str:
    return uuid.uuid4().hex


# -- masking -------------------------------------------------------------------------------------------------
_QUERY_SECRET = re.compile(r"((?:access_token|secret|refresh_token|sign)[=:]\s*['\"]?)[^&\s'\",}]+", re.I)
_TOKEN_PATH = re.compile(r"(/v1\.0/token/)[^\s?'\"/]+")


class Redactor:
    """Replaces known secret values and secret-looking query parameters by ``***``."""

    def __init__(self, *secrets: str) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        for value in secrets:
            self.add(value)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 6:
            with self._lock:
                if len(self._secrets) > 64:  # tokens rotate: keep the set small
                    self._secrets.clear()
                self._secrets.add(value)

    def __call__(self, text: object) -> str:
        out = mask_text(str(text))
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for value in secrets:
            out = out.replace(value, "***")
        return out


def mask_text(text: str) -> str:
    return _TOKEN_PATH.sub(r"\1***", _QUERY_SECRET.sub(r"\1***", text))


class _MaskFilter(logging.Filter):
    """urllib3 logs every request line with its query at DEBUG: WeChat puts access_token and secret there."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is not ours to fix
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def _install_mask_filter() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _MaskFilter) for f in logger.filters):
        logger.addFilter(_MaskFilter())


_install_mask_filter()


# -- the shared token ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenRecord:
    access_token: str
    expires_at: float  # epoch seconds
    refresh_token: str | None = None


class TokenWaitTimeout(Exception):
    """Another process held the refresh lock too long and no fresh token appeared."""


class SharedToken:
    """One access token per credential, kept in Django's cache and refreshed by one process at a time.

    A refresh invalidates the previous token (Tuya; WeChat after an overlap), so every process must use the
    same one: the refresher holds the project's one lock (voipadmin/core/locks.py: an owner and a lease, atomic on
    Redis or the database) for at most ``lock_ttl``; the others wait and re-read.
    ``get(stale=T)`` returns a token other than T, refreshing only if the cache still holds T: after a
    1010/1011 in several processes at once, exactly one of them refreshes.
    """

    POLL_SECONDS = 0.05

    def __init__(
        self,
        key: str,
        fetch: Callable[[TokenRecord | None], TokenRecord],
        *,
        cache: Any = None,
        margin: float = 300.0,
        lock_ttl: float = 30.0,
        name: str = "token",
    ) -> None:
        if cache is None:
            from django.core.cache import cache as default_cache

            cache = default_cache
        self.key = key
        self.lock_key = key + ":lock"
        self.fetch = fetch
        self.cache = cache
        self.margin = margin
        self.lock_ttl = lock_ttl
        self.name = name
        self.refreshes = 0  # this process's refreshes (tests and stats read it)

    def read(self) -> TokenRecord | None:
        record = self.cache.get(self.key)
        return record if isinstance(record, TokenRecord) else None

    def _usable(self, record: TokenRecord | None, stale: str | None) -> bool:
        return (
            record is not None
            and record.access_token != stale
            and record.expires_at - self.margin > time.time()
        )

    def get(self, stale: str | None = None) -> str:
        record = self.read()
        if self._usable(record, stale):
            return record.access_token  # type: ignore[union-attr]
        return self._refresh(stale)

    def drop(self) -> None:
        self.cache.delete(self.key)

    def _refresh(self, stale: str | None) -> str:
        from voipadmin.core import locks

        deadline = time.monotonic() + self.lock_ttl + 5
        while True:
            owner = locks.acquire(self.lock_key, self.lock_ttl)
            if owner is not None:
                try:
                    return self._refresh_locked(stale)
                finally:
                    locks.release(self.lock_key, owner)
            time.sleep(self.POLL_SECONDS)
            record = self.read()
            if self._usable(record, stale):
                return record.access_token  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise TokenWaitTimeout(f"no fresh {self.name} appeared while another process refreshed it")

    def _refresh_locked(self, stale: str | None) -> str:
        record = self.read()
        if self._usable(record, stale):  # someone refreshed while we waited for the lock
            return record.access_token  # type: ignore[union-attr]
        new = self.fetch(record)
        ttl = max(1, int(new.expires_at - time.time()))
        self.refreshes += 1
        if self._store(new, ttl):
            log.info("%s refreshed; valid for %d s", self.name, ttl)
        else:
            log.warning(
                "%s refreshed but the cache did not keep it; other processes will refresh again", self.name
            )
        return new.access_token

    def _store(self, new: TokenRecord, ttl: int, attempts: int = 3) -> bool:
        """Set the record and read it back, while the lock is still held.

        The database cache swallows a failed write (a busy database) and stores nothing: the next process would
        then refresh with a refresh token already spent, and its fresh grant would revoke this token.
        """
        for attempt in range(attempts):
            self.cache.set(self.key, new, timeout=ttl)
            if self.read() == new:
                return True
            time.sleep(self.POLL_SECONDS * (attempt + 1))
        return False
