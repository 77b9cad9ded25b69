"""The header search: it never shows the list's query; ArrowDown reaches the live results, Esc closes them."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.factories import HomeFactory


def test_header_search_keyboard(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], object],
    transactional_db: None,
) -> None:
    for _n in range(4):
        HomeFactory(name="Clark Home")
    login("viewer")
    page.goto(f"{live_server.url}/homes/?q=Clark")
    expect(page.locator("#global-search")).to_have_value("")
    expect(page.locator("#id_q")).to_have_value("Clark")

    page.fill("#global-search", "Clark")
    results = page.locator("#search-dropdown a")
    expect(results.first).to_be_visible()
    screenshot("search-dropdown-same-names")
    page.press("#global-search", "ArrowDown")
    expect(results.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(results.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(page.locator("#search-dropdown")).to_be_empty()
    expect(page.locator("#global-search")).to_be_focused()
    axe()
