"""Live progress of long work (reconciliation runs; sync passes can reuse it): share done, rate, time left.

Read from the counts the work already keeps in the database; nothing here is stored or queried.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None  # None while the work does not know its size yet
    elapsed: float  # seconds since the work started

    @classmethod
    def of(
        cls, *, done: int, total: int | None, started_at: dt.datetime, now: dt.datetime | None = None
    ) -> Progress:
        elapsed = ((now or timezone.now()) - started_at).total_seconds()
        return cls(
            done=max(done, 0), total=None if total is None else max(total, 0), elapsed=max(elapsed, 0.0)
        )

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def rate(self) -> float | None:
        """Items per second so far; None before the first item."""
        return self.done / self.elapsed if self.done and self.elapsed > 0 else None

    @property
    def seconds_left(self) -> int | None:
        if self.rate is None or not self.total:
            return None
        return max(0, round((self.total - self.done) / self.rate))  # total is known here

    @property
    def minutes_left(self) -> int | None:
        left = self.seconds_left
        return None if left is None else -(-left // 60)
