from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Page, expect

from devices.services.sync import devices_sync
from mall.services.sync import mall_sync
from voipadmin.core.roles import OPS


def _reconciliation_runs() -> None:
    """A few finished runs for the drift chart, when the reconciliation part is installed."""
    try:
        model = apps.get_model("devices", "ReconciliationRun")
    except LookupError:
        return
    for drift, fixed in ((6, 6), (2, 2), (0, 0), (3, 1)):
        model.objects.create(
            trigger="schedule",
            state="succeeded" if drift == fixed else "partial",
            finished_at=timezone.now(),
            counts={"checked": 36, "in_sync": 36 - drift, "drift_found": drift, "fixed": fixed},
        )


def test_ops_sees_the_kpis_and_charts_of_the_synced_mirror(
    page: Page,
    live_server: object,
    sandbox_settings: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    cache.clear()
    devices_sync()
    mall_sync(trigger="test")
    _reconciliation_runs()

    login(OPS)
    expect(page.locator("h1")).to_contain_text("ops-e2e")
    expect(page.locator("h1")).to_have_count(1)
    kpis = page.locator("section[aria-labelledby=kpi-heading] a.kpi")
    expect(kpis).to_have_count(9)  # the renewal-failure KPI joined them
    expect(page.locator("svg.chart[role=img]").first).to_be_visible()
    assert page.locator("svg.chart[role=img]").count() >= 3
    axe()
    screenshot("overview")

    # The figures' table opens for a keyboard or screen-reader user, and its links lead to the filtered list.
    status = page.locator("section[aria-labelledby=status-heading]")
    status.locator("summary").click()
    expect(status.locator("table.data tbody tr").first).to_be_visible()
    axe()

    today = timezone.localdate().isoformat()
    kpis.first.click()
    expect(page).to_have_url(f"{live_server.url}/mall/orders/?from={today}&to={today}")


def test_an_empty_mirror_shows_what_fills_it(
    page: Page, live_server: object, login: Callable[[str], object], axe: Callable[[], None]
) -> None:
    cache.clear()
    login(OPS)
    expect(page.locator(".overview-empty")).to_be_visible()
    expect(page.locator("svg.chart")).to_have_count(0)
    axe()
