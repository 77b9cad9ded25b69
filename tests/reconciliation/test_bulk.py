"""Bulk actions on the devices list, through the real parts: the sandbox over HTTP and a real Celery worker."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from devices.models import BulkJob, Device, ReconciliationRun
from devices.reconciliation import bulk
from devices.services.sync import devices_sync
from voipadmin.core.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _voip(n: int) -> list[str]:
    devices = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="").order_by("device_id")
    return list(devices.values_list("pk", flat=True)[:n])


def _wait(condition: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_bulk_recheck_is_confirmed_with_the_count_then_runs_on_a_worker_audited_per_device(
    sandbox_settings: Any, celery_worker: Any, support_client: Client
) -> None:
    devices_sync()
    ids = _voip(3)
    data = {"action": "recheck", "scope": "selected", "device": ids, "query": ""}
    box = support_client.post("/devices/bulk/", data, HTTP_HX_REQUEST="true", **EN)
    assert box.status_code == 200 and "3 devices" in box.content.decode()
    assert 'name="confirmed" value="yes"' in box.content.decode() and not BulkJob.objects.exists()
    done = support_client.post("/devices/bulk/", {**data, "confirmed": "yes"})
    job = BulkJob.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/devices/bulk/{job.pk}/"
    _wait(lambda: BulkJob.objects.get().state != "running")
    job.refresh_from_db()
    assert (job.done, job.total, job.state) == (3, 3, "succeeded"), job.failed
    rechecks = AuditEvent.objects.filter(action="voip_auth_recheck")
    assert sorted(rechecks.values_list("device_id", flat=True)) == sorted(ids)
    page = support_client.get(f"/devices/bulk/{job.pk}/", **EN).content.decode()
    assert 'data-state="succeeded"' in page and "3 of 3 devices done, 0 not." in page


def test_all_that_match_the_filter_is_capped_and_refreshes_run_as_a_job(
    sandbox_settings: Any, celery_worker: Any, support_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    devices_sync()
    monkeypatch.setattr(bulk, "MAX_SELECTION", 4)
    monkeypatch.setattr("devices.reconciliation.bulk_views.MAX_SELECTION", 4)
    data = {"action": "refresh", "scope": "matching", "query": "voip=yes", "confirmed": "yes"}
    assert support_client.post("/devices/bulk/", data).status_code == 302
    job = BulkJob.objects.get()
    assert job.total == 4 and Device.objects.filter(pk__in=job.device_ids, voip_capable=True).count() == 4
    _wait(lambda: BulkJob.objects.get().state != "running")
    assert AuditEvent.objects.filter(action="device_refresh").count() == 4


def test_ops_start_a_run_limited_to_the_selection_and_support_may_not(
    sandbox_settings: Any, celery_worker: Any, ops_client: Client, support_client: Client
) -> None:
    devices_sync()
    ids = _voip(2)
    data = {"action": "reconcile", "scope": "selected", "device": ids, "confirmed": "yes"}
    assert support_client.post("/devices/bulk/", data).status_code == 403
    response = ops_client.post("/devices/bulk/", data)
    run = ReconciliationRun.objects.get()
    assert response["Location"] == f"/reconciliation/{run.pk}/" and run.scope == {"devices": ids}
    _wait(lambda: ReconciliationRun.objects.get().state != "running")
    run.refresh_from_db()
    assert run.counts["total"] == 2 and run.state == "succeeded"


def test_a_run_limited_to_one_model(sandbox_settings: Any, celery_worker: Any, ops_client: Client) -> None:
    devices_sync()
    model = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="").first().wechat_model_id
    expected = Device.objects.filter(voip_capable=True, wechat_model_id=model).count()
    data = {"action": "reconcile", "scope": "model", "model": model, "confirmed": "yes"}
    assert ops_client.post("/devices/bulk/", data).status_code == 302
    _wait(lambda: ReconciliationRun.objects.get().state != "running")
    assert ReconciliationRun.objects.get().counts["total"] == expected


@pytest.mark.parametrize(
    "data",
    [
        {"action": "delete", "scope": "selected"},
        {"action": "recheck", "scope": "everything"},
        {"action": "recheck", "scope": "home", "home": "h1"},
        {"action": "recheck", "scope": "selected", "device": ["nope"]},
        {"action": "recheck", "scope": "matching", "query": "voip=maybe"},
        {"action": "recheck", "scope": "selected", "device": ["x" * 65]},
    ],
)
def test_bad_input_is_a_400(support_client: Client, data: dict[str, Any]) -> None:
    assert support_client.post("/devices/bulk/", data).status_code == 400


def test_a_viewer_sees_no_checkboxes_and_gets_403(viewer_client: Client, support_client: Client) -> None:
    assert 'id="bulk-form"' not in viewer_client.get("/devices/").content.decode()
    assert 'id="bulk-form"' in support_client.get("/devices/").content.decode()
    data = {"action": "recheck", "scope": "selected", "device": ["d1"]}
    assert viewer_client.post("/devices/bulk/", data).status_code == 403
    assert viewer_client.get("/devices/bulk/999/").status_code == 404


def test_a_run_limited_to_one_home_confirmed_with_its_count(
    sandbox_settings: Any, celery_worker: Any, ops_client: Client
) -> None:
    devices_sync()
    device = Device.objects.filter(voip_capable=True).exclude(wechat_model_id="").exclude(home=None).first()
    expected = Device.objects.filter(voip_capable=True, home=device.home).exclude(wechat_model_id="").count()
    data = {"action": "reconcile", "scope": "home", "home": device.home_id}
    box = ops_client.post("/devices/bulk/", data, HTTP_HX_REQUEST="true", **EN).content.decode()
    assert f"{expected} VoIP devices" in box and not ReconciliationRun.objects.exists()
    assert ops_client.post("/devices/bulk/", {**data, "confirmed": "yes"}).status_code == 302
    _wait(lambda: ReconciliationRun.objects.get().state != "running")
    run = ReconciliationRun.objects.get()
    assert run.scope == {"home": device.home_id} and run.counts["total"] == expected
    assert ops_client.post("/devices/bulk/", {**data, "home": "no-such-home"}).status_code == 404
