from __future__ import annotations

import pytest
from django.test import Client
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from voipadmin.celery import app as celery_app
from voipadmin.core.models import AuditEvent

pytestmark = pytest.mark.django_db

DEFAULTS = {"devices: sync the mirror": 3600, "mall: sync the mirror": 600}


def _beat_schedule() -> dict:
    return DatabaseScheduler(app=celery_app, lazy=True).all_as_schedule()


def test_the_default_schedules_exist_after_migrate() -> None:
    tasks = {t.name: t for t in PeriodicTask.objects.select_related("interval")}
    for name, seconds in DEFAULTS.items():
        assert tasks[name].enabled
        assert tasks[name].interval.every == seconds and tasks[name].interval.period == "seconds"
    assert set(DEFAULTS) <= set(_beat_schedule())


def test_everyone_reads_the_schedules(persona_client: Client) -> None:
    html = persona_client.get("/schedules/").content.decode()
    # Jobs by translated labels and intervals in minutes, never the stored English key or seconds.
    assert "设备：同步镜像" in html and "商城：同步镜像" in html and "设备：对账 VoIP 授权" in html
    assert not any(name in html for name in DEFAULTS)
    assert "每 60 分钟" in html and "每 10 分钟" in html and "秒" not in html.split("<tbody>")[1]
    english = persona_client.get("/schedules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mall: sync the mirror" in english and "every 10 minutes" in english


def test_ops_pauses_a_job_and_beat_stops_sending_it(ops_client: Client) -> None:
    task = PeriodicTask.objects.get(name="mall: sync the mirror")
    prefix = f"t{task.pk}"
    response = ops_client.post(f"/schedules/{task.pk}/", {f"{prefix}-every_minutes": "30"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.enabled and task.interval.every == 1800
    assert "mall: sync the mirror" not in _beat_schedule()
    event = AuditEvent.objects.get(action="schedule_update")
    assert event.before == {"every_seconds": 600, "enabled": True}
    assert event.after == {"every_seconds": 1800, "enabled": False}


@pytest.mark.parametrize("who", ["support_client", "viewer_client"])
def test_only_ops_may_edit(request: pytest.FixtureRequest, who: str) -> None:
    client = request.getfixturevalue(who)
    task = PeriodicTask.objects.get(name="mall: sync the mirror")
    assert client.post(f"/schedules/{task.pk}/", {f"t{task.pk}-every_minutes": "1"}).status_code == 403
    assert b"<form" not in client.get("/schedules/").content.split(b"<main")[1]
    task.refresh_from_db()
    assert task.enabled and task.interval.every == 600


@pytest.mark.parametrize("minutes", ["0", "-5", "abc", "99999999", ""])
def test_bad_input_is_refused_with_a_message(ops_client: Client, minutes: str) -> None:
    task = PeriodicTask.objects.get(name="mall: sync the mirror")
    response = ops_client.post(f"/schedules/{task.pk}/", {f"t{task.pk}-every_minutes": minutes})
    assert response.status_code == 400
    assert b"message-error" in response.content
    task.refresh_from_db()
    assert task.interval.every == 600


def test_a_crontab_schedule_can_be_changed_to_every_n_minutes(ops_client: Client) -> None:
    from django_celery_beat.models import CrontabSchedule

    cron = CrontabSchedule.objects.create(minute="0", hour="4")
    task = PeriodicTask.objects.create(
        name="celery.backend_cleanup", task="celery.backend_cleanup", crontab=cron
    )
    response = ops_client.post(
        f"/schedules/{task.pk}/", {f"t{task.pk}-every_minutes": "90", f"t{task.pk}-enabled": "on"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.crontab is None and task.interval.every == 5400 and task.enabled
