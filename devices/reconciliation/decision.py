"""The reconciliation's decision for one device: both sides in, what to do out.

Pure: no I/O, no ORM, no settings read here (the mode and the cloud's last change are passed in), so every rule
is tested on its own (tests/reconciliation/test_decision.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    IN_SYNC = "in_sync"
    FIX = "fix"
    REPORT = "report"
    SKIP = "skip"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str = ""


def reconcile_decision(
    *,
    cloud_is_auth: bool,
    cloud_changed_at: dt.datetime | None,
    wechat_authorized: bool,
    observed_at: dt.datetime,
    dry_run: bool,
    mode: str,
) -> Decision:
    """What to do with one device, given both sides; pure, so every rule is tested on its own."""
    if cloud_is_auth == wechat_authorized:
        return Decision(Verdict.IN_SYNC)
    # A user may have granted or revoked after WeChat was observed: never overwrite a newer cloud state.
    if cloud_changed_at is not None and observed_at <= cloud_changed_at:
        return Decision(Verdict.SKIP, "stale_observation")
    if dry_run:
        return Decision(Verdict.REPORT, "dry_run")
    if mode != "fix":
        return Decision(Verdict.REPORT, "report_mode")
    return Decision(Verdict.FIX, "fixed")
