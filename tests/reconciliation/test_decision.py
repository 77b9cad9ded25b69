"""The reconciliation's decision, rule by rule: pure, so no database, no sandbox, no settings."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from typing import Any

import pytest

from devices.reconciliation import decision as decision_module
from devices.reconciliation.decision import Decision, Verdict, reconcile_decision

T0 = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def decide(**kw: Any) -> Decision:
    args = {
        "cloud_is_auth": True,
        "cloud_changed_at": T0,
        "wechat_authorized": False,
        "observed_at": T0 + dt.timedelta(minutes=1),
        "dry_run": False,
        "mode": "fix",
    }
    return reconcile_decision(**{**args, **kw})


def test_agreeing_sides_are_in_sync_whatever_the_times() -> None:
    assert decide(wechat_authorized=True).verdict == Verdict.IN_SYNC
    assert decide(wechat_authorized=True, observed_at=T0 - dt.timedelta(days=1)).verdict == Verdict.IN_SYNC


def test_a_newer_observation_that_disagrees_is_pushed() -> None:
    assert decide() == Decision(Verdict.FIX, "fixed")
    assert decide(cloud_is_auth=False, wechat_authorized=True).verdict == Verdict.FIX
    # Where the cloud knows no change time, the observation counts as newer.
    assert decide(cloud_changed_at=None).verdict == Verdict.FIX


@pytest.mark.parametrize("offset", [dt.timedelta(seconds=-30), dt.timedelta(0)])
def test_an_observation_not_newer_than_the_clouds_change_is_skipped_with_why(offset: dt.timedelta) -> None:
    decision = decide(observed_at=T0 + offset)
    assert decision == Decision(Verdict.SKIP, "stale_observation")
    # Even in a dry run the stale observation is told as such, not as drift to fix.
    assert decide(observed_at=T0 + offset, dry_run=True).verdict == Verdict.SKIP


def test_dry_run_and_report_mode_report_instead_of_fixing() -> None:
    assert decide(dry_run=True) == Decision(Verdict.REPORT, "dry_run")
    assert decide(mode="report") == Decision(Verdict.REPORT, "report_mode")


def test_agreeing_sides_are_in_sync_even_in_a_dry_run_or_report_mode() -> None:
    for kw in ({"dry_run": True}, {"mode": "report"}, {"cloud_changed_at": None}):
        assert decide(wechat_authorized=True, **kw) == Decision(Verdict.IN_SYNC)
        assert decide(cloud_is_auth=False, **kw) == Decision(Verdict.IN_SYNC)


def test_a_revoke_and_a_grant_are_pushed_alike() -> None:
    assert decide(cloud_is_auth=True, wechat_authorized=False) == Decision(Verdict.FIX, "fixed")
    assert decide(cloud_is_auth=False, wechat_authorized=True) == Decision(Verdict.FIX, "fixed")


def test_a_dry_run_is_told_before_the_mode() -> None:
    assert decide(dry_run=True, mode="report") == Decision(Verdict.REPORT, "dry_run")


def test_any_mode_but_fix_only_reports() -> None:
    assert decide(mode="") == Decision(Verdict.REPORT, "report_mode")
    assert decide(mode="FIX") == Decision(Verdict.REPORT, "report_mode")


def test_the_decision_imports_nothing_but_the_standard_library() -> None:
    """No ORM, no settings, no clients: what it needs is passed in."""
    tree = ast.parse(inspect.getsource(decision_module))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"__future__", "datetime", "dataclasses", "enum"}
