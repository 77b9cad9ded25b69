"""The alerts about reconciliation (voipadmin/core/alerts.py): drift rate, its rise, quota stops, a run held back."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from devices.models import ReconciliationRun
from voipadmin.core.alerts import AlertKind, Finding, register
from voipadmin.core.models import AlertRule


def _finished_runs() -> list[ReconciliationRun]:
    """The last two finished runs that looked at every device (not a dry run, not limited to a device)."""
    runs = (
        ReconciliationRun.objects.exclude(state=ReconciliationRun.State.RUNNING)
        .filter(dry_run=False, device_scope="")
        .only("pk", "counts", "state", "errors", "started_at", "scope")
        .order_by("-started_at", "-id")[:20]
    )
    return [run for run in runs if not run.scope][:2]  # a bulk action's run says nothing of the whole


def _run_link(run: ReconciliationRun) -> str:
    return reverse("devices:reconciliation-detail", args=[run.pk])


def _drift_rate(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    runs = _finished_runs()
    percent = runs[0].drift_percent if runs else None
    if percent is None or percent <= rule.threshold:
        return {}
    return {"voip": Finding({"run": runs[0].pk, "percent": round(percent, 1)}, _run_link(runs[0]))}


def _drift_rise(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    runs = _finished_runs()
    if len(runs) < 2 or runs[0].drift_percent is None or runs[1].drift_percent is None:
        return {}
    rise = runs[0].drift_percent - runs[1].drift_percent
    if rise <= rule.threshold:
        return {}
    params = {"run": runs[0].pk, "previous": runs[1].pk, "points": round(rise, 1)}
    return {"voip": Finding(params, _run_link(runs[0]))}


def _quota_stop(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    """The last finished run was stopped by WeChat's daily quota (45009)."""
    last = (
        ReconciliationRun.objects.exclude(state=ReconciliationRun.State.RUNNING)
        .only("pk", "state", "errors", "counts")
        .order_by("-started_at", "-id")
        .first()
    )
    if last is None or last.state != ReconciliationRun.State.PARTIAL:
        return {}
    if not any("45009" in str(e) or "daily quota" in str(e) for e in last.errors):
        return {}
    params = {"run": last.pk, "not_reached": int(last.counts.get("not_reached") or 0)}
    return {"quota": Finding(params, _run_link(last))}


def _held_back(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    """A running run made no progress for N minutes (WeChat answering 45011, calls too frequent)."""
    cutoff = now - dt.timedelta(minutes=rule.threshold)
    run = (
        ReconciliationRun.objects.filter(state=ReconciliationRun.State.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at=None, started_at__lt=cutoff))
        .order_by("started_at")
        .first()
    )
    if run is None:
        return {}
    since = run.heartbeat_at or run.started_at
    params = {"run": run.pk, "minutes": int((now - since).total_seconds() // 60)}
    return {f"run-{run.pk}": Finding(params, _run_link(run))}


KINDS = [
    AlertKind(
        "drift_rate",
        _("VoIP drift rate"),
        _("The last finished run found drift on more than %(threshold)s %% of the devices it checked"),
        _("Run #%(run)s found drift on %(percent)s %% of the devices it checked."),
        10,
        _drift_rate,
        "%",
    ),
    AlertKind(
        "drift_rise",
        _("VoIP drift rising"),
        _("The drift rate rose by more than %(threshold)s points from one run to the next"),
        _("The drift rate of run #%(run)s is %(points)s points above run #%(previous)s."),
        5,
        _drift_rise,
        _("points"),
    ),
    AlertKind(
        "reconcile_quota",
        _("Reconciliation stopped by WeChat's daily quota"),
        _("The last run was stopped by WeChat's daily quota (45009)"),
        _("Run #%(run)s was stopped by WeChat's daily quota; %(not_reached)s devices were not reached."),
        0,
        _quota_stop,
    ),
    AlertKind(
        "reconcile_held",
        _("Reconciliation held back"),
        _("A running run made no progress for %(threshold)s minutes (WeChat: calls too frequent, 45011)"),
        _("Run #%(run)s has made no progress for %(minutes)s minutes."),
        15,
        _held_back,
        _("minutes"),
    ),
]
register(*KINDS)
