"""Every page of the URL map on the demo data, axe-clean and screenshotted: as ops in Chinese and English at
1440 and 390 px, and as support and viewer (whose controls differ) in Chinese at 1440 px.

The screenshots land in test-artifacts/tour/ as ``<role>-<language>-<width>-<page>.png``; `make tour` copies the
ops ones in Chinese at 1440 px into docs/tour/ for the README. People read them; a test only keeps them coming.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from devices.models import CloudUser, Device, Home, ReconciliationRun
from devices.reconciliation.runs import reconciliation_run
from devices.services.sync import devices_sync
from mall.models import Commodity, Order, ServiceIntroduction, Subscription
from mall.services.sync import mall_sync
from voipadmin.core.roles import OPS, SUPPORT, VIEWER

TOUR = Path(__file__).resolve().parents[2] / "test-artifacts" / "tour"


def _pages() -> list[tuple[str, str]]:
    device = Device.objects.filter(voip_capable=True).order_by("device_id").first()
    pages = [
        ("overview", "/"),
        ("homes", reverse("devices:home-list")),
        ("home", reverse("devices:home-detail", args=[Home.objects.order_by("owner_id").first().pk])),
        ("devices", reverse("devices:device-list")),
        ("device", reverse("devices:device-detail", args=[device.pk])),
        ("user", reverse("user-detail", args=[CloudUser.objects.order_by("user_id").first().pk])),
        ("search", reverse("search") + "?q=徐"),
        ("catalog", reverse("mall:commodity-list")),
        ("commodity", reverse("mall:commodity-detail", args=[Commodity.objects.order_by("pk").first().pk])),
        ("orders", reverse("mall:order-list")),
        ("order", reverse("mall:order-detail", args=[Order.objects.order_by("-created_at").first().pk])),
        ("subscriptions", reverse("mall:subscription-list")),
        (
            "subscription",
            reverse("mall:subscription-detail", args=[Subscription.objects.order_by("pk").first().pk]),
        ),
        (
            "service",
            reverse("mall:service-detail", args=[ServiceIntroduction.objects.order_by("pk").first().pk]),
        ),
        ("schedules", reverse("schedules")),
        ("audit", reverse("audit")),
        ("syncs", reverse("syncs")),
        ("sessions", reverse("sessions")),
        ("alerts", reverse("alerts")),
        ("alert-rules", reverse("alert-rules")),
        ("views", reverse("saved-views")),
    ]
    run = ReconciliationRun.objects.order_by("-pk").first()
    pages += [
        ("reconciliation", reverse("devices:reconciliation-list")),
        ("reconciliation-run", reverse("devices:reconciliation-detail", args=[run.pk])),
    ]
    return pages


# The elements that reach past the screen's right edge (the innermost ones), to say what scrolls sideways.
WIDER_THAN_THE_SCREEN = """() => {
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && r.width > 0 && ![...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1)) {
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ").join(".") : "") + " " + Math.round(r.right));
    }
  }
  return document.documentElement.scrollWidth > window.innerWidth ? out.slice(0, 8) : [];
}"""

VIEWS = [
    (OPS, "zh-CN", 1440),
    (OPS, "zh-CN", 390),
    (OPS, "en-US", 1440),
    (OPS, "en-US", 390),
    (SUPPORT, "zh-CN", 1440),
    (VIEWER, "zh-CN", 1440),
]


@pytest.mark.parametrize(("role", "locale", "width"), VIEWS, ids=[f"{r}-{lc}-{w}" for r, lc, w in VIEWS])
def test_every_page(
    page: Page,
    live_server: object,
    sandbox_settings: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    role: str,
    locale: str,
    width: int,
) -> None:
    devices_sync()
    mall_sync()
    sandbox_settings.control("POST", "wechat/flip", {"count": 3})
    reconciliation_run(trigger=ReconciliationRun.Trigger.COMMAND)
    # The reader's language as the language tabs set it (a cookie); Chromium keeps its own Accept-Language.
    language_code = {"zh-CN": "zh-hans", "en-US": "en"}[locale]
    page.context.add_cookies([{"name": "django_language", "value": language_code, "url": live_server.url}])
    page.set_viewport_size({"width": width, "height": 900})
    login(role)
    assert page.url == f"{live_server.url}/", page.url
    TOUR.mkdir(parents=True, exist_ok=True)
    language = locale.split("-")[0]
    for name, path in _pages():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert "/accounts/login/" not in page.url, path
        assert page.get_attribute("html", "lang") == language_code, f"{path} is not in {language_code}"
        axe()
        page.screenshot(path=str(TOUR / f"{role}-{language}-{width}-{name}.png"), full_page=width < 500)
        if width < 500:  # a phone: nothing scrolls sideways
            wide = page.evaluate(WIDER_THAN_THE_SCREEN)
            assert not wide, f"{path}: {wide}"
