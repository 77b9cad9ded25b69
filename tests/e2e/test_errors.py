"""Our 404 in the browser: the base layout, its search box, a way back, in zh-Hans and en; axe-clean."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect


def test_404_page_has_the_search_box_and_a_way_back(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], object],
) -> None:
    login("viewer")
    page.goto(f"{live_server.url}/devices/no-such-device/", referer=f"{live_server.url}/devices/")
    expect(page.locator("h1")).to_have_text("未找到")
    expect(page.locator("#global-search")).to_be_visible()
    axe()
    screenshot("error-404-zh")
    page.set_viewport_size({"width": 390, "height": 800})
    screenshot("error-404-zh-390")
    page.set_viewport_size({"width": 1366, "height": 860})
    page.click("a:has-text('返回上一页')")
    page.wait_for_url(f"{live_server.url}/devices/")
    page.goto(f"{live_server.url}/nowhere/")
    page.click(".user-menu summary")
    page.select_option("#lang-select", "en")
    page.click(".lang-form:has(#lang-select) button")
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("a.btn-primary")).to_have_text("Go to the overview")
