"""Reconciliation of VoIP authorization: the decision, runs against the sandbox, idempotence, pages, permissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from devices.models import (
    Device,
    ReconciliationChunk,
    ReconciliationItem,
    ReconciliationRun,
    VoipAuthState,
)
from devices.reconciliation.chunks import DEVICE_KEYS, plan
from devices.reconciliation.runs import (
    LOCK_KEY,
    RunAlreadyRunning,
    reconciliation_execute,
    reconciliation_run,
    reconciliation_start,
)
from devices.services.sync import devices_sync
from tests.factories import DeviceFactory, VoipAuthStateFactory
from voipadmin.core import locks
from voipadmin.core.clients import WeChatClient
from voipadmin.core.models import AuditEvent

# Runs read the cloud on threads that share the token through the database cache: no enclosing transaction.
sandboxed = pytest.mark.django_db(transaction=True)


# -- runs against the sandbox ------------------------------------------------------------------------------------
def _flip(sandbox: Any, count: int) -> list[str]:
    return sandbox.control("POST", "wechat/flip", json={"count": count})["devices"]


def _drift_rows(run: ReconciliationRun) -> dict[str, ReconciliationItem]:
    return {i.device_id: i for i in run.items.filter(drift=True)}


@sandboxed
def test_a_run_fixes_every_disagreeing_device_exactly_once_and_a_second_run_finds_none(
    sandbox_settings: Any, sandbox_clean: Any
) -> None:
    devices_sync()
    flipped = _flip(sandbox_clean, 4)
    before = sandbox_clean.stats()
    disagreeing = set(before["auth_disagree_devices"])
    assert set(flipped) <= disagreeing and before["auth_disagree"] == len(disagreeing) > len(flipped)

    run = reconciliation_run(trigger="command")

    after = sandbox_clean.stats()
    assert run.state == ReconciliationRun.State.SUCCEEDED, run.errors
    assert after["auth_disagree"] == 0
    rows = _drift_rows(run)
    assert set(rows) == disagreeing
    assert {r.outcome for r in rows.values()} == {ReconciliationItem.Outcome.FIXED}
    assert after["save_wx_voip_auth"] == dict.fromkeys(sorted(disagreeing), 1)
    voip = Device.objects.filter(voip_capable=True).count()
    assert run.counts["total"] == run.counts["checked"] == voip
    assert run.counts["drift_found"] == run.counts["fixed"] == len(disagreeing)
    assert run.counts["in_sync"] == voip - len(disagreeing)
    assert run.counts["failed"] == run.counts["skipped"] == 0
    assert run.finished_at and not ReconciliationChunk.objects.filter(run=run).exclude(state="done").exists()
    assert ReconciliationChunk.objects.filter(run=run).count() >= 3  # one per model id at least
    # Each row holds both sides, and the mirror now agrees with WeChat, seen by this run.
    for device_id, row in rows.items():
        assert row.cloud_before is not row.wechat_authorized and row.observed_at and row.user_id
        state = VoipAuthState.objects.get(device_id=device_id)
        assert state.is_auth == state.wechat_authorized == row.wechat_authorized
        assert state.wechat_observed_run_id == run.pk
    assert not VoipAuthState.objects.filter(wechat_observed_at=None).exists()
    fixes = AuditEvent.objects.filter(action="reconcile_fix", result="ok")
    assert set(fixes.values_list("device_id", flat=True)) == disagreeing and fixes.count() == len(disagreeing)
    assert locks.owner(LOCK_KEY) is None

    second = reconciliation_run(trigger="command")
    assert second.state == ReconciliationRun.State.SUCCEEDED
    assert second.counts["drift_found"] == 0 and not second.items.exists()
    assert sandbox_clean.stats()["save_wx_voip_auth_total"] == len(disagreeing)


@sandboxed
@pytest.mark.parametrize("how", ["dry_run", "report_mode"])
def test_dry_run_and_report_mode_change_nothing_and_report_the_same_drift(
    sandbox_settings: Any, sandbox_clean: Any, settings: Any, how: str
) -> None:
    devices_sync()
    _flip(sandbox_clean, 3)
    before = sandbox_clean.stats()
    if how == "report_mode":
        settings.RECONCILE_MODE = "report"
    run = reconciliation_run(trigger="command", dry_run=how == "dry_run")
    after = sandbox_clean.stats()
    assert after["auth_disagree_devices"] == before["auth_disagree_devices"]
    assert after["save_wx_voip_auth_total"] == 0
    rows = _drift_rows(run)
    assert set(rows) == set(before["auth_disagree_devices"])
    assert {(r.outcome, r.reason) for r in rows.values()} == {("reported", how)}
    assert run.counts["reported"] == len(rows) and run.counts["fixed"] == 0
    assert run.state == ReconciliationRun.State.SUCCEEDED
    assert not AuditEvent.objects.filter(action="reconcile_fix").exists()


@sandboxed
def test_a_cloud_change_after_the_observation_is_not_overwritten(
    sandbox_settings: Any, sandbox_clean: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: between WeChat's observation and the write, the cloud's auth state changes."""
    devices_sync()
    disagreeing = sandbox_clean.stats()["auth_disagree_devices"]
    target = Device.objects.get(pk=disagreeing[0])
    observe = WeChatClient.observe_authorization

    def observe_then_touch_the_cloud(self: WeChatClient, model_id: str, pairs: Any, **kw: Any) -> Any:
        seen = observe(self, model_id, pairs, **kw)
        if any(sn == target.uuid for sn, _ in pairs):
            # A user changes it twice in the app: the value is back, but authUpdateTime is after the observation.
            now = sandbox_clean.result("getVoipAuthUser", {"device_id": target.pk})["isAuth"]
            for tag in (int(not now), int(now)):
                sandbox_clean.result("saveWXVoipAuth", {"device_id": target.pk, "auth_tag": tag})
        return seen

    monkeypatch.setattr(WeChatClient, "observe_authorization", observe_then_touch_the_cloud)
    run = reconciliation_run(trigger="command")

    item = run.items.get(device_id=target.pk)
    assert (item.outcome, item.reason, item.drift) == ("skipped", "stale_observation", True)
    with translation.override("en"):
        assert "newer" in str(item.reason_label)
    after = sandbox_clean.stats()
    assert after["auth_disagree_devices"] == [target.pk]  # left for the next run, not overwritten
    assert after["save_wx_voip_auth"][target.pk] == 2  # only the user's two changes
    assert run.counts["skipped"] == 1 and run.counts["fixed"] == len(disagreeing) - 1
    assert run.state == ReconciliationRun.State.SUCCEEDED


