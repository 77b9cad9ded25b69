"""The customer page and the member picker in the browser (zh-Hans), at 1440 and 390 px."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from devices.models import CloudUser, HomeMember
from devices.services.sync import devices_sync
from mall.models import Order
from mall.services.sync import mall_sync
from tests.devices.test_fixes import _voip_device
from voipadmin.core.models import AuditEvent
from voipadmin.core.roles import SUPPORT


def _fits(page: Page) -> None:
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
        ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)"
    )
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width} {wide}"


def test_the_customer_page_and_the_member_picker(
    page: Page,
    live_server: object,
    sandbox_settings: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    devices_sync()
    mall_sync()
    device, member = _voip_device()
    login(SUPPORT)

    # The picker offers the home's members by name and id, and nobody else.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/devices/{device.device_id}/")
    picker = page.locator("select#auth-user-id")
    members = HomeMember.objects.filter(home_id=device.home_id).count()
    expect(picker.locator("option")).to_have_count(members)
    expect(picker).to_contain_text(member.user_id)
    axe()
    screenshot("member-picker-zh-1440")
    page.select_option("#auth-user-id", member.user_id)
    page.click("#voip-panel button[type=submit]")
    expect(page.locator("#confirm-slot .confirm-box")).to_be_visible()
    page.locator("#confirm-slot .confirm-box [data-confirm-cancel]").click()
    assert not AuditEvent.objects.exists()

    # The customer page: a buyer's homes and fellow members, orders with totals, one timeline.
    buyer = CloudUser.objects.get(pk=Order.objects.exclude(user=None).values_list("user", flat=True).first())
    page.goto(f"{live_server.url}/users/{buyer.user_id}/")
    expect(page.locator("h1")).to_have_text(buyer.user_name or buyer.user_id)
    home_id = HomeMember.objects.filter(user=buyer).values_list("home_id", flat=True).first()
    expect(page.locator("#customer-homes")).to_contain_text(home_id)
    expect(page.locator("#customer-timeline li").first).to_be_visible()
    axe()
    _fits(page)
    screenshot("customer-zh-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    _fits(page)
    axe()
    screenshot("customer-zh-390")
    page.goto(f"{live_server.url}/devices/{device.device_id}/")
    _fits(page)
    screenshot("member-picker-zh-390")
