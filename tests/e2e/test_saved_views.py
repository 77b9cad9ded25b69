"""In the browser: save the orders list's filters as a view, find it as the current tab, and delete it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from mall.services.upsert import order_day_totals_rebuild
from tests.mall.factories import OrderFactory
from voipadmin.core.models import SavedView
from voipadmin.core.roles import SUPPORT


def test_save_a_view_see_its_tab_and_delete_it(
    page: Page,
    live_server: Any,
    login: Callable[[str], Any],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    for status in ("paying", "created", "paid"):
        OrderFactory(status=status)
    order_day_totals_rebuild()  # as a sync does after it writes orders: the totals line counts them
    login(SUPPORT)
    page.goto(f"{live_server.url}/mall/orders/?status=paying&status=created")
    page.locator(".save-view summary").click()
    page.fill("#order-table-view-name", "待付款订单")
    page.locator(".save-view input[name=shared]").check()
    page.locator(".save-view button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/mall/orders/?status=created&status=paying")
    tab = page.locator(".view-tab[aria-current=page]")
    expect(tab).to_contain_text("待付款订单")
    axe()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"saved-view-tab-{width}")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
    page.set_viewport_size({"width": 1440, "height": 900})
    # Another filter: the tab stays, no longer the current one; clicking it brings the view back (htmx).
    page.goto(f"{live_server.url}/mall/orders/?status=paid")
    expect(page.locator(".view-tab[aria-current=page]")).to_have_count(0)
    page.locator(".view-tab", has_text="待付款订单").click()
    expect(page).to_have_url(f"{live_server.url}/mall/orders/?status=created&status=paying")
    expect(page.locator(".view-tab[aria-current=page]")).to_contain_text("待付款订单")

    view = SavedView.objects.get()
    page.locator(".view-manage").click()
    expect(page.locator(f"#view-{view.pk}")).to_be_visible()
    axe()
    screenshot("saved-views-manage-1440")
    page.locator(f"#view-{view.pk} .btn-danger").click()
    expect(page.locator("#saved-views td.empty")).to_be_visible()
    assert not SavedView.objects.exists()
    page.goto(f"{live_server.url}/mall/orders/?status=created&status=paying")
    expect(page.locator(".view-tab", has_text="待付款订单")).to_have_count(0)