@sandboxed
def test_re_processing_a_chunk_never_fixes_twice(sandbox_settings: Any, sandbox_clean: Any) -> None:
    devices_sync()
    disagreeing = set(sandbox_clean.stats()["auth_disagree_devices"])
    run = reconciliation_run(trigger="command")
    counts = dict(run.counts)
    # As if the worker died after its writes but before it recorded them: the broker redelivers the task.
    fixed_row = run.items.filter(outcome="fixed").first()
    ReconciliationItem.objects.filter(pk=fixed_row.pk).update(outcome="fixing")
    ReconciliationChunk.objects.filter(run=run).update(state="pending", lease_token="", counts={})
    ReconciliationRun.objects.filter(pk=run.pk).update(state="running", finished_at=None)

    again = reconciliation_execute(run_id=run.pk)

    assert again.state == ReconciliationRun.State.SUCCEEDED
    assert sandbox_clean.stats()["save_wx_voip_auth"] == dict.fromkeys(sorted(disagreeing), 1)
    fixed_row.refresh_from_db()
    assert (fixed_row.outcome, fixed_row.reason) == ("fixed", "confirmed")
    # The same devices and outcomes; the calls are those of the attempt that completed each chunk.
    assert {k: again.counts[k] for k in DEVICE_KEYS} == {k: counts[k] for k in DEVICE_KEYS}
    assert again.counts["cloud_calls"] > 0 and again.counts["wechat_calls"] > 0
    assert run.items.count() == len(disagreeing)


