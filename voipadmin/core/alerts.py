"""Alerts: rules with thresholds kept in the database, evaluated every minute, told in the console and outside it.

A shared leaf of the floor: each app registers the kinds of alert about its own data (``devices/alerts.py``,
``mall/alerts.py``; the sync passes' kinds are here, beside SyncRun) and makes their default rules after
``migrate``, as it makes its schedules. ``alerts_evaluate`` raises an alert once per rule and key while the
condition holds (a partial unique index makes a second open one impossible), clears it when the condition no
longer holds, and queues its delivery (a signed webhook, mail) after commit. It never deletes an alert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voipadmin.core import cached
from voipadmin.core.models import Alert, AlertDelivery, AlertRule, SyncRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """A condition that holds now: its figures (JSON) and the page that explains it."""

    params: dict[str, Any]
    link: str = ""


Evaluator = Callable[[AlertRule, dt.datetime], Mapping[str, Finding]]


@dataclass(frozen=True)
class AlertKind:
    kind: str
    label: Any  # a lazy string: the rule's name
    condition: Any  # a lazy string with %(threshold)s: what the rule watches
    summary: Any  # a lazy string with the finding's params: what the alert says
    default_threshold: int
    evaluate: Evaluator = field(compare=False)
    unit: Any = ""


KINDS: dict[str, AlertKind] = {}


def register(*kinds: AlertKind) -> None:
    for kind in kinds:
        KINDS[kind.kind] = kind


def ensure_alert_rules(kinds: list[AlertKind]) -> None:
    """Create each kind's rule with its default threshold if missing; never touch one that exists."""
    for kind in kinds:
        AlertRule.objects.get_or_create(kind=kind.kind, defaults={"threshold": kind.default_threshold})


def _fill(template: Any, params: Mapping[str, Any]) -> str:
    from voipadmin.core.audit_messages import SYNC_KINDS as SYNC_KIND_LABELS

    words = dict(params)
    if "sync" in words:
        words["sync"] = SYNC_KIND_LABELS.get(words["sync"], words["sync"])
    if "state" in words:
        words["state"] = dict(SyncRun.State.choices).get(words["state"], words["state"])
    try:
        return str(template) % words
    except (KeyError, TypeError, ValueError):
        return str(template)


def rule_label(rule: AlertRule) -> str:
    kind = KINDS.get(rule.kind)
    return str(kind.label) if kind else rule.kind


def rule_condition(rule: AlertRule) -> str:
    kind = KINDS.get(rule.kind)
    return _fill(kind.condition, {"threshold": rule.threshold}) if kind else ""


def alert_summary(alert: Alert) -> str:
    kind = KINDS.get(alert.rule.kind)
    return _fill(kind.summary, alert.params or {}) if kind else alert.key


OPEN_COUNT_KEY = ("alerts", "open")


def open_alert_count(many: cached.Many | None = None) -> int:
    """The bell's figure: one COUNT over the open alerts' index, cached until an alert is raised, cleared or
    deleted (voipadmin/core/cached.py)."""
    many = many or cached.Many({"alerts": OPEN_COUNT_KEY})
    return many.get("alerts", lambda: Alert.objects.filter(cleared_at=None).count())


def connect_alert_changes() -> None:
    """Raised (a save), deleted (here or in the admin); a clear is an UPDATE, so ``_clear`` says it itself."""
    from django.db.models.signals import post_delete, post_save

    receiver = cached.changed_on(OPEN_COUNT_KEY[0])
    post_save.connect(receiver, sender=Alert, dispatch_uid="voipadmin.alerts.saved")
    post_delete.connect(receiver, sender=Alert, dispatch_uid="voipadmin.alerts.deleted")


