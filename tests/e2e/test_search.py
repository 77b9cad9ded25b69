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


def test_a_short_name_matches_from_the_start_and_says_so(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], object],
    transactional_db: None,
) -> None:
    HomeFactory(name="王伟的家")
    HomeFactory(name="老王伟家")
    login("viewer")
    page.goto(f"{live_server.url}/homes/")
    rows = page.locator("#home-table tbody tr")
    expect(rows).to_have_count(2)
    note = page.locator(".search-note")
    page.fill("#id_q", "王伟")
    page.press("#id_q", "Enter")
    expect(note).to_be_visible()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王伟的家")
    screenshot("homes-short-name-zh")
    axe()
    # A third character matches anywhere in the name, and the note goes.
    page.fill("#id_q", "王伟家")
    page.press("#id_q", "Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("老王伟家")
    expect(note).to_have_count(0)
    # Undo: clearing the search lists both again.
    page.fill("#id_q", "")
    page.press("#id_q", "Enter")
    expect(rows).to_have_count(2)
    expect(note).to_have_count(0)
