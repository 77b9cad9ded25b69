"""In the browser: ops start a reconciliation run, watch it finish, and open a device it fixed; support re-check.

The run goes through the real path: the view queues the Celery task on commit and the in-process worker
(``celery_worker``) executes it against the sandbox, while the page's row polls with htmx.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from devices.models import ReconciliationRun, VoipAuthState
from devices.services.sync import devices_sync
from voipadmin.core.roles import OPS, SUPPORT


def test_ops_start_a_run_watch_it_finish_and_open_a_fixed_device(
    page: Page,
    live_server: Any,
    sandbox_settings: Any,
    celery_worker: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    sandbox_settings.control("POST", "wechat/flip", json={"count": 3})
    disagreeing = set(sandbox_settings.stats()["auth_disagree_devices"])
    # Slow every cloud call a little, so the run is still going when the page shows it.
    sandbox_settings.faults(latency_ms=120)
    login(OPS)

    page.click("nav a[href='/reconciliation/']")
    expect(page).to_have_url(f"{live_server.url}/reconciliation/")
    axe()
    page.click("#run-now")
    box = page.locator("#confirm-slot .confirm-box")
    expect(box).to_contain_text("修复运行最多可能写入")
    assert not ReconciliationRun.objects.exists()  # nothing starts before the confirm step
    axe()
    screenshot("reconciliation-confirm")
    box.locator("button[type=submit]").click()
    row = page.locator("tr[data-state]").first
    expect(row).to_have_attribute("data-state", "running")
    expect(page.locator(".messages")).to_be_visible()
    screenshot("reconciliation-running")
    page.evaluate("() => { window.__noReload = true; }")  # gone if the page reloads
    expect(row).to_have_attribute("data-state", "succeeded", timeout=60_000)
    assert page.evaluate("() => window.__noReload === true"), "the row must update without a reload"
    axe()
    screenshot("reconciliation-finished")
    sandbox_settings.faults()

    run = ReconciliationRun.objects.get()
    assert run.state == "succeeded" and run.counts["fixed"] == len(disagreeing)
    assert sandbox_settings.stats()["auth_disagree"] == 0

    row.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text(f"#{run.pk}")
    rows = page.locator("#item-table tbody tr[data-device]")
    expect(rows).to_have_count(len(disagreeing))
    axe()
    screenshot("reconciliation-detail")
    page.select_option("#id_outcome", "fixed")
    expect(page).to_have_url(re.compile(r"[?&]outcome=fixed"))
    expect(rows).to_have_count(len(disagreeing))

    device_id = rows.first.get_attribute("data-device")
    rows.first.locator("a").first.click()
    expect(page).to_have_url(f"{live_server.url}/devices/{device_id}/")
    panel = page.locator("#voip-panel")
    expect(panel.locator(f"a[href^='/reconciliation/{run.pk}/']")).to_be_visible()
    expect(panel.locator(".badge-bad")).to_have_count(0)  # no drift badge: the cloud now holds WeChat's value
    axe()
    screenshot("reconciliation-device")
    state = VoipAuthState.objects.get(device_id=device_id)
    assert state.is_auth == state.wechat_authorized and state.wechat_observed_run_id == run.pk


def test_support_re_checks_a_device_and_loads_its_authorization_link(
    page: Page,
    live_server: Any,
    sandbox_settings: Any,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    device_id = sandbox_settings.control("POST", "wechat/flip", json={"count": 1})["devices"][0]
    login(SUPPORT)
    page.goto(f"{live_server.url}/devices/{device_id}/")
    page.evaluate("() => { window.__noReload = true; }")

    page.click("#recheck-button")
    page.locator("#confirm-slot .confirm-box button[type=submit]").click()
    expect(page.locator("#device-body .message-success")).to_be_visible()
    expect(page.locator("#voip-panel .badge-bad")).to_have_count(0)
    expect(page.locator("#voip-compare")).to_contain_text(":")  # WeChat's observation time is shown
    assert sandbox_settings.stats()["save_wx_voip_auth"] == {device_id: 1}

    page.click("#voip-authorization a")
    expect(page.locator("#voip-authorization dl")).to_contain_text("snTicket")
    device_uuid = VoipAuthState.objects.select_related("device").get(device_id=device_id).device.uuid
    expect(page.locator("#voip-authorization")).to_contain_text(device_uuid)
    assert page.evaluate("() => window.__noReload === true")
    axe()
    screenshot("device-recheck-and-authorization")


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_run_now_is_confirmed_on_a_page_of_its_own(
    page: Page,
    live_server: Any,
    sandbox_settings: Any,
    login: Callable[[str], object],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    login(OPS)
    page.goto(f"{live_server.url}/reconciliation/")
    page.click("#run-now")
    expect(page).to_have_url(f"{live_server.url}/reconciliation/run/")
    expect(page.locator(".confirm-box")).to_contain_text("修复运行最多可能写入")
    screenshot("reconciliation-confirm-nojs")
    page.click(".confirm-box a[data-confirm-cancel]")
    expect(page).to_have_url(f"{live_server.url}/reconciliation/")
    assert not ReconciliationRun.objects.exists()
    page.click("#run-now")
    page.click(".confirm-box button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/reconciliation/")
    run = ReconciliationRun.objects.get()
    assert run.dry_run is False and run.requested_by.username == "ops-e2e"


def test_a_running_runs_page_shows_progress_and_refreshes_whole_when_it_ends(
    page: Page,
    live_server: Any,
    sandbox_settings: Any,
    celery_worker: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    sandbox_settings.control("POST", "wechat/flip", json={"count": 3})
    disagreeing = set(sandbox_settings.stats()["auth_disagree_devices"])
    sandbox_settings.faults(latency_ms=300)
    login(OPS)
    page.goto(f"{live_server.url}/reconciliation/")
    page.click("#run-now")
    page.locator("#confirm-slot .confirm-box button[type=submit]").click()
    page.locator("tr[data-state=running] a").first.click()
    summary = page.locator("#run-summary")
    expect(summary.locator("progress")).to_be_visible()
    expect(summary.locator(".progress")).to_contain_text("/")
    axe()
    screenshot("reconciliation-run-progress")
    page.evaluate("() => { window.__noReload = true; }")
    expect(summary.locator(".badge-ok")).to_be_visible(timeout=60_000)
    sandbox_settings.faults()
    # The items table follows the summary without a reload: the run's drift, not "still going".
    expect(page.locator("#item-table tbody tr[data-device]")).to_have_count(len(disagreeing))
    expect(summary.locator("progress")).to_have_count(0)
    assert page.evaluate("() => window.__noReload === true")
    screenshot("reconciliation-run-finished")
