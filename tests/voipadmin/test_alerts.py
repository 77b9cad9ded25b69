"""Alerts raised once and cleared against real data: the sandbox's faults for cloud data, factories for DB state;
the webhook to a receiver on loopback (HMAC checked), mail to Django's locmem outbox, tasks on a real worker."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from devices.models import ReconciliationRun
from devices.reconciliation.runs import reconciliation_run
from devices.services.sync import devices_sync
from mall.models import Order
from tests.mall.factories import OrderFactory, SubscriptionFactory
from voipadmin.core.alerts import alerts_evaluate, sign
from voipadmin.core.models import Alert, AlertDelivery, AlertRule

REFUSED = 1109
SECRET = "test-webhook-secret"


def _open(kind: str) -> list[Alert]:
    return list(Alert.objects.filter(rule__kind=kind, cleared_at=None))


def _rule(kind: str, **fields: Any) -> AlertRule:
    AlertRule.objects.filter(kind=kind).update(**fields)
    return AlertRule.objects.get(kind=kind)


def test_every_app_makes_its_default_rules_once_and_the_evaluation_schedule(db: None) -> None:
    from django_celery_beat.models import PeriodicTask

    kinds = set(AlertRule.objects.values_list("kind", flat=True))
    assert kinds == {
        "sync_failed",
        "sync_stale",
        "drift_rate",
        "drift_rise",
        "reconcile_quota",
        "reconcile_held",
        "orders_stuck",
        "renewals_failed",
    }
    task = PeriodicTask.objects.get(task="voipadmin.core.alerts.alerts_evaluate_task")
    assert task.interval.every == 60 and task.enabled
    from voipadmin.core.alerts import KINDS, ensure_alert_rules

    AlertRule.objects.filter(kind="orders_stuck").update(threshold=7)
    ensure_alert_rules(list(KINDS.values()))  # idempotent: ops' change stays
    assert AlertRule.objects.get(kind="orders_stuck").threshold == 7 and AlertRule.objects.count() == 8


@pytest.mark.django_db(transaction=True)
def test_a_partial_sync_pass_raises_one_alert_that_clears_when_a_pass_succeeds(sandbox_settings: Any) -> None:
    box = sandbox_settings
    assert devices_sync().state == "succeeded"
    assert alerts_evaluate()["raised"] == 0
    victim = next(iter(box.control("GET", "dump")["devices"]))
    box.control(
        "POST", "rename-device", json={"deviceId": victim, "name": "renamed"}
    )  # the next pass reads it
    box.faults(refuse_code=REFUSED, calls=["getServiceListByDevice"], records=[victim])
    assert devices_sync().state == "partial"
    alerts_evaluate()
    alerts_evaluate()  # still holds: raised once, not twice
    (alert,) = Alert.objects.filter(rule__kind="sync_failed")
    assert alert.key == "devices" and alert.is_open and alert.params["state"] == "partial"
    assert alert.link == "/syncs/?kind=devices"

    box.faults()
    assert devices_sync().state == "succeeded"
    assert alerts_evaluate()["cleared"] == 1
    alert.refresh_from_db()
    assert alert.cleared_at is not None and not _open("sync_failed")


@pytest.mark.django_db(transaction=True)
def test_drift_above_the_threshold_raises_and_the_fixing_run_clears_it(sandbox_settings: Any) -> None:
    box = sandbox_settings
    devices_sync()
    _rule("drift_rate", threshold=0)
    box.control("POST", "wechat/flip", json={"count": 3})
    first = reconciliation_run(trigger="command")
    assert first.counts["drift_found"] >= 3  # the three flipped, and the seed's own drift
    alerts_evaluate()
    (alert,) = _open("drift_rate")
    assert alert.params["run"] == first.pk and alert.link == f"/reconciliation/{first.pk}/"
    second = reconciliation_run(trigger="command")  # the first run fixed them: no drift now
    assert second.counts["drift_found"] == 0
    alerts_evaluate()
    assert not _open("drift_rate")


@pytest.mark.django_db(transaction=True)
def test_a_quota_stop_raises_and_a_full_run_after_it_clears(sandbox_settings: Any) -> None:
    box = sandbox_settings
    devices_sync()
    box.faults(wechat_daily_quota=1)
    run = reconciliation_run(trigger="command")
    assert run.state == ReconciliationRun.State.PARTIAL
    alerts_evaluate()
    (alert,) = _open("reconcile_quota")
    assert alert.params["run"] == run.pk and alert.params["not_reached"] > 0
    box.faults()
    assert reconciliation_run(trigger="command").state == ReconciliationRun.State.SUCCEEDED
    alerts_evaluate()
    assert not _open("reconcile_quota")


def test_a_run_held_back_longer_than_the_threshold_raises_and_clears_when_it_moves(db: None) -> None:
    _rule("reconcile_held", threshold=15)
    run = ReconciliationRun.objects.create(trigger="schedule")
    ReconciliationRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=20))
    alerts_evaluate()
    (alert,) = _open("reconcile_held")
    assert alert.key == f"run-{run.pk}" and alert.params["minutes"] >= 20
    ReconciliationRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    alerts_evaluate()
    assert not _open("reconcile_held")


def test_orders_stuck_awaiting_payment_raise_one_alert_linking_the_filtered_list(db: None) -> None:
    _rule("orders_stuck", threshold=24)
    old = timezone.now() - dt.timedelta(hours=30)
    OrderFactory(status="paid", created_at=old)
    OrderFactory(status="paying", created_at=timezone.now())  # not yet stuck
    alerts_evaluate()
    assert not _open("orders_stuck")
    stuck = [OrderFactory(status="paying", created_at=old), OrderFactory(status="created", created_at=old)]
    alerts_evaluate()
    alerts_evaluate()
    (alert,) = _open("orders_stuck")
    assert alert.params == {"count": 2, "hours": 24}
    assert alert.link.startswith("/mall/orders/?status=created&status=paying&to=")
    for order in stuck:
        order.status = "paid"
        order.save()
    alerts_evaluate()
    assert not _open("orders_stuck")
    assert Alert.objects.get(rule__kind="orders_stuck").cleared_at is not None


def test_failed_renewals_in_the_last_day_above_the_threshold(db: None) -> None:
    _rule("renewals_failed", threshold=1)
    now = timezone.now()
    SubscriptionFactory(status=3, cloud_modified_at=now - dt.timedelta(days=3))  # too old to count
    SubscriptionFactory(status=3, cloud_modified_at=now - dt.timedelta(hours=2))
    alerts_evaluate()
    assert not _open("renewals_failed")  # 1 is not above 1
    late = SubscriptionFactory(status=3, cloud_modified_at=now - dt.timedelta(hours=1))
    alerts_evaluate()
    assert _open("renewals_failed")[0].params == {"count": 2}
    late.status = 1
    late.save()
    alerts_evaluate()
    assert not _open("renewals_failed")


def test_a_disabled_rule_raises_nothing_and_closes_what_it_had_open(db: None) -> None:
    OrderFactory(status="paying", created_at=timezone.now() - dt.timedelta(days=3))
    alerts_evaluate()
    assert _open("orders_stuck")
    _rule("orders_stuck", enabled=False)
    alerts_evaluate()
    assert not _open("orders_stuck")


def test_stale_syncs_raise_when_no_pass_succeeded_for_n_minutes(db: None) -> None:
    from voipadmin.core.models import SyncRun

    _rule("sync_stale", threshold=60)
    run = SyncRun.objects.create(kind="mall", state="succeeded")
    SyncRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=3), finished_at=timezone.now() - dt.timedelta(hours=3)
    )
    alerts_evaluate()
    (alert,) = _open("sync_stale")
    assert alert.key == "mall" and alert.params["minutes"] >= 179
    SyncRun.objects.create(kind="mall", state="succeeded", finished_at=timezone.now())
    alerts_evaluate()
    assert not _open("sync_stale")


# -- delivery: a receiver on loopback, the locmem outbox, a real worker ------------------------------------------
class Receiver:
    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = 503 if len(receiver.received) <= receiver.fail_first else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver(fail_first=1)
    yield box
    box.server.shutdown()


def _wait(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_signature_is_the_hmac_sha256_of_the_body() -> None:
    body = b'{"a": 1}'
    assert sign(body, "k") == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()


def test_the_beat_task_on_a_real_worker_raises_and_delivers_signed_with_a_retry_and_mails(
    settings: Any, celery_worker: Any, receiver: Receiver
) -> None:
    settings.ALERT_WEBHOOK_URL = receiver.url
    settings.ALERT_WEBHOOK_SECRET = SECRET
    settings.ALERT_WEBHOOK_BACKOFF = 0.5
    settings.ALERT_EMAIL_TO = ["ops@example.com"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from voipadmin.core.alerts import alerts_evaluate_task

    OrderFactory(status="paying", created_at=timezone.now() - dt.timedelta(days=2))
    alerts_evaluate_task.delay()
    _wait(lambda: AlertDelivery.objects.filter(channel="webhook", ok=True).exists())
    _wait(lambda: AlertDelivery.objects.filter(channel="mail", ok=True).exists())
    alert = Alert.objects.get(rule__kind="orders_stuck")
    attempts = list(
        AlertDelivery.objects.filter(channel="webhook").values_list("attempt", "ok", "status_code")
    )
    assert attempts == [(1, False, 503), (2, True, 204)]
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Voipadmin-Signature"], expected)
        payload = json.loads(body)
        assert (payload["event"], payload["rule"], payload["alert"]) == ("raised", "orders_stuck", alert.pk)
    (message,) = mail.outbox
    assert message.to == ["ops@example.com"] and alert.link in message.body

    Order.objects.update(status="paid")  # the condition clears: one "cleared" on each channel
    alerts_evaluate_task.delay()
    _wait(lambda: AlertDelivery.objects.filter(event="cleared", ok=True).count() == 2)
    assert len(mail.outbox) == 2 and json.loads(receiver.received[-1][1])["event"] == "cleared"
    assert Alert.objects.get().cleared_at is not None
