"""A calls-per-second limit kept by every process together, through the shared cache.

Each wall-clock second is a window with a counter (``cache.add`` then ``cache.incr``). A caller takes the
counter's next number and then claims that number's slot with ``cache.add``: on a cache whose ``incr`` is not
atomic (the database cache reads and writes), two callers may read the same number, but only one of them adds
the slot, and the other counts again. So a window never admits more than ``rate`` calls, whatever the backend.
A full window sleeps until the next second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache

WINDOW_TTL = 5  # seconds a window's keys outlive it


def acquire(
    key: str,
    rate: int,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    max_wait: float = 60.0,
) -> float:
    """Wait until a call is allowed under ``rate`` calls per second for ``key``; returns the seconds waited.

    ``rate <= 0`` means no limit. After ``max_wait`` seconds the call goes ahead anyway (the remote's own
    limit answer, e.g. WeChat's 45011, is still handled by the caller)."""
    if rate <= 0:
        return 0.0
    started = clock()
    while True:
        now = clock()
        window = int(now)
        counter = f"ratelimit:{key}:{window}"
        cache.add(counter, 0, WINDOW_TTL)
        try:
            n = cache.incr(counter)
        except ValueError:  # the counter expired between add and incr
            continue
        if n <= rate:
            if cache.add(f"{counter}:{n}", 1, WINDOW_TTL):
                return clock() - started
            continue  # someone else read the same number (non-atomic incr): count again
        if now - started >= max_wait:
            return clock() - started
        sleep(max(window + 1 - clock(), 0.0) + 0.005)
