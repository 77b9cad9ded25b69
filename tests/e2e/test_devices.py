from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devices.models import VoipAuthState
from devices.services.sync import devices_sync
from tests.devices.test_fixes import _voip_device
from voipadmin.core.models import AuditEvent
from voipadmin.core.roles import SUPPORT, VIEWER


def test_support_finds_a_device_sets_its_auth_user_and_sees_it_audited(
    page: Page,
    live_server: object,
    sandbox_settings: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    device, new_user = _voip_device()  # another member of its home: the picker offers only members
    login(SUPPORT)

    page.fill("#global-search", device.device_id)
    expect(page.locator("#search-dropdown")).to_contain_text(device.device_id)
    page.press("#global-search", "Enter")
    expect(page).to_have_url(f"{live_server.url}/devices/{device.device_id}/")
    expect(page.locator("h1")).to_have_text(device.name)
    axe()
    screenshot("device-detail")

    page.select_option("#auth-user-id", new_user.user_id)
    page.click("#voip-panel button[type=submit]")
    # Nothing is written before the person confirms what the write will do.
    box = page.locator("#confirm-slot .confirm-box")
    expect(box).to_contain_text(
        f"将 {device.name} 的 VoIP 授权用户设为 {new_user.user_name or new_user.user_id}"
    )
    axe()
    screenshot("device-confirm")
    box.locator("[data-confirm-cancel]").click()
    expect(box).to_have_count(0)
    assert not AuditEvent.objects.exists()
    page.click("#voip-panel button[type=submit]")
    page.locator("#confirm-slot .confirm-box button[type=submit]").click()
    expect(page.locator("#device-body .message-success")).to_contain_text(
        new_user.user_name or new_user.user_id
    )
    expect(page.locator("#voip-panel")).to_contain_text(new_user.user_id)
    axe()

    page.click("nav >> text=审计日志")
    expect(page.locator("#audit-table")).to_contain_text("设置 VoIP 授权用户")
    expect(page.locator("#audit-table")).to_contain_text(device.device_id)
    axe()
    screenshot("audit")
    event = AuditEvent.objects.get(action="voip_auth_user_set")
    assert event.result == "ok" and event.target == new_user.user_id and event.actor_name == "support-e2e"


def test_viewer_sees_no_action_buttons(
    page: Page, live_server: object, login: Callable[[str], object], axe: Callable[[], None], screenshot
) -> None:
    from tests.factories import DeviceFactory, VoipAuthStateFactory

    device = VoipAuthStateFactory(device=DeviceFactory()).device
    login(VIEWER)
    page.goto(f"{live_server.url}/devices/{device.device_id}/")
    expect(page.locator("h1")).to_have_text(device.name)
    expect(page.locator("#auth-user-id")).to_have_count(0)
    expect(page.locator("#exchange-code")).to_have_count(0)
    axe()
    page.goto(f"{live_server.url}/devices/")
    axe()
    screenshot("device-list")
    page.goto(f"{live_server.url}/homes/")
    axe()
    screenshot("home-list")


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_a_fix_is_confirmed_on_a_page_of_its_own(
    page: Page,
    live_server: object,
    sandbox_settings: object,
    login: Callable[[str], object],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    device, new_user = _voip_device()
    auth = VoipAuthState.objects.select_related("device").get(device=device)
    login(SUPPORT)
    page.goto(f"{live_server.url}/devices/{auth.device_id}/")
    page.select_option("#auth-user-id", new_user.user_id)
    page.click("#voip-panel button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/devices/{auth.device_id}/voip-auth-user/")
    expect(page.locator(".confirm-box")).to_contain_text(auth.device.name)
    screenshot("device-confirm-nojs")
    assert not AuditEvent.objects.exists()
    page.click(".confirm-box button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/devices/{auth.device_id}/")
    expect(page.locator(".messages")).to_contain_text(new_user.user_name or new_user.user_id)
    assert AuditEvent.objects.get().result == "ok"
