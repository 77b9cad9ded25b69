"""In the browser: ops start a devices pass on /syncs/, confirm it, and watch it finish without a reload.

The pass goes through the real path: the view queues the Celery task on commit and the in-process worker
(``celery_worker``) runs it against the sandbox while the row polls with htmx and shows its progress.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from devices.models import Device
from voipadmin.core.models import AuditEvent, SyncRun
from voipadmin.core.roles import OPS


def test_ops_start_a_pass_confirm_it_and_watch_it_finish(
    page: Page,
    live_server: Any,
    sandbox_settings: Any,
    celery_worker: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    # Slow every cloud call a little, so the pass is still going when the page shows it.
    sandbox_settings.faults(latency_ms=150)
    login(OPS)
    page.click("nav a[href='/syncs/']")
    expect(page).to_have_url(f"{live_server.url}/syncs/")
    expect(page.locator("#sync-table td.empty")).to_be_visible()
    axe()
    page.select_option("#sync-kind", "devices")
    page.click("#sync-now")
    box = page.locator("#confirm-slot .confirm-box")
    expect(box).to_be_visible()
    assert not AuditEvent.objects.exists()  # nothing starts before the confirm step
    axe()
    box.locator("button[type=submit]").click()
    row = page.locator("#sync-table tr[data-state]").first
    expect(row).to_have_attribute("data-state", "running", timeout=20_000)
    page.evaluate("() => { window.__noReload = true; }")  # gone if the page reloads
    expect(row.locator("progress")).to_be_visible(timeout=20_000)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"syncs-running-{width}")
    page.set_viewport_size({"width": 1440, "height": 900})
    expect(row).to_have_attribute("data-state", "succeeded", timeout=90_000)
    assert page.evaluate("() => window.__noReload === true"), "the row must update without a reload"
    axe()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"syncs-finished-{width}")
    sandbox_settings.faults()
    run = SyncRun.objects.get()
    assert (run.kind, run.trigger, run.state) == ("devices", "user", "succeeded")
    assert Device.objects.count() == sandbox_settings.stats()["devices"]
    assert AuditEvent.objects.get().message == "sync.started"
