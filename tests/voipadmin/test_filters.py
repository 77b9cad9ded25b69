"""The one list filter: the URL is the state, chips clear one value, presets, one date-range name, 400s."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from mall.services.upsert import order_day_totals_rebuild
from tests.factories import DeviceFactory, HomeFactory
from tests.mall.factories import MallFactory, OrderFactory
from voipadmin.core.models import AuditEvent

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LISTS = ["/devices/", "/homes/", "/mall/orders/", "/mall/subscriptions/", "/audit/"]


@pytest.fixture
def orders() -> None:
    cache.clear()
    MallFactory(mall_code="MALL0001", site_code="CN", currency="CNY")
    for n, status in enumerate(["paid", "refunded", "finished", "created"] * 3):
        OrderFactory(status=status, amount_trade=f"{1000 + n}.00", currency="CNY")
    order_day_totals_rebuild()


def _chips(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="chip" href="([^"]*)"[^>]*>([^<]*)<', html)


@pytest.mark.parametrize("path", LISTS)
def test_the_filter_form_asks_its_own_path_and_its_own_controls(viewer_client: Client, path: str) -> None:
    html = viewer_client.get(path, {"q": "x"} if path != "/audit/" else {"actor": "x"}).content.decode()
    form = re.search(r'<form id="[a-z-]+-filters"[^>]*>', html).group(0)
    assert f'hx-get="{path}"' in form and f'action="{path}"' in form
    assert "from:select" not in form and "from:input" not in form and 'hx-get=""' not in html
    assert "data-filter-fold" in html  # folds on a phone; a <details> works without JS


def test_unticking_both_statuses_unfilters_list_and_totals(viewer_client: Client, orders: None) -> None:
    filtered = viewer_client.get("/mall/orders/?status=paid&status=refunded", **HTMX)
    html = filtered.content.decode()
    assert html.count('class="badge') == 6
    chips = _chips(html)
    assert [text.strip() for _url, text in chips][:2] == ["状态: 已支付", "状态: 已退款"]
    assert chips[0][0] == "/mall/orders/?status=refunded"
    assert chips[1][0] == "/mall/orders/?status=paid"
    # The form sends only what is ticked: none ticked is no status at all.
    everything = viewer_client.get("/mall/orders/", **HTMX).content.decode()
    assert everything.count('class="badge') == 12 and not _chips(everything)
    totals = viewer_client.get("/mall/orders/totals/", **HTMX).content.decode()
    assert "12 个订单" in totals or "12 orders" in totals
    paid = viewer_client.get("/mall/orders/totals/?status=paid", **HTMX).content.decode()
    assert "3 个订单" in paid or "3 orders" in paid


def test_chips_presets_and_the_fold_in_english(viewer_client: Client, orders: None) -> None:
    html = viewer_client.get("/mall/orders/?status=paid&site=CN", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert [text.strip() for _url, text in _chips(html)] == ["Status: paid", "Site: CN"]
    assert "Filters (2)</summary>" in html and ">Clear all</a>" in html
    assert ">Today</a>" in html and ">This month</a>" in html
    zh = viewer_client.get("/mall/orders/?status=paid&site=CN").content.decode()
    assert "筛选 (2)</summary>" in zh and ">全部清除</a>" in zh and ">本月</a>" in zh


def test_a_chip_drops_the_cursor_and_keeps_the_rest(viewer_client: Client, orders: None) -> None:
    html = viewer_client.get("/mall/orders/?status=paid&q=&mall=MALL0001", **HTMX).content.decode()
    urls = [url for url, _text in _chips(html)]
    assert "/mall/orders/?mall=MALL0001" in urls and "/mall/orders/?status=paid" in urls
    assert all("q=" not in url and "cursor" not in url for url in urls)
    assert '<a class="chip chip-clear" href="/mall/orders/"' in html  # clear all


@pytest.mark.parametrize("path", ["/mall/orders/", "/mall/subscriptions/", "/audit/"])
def test_every_dated_list_takes_from_and_to_and_offers_presets(viewer_client: Client, path: str) -> None:
    today = timezone.localdate()
    week = (today - dt.timedelta(days=6)).isoformat()
    response = viewer_client.get(path, {"from": week, "to": today.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{path}?from={week}&amp;to={today.isoformat()}" in html
    assert 'aria-current="true">7 天<' in html or 'aria-current="true">7 days<' in html
    assert viewer_client.get(path, {"from": today.isoformat(), "to": week}).status_code == 400


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/mall/orders/", "status=lost"),
        ("/mall/orders/", "from=2026-02-30"),
        ("/mall/orders/", "cursor=forged"),
        ("/mall/orders/", "format=xls"),
        ("/mall/subscriptions/", "status=x"),
        ("/devices/", "expiring=soon"),
        ("/devices/", "auth=maybe"),
        ("/homes/", "q=" + "x" * 201),
        ("/audit/", "action=drop_tables"),
        ("/audit/", "from=2026-02-01&to=2026-01-01"),
    ],
)
def test_an_invalid_filter_is_the_page_with_the_error_and_a_400(
    viewer_client: Client, path: str, query: str
) -> None:
    response = viewer_client.get(f"{path}?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="form-error" role="alert"' in html and "<h1>" in html
    fragment = viewer_client.get(f"{path}?{query}", **HTMX)
    assert fragment.status_code == 400 and fragment["X-Error-Fragment"] == "1"


def test_audit_filters_by_several_actions_and_dates(viewer_client: Client) -> None:
    for action in ["reconcile_fix", "schedule_update", "voip_auth_recheck"]:
        AuditEvent.objects.create(actor_name="ops", action=action, result="ok")
    page = viewer_client.get("/audit/?action=reconcile_fix&action=schedule_update").context["page"]
    assert {e.action for e in page.object_list} == {"reconcile_fix", "schedule_update"}
    old = timezone.localdate() - dt.timedelta(days=3)
    assert not viewer_client.get(f"/audit/?to={old}").context["page"].object_list


def test_the_device_list_pages_in_bounded_queries(
    viewer_client: Client, django_assert_max_num_queries: Callable
) -> None:
    home = HomeFactory()
    DeviceFactory.create_batch(30, home=home)
    with django_assert_max_num_queries(8):
        assert viewer_client.get("/devices/?voip=yes", **HTMX).status_code == 200
    with django_assert_max_num_queries(8):
        assert viewer_client.get("/homes/?q=a", **HTMX).status_code == 200


def test_the_orders_list_and_its_totals_in_bounded_queries(
    viewer_client: Client, orders: None, django_assert_max_num_queries: Callable
) -> None:
    with django_assert_max_num_queries(8):
        assert viewer_client.get("/mall/orders/?status=paid", **HTMX).status_code == 200
    # Cold: the database cache's own reads and writes (version, key, set) come on top of the one sum.
    with django_assert_max_num_queries(13):
        assert viewer_client.get("/mall/orders/totals/?status=paid", **HTMX).status_code == 200
    with django_assert_max_num_queries(8):
        assert viewer_client.get("/audit/?result=ok", **HTMX).status_code == 200


def test_subscriptions_and_a_runs_items_in_bounded_queries(
    viewer_client: Client, django_assert_max_num_queries: Callable
) -> None:
    from devices.models import ReconciliationItem, ReconciliationRun
    from tests.mall.factories import SubscriptionFactory

    SubscriptionFactory.create_batch(30)
    run = ReconciliationRun.objects.create(trigger="user", state="succeeded")
    ReconciliationItem.objects.bulk_create(
        ReconciliationItem(run=run, device_id=f"dev{n:04d}", outcome="fixed") for n in range(30)
    )
    with django_assert_max_num_queries(8):
        assert viewer_client.get("/mall/subscriptions/?status=1", **HTMX).status_code == 200
    with django_assert_max_num_queries(8):
        assert viewer_client.get(f"/reconciliation/{run.pk}/?outcome=fixed", **HTMX).status_code == 200


def test_the_audit_log_exports_its_filter_as_csv(viewer_client: Client) -> None:
    import csv
    import io

    AuditEvent.objects.create(actor_name="ops", action="reconcile_fix", result="ok", device_id="devA")
    AuditEvent.objects.create(actor_name="ops", action="schedule_update", result="failed")
    page = viewer_client.get("/audit/?action=reconcile_fix").content.decode()
    assert 'href="/audit/?action=reconcile_fix&amp;format=csv"' in page
    response = viewer_client.get("/audit/?action=reconcile_fix&format=csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "操作人", "动作"] or rows[0][0] == "时间"
    assert [r[2] for r in rows[1:]] == ["对账修复"] and rows[1][4] == "devA"  # the action in words
    assert viewer_client.get("/audit/?format=xls").status_code == 400


@pytest.mark.django_db
def test_a_field_in_error_names_its_message_for_screen_readers(viewer_client: Client) -> None:
    response = viewer_client.get("/audit/", {"from": "1999-01-01"})
    assert response.status_code == 400
    html = response.content.decode()
    described = re.search(r'name="from"[^>]*aria-describedby="([^"]+)"', html)
    assert described is not None
    assert f'id="{described.group(1)}"' in html


def test_a_form_built_once_still_reads_the_malls_of_this_request_and_speaks_its_language(
    viewer_client: Client, orders: None
) -> None:
    """The form class is built once per list; the mall and site choices are read per request, the words per reader."""
    first = viewer_client.get("/mall/orders/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        '<option value="MALL0001">' in first
        and "MALL0002" not in first
        and '<option value="US">' not in first
    )
    assert "<legend>Status</legend>" in first
    MallFactory(mall_code="MALL0002", site_code="US", currency="USD")
    then = viewer_client.get("/mall/orders/?mall=MALL0002&site=US", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert then.status_code == 200
    page = then.content.decode()
    assert '<option value="MALL0002" selected>' in page and '<option value="US" selected>' in page
    assert "<legend>状态</legend>" in page
