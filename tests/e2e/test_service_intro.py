"""The service introduction: its language tabs are language names, its title the category's label."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from mall.models import ServiceIntroduction, ServiceIntroItem


@pytest.fixture
def intro(transactional_db: None) -> None:
    voip = ServiceIntroduction.objects.create(category_code="voip", synced_at=timezone.now())
    for n, (lang, title) in enumerate([("zh", "微信视频通话"), ("en", "WeChat video calls")]):
        ServiceIntroItem.objects.create(
            introduction=voip, module="serviceName", item_id=n, lang=lang, title=title
        )


def test_language_tabs_and_title(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    visit: Callable[[str], Page],
    screenshot: Callable[[str], object],
    intro: None,
) -> None:
    login("viewer")
    visit("/mall/services/voip/")
    tabs = page.locator("nav.actions a")
    expect(tabs).to_have_text(["English", "中文"])
    assert "{" not in page.locator("main").inner_text()
    expect(page.locator("h1")).to_have_text("服务介绍：VoIP")
    expect(page.locator("h1 code")).to_have_count(0)
    expect(page.locator(".breadcrumbs [aria-current=page]")).to_have_text("VoIP")
    screenshot("service-intro-zh")
    tabs.nth(0).click()
    page.wait_for_url("**?lang=en")
    expect(page.locator(".service-card h2")).to_have_text("WeChat video calls")
