"""Fault injection settings and the shared (cross-thread) rate limiters."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

DEFAULTS: dict[str, float | int | None] = {
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "malformed_rate": 0.0,
    "latency_ms": 0,
    "timeout_ms": 5000,
    "wechat_qps": None,
    "wechat_daily_quota": None,
    "cloud_qps": None,  # extension: cloud calls per second per client before 1199
}
RATES = ("error_rate", "timeout_rate", "malformed_rate")


class FaultError(ValueError):
    pass


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, float | int | None] = dict(DEFAULTS)
        self.rng = random.Random()
        self._wx_second = (0, 0)
        self._wx_day = ("", 0)
        self._cloud_second: dict[str, tuple[int, int]] = {}

    def set(self, body: dict) -> dict:
        """Replace the faults in force with ``body`` (``{}`` clears everything)."""
        if not isinstance(body, dict):
            raise FaultError("body must be a JSON object")
        new = dict(DEFAULTS)
        for key, value in body.items():
            if key not in DEFAULTS:
                raise FaultError(f"unknown fault {key!r}")
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise FaultError(f"{key} must be a number")
            if key in RATES:
                if not 0 <= value <= 1:
                    raise FaultError(f"{key} must be within [0, 1]")
                new[key] = float(value)
            else:
                if value < 0:
                    raise FaultError(f"{key} must be >= 0")
                new[key] = int(value)
        with self._lock:
            self.values = new
            self._wx_second = (0, 0)
            self._wx_day = ("", 0)
            self._cloud_second = {}
        return self.snapshot()

    def reset_counters(self) -> None:
        with self._lock:
            self._wx_second = (0, 0)
            self._wx_day = ("", 0)
            self._cloud_second = {}

    def snapshot(self) -> dict:
        with self._lock:
            out = dict(self.values)
            out["wechat_calls_today"] = self._wx_day[1]
        return out

    def get(self, key: str):
        return self.values[key]

    def roll(self, key: str) -> bool:
        rate = self.values[key]
        return bool(rate) and (rate >= 1 or self.rng.random() < rate)

    def wechat_admit(self) -> int:
        """Count one observation call; 0 when admitted, else 45009 (daily quota) or 45011 (per second)."""
        quota, qps = self.values["wechat_daily_quota"], self.values["wechat_qps"]
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        sec = int(time.time())
        with self._lock:
            d, used = self._wx_day
            if d != day:
                used = 0
            if quota is not None and used >= quota:
                return 45009
            s, n = self._wx_second
            if s != sec:
                n = 0
            if qps is not None and n >= qps:
                return 45011
            self._wx_second = (sec, n + 1)
            self._wx_day = (day, used + 1)
        return 0

    def cloud_admit(self, client_id: str) -> bool:
        qps = self.values["cloud_qps"]
        if qps is None:
            return True
        sec = int(time.time())
        with self._lock:
            s, n = self._cloud_second.get(client_id, (0, 0))
            if s != sec:
                n = 0
            if n >= qps:
                return False
            self._cloud_second[client_id] = (sec, n + 1)
        return True
