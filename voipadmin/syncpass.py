"""What a sync pass counts and the errors it keeps: one recorder for the devices and the mall syncs.

Thread-safe (the devices sync fetches on several threads), logs every error, keeps the first
``MAX_ERRORS_KEPT`` for the run's page, and counts them all under ``errors``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MAX_ERRORS_KEPT = 200


@dataclass
class Tally:
    kind: str = "sync"  # names the pass in the log
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def error(self, where: str, exc: Exception) -> None:
        log.warning("%s: %s: %s: %s", self.kind, where, type(exc).__name__, exc)
        with self.lock:
            if len(self.errors) < MAX_ERRORS_KEPT:
                self.errors.append(f"{where}: {type(exc).__name__}: {exc}"[:500])
        self.add("errors")