# -- evaluation --------------------------------------------------------------------------------------------------
def alerts_evaluate(now: dt.datetime | None = None) -> dict[str, int]:
    """Raise what holds and is not open yet, clear what is open and no longer holds; returns the counts."""
    now = now or timezone.now()
    counts = {"raised": 0, "cleared": 0, "open": 0}
    for rule in AlertRule.objects.all():
        kind = KINDS.get(rule.kind)
        findings: Mapping[str, Finding] = {}
        if rule.enabled and kind is not None:
            try:
                findings = kind.evaluate(rule, now)
            except Exception:
                log.exception("alert rule %s could not be evaluated", rule.kind)
                continue  # keep what is open: a failing check says nothing about the condition
        open_alerts = {a.key: a for a in Alert.objects.filter(rule=rule, cleared_at=None)}
        for key, finding in findings.items():
            if key in open_alerts:
                _refresh(open_alerts[key], finding)
            elif _raise(rule, key, finding):
                counts["raised"] += 1
        for key, alert in open_alerts.items():
            if key not in findings and _clear(alert, now):
                counts["cleared"] += 1
        counts["open"] += len(findings)
    return counts


def _raise(rule: AlertRule, key: str, finding: Finding) -> bool:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(rule=rule, key=key[:128], params=finding.params, link=finding.link)
            _announce(rule, alert, AlertDelivery.Event.RAISED)
    except IntegrityError:
        return False  # another evaluation raised it first: one open alert per rule and key
    return True


def _refresh(alert: Alert, finding: Finding) -> None:
    if alert.params != finding.params or alert.link != finding.link:
        Alert.objects.filter(pk=alert.pk, cleared_at=None).update(params=finding.params, link=finding.link)


def _clear(alert: Alert, now: dt.datetime) -> bool:
    with transaction.atomic():
        if not Alert.objects.filter(pk=alert.pk, cleared_at=None).update(cleared_at=now):
            return False
        cached.changed(OPEN_COUNT_KEY[0])
        _announce(alert.rule, alert, AlertDelivery.Event.CLEARED)
    return True


def _announce(rule: AlertRule, alert: Alert, event: str) -> None:

    channels = []
    if rule.notify_webhook and settings.ALERT_WEBHOOK_URL:
        channels.append(AlertDelivery.Channel.WEBHOOK)
    if rule.notify_mail and settings.ALERT_EMAIL_TO:
        channels.append(AlertDelivery.Channel.MAIL)
    for channel in channels:
        alert_deliver_task.delay_on_commit(alert.pk, event, str(channel))


