"""The one list filter in the browser: untick, chips, clear, back and forward; the header never fires it."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import restore_history
from tests.e2e.test_mall import _order_ids, mall_mirror  # noqa: F401  (the fixture)


def _totals(page: Page) -> str:
    expect(page.locator("#order-totals")).to_contain_text("CNY")
    return page.locator("#order-totals").inner_text()


def test_untick_clear_back_and_forward_on_orders(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    visit: Callable[[str], Page],
    axe: Callable[[], None],
    screenshot: Callable[[str], object],
    mall_mirror: dict,  # noqa: F811
) -> None:
    login("support")
    visit("/mall/orders/")
    everything, all_totals = _order_ids(page), _totals(page)

    page.check("input[name=status][value=paid]")
    page.wait_for_url(re.compile(r"\?status=paid$"))
    page.check("input[name=status][value=refunded]")
    page.wait_for_url(re.compile(r"\?status=paid&status=refunded$"))
    page.wait_for_load_state("networkidle")
    two = _order_ids(page)
    two_totals = _totals(page)
    assert two != everything and two_totals != all_totals
    expect(page.locator(".chips .chip")).to_have_count(3)  # two statuses and "clear all"
    expect(page.locator(".filter-fold summary")).to_contain_text("(2)")
    axe()
    screenshot("filters-orders-two-statuses")

    page.uncheck("input[name=status][value=paid]")
    page.wait_for_url(re.compile(r"\?status=refunded$"))
    page.uncheck("input[name=status][value=refunded]")
    page.wait_for_url(lambda url: url.endswith(("/mall/orders/", "/mall/orders/?")))
    page.wait_for_load_state("networkidle")
    assert "status" not in page.url
    assert _order_ids(page) == everything
    assert _totals(page) == all_totals
    expect(page.locator(".chips")).to_have_count(0)

    # Back restores the earlier state (list, totals and ticks), forward the later one.
    restore_history(page, page.go_back)
    page.wait_for_url(re.compile(r"\?status=refunded$"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("input[name=status][value=refunded]")).to_be_checked()
    expect(page.locator("input[name=status][value=paid]")).not_to_be_checked()
    restore_history(page, page.go_back)
    page.wait_for_url(re.compile(r"\?status=paid&status=refunded$"))
    page.wait_for_load_state("networkidle")
    assert _order_ids(page) == two and _totals(page) == two_totals
    restore_history(page, page.go_forward)
    page.wait_for_url(re.compile(r"\?status=refunded$"))
    restore_history(page, page.go_forward)
    page.wait_for_url(lambda url: "status" not in url)
    page.wait_for_load_state("networkidle")
    assert _order_ids(page) == everything

    # A chip clears its one value; "clear all" clears the rest.
    page.goto(f"{live_server.url}/mall/orders/?status=paid&status=refunded&site=CN")
    page.click(".chips a.chip:has-text('已支付')")
    page.wait_for_url(re.compile(r"\?status=refunded&site=CN$"))
    expect(page.locator("input[name=status][value=paid]")).not_to_be_checked()
    page.click(".chips a.chip-clear")
    page.wait_for_url(lambda url: url.rstrip("?").endswith("/mall/orders/"))
    expect(page.locator("input[name=status]:checked")).to_have_count(0)

    # A date preset sets from/to; the header's search and language select never fire the list's filter.
    page.locator(".presets a").nth(1).click()
    page.wait_for_url(re.compile(r"from=\d{4}-\d\d-\d\d&to="))
    before = page.url
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/mall/orders/?" in r.url else None)
    page.fill("header input[type=search]", "门铃")
    page.locator("header input[type=search]").dispatch_event("search")
    page.locator("header input[type=search]").dispatch_event("change")
    page.wait_for_timeout(500)
    assert page.url == before and not asked


def test_older_takes_the_view_back_to_the_top_of_the_list(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    mall_mirror: dict,  # noqa: F811
) -> None:
    login("viewer")
    page.goto(f"{live_server.url}/mall/orders/")
    page.locator("#order-table a[rel=next]").scroll_into_view_if_needed()
    assert page.evaluate("() => window.scrollY") > 500
    page.click("#order-table a[rel=next]")
    page.wait_for_url(re.compile(r"cursor="))
    page.wait_for_load_state("networkidle")
    top = page.evaluate("() => document.getElementById('order-table').getBoundingClientRect().top")
    assert -2 <= top < 150, top
