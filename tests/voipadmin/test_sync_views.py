"""/syncs/: the list (filters, bad input, live rows, failures), and starting a pass (confirmed, audited, refused)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from voipadmin.core import locks
from voipadmin.core.models import AuditEvent, SyncFailure, SyncRun
from voipadmin.core.syncpass import lock_key

pytestmark = pytest.mark.django_db
URL = "/syncs/"


def _runs() -> tuple[SyncRun, SyncRun]:
    done = SyncRun.objects.create(
        kind="devices",
        state="partial",
        counts={"devices_detailed": 7, "missed": 2},
        notes=["no_home_listing"],
    )
    running = SyncRun.objects.create(kind="mall", state="running", step="devices", done=5, total=20)
    SyncFailure.objects.create(
        kind="devices",
        scope="device",
        key="dev-1",
        reason="details dev-1: refused",
        since=done.started_at,
        first_failed_at=done.started_at,
        run=done,
    )
    return done, running


def test_the_list_shows_passes_failures_notes_and_a_polling_row_for_a_running_pass(
    viewer_client: Client,
) -> None:
    done, running = _runs()
    html = viewer_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="sync-{done.pk}"' in html and "2 missed by incremental passes" in html
    assert "The cloud offers no home listing" in html
    assert f'hx-get="{reverse("sync-row", args=[running.pk])}"' in html and "<progress" in html
    assert "dev-1" in html and "1 thing the next pass reads first" in html
    assert "Start a pass now" not in html  # a viewer cannot start one
    row = viewer_client.get(
        reverse("sync-row", args=[running.pk]), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert row.status_code == 200 and b"5 / 20" in row.content and b"<html" not in row.content


@pytest.mark.parametrize("query", ["?cursor=x", "?cursor=%C2%B2", "?kind=nope", "?cursor=" + "A" * 2000])
def test_bad_input_is_a_400_never_a_500(ops_client: Client, query: str) -> None:
    assert ops_client.get(URL + query).status_code == 400


def test_a_filter_and_a_page_past_the_end(ops_client: Client) -> None:
    _runs()
    page = ops_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The form draws its one control, with "any" chosen.
    assert '<select name="kind"' in page and '<option value="" selected>any</option>' in page
    response = ops_client.get(URL + "?kind=mall", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'data-state="running"' in html and 'data-state="partial"' not in html
    assert '<option value="mall" selected>Mall</option>' in html
    # Undo: the chip removes the filter and lists every pass again.
    chip = response.context["filter"].chips()
    assert [(c.label, c.value) for c in chip] == [("Sync", "Mall")] and chip[0].url == URL
    again = ops_client.get(chip[0].url).content.decode()
    assert 'data-state="running"' in again and 'data-state="partial"' in again
    # An old page-number link is ignored: the first page.
    assert ops_client.get(URL + "?page=50").status_code == 200
    assert ops_client.get(reverse("sync-row", args=[999999])).status_code == 404


def test_starting_a_pass_is_confirmed_first_then_queued_and_audited(
    ops_client: Client, monkeypatch: Any
) -> None:
    from voipadmin.console import sync_views

    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(sync_views.TASKS["mall"], "delay_on_commit", lambda **kw: queued.append(kw))
    url = reverse("sync-start")
    asked = ops_client.post(
        url, {"kind": "mall", "full": "on"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert asked.status_code == 200 and "start a full pass of the mall sync now" in asked.content.decode()
    assert not queued and not AuditEvent.objects.exists()
    done = ops_client.post(url, {"kind": "mall", "full": "on", "confirmed": "yes"})
    assert done.status_code == 302 and queued == [
        {"trigger": "user", "full": True, "actor_id": queued[0]["actor_id"]}
    ]
    event = AuditEvent.objects.get()
    assert (event.action, event.result, event.message) == ("sync_start", "ok", "sync.started")


def test_a_start_while_a_pass_runs_is_refused_with_a_clear_message(
    ops_client: Client, monkeypatch: Any
) -> None:
    from voipadmin.console import sync_views

    monkeypatch.setattr(sync_views.TASKS["devices"], "delay_on_commit", lambda **kw: pytest.fail("queued"))
    token = locks.acquire(lock_key("devices"), 30)
    try:
        answer = ops_client.post(
            reverse("sync-start"),
            {"kind": "devices", "confirmed": "yes"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
    finally:
        locks.release(lock_key("devices"), token)
    assert "a pass of that sync is already running" in answer.content.decode()
    assert AuditEvent.objects.get().result == "not_sent"


def test_only_ops_may_start_a_pass_and_bad_kinds_are_refused(
    support_client: Client, viewer_client: Client, ops_client: Client
) -> None:
    url = reverse("sync-start")
    for client in (support_client, viewer_client):
        assert client.post(url, {"kind": "devices", "confirmed": "yes"}).status_code == 403
    assert ops_client.post(url, {"kind": "nope", "confirmed": "yes"}).status_code == 400
    assert ops_client.get(url).status_code == 405


def test_a_first_pass_is_announced_as_full(ops_client: Client) -> None:
    """Nothing synced yet: the pass reads everything, and the confirm step says so, as its row will."""
    asked = ops_client.post(
        reverse("sync-start"), {"kind": "devices"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "start a full pass of the devices sync now" in asked.content.decode()


def test_a_queued_pass_is_awaited_and_one_a_worker_starts_while_the_list_is_read_is_never_lost(
    ops_client: Client, monkeypatch: Any
) -> None:
    """The list polls after a start until a worker starts the pass; the pass is in the rows or still awaited.

    A worker commits the pass while the page is being read: right after the page's first read of the passes.
    Had the list read its rows before asking whether a pass is awaited, the new pass would be in neither.
    """
    from django.db import connection

    from voipadmin.console import sync_views

    monkeypatch.setattr(sync_views.TASKS["devices"], "delay_on_commit", lambda **kw: None)
    ops_client.post(reverse("sync-start"), {"kind": "devices", "confirmed": "yes"})
    awaited = ops_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A pass was queued" in awaited and 'hx-trigger="every 2s"' in awaited

    table = connection.ops.quote_name(SyncRun._meta.db_table)
    started: list[SyncRun] = []

    def worker_starts_the_pass(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if not started and sql.lstrip().startswith("SELECT") and table in sql:
            started.append(SyncRun.objects.create(kind="devices", state="running", trigger="user"))
        return result

    with connection.execute_wrapper(worker_starts_the_pass):
        html = ops_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert started
    assert f'id="sync-{started[0].pk}"' in html or "A pass was queued" in html
    after = ops_client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="sync-{started[0].pk}"' in after and "A pass was queued" not in after
