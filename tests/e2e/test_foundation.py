from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from voipadmin.core.roles import OPS


def test_login_overview_language_and_logout(
    page: Page,
    live_server: object,
    axe: Callable[[], None],
    login: Callable[[str], object],
    screenshot: Callable[[str], Path],
) -> None:
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    axe()
    screenshot("login")

    login(OPS)
    expect(page.locator("h1")).to_contain_text("ops-e2e")
    expect(page.locator(".role-badge")).to_have_text("运维")
    axe()
    screenshot("overview")

    page.click(".user-menu summary")
    page.select_option("#lang-select", "en")
    page.click(".lang-form button")
    expect(page.locator(".role-badge")).to_have_text("Operations")
    expect(page.locator("nav")).to_contain_text("Devices")
    axe()

    page.click(".user-menu summary")
    page.select_option("#lang-select", "zh-hans")
    page.click(".lang-form button")
    expect(page.locator("nav")).to_contain_text("设备")

    page.click(".user-menu summary")
    page.click("text=退出登录")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
