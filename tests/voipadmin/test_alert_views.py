"""/alerts/ and /alerts/rules/ per persona: the bell's count, acknowledging (audited), editing a rule (ops)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from voipadmin.core.models import Alert, AlertRule, AuditEvent

pytestmark = pytest.mark.django_db


def _alert(kind: str = "orders_stuck", key: str = "orders", **kw: Any) -> Alert:
    rule = AlertRule.objects.get(kind=kind)
    params = {"count": 3, "hours": 24}
    return Alert.objects.create(rule=rule, key=key, params=params, link="/mall/orders/?status=paying", **kw)


def test_the_bell_counts_open_alerts_with_one_query(persona_client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _alert()
    _alert("renewals_failed", "renewals")
    with CaptureQueriesContext(connection) as queries:
        response = persona_client.get("/schedules/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'class="bell bell-open"' in response.content.decode() and "2 open" in response.content.decode()
    bell = [q["sql"] for q in queries if "voipadmin_alert" in q["sql"]]
    assert len(bell) == 1 and "COUNT(" in bell[0].upper()


def test_the_alerts_page_lists_open_and_cleared_with_their_links(ops_client: Client) -> None:
    from django.utils import timezone

    _alert()
    _alert("sync_failed", "mall", cleared_at=timezone.now()).params  # noqa: B018
    body = ops_client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-state="open"' in body and 'data-state="cleared"' in body
    assert 'href="/mall/orders/?status=paying"' in body
    assert response_no_store(ops_client.get("/alerts/"))


def response_no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_support_acknowledges_once_and_it_is_audited(support_client: Client, support_user: Any) -> None:
    alert = _alert()
    assert support_client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302
    assert support_client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 302  # once only
    alert.refresh_from_db()
    assert alert.acknowledged_by == support_user and alert.acknowledged_at is not None
    (event,) = AuditEvent.objects.filter(action="alert_acknowledge")
    assert event.params == {"alert": alert.pk, "rule": "orders_stuck"} and event.actor == support_user
    assert "support-user" in support_client.get("/alerts/").content.decode()


def test_a_viewer_cannot_acknowledge_nor_edit_rules(viewer_client: Client) -> None:
    alert = _alert()
    rule = AlertRule.objects.get(kind="orders_stuck")
    assert viewer_client.post(f"/alerts/{alert.pk}/acknowledge/").status_code == 403
    assert viewer_client.post(f"/alerts/rules/{rule.pk}/", {f"r{rule.pk}-threshold": 1}).status_code == 403
    assert (
        "Acknowledge</button>"
        not in viewer_client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert viewer_client.get("/alerts/rules/").status_code == 200


def test_ops_change_a_rule_audited_and_bad_input_is_a_400(ops_client: Client, support_client: Client) -> None:
    rule = AlertRule.objects.get(kind="orders_stuck")
    data = {f"r{rule.pk}-threshold": "6", f"r{rule.pk}-enabled": "on", f"r{rule.pk}-notify_mail": "on"}
    assert support_client.post(f"/alerts/rules/{rule.pk}/", data).status_code == 403
    assert ops_client.post(f"/alerts/rules/{rule.pk}/", data).status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.enabled, rule.notify_webhook, rule.notify_mail) == (6, True, False, True)
    event = AuditEvent.objects.get(action="alert_rule_update")
    assert event.before["threshold"] == 24 and event.after["threshold"] == 6
    bad = ops_client.post(f"/alerts/rules/{rule.pk}/", {f"r{rule.pk}-threshold": "-1"})
    assert bad.status_code == 400
    assert ops_client.post("/alerts/rules/999999/", data).status_code == 404
    assert ops_client.post("/alerts/999999/acknowledge/").status_code == 404