@sandboxed
def test_a_lease_held_by_a_live_worker_is_not_taken(sandbox_settings: Any, sandbox_clean: Any) -> None:
    devices_sync()
    run = reconciliation_start(trigger="command")
    plan(run)
    first = ReconciliationChunk.objects.filter(run=run).order_by("seq").first()
    ReconciliationChunk.objects.filter(pk=first.pk).update(
        state="leased", lease_token="other", lease_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    run = reconciliation_execute(run_id=run.pk)
    # Everything else is done, but the other worker's chunk is its own: the run stays open for it.
    assert run.state == ReconciliationRun.State.RUNNING
    assert ReconciliationChunk.objects.get(pk=first.pk).state == "leased"
    # When that lease expires (the worker died), the next execution takes the chunk and ends the run.
    ReconciliationChunk.objects.filter(pk=first.pk).update(
        lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    run = reconciliation_execute(run_id=run.pk)
    assert run.state == ReconciliationRun.State.SUCCEEDED
    assert run.counts["checked"] == run.counts["total"]


@sandboxed
def test_wechats_daily_quota_ends_the_run_as_partial(sandbox_settings: Any, sandbox_clean: Any) -> None:
    devices_sync()
    sandbox_clean.faults(wechat_daily_quota=1)
    run = reconciliation_run(trigger="command")
    assert run.state == ReconciliationRun.State.PARTIAL
    assert any("quota" in e for e in run.errors)
    assert run.counts["not_reached"] > 0 and run.counts["checked"] < run.counts["total"]
    assert locks.owner(LOCK_KEY) is None


@sandboxed
def test_the_command_runs_one_device_in_the_foreground(
    sandbox_settings: Any, sandbox_clean: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    devices_sync()
    device_id = _flip(sandbox_clean, 1)[0]
    call_command("reconcile", "--device", device_id, "--dry-run")
    run = ReconciliationRun.objects.get()
    assert (run.trigger, run.dry_run, run.device_scope, run.counts["total"]) == (
        "command",
        True,
        device_id,
        1,
    )
    assert run.items.get().outcome == "reported"
    assert f"run {run.pk}: succeeded" in capsys.readouterr().out
    call_command("reconcile", "--device", device_id, verbosity=0)
    assert sandbox_clean.stats()["save_wx_voip_auth"] == {device_id: 1}


# -- never two runs at once ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_second_start_is_refused_while_a_run_runs() -> None:
    run = reconciliation_start(trigger="command")
    with pytest.raises(RunAlreadyRunning):
        reconciliation_start(trigger="command")
    # Without the lock (expired) the database still knows the run is live.
    locks.release(LOCK_KEY, run.lock_token)
    with pytest.raises(RunAlreadyRunning):
        reconciliation_start(trigger="command")
    assert ReconciliationRun.objects.get() == run


@pytest.mark.django_db
def test_a_run_whose_worker_vanished_is_failed_and_a_new_one_starts() -> None:
    old = reconciliation_start(trigger="command")
    locks.release(LOCK_KEY, old.lock_token)  # the lock expired with its worker
    ReconciliationRun.objects.filter(pk=old.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    new = reconciliation_start(trigger="command")
    old.refresh_from_db()
    assert old.state == "failed" and "abandoned" in old.errors[0]
    assert new.state == "running"


# -- pages -------------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_only_ops_starts_a_run_and_it_goes_to_the_worker(
    ops_client: Client,
    support_client: Client,
    viewer_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from devices.reconciliation import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.reconciliation_run_task, "delay", lambda run_id: queued.append(run_id))
    for client in (support_client, viewer_client):
        assert client.post("/reconciliation/run/", {"dry_run": "on"}).status_code == 403
    assert not ReconciliationRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post("/reconciliation/run/", {"dry_run": "on"})
    assert response.status_code == 302 and response["Location"] == "/reconciliation/"
    run = ReconciliationRun.objects.get()
    assert (run.trigger, run.dry_run, run.requested_by.username, queued) == (
        "user",
        True,
        "ops-user",
        [run.pk],
    )
    assert AuditEvent.objects.filter(action="reconciliation_start", actor_name="ops-user").exists()

    # While it runs, another start is refused with a message, and nothing is queued.
    response = ops_client.post("/reconciliation/run/", follow=True)
    assert ReconciliationRun.objects.count() == 1 and queued == [run.pk]
    assert "already running" in response.content.decode() or "正在" in response.content.decode()
    htmx = ops_client.post("/reconciliation/run/", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == "/reconciliation/"


def _finished_run(**counts: int) -> ReconciliationRun:
    run = ReconciliationRun.objects.create(
        trigger="schedule",
        state="succeeded",
        finished_at=timezone.now(),
        counts={
            "total": 10,
            "checked": 10,
            "in_sync": 8,
            "drift_found": 2,
            "fixed": 1,
            "failed": 1,
            **counts,
        },
    )
    device = DeviceFactory()
    VoipAuthStateFactory(device=device)
    ReconciliationItem.objects.create(
        run=run,
        device_id=device.pk,
        user_id="ay-user-1",
        drift=True,
        cloud_before=True,
        wechat_authorized=False,
        observed_at=timezone.now(),
        outcome="fixed",
        reason="fixed",
    )
    ReconciliationItem.objects.create(
        run=run, device_id="vdev-gone", outcome="failed", reason="cloud_read", detail="1111 system busy"
    )
    return run


@pytest.mark.django_db
def test_everyone_reads_the_runs_and_a_runs_drift(persona_client: Client) -> None:
    run = _finished_run()
    running = ReconciliationRun.objects.create(trigger="user", counts={"total": 5})
    html = persona_client.get("/reconciliation/").content.decode()
    assert f"/reconciliation/{run.pk}/" in html and "20.0 %" in html
    # The running row polls; the finished one does not.
    assert f'hx-get="/reconciliation/{running.pk}/row/" hx-trigger="every 2s"' in html
    assert f'hx-get="/reconciliation/{run.pk}/row/"' not in html
    row = persona_client.get(f"/reconciliation/{running.pk}/row/").content.decode()
    assert row.strip().startswith("<tr") and "every 2s" in row
    ReconciliationRun.objects.filter(pk=running.pk).update(state="partial", finished_at=timezone.now())
    assert "every 2s" not in persona_client.get(f"/reconciliation/{running.pk}/row/").content.decode()

    detail = persona_client.get(f"/reconciliation/{run.pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    device_id = run.items.get(outcome="fixed").device_id
    assert f"/devices/{device_id}/" in text and "/users/ay-user-1/" in text and "1111 system busy" in text


@pytest.mark.django_db
def test_a_runs_rows_filter_and_export(ops_client: Client) -> None:
    run = _finished_run()
    fixed = run.items.get(outcome="fixed")
    html = ops_client.get(f"/reconciliation/{run.pk}/?outcome=failed").content.decode()
    assert "vdev-gone" in html and f"/devices/{fixed.device_id}/" not in html
    html = ops_client.get(f"/reconciliation/{run.pk}/?device={fixed.device_id}").content.decode()
    assert "vdev-gone" not in html and f"/devices/{fixed.device_id}/" in html
    fragment = ops_client.get(f"/reconciliation/{run.pk}/?outcome=fixed", headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="item-table">')
    assert ops_client.get(f"/reconciliation/{run.pk}/?outcome=bogus").status_code == 400
    assert ops_client.get(f"/reconciliation/{run.pk}/?device=<script>").status_code == 400

    response = ops_client.get(f"/reconciliation/{run.pk}/?format=csv&outcome=fixed")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("device_id,user_id,drift,cloud_before,wechat_authorized,observed_at")
    assert len(lines) == 2 and lines[1].startswith(f"{fixed.device_id},ay-user-1,1,1,0,")
    assert ops_client.get("/reconciliation/999999/").status_code == 404


@pytest.mark.django_db
def test_the_device_page_shows_both_sides_and_the_run_that_saw_wechat(support_client: Client) -> None:
    run = _finished_run()
    device_id = run.items.get(outcome="fixed").device_id
    VoipAuthState.objects.filter(device_id=device_id).update(
        is_auth=True,
        wechat_authorized=False,
        wechat_observed_at=timezone.now(),
        wechat_observed_run_id=run.pk,
    )
    html = support_client.get(f"/devices/{device_id}/").content.decode()
    assert 'id="voip-compare"' in html and f"/reconciliation/{run.pk}/?device={device_id}" in html
    assert f"/devices/{device_id}/recheck/" in html and f"/devices/{device_id}/voip-authorization/" in html


@pytest.mark.django_db
def test_a_viewer_can_neither_re_check_nor_load_the_authorization_link(viewer_client: Client) -> None:
    device = VoipAuthStateFactory(device=DeviceFactory()).device
    assert viewer_client.post(f"/devices/{device.pk}/recheck/").status_code == 403
    assert viewer_client.get(f"/devices/{device.pk}/voip-authorization/").status_code == 403
    html = viewer_client.get(f"/devices/{device.pk}/").content.decode()
    assert "/recheck/" not in html and "/voip-authorization/" not in html


@sandboxed
def test_support_re_checks_a_drifted_device_and_it_is_fixed_and_audited(
    sandbox_settings: Any, sandbox_clean: Any, support_client: Client
) -> None:
    devices_sync()
    device_id = _flip(sandbox_clean, 1)[0]
    response = support_client.post(
        f"/devices/{device_id}/recheck/", {"confirmed": "yes"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="device-body"')
    assert sandbox_clean.stats()["save_wx_voip_auth"] == {device_id: 1}
    assert device_id not in sandbox_clean.stats()["auth_disagree_devices"]
    state = VoipAuthState.objects.get(device_id=device_id)
    assert state.is_auth == state.wechat_authorized and state.wechat_observed_run_id is None
    event = AuditEvent.objects.get(action="voip_auth_recheck")
    assert (event.result, event.actor_name, event.device_id) == ("ok", "support-user", device_id)
    assert event.before["is_auth"] != event.after["is_auth"]

    # Again: now in sync, audited, and nothing written.
    support_client.post(f"/devices/{device_id}/recheck/", {"confirmed": "yes"})
    assert sandbox_clean.stats()["save_wx_voip_auth"] == {device_id: 1}
    assert AuditEvent.objects.filter(action="voip_auth_recheck", result="ok").count() == 2


@sandboxed
def test_support_loads_the_authorization_link_and_sees_an_error_fragment_on_failure(
    sandbox_settings: Any, sandbox_clean: Any, support_client: Client
) -> None:
    devices_sync()
    device = Device.objects.filter(voip_capable=True).order_by("pk").first()
    response = support_client.get(f"/devices/{device.pk}/voip-authorization/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="voip-authorization">')
    assert device.uuid in html and device.wechat_model_id in html and "snTicket" in html
    # Without JavaScript the link opens the device page with the section filled in.
    page = support_client.get(f"/devices/{device.pk}/voip-authorization/")
    assert "<h1>" in page.content.decode() and device.uuid in page.content.decode()

    plain = Device.objects.filter(voip_capable=False).order_by("pk").first()
    failed = support_client.get(f"/devices/{plain.pk}/voip-authorization/", headers={"HX-Request": "true"})
    assert failed.status_code == 502 and failed["X-Error-Fragment"] == "1"
    assert 'role="alert"' in failed.content.decode()


@pytest.mark.django_db
def test_the_runs_list_costs_the_same_for_many_runs(
    viewer_client: Client, ops_user: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        ReconciliationRun.objects.create(trigger="user", requested_by=ops_user, state="succeeded")
    with django_assert_max_num_queries(8):
        assert viewer_client.get("/reconciliation/").status_code == 200
