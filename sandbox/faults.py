"""Fault injection settings, their scope (which calls, which records), and the shared rate limiters.

Rates roll a random generator that ``seed`` makes repeatable. ``calls`` and ``records`` narrow every fault to
the named calls and to requests whose parameters name one of the records (a device, home, order or user id),
so a test can fail exactly one home's device list and nothing else.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from typing import Any

DEFAULTS: dict[str, Any] = {
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "malformed_rate": 0.0,
    "answer_false": 0.0,
    "after_write": None,
    "refuse_code": None,
    "latency_ms": 0,
    "timeout_ms": 5000,
    "wechat_qps": None,
    "wechat_daily_quota": None,
    "cloud_qps": None,  # extension: cloud calls per second per client before 1199
    "seed": None,
    "calls": None,
    "records": None,
}
RATES = ("error_rate", "timeout_rate", "malformed_rate", "answer_false")
AFTER_WRITE = ("5xx", "reset")
SCOPES = ("calls", "records")
# The cloud calls that change something: counted per call, and the only ones ``after_write`` hits.
WRITES = frozenset({"saveWXVoipAuth", "saveVoipAuthUser", "buyIncreaseServiceByWx", "exchangeCode"})


class FaultError(ValueError):
    pass


def _names(key: str, value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FaultError(f"{key} must be a list of non-empty strings")
    return frozenset(value)


def _mentions(params: Any, records: frozenset[str]) -> bool:
    """Whether any string value in ``params`` (nested one level, as the SDK's bodies are) is a record."""
    if not isinstance(params, dict):
        return False
    for value in params.values():
        if isinstance(value, str) and value in records:
            return True
        if isinstance(value, list) and any(isinstance(v, str) and v in records for v in value):
            return True
    return False


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, Any] = dict(DEFAULTS)
        self.rng = random.Random()
        self._wx_second = (0, 0)
        self._wx_day = ("", 0)
        self._cloud_second: dict[str, tuple[int, int]] = {}
        self._writes: dict[str, int] = {}

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
            if key in SCOPES:
                new[key] = _names(key, value)
            elif key == "after_write":
                if value not in AFTER_WRITE:
                    raise FaultError(f"after_write must be one of {', '.join(AFTER_WRITE)}")
                new[key] = value
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise FaultError(f"{key} must be a number")
            elif key in RATES:
                if not 0 <= value <= 1:
                    raise FaultError(f"{key} must be within [0, 1]")
                new[key] = float(value)
            else:
                if value < 0 or (key == "seed" and not isinstance(value, int)):
                    raise FaultError(
                        f"{key} must be a whole number >= 0" if key == "seed" else f"{key} must be >= 0"
                    )
                new[key] = int(value)
        with self._lock:
            self.values = new
            self.rng = random.Random(new["seed"]) if new["seed"] is not None else random.Random()
            self._wx_second = (0, 0)
            self._wx_day = ("", 0)
            self._cloud_second = {}
        return self.snapshot()

    def reset_counters(self) -> None:
        with self._lock:
            self._wx_second = (0, 0)
            self._wx_day = ("", 0)
            self._cloud_second = {}
            self._writes = {}

    def snapshot(self) -> dict:
        with self._lock:
            out = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in self.values.items()}
            out["wechat_calls_today"] = self._wx_day[1]
        return out

    def get(self, key: str) -> Any:
        return self.values[key]

    def in_scope(self, call: str, params: Any) -> bool:
        """Whether the faults in force reach this call with these parameters."""
        calls, records = self.values["calls"], self.values["records"]
        if calls is not None and call not in calls:
            return False
        return records is None or _mentions(params, records)

    def roll(self, key: str, call: str | None = None, params: Any = None) -> bool:
        rate = self.values[key]
        if not rate or (call is not None and not self.in_scope(call, params)):
            return False
        return rate >= 1 or self.rng.random() < rate

    def refusal(self, call: str, params: Any) -> int | None:
        """The error code a call in scope answers instead of running (nothing is applied)."""
        code = self.values["refuse_code"]
        return code if code is not None and self.in_scope(call, params) else None

    def after_write(self, call: str, params: Any) -> str | None:
        """``5xx`` or ``reset`` when a write in scope must lose its answer after it was applied."""
        mode = self.values["after_write"]
        if mode is None or call not in WRITES or not self.in_scope(call, params):
            return None
        return mode

    def count_write(self, call: str) -> None:
        with self._lock:
            self._writes[call] = self._writes.get(call, 0) + 1

    def writes(self) -> dict[str, int]:
        """Writes applied per call since the start or the last reset, whatever their answer then became."""
        with self._lock:
            return {name: self._writes.get(name, 0) for name in sorted(WRITES)}

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
