"""Phones (390 px): no list scrolls sideways, status and amount come first, the filters fold behind a button."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from devices.models import ReconciliationRun
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_mall import mall_mirror  # noqa: F401  (the fixture)
from tests.factories import DeviceFactory
from tests.mall.factories import SubscriptionFactory
from voipadmin.core.models import AuditEvent

LISTS = [
    ("devices", "/devices/"),
    ("homes", "/homes/"),
    ("orders", "/mall/orders/"),
    ("subscriptions", "/mall/subscriptions/"),
    ("catalog", "/mall/commodities/"),
    ("audit", "/audit/"),
    ("reconciliation", "/reconciliation/"),
]


@pytest.fixture
def lists(mall_mirror: dict) -> dict:  # noqa: F811
    DeviceFactory.create_batch(5, name="客厅门铃 with a rather long English name that must wrap")
    SubscriptionFactory.create_batch(5)
    for n in range(5):
        AuditEvent.objects.create(
            actor_name="ops", action="reconcile_fix", result="ok", device_id=f"dev{n:020d}"
        )
    run = ReconciliationRun.objects.create(
        trigger="user", state="succeeded", counts={"total": 3, "checked": 3}
    )
    return {"run": run}


def test_every_list_fits_a_phone(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], object],
    lists: dict,
) -> None:
    login("ops")
    page.set_viewport_size({"width": 390, "height": 844})
    for name, path in [*LISTS, ("run", f"/reconciliation/{lists['run'].pk}/")]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{path} scrolls sideways at 390 px: {width}"
        screenshot(f"phone-{name}-zh-390")
        page.screenshot(path=str(SCREENSHOTS / f"phone-{name}-top-zh-390.png"))  # the first screen
        axe()

    # Orders: the status and the amount lead each row; the filters fold behind "筛选 (n)".
    page.goto(f"{live_server.url}/mall/orders/?status=paid&site=CN")
    row = page.locator("#order-table tbody tr").first
    first_two = row.locator("td").evaluate_all(
        "tds => tds.slice().sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top"
        " || a.getBoundingClientRect().left - b.getBoundingClientRect().left).slice(0, 2).map(td => td.className)"
    )
    assert all("key" in c for c in first_two), first_two
    fold = page.locator("details.filter-fold")
    expect(fold).not_to_have_attribute("open", "")
    expect(fold.locator("summary")).to_have_text("筛选 (2)")
    expect(page.locator("#order-table-filters")).not_to_be_visible()
    screenshot("phone-orders-folded-zh-390")
    fold.locator("summary").click()
    expect(page.locator("#order-table-filters")).to_be_visible()
    page.uncheck("input[name=status][value=paid]")
    page.wait_for_url(lambda url: "status" not in url)
    expect(page.locator("details.filter-fold")).to_have_attribute("open", "")  # left as the person left it


def test_changed_pages_at_1440_for_people_to_look_at(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], object],
    lists: dict,
) -> None:
    login("ops")
    page.set_viewport_size({"width": 1440, "height": 900})
    for name, path in [
        ("orders-filtered", "/mall/orders/?status=paid&status=refunded&site=CN"),
        ("audit-filtered", "/audit/?action=reconcile_fix&result=ok"),
        ("subscriptions", "/mall/subscriptions/"),
        ("devices", "/devices/?voip=yes"),
        ("overview", "/"),
        ("schedules", "/schedules/"),
        ("run", f"/reconciliation/{lists['run'].pk}/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        axe()
        screenshot(f"desk-{name}-zh-1440")
