"""In the browser: the bell counts an open alert, /alerts/ explains it, support acknowledge it, and it clears."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect

from mall.models import Order
from tests.mall.factories import OrderFactory
from voipadmin.core.alerts import alerts_evaluate
from voipadmin.core.models import Alert, AuditEvent
from voipadmin.core.roles import SUPPORT


def test_the_bell_leads_to_the_alert_support_acknowledge_it_and_it_clears(
    page: Page,
    live_server: Any,
    login: Callable[[str], Any],
    axe: Callable[[], None],
    screenshot: Callable[[str], Path],
) -> None:
    OrderFactory(status="paying", created_at=timezone.now() - dt.timedelta(days=2))
    OrderFactory(status="created", created_at=timezone.now() - dt.timedelta(days=3))
    assert alerts_evaluate()["raised"] == 1
    user = login(SUPPORT)
    bell = page.locator("a.bell")
    expect(bell).to_contain_text("1")
    expect(bell).to_have_class("bell bell-open")
    bell.click()
    expect(page).to_have_url(f"{live_server.url}/alerts/")
    row = page.locator("#open-alerts tr[data-state=open]")
    expect(row).to_have_count(1)
    expect(row.locator("a")).to_have_attribute(
        "href",
        "/mall/orders/?status=created&status=paying&to="
        + (timezone.localtime(timezone.now() - dt.timedelta(hours=24)).date().isoformat()),
    )
    axe()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"alerts-open-{width}")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
    page.set_viewport_size({"width": 1440, "height": 900})
    row.locator("button[type=submit]").click()
    expect(row).to_contain_text(user.username)
    assert AuditEvent.objects.get().action == "alert_acknowledge"
    axe()

    Order.objects.update(status="paid")  # paid at last: the condition clears
    alerts_evaluate()
    page.reload()
    expect(page.locator("a.bell")).to_contain_text("0")
    expect(page.locator("#cleared-table tr[data-state=cleared]")).to_have_count(1)
    assert Alert.objects.get().cleared_at is not None
    page.goto(f"{live_server.url}/alerts/rules/")
    expect(page.locator("#rule-orders_stuck")).to_be_visible()
    axe()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(f"alerts-cleared-rules-{width}")
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