# -- delivery ----------------------------------------------------------------------------------------------------
def sign(body: bytes, secret: str) -> str:
    """The webhook's signature header value: ``sha256=`` and the HMAC-SHA256 of the body, in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def alert_payload(alert: Alert, event: str) -> dict[str, Any]:
    return {
        "event": event,
        "alert": alert.pk,
        "rule": alert.rule.kind,
        "title": rule_label(alert.rule),
        "key": alert.key,
        "summary": alert_summary(alert),
        "params": alert.params,
        "link": alert.link,
        "raised_at": alert.raised_at.isoformat(),
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
    }


def alert_deliver(alert_id: int, event: str, channel: str, attempt: int) -> bool:
    """One attempt on one channel, recorded as a delivery row; True when it got through."""
    import requests

    alert = Alert.objects.select_related("rule").filter(pk=alert_id).first()
    if alert is None:
        return True  # nothing to tell any more
    delivery = AlertDelivery(alert=alert, channel=channel, event=event, attempt=attempt)
    payload = alert_payload(alert, event)
    try:
        if channel == AlertDelivery.Channel.WEBHOOK:
            body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Voipadmin-Signature": sign(body, settings.ALERT_WEBHOOK_SECRET),
                "X-Voipadmin-Event": event,
            }
            answer = requests.post(
                settings.ALERT_WEBHOOK_URL, data=body, headers=headers, timeout=settings.ALERT_WEBHOOK_TIMEOUT
            )
            delivery.status_code = answer.status_code
            delivery.ok = 200 <= answer.status_code < 300
            if not delivery.ok:
                delivery.error = f"HTTP {answer.status_code}"
        else:
            subject = f"[voipadmin] {payload['title']}: {event}"
            text = f"{payload['summary']}\n\n{payload['link']}\n"
            send_mail(subject, text, None, settings.ALERT_EMAIL_TO)
            delivery.ok = True
    except Exception as exc:  # every failure is recorded on the row and retried by the task
        delivery.error = f"{type(exc).__name__}: {exc}"[:500]
    delivery.save()
    return delivery.ok


# -- the sync passes' kinds --------------------------------------------------------------------------------------
SYNC_KINDS = (SyncRun.Kind.DEVICES, SyncRun.Kind.MALL)


def _sync_failed(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    """The last N finished passes of a sync all failed or ended partial."""
    found = {}
    for kind in SYNC_KINDS:
        last = list(
            SyncRun.objects.filter(kind=kind)
            .exclude(state=SyncRun.State.RUNNING)
            .order_by("-started_at", "-id")
            .values("pk", "state")[: max(rule.threshold, 1)]
        )
        if len(last) >= max(rule.threshold, 1) and all(r["state"] != SyncRun.State.SUCCEEDED for r in last):
            found[str(kind)] = Finding(
                {"sync": str(kind), "state": last[0]["state"], "passes": len(last), "run": last[0]["pk"]},
                f"{reverse('syncs')}?kind={kind}",
            )
    return found


def _sync_stale(rule: AlertRule, now: dt.datetime) -> dict[str, Finding]:
    """No pass of a sync succeeded for N minutes (counted from its first pass when none ever did)."""
    found = {}
    cutoff = now - dt.timedelta(minutes=rule.threshold)
    for kind in SYNC_KINDS:
        runs = SyncRun.objects.filter(kind=kind)
        last_ok = runs.filter(state=SyncRun.State.SUCCEEDED).order_by("-started_at").first()
        since = last_ok.finished_at or last_ok.started_at if last_ok else None
        if since is None:
            first = runs.order_by("started_at").values_list("started_at", flat=True).first()
            if first is None or first >= cutoff:
                continue
            since = first
        elif since >= cutoff:
            continue
        minutes = int((now - since).total_seconds() // 60)
        found[str(kind)] = Finding(
            {"sync": str(kind), "minutes": minutes, "since": since.isoformat()},
            f"{reverse('syncs')}?kind={kind}",
        )
    return found


VOIPADMIN_KINDS = [
    AlertKind(
        "sync_failed",
        _("Sync pass failed or partial"),
        _("The last %(threshold)s finished passes of a sync failed or ended partial"),
        _("The last %(passes)s passes of the %(sync)s sync did not succeed (the latest: %(state)s)."),
        1,
        _sync_failed,
        _("passes"),
    ),
    AlertKind(
        "sync_stale",
        _("No successful sync"),
        _("No pass of a sync succeeded for %(threshold)s minutes"),
        _("No pass of the %(sync)s sync has succeeded for %(minutes)s minutes."),
        180,
        _sync_stale,
        _("minutes"),
    ),
]
register(*VOIPADMIN_KINDS)


@shared_task
def alerts_evaluate_task() -> dict[str, int]:
    """Raise and clear the alerts (beat, every minute)."""
    return alerts_evaluate()


@shared_task(bind=True, max_retries=None)
def alert_deliver_task(self: Any, alert_id: int, event: str, channel: str) -> dict[str, Any]:
    """Tell the webhook or the mail about an alert; a failed attempt is retried with a growing wait."""
    attempt = self.request.retries + 1
    delivered = alert_deliver(alert_id, event, channel, attempt)
    if not delivered and self.request.retries < settings.ALERT_WEBHOOK_RETRIES:
        raise self.retry(countdown=settings.ALERT_WEBHOOK_BACKOFF * 2**self.request.retries)
    return {"alert": alert_id, "delivered": delivered, "attempt": attempt}
