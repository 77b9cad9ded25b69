"""Every page of the URL map, as ops and as a viewer, on the demo data: axe-clean, and screenshotted for the tour.

The screenshots land in test-artifacts/tour/; `make tour` copies the ops ones into docs/tour/ for the README.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from devices.models import CloudUser, Device, Home, ReconciliationRun
from devices.services.reconcile import reconciliation_run
from devices.services.sync import devices_sync
from mall.models import Commodity, Order, ServiceIntroduction, Subscription
from mall.services.sync import mall_sync
from voipadmin.roles import OPS, VIEWER

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
        ("search", reverse("search") + "?q=门&all=1"),
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
    ]
    run = ReconciliationRun.objects.order_by("-pk").first()
    pages += [
        ("reconciliation", reverse("devices:reconciliation-list")),
        ("reconciliation-run", reverse("devices:reconciliation-detail", args=[run.pk])),
    ]
    return pages


@pytest.mark.parametrize("role", [OPS, VIEWER])
def test_every_page_as_ops_and_viewer(
    page: Page,
    live_server: object,
    sandbox_settings: object,
    login: Callable[[str], object],
    axe: Callable[[], None],
    role: str,
) -> None:
    devices_sync()
    mall_sync()
    sandbox_settings.control("POST", "wechat/flip", {"count": 3})
    reconciliation_run(trigger=ReconciliationRun.Trigger.COMMAND)
    login(role)
    assert page.url == f"{live_server.url}/", page.url
    TOUR.mkdir(parents=True, exist_ok=True)
    for name, path in _pages():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert "/accounts/login/" not in page.url, path
        axe()
        page.screenshot(path=str(TOUR / f"{role}-{name}.png"), full_page=False)
