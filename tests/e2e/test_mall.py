"""The mall in the browser: filter orders, page, go back, open one, export the CSV; a device's orders."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from mall.models import Order
from mall.services.upsert import order_day_totals_rebuild
from tests.e2e.conftest import restore_history
from tests.factories import DeviceFactory
from tests.mall.factories import (
    CommodityFactory,
    CommodityPriceFactory,
    DeviceCommodityFactory,
    DeviceMallFactory,
    MallFactory,
    OrderFactory,
)

ORDER_LINK = re.compile(r"/mall/orders/(\d+)/$")


@pytest.fixture
def mall_mirror(transactional_db: None) -> dict:
    cache.clear()  # the database cache outlives a test's rollback; cached totals must not
    MallFactory(mall_code="MALL0001", site_code="CN", currency="CNY")
    MallFactory(mall_code="MALL0002", site_code="US", currency="USD")
    voip = CommodityFactory(commodity_code="CMVOIP", sku_code="SKUVOIP", title="微信视频通话(VoIP)")
    CommodityPriceFactory(commodity=voip, option_no=0)
    CommodityPriceFactory(
        commodity=voip,
        option_type=1,
        option_no=1,
        price=Decimal("8.80"),
        discount=27,
        trial_unit=3,
        trial_value=7,
    )
    device, other = DeviceFactory(name="门口可视门铃"), DeviceFactory()
    DeviceCommodityFactory(device=device, commodity=voip)
    DeviceMallFactory(device=device)
    statuses = ["paid", "refunded", "finished", "created", "canceled"]
    for n in range(240):
        OrderFactory(
            status=statuses[n % 5],
            device=device if n % 7 == 0 else other,
            commodity_code="CMVOIP",
            amount_trade=Decimal("9.90") + Decimal(n % 9) / 100,
            currency="USD" if n % 6 == 0 else "CNY",
        )
    order_day_totals_rebuild()
    return {"device": device}


def _order_ids(page: Page, scope: str = "#order-table") -> list[str]:
    hrefs = page.locator(f"{scope} tbody a[href^='/mall/orders/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return [m.group(1) for h in hrefs if (m := ORDER_LINK.search(h))]


def test_orders_filter_page_back_open_and_export(
    page: Page,
    live_server: object,
    login: Callable[[str], object],
    visit: Callable[[str], Page],
    axe: Callable[[], None],
    screenshot: Callable[[str], object],
    mall_mirror: dict,
) -> None:
    login("support")
    visit("/mall/orders/")
    screenshot("mall-orders")
    page.check("input[name=status][value=paid]")
    page.check("input[name=status][value=refunded]")
    page.wait_for_url(re.compile(r"status=paid.*status=refunded"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("#order-totals")).not_to_contain_text("…")
    first = _order_ids(page)
    assert len(first) == 50
    assert set(Order.objects.filter(pk__in=first).values_list("status", flat=True)) <= {"paid", "refunded"}
    axe()
    screenshot("mall-orders-two-statuses")

    page.click("#order-table a[rel=next]")
    page.wait_for_url(re.compile(r"cursor="))
    page.wait_for_load_state("networkidle")
    second = _order_ids(page)
    assert second and not set(second) & set(first)
    assert set(Order.objects.filter(pk__in=second).values_list("status", flat=True)) <= {"paid", "refunded"}
    screenshot("mall-orders-page-2")

    # htmx keeps no history cache (historyCacheSize 0): back asks the server for the full page again.
    restore_history(page, page.go_back)
    page.wait_for_url(lambda url: "status=refunded" in url and "cursor=" not in url)
    expect(page.locator(f"#order-table a[href='/mall/orders/{first[0]}/']")).to_be_visible()
    assert _order_ids(page) == first
    expect(page.locator("input[name=status][value=paid]")).to_be_checked()

    page.click(f"#order-table a[href='/mall/orders/{first[0]}/']")
    page.wait_for_url(re.compile(rf"/mall/orders/{first[0]}/$"))
    axe()
    expect(page.locator("h1")).to_contain_text(first[0])
    screenshot("mall-order-detail")
    page.go_back()
    page.wait_for_load_state("networkidle")

    with page.expect_download() as info:
        page.click("#order-table a[download]")
    text = open(info.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) - 1 == Order.objects.filter(status__in=["paid", "refunded"]).count()
    assert {r[0] for r in rows[1:]} >= set(first)


def test_device_page_orders_panel_lists_only_its_orders(
    page: Page,
    login: Callable[[str], object],
    visit: Callable[[str], Page],
    screenshot: Callable[[str], object],
    mall_mirror: dict,
) -> None:
    device = mall_mirror["device"]
    login("ops")
    visit(f"/devices/{device.device_id}/")
    panel = page.locator("#mall-device-panel")
    expect(panel).to_be_visible()
    ids = _order_ids(page, "#mall-device-panel")
    mine = list(
        Order.objects.filter(device=device).order_by("-created_at", "-order_id").values_list("pk", flat=True)
    )
    assert ids == mine[:10]
    expect(panel).to_contain_text("MALL0001")
    expect(panel).to_contain_text("9.90")
    panel.scroll_into_view_if_needed()
    screenshot("mall-device-panel")


def test_catalog_and_subscriptions_pages(
    page: Page,
    login: Callable[[str], object],
    visit: Callable[[str], Page],
    screenshot: Callable[[str], object],
    mall_mirror: dict,
) -> None:
    login("viewer")
    visit("/mall/commodities/")
    expect(page.locator(".price-matrix").first).to_contain_text("8.80")
    screenshot("mall-catalog")
    visit("/mall/commodities/CMVOIP/")
    screenshot("mall-commodity-detail")
    visit("/mall/subscriptions/")
    screenshot("mall-subscriptions-empty")
    visit("/mall/orders/?status=bogus")
    expect(page.locator(".error-state")).to_be_visible()
    screenshot("mall-orders-bad-filter")
