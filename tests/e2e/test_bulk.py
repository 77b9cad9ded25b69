"""In the browser: support tick devices, confirm a bulk re-check with its count, and watch it finish."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from devices.models import BulkJob
from devices.services.sync import devices_sync
from voipadmin.core.models import AuditEvent
from voipadmin.core.roles import SUPPORT


def test_tick_rows_confirm_a_bulk_recheck_and_watch_it_finish(
    page: Page,
    live_server: Any,
    sandbox_settings: Any,
    celery_worker: object,
    login: Callable[[str], Any],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    sandbox_settings.faults(latency_ms=40)  # slow enough to see the bar move
    login(SUPPORT)
    page.goto(f"{live_server.url}/devices/?voip=yes")
    page.locator("#select-page").check()
    ticked = page.locator("input[name=device]:checked").count()
    assert ticked >= 5
    axe()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"bulk-ticked-{width}")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
    page.set_viewport_size({"width": 1440, "height": 900})
    page.select_option("#bulk-action", "recheck")
    page.click("#bulk-go")
    box = page.locator("#confirm-slot .confirm-box")
    expect(box).to_contain_text(str(ticked))
    assert not BulkJob.objects.exists()
    axe()
    screenshot("bulk-confirm-1440")
    box.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/devices/bulk/\d+/$"))
    progress = page.locator("#bulk-progress")
    expect(progress).to_be_visible()
    page.evaluate("() => { window.__noReload = true; }")
    expect(page.locator("#bulk-progress")).to_have_attribute("data-state", "succeeded", timeout=90_000)
    assert page.evaluate("() => window.__noReload === true"), "progress must update without a reload"
    axe()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"bulk-finished-{width}")
    sandbox_settings.faults()
    assert AuditEvent.objects.filter(action="voip_auth_recheck").count() == ticked
