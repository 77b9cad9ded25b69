"""The mall's pages against a mirror built by factories (no cloud)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mall import selectors
from mall.models import Order
from mall.services.upsert import order_day_totals_rebuild
from tests.factories import DeviceFactory
from tests.mall.factories import (
    CommodityFactory,
    CommodityPriceFactory,
    DeviceCommodityFactory,
    DeviceMallFactory,
    MallFactory,
    OrderFactory,
    SubscriptionFactory,
)
from voipadmin.core.keyset import Cursor, Keyset

pytestmark = pytest.mark.django_db
ORDERS = reverse("mall:order-list")
_NEW_YEAR = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def mirror() -> dict:
    """Two malls, two commodities, 130 orders over four statuses and two currencies, some subscriptions."""
    cache.clear()  # the database cache outlives a test's rollback; cached totals must not
    MallFactory(mall_code="MALL0001", site_code="CN", currency="CNY")
    MallFactory(mall_code="MALL0002", site_code="US", currency="USD", shop_code="SHOP0002")
    voip = CommodityFactory(commodity_code="CMVOIP", sku_code="SKUVOIP", title="微信视频通话(VoIP)")
    cloud = CommodityFactory(
        commodity_code="CMCLOUD",
        sku_code="SKUCLOUD",
        title="7 天事件云存储",
        commodity_type=0,
        service_code="cloud",
    )
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
    device = DeviceFactory()
    other = DeviceFactory()
    DeviceCommodityFactory(device=device, commodity=voip)
    DeviceMallFactory(device=device)
    statuses = ["paid", "refunded", "finished", "created"]
    for n in range(130):
        usd = n % 5 == 0
        OrderFactory(
            status=statuses[n % 4],
            commodity_code="CMVOIP" if n % 3 else "CMCLOUD",
            commodity_name="微信视频通话(VoIP)" if n % 3 else "7 天事件云存储",
            mall_code="MALL0002" if usd else "MALL0001",
            site_code="US" if usd else "CN",
            currency="USD" if usd else "CNY",
            amount_trade=Decimal("1.99") if usd else Decimal("9.90") + Decimal(n) / 100,
            device=device if n % 2 else other,
        )
    SubscriptionFactory.create_batch(60, device=device)
    order_day_totals_rebuild()
    return {"device": device, "other": other, "voip": voip, "cloud": cloud}


def _ids(html: str) -> list[str]:
    return re.findall(r'href="/mall/orders/(\d+)/"', html)


def test_every_mall_page_answers_every_role(persona_client: Client, mirror: dict) -> None:
    order = Order.objects.first()
    sub = selectors.subscription_list(filters={}).first()
    for url in [
        ORDERS,
        reverse("mall:order-detail", args=[order.order_id]),
        reverse("mall:order-totals"),
        reverse("mall:subscription-list"),
        reverse("mall:subscription-detail", args=[sub.subscribe_id]),
        reverse("mall:commodity-list"),
        reverse("mall:commodity-detail", args=["CMVOIP"]),
        reverse("mall:device-panel", args=[mirror["device"].device_id]),
    ]:
        assert persona_client.get(url).status_code == 200, url


def test_anonymous_is_sent_to_login(client: Client, mirror: dict) -> None:
    assert client.get(ORDERS).status_code == 302


def test_two_statuses_filter_every_row(viewer_client: Client, mirror: dict) -> None:
    response = viewer_client.get(ORDERS, {"status": ["paid", "refunded"]})
    assert response.status_code == 200
    ids = _ids(response.content.decode())
    assert len(ids) == 50
    assert set(Order.objects.filter(pk__in=ids).values_list("status", flat=True)) <= {"paid", "refunded"}


def test_keyset_walks_every_filtered_order_once_and_back(viewer_client: Client, mirror: dict) -> None:
    params: dict = {"status": ["paid", "refunded"]}
    seen: list[str] = []
    pages = []
    while True:
        cursor = selectors.ORDER_PAGES.decode(pages[-1].next_cursor) if pages else None
        page = selectors.order_page(filters={**params, "cursor": cursor})
        pages.append(page)
        seen += [o["order_id"] for o in page]
        if not page.next_cursor:
            break
    expected = list(
        Order.objects.filter(status__in=["paid", "refunded"])
        .order_by("-created_at", "-order_id")
        .values_list("pk", flat=True)
    )
    assert seen == expected
    # Back from the second page is the first page.
    from mall.filters import OrderFilter

    form = OrderFilter({"status": ["paid", "refunded"], "cursor": pages[1].prev_cursor}).form
    assert form.is_valid(), form.errors
    back = selectors.order_page(filters=form.cleaned_data)
    assert [o["order_id"] for o in back] == [o["order_id"] for o in pages[0]]


def test_search_by_order_id_and_by_chinese_commodity_name(viewer_client: Client, mirror: dict) -> None:
    order = Order.objects.filter(commodity_code="CMCLOUD").first()
    assert _ids(viewer_client.get(ORDERS, {"q": order.order_id}).content.decode()) == [order.order_id]
    ids = _ids(viewer_client.get(ORDERS, {"q": "通话"}).content.decode())
    assert ids and set(Order.objects.filter(pk__in=ids).values_list("commodity_code", flat=True)) == {
        "CMVOIP"
    }
    ids = _ids(viewer_client.get(ORDERS, {"q": "SKUCLOUD"}).content.decode())
    assert ids and set(Order.objects.filter(pk__in=ids).values_list("commodity_code", flat=True)) == {
        "CMCLOUD"
    }


def test_mall_site_device_and_dates(viewer_client: Client, mirror: dict) -> None:
    us = _ids(viewer_client.get(ORDERS, {"mall": "MALL0002", "site": "US"}).content.decode())
    assert us and set(Order.objects.filter(pk__in=us).values_list("currency", flat=True)) == {"USD"}
    device = mirror["device"]
    mine = _ids(viewer_client.get(ORDERS, {"device": device.device_id}).content.decode())
    assert mine and set(Order.objects.filter(pk__in=mine).values_list("device_id", flat=True)) == {
        device.device_id
    }
    day = Order.objects.order_by("-created_at").first().created_at.astimezone().date()
    response = viewer_client.get(ORDERS, {"from": day.isoformat(), "to": day.isoformat()})
    assert response.status_code == 200 and _ids(response.content.decode())


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"status": ["paid", "<script>alert(1)</script>"]},
        {"from": "2025-13-40"},
        {"to": "yesterday"},
        {"from": "2025-03-02", "to": "2025-03-01"},
        {"cursor": "forged"},
        {"cursor": Keyset("subscriptions", ("-created_at", "-order_id")).encode(Cursor((_NEW_YEAR, "1")))},
        {"q": "x" * 201},
        {"mall": "<img src=x onerror=alert(1)>"},
        {"device": "d" * 65},
        {"format": "xlsx"},
    ],
)
def test_bad_filters_are_a_400_with_the_message_escaped(
    viewer_client: Client, mirror: dict, params: dict
) -> None:
    response = viewer_client.get(ORDERS, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-state"' in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_a_truncated_cursor_is_a_400(viewer_client: Client, mirror: dict) -> None:
    page = selectors.order_page(filters={})
    for raw in (page.next_cursor[:-3], page.next_cursor[5:], page.next_cursor + "A"):
        response = viewer_client.get(ORDERS, {"cursor": raw})
        assert response.status_code == 400
        assert "not valid" in response.content.decode() or "无效" in response.content.decode()


def test_the_htmx_fragment_carries_no_layout_and_no_navigation(
    viewer_client: Client, mirror: dict, django_assert_max_num_queries
) -> None:
    """The swapped fragment is the table and its pager: no document, header, main navigation or stylesheet."""
    with django_assert_max_num_queries(8):
        fragment = viewer_client.get(ORDERS, {"status": "paid"}, **HTMX).content.decode()
    assert fragment.lstrip().startswith('<div id="order-table">')
    for layout in ("<html", "<head", "<body", 'class="topbar"', '<nav aria-label="Main"', "<link rel", "<h1"):
        assert layout not in fragment, layout
    assert fragment.count("<tr>") >= 2


def test_the_htmx_fragment_reads_neither_the_role_nor_the_alerts(viewer_client: Client, mirror: dict) -> None:
    """The user menu and the bell are the layout's: a fragment without them never queries for them."""
    with CaptureQueriesContext(connection) as fragment:
        viewer_client.get(ORDERS, **HTMX)
    assert not [q["sql"] for q in fragment if "auth_group" in q["sql"] or "voipadmin_alert" in q["sql"]]
    page = viewer_client.get(ORDERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="role-badge">Viewer</span>' in page and "bell-count" in page


def test_a_hostile_search_is_escaped(viewer_client: Client, mirror: dict) -> None:
    response = viewer_client.get(ORDERS, {"q": "<script>alert(1)</script>' OR 1=1 --"})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_htmx_gets_the_fragment_and_history_restore_the_page(viewer_client: Client, mirror: dict) -> None:
    fragment = viewer_client.get(ORDERS, {"status": "paid"}, **HTMX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b'id="order-table"' in fragment.content
    assert "HX-Request" in fragment["Vary"]
    full = viewer_client.get(
        ORDERS, {"status": "paid"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert b"<html" in full.content
    for url in (reverse("mall:subscription-list"), reverse("mall:commodity-list")):
        assert b"<html" not in viewer_client.get(url, **HTMX).content
        assert b"<html" in viewer_client.get(url).content


def test_query_counts_are_bounded(viewer_client: Client, mirror: dict, django_assert_max_num_queries) -> None:
    deep = selectors.order_page(filters={}).next_cursor
    order = Order.objects.first()
    # Session, user and groups are 3 of these; the database cache (Redis in production) 3-5 more; a full page
    # adds the alerts bell's one COUNT.
    for url, params, most in [
        (ORDERS, {}, 8),
        (ORDERS, {"status": ["paid", "refunded"], "q": "通话"}, 10),
        (ORDERS, {"cursor": deep}, 8),
        (ORDERS, {"cursor": "forged"}, 8),
        (ORDERS, {"format": "csv"}, 8),
        (reverse("mall:order-totals"), {"status": "paid"}, 13),
        (reverse("mall:order-totals"), {"device": mirror["device"].device_id}, 13),
        (reverse("mall:order-detail", args=[order.order_id]), {}, 10),
        (reverse("mall:subscription-list"), {"status": "1"}, 8),
        (reverse("mall:commodity-list"), {}, 8),
        (reverse("mall:commodity-detail", args=["CMVOIP"]), {}, 8),
        (reverse("mall:device-panel", args=[mirror["device"].device_id]), {}, 10),
    ]:
        with django_assert_max_num_queries(most):
            response = viewer_client.get(url, params)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code in (200, 400), url


def test_totals_per_currency_are_exact_by_both_paths(viewer_client: Client, mirror: dict) -> None:
    def expected(qs):
        out: dict[str, Decimal] = {}
        for currency, amount in qs.values_list("currency", "amount_trade"):
            out[currency] = out.get(currency, Decimal(0)) + amount
        return out

    summary = selectors.order_totals(filters={"status": ["paid", "refunded"]})
    direct = selectors.order_totals(
        filters={"status": ["paid", "refunded"], "device": mirror["device"].device_id}
    )
    assert {t["currency"]: t["amount_trade"] for t in summary} == expected(
        Order.objects.filter(status__in=["paid", "refunded"])
    )
    assert {t["currency"]: t["amount_trade"] for t in direct} == expected(
        Order.objects.filter(status__in=["paid", "refunded"], device=mirror["device"])
    )
    assert all(isinstance(t["amount_trade"], Decimal) for t in summary + direct)
    html = viewer_client.get(reverse("mall:order-totals"), {"status": "paid"}, **HTMX).content.decode()
    assert "CNY" in html and "<html" not in html


def test_csv_export_streams_the_whole_filter_with_exact_decimals(viewer_client: Client, mirror: dict) -> None:
    response = viewer_client.get(ORDERS, {"status": "paid", "format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert len(body) == Order.objects.filter(status="paid").count()
    amounts = {r[0]: r[header.index(header[6])] for r in body}
    for order in Order.objects.filter(status="paid"):
        assert Decimal(amounts[order.order_id]) == order.amount_trade
        assert len(amounts[order.order_id].split(".")[1]) == 2
    subs = viewer_client.get(reverse("mall:subscription-list"), {"format": "csv"})
    assert len(list(csv.reader(io.StringIO(b"".join(subs.streaming_content).decode("utf-8-sig"))))) == 61


def test_order_detail_shows_lines_device_and_mall(viewer_client: Client, mirror: dict) -> None:
    order = Order.objects.filter(device=mirror["device"]).first()
    html = viewer_client.get(reverse("mall:order-detail", args=[order.order_id])).content.decode()
    assert order.order_id in html and mirror["device"].device_id in html and "MALL0001" in html
    assert viewer_client.get(reverse("mall:order-detail", args=["nope"])).status_code == 404


def test_device_panel_lists_only_that_devices_orders(viewer_client: Client, mirror: dict) -> None:
    device = mirror["device"]
    html = viewer_client.get(reverse("mall:device-panel", args=[device.device_id])).content.decode()
    ids = _ids(html)
    assert ids and set(Order.objects.filter(pk__in=ids).values_list("device_id", flat=True)) == {
        device.device_id
    }
    assert "<html" not in html and "MALL0001" in html and "9.90" in html
    assert "Test purchase" not in html and "测试购买" not in html  # a viewer never sees the action


def test_the_panels_next_link_opens_the_orders_list_at_that_devices_eleventh_order(
    viewer_client: Client, mirror: dict
) -> None:
    device = mirror["device"]
    assert Order.objects.filter(device=device).count() > 10
    html = viewer_client.get(reverse("mall:device-panel", args=[device.device_id]), HTTP_ACCEPT_LANGUAGE="en")
    page = html.content.decode()
    [href] = re.findall(r'<a class="btn btn-small" href="([^"]*)">Next</a>', page)
    href = href.replace("&amp;", "&")
    assert href.startswith(f"/mall/orders/?device={device.device_id}&cursor=")
    assert "hx-get" not in page.split('class="pager"')[1].split("</nav>")[0]  # a link away, not a swap
    following = _ids(viewer_client.get(href).content.decode())
    shown = _ids(page)
    assert len(shown) == 10 and following and not set(following) & set(shown)
    assert set(Order.objects.filter(pk__in=following).values_list("device_id", flat=True)) == {
        device.device_id
    }


def test_commodity_detail_shows_price_matrix_and_devices(viewer_client: Client, mirror: dict) -> None:
    html = viewer_client.get(reverse("mall:commodity-detail", args=["CMVOIP"])).content.decode()
    assert "9.90" in html and "8.80" in html and "12.00" in html and "27%" in html
    assert mirror["device"].device_id in html
    assert reverse("mall:service-detail", args=["voip"]) in html


def test_subscription_filter_and_detail(viewer_client: Client, mirror: dict) -> None:
    response = viewer_client.get(reverse("mall:subscription-list"), {"status": "1"})
    assert response.status_code == 200
    assert viewer_client.get(reverse("mall:subscription-list"), {"status": "x"}).status_code == 400
    sub = selectors.subscription_list(filters={}).first()
    html = viewer_client.get(reverse("mall:subscription-detail", args=[sub.subscribe_id])).content.decode()
    assert sub.subscribe_id in html and "8.80" in html


def test_purchase_needs_the_permission(
    viewer_client: Client, support_client: Client, mirror: dict, settings
) -> None:
    settings.SANDBOX_BACKED = True
    url = reverse("mall:device-purchase", args=[mirror["device"].device_id])
    data = {"commodity_code": "CMVOIP", "option_type": 0, "option_no": 0}
    assert viewer_client.post(url, data).status_code == 403
    assert support_client.post(url, data).status_code == 403
    assert viewer_client.get(url).status_code == 405


def test_purchase_is_off_on_a_real_cloud(ops_client: Client, mirror: dict, settings) -> None:
    settings.SANDBOX_BACKED = False
    url = reverse("mall:device-purchase", args=[mirror["device"].device_id])
    assert (
        ops_client.post(url, {"commodity_code": "CMVOIP", "option_type": 0, "option_no": 0}).status_code
        == 404
    )
    html = ops_client.get(reverse("mall:device-panel", args=[mirror["device"].device_id])).content.decode()
    assert 'name="option_no"' not in html


def test_csv_export_makes_formula_like_text_inert_and_keeps_negative_numbers(
    viewer_client: Client, mirror: dict
) -> None:
    """A commodity name from the cloud that starts like a formula is not run by the spreadsheet."""
    order = Order.objects.filter(status="paid").first()
    order.commodity_name = '=HYPERLINK("http://evil.example","refund")'
    order.save(update_fields=["commodity_name"])
    response = viewer_client.get(ORDERS, {"status": "paid", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    names = {r[0]: r[9] for r in rows[1:]}
    assert names[order.order_id] == "'" + order.commodity_name
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names.values())


def test_an_order_row_says_its_discount_its_other_lines_and_its_device(viewer_client: Client) -> None:
    device = DeviceFactory(name="前门 <b>门铃</b>")
    OrderFactory(order_id="1740000000000A", line_count=3, device=device)
    OrderFactory(
        order_id="1740000000000B",
        amount_origin=Decimal("9.90"),
        commodity_name="",
        commodity_code="",
        device_id="vd-unknown",
    )
    html = viewer_client.get(reverse("mall:order-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    first = html[html.index("1740000000000A/") : html.index("</tr>", html.index("1740000000000A/"))]
    assert "+2 lines" in first
    assert (
        '<s class="muted" title="original amount"><span class="visually-hidden">original amount</span>'
        in first
    )
    assert f"/devices/{device.device_id}/" in first and "前门 &lt;b&gt;门铃&lt;/b&gt;" in first
    second = html[html.index("1740000000000B/") : html.index("</tr>", html.index("1740000000000B/"))]
    assert "<s " not in second and "line" not in second and "<td>—</td>" in second
    assert (
        '<code class="muted">vd-unknown</code>' in second
    )  # a device the mirror has not seen: its id, no link
    zh = viewer_client.get(reverse("mall:order-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "原价金额" in zh and "+2 行" in zh
