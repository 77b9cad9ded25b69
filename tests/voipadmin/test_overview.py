"""The overview: KPIs equal what the cloud holds, bounded queries, a short cache, empty states, SVG charts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.models import ReconciliationRun
from devices.services.sync import devices_sync
from mall.models import Order
from mall.selectors import mirror_changed
from mall.services.sync import mall_sync
from mall.services.upsert import order_day_totals_rebuild
from tests.factories import DeviceFactory, DeviceServiceFactory, VoipAuthStateFactory
from tests.fixtures.sandbox import Sandbox
from tests.mall.factories import OrderFactory, SubscriptionFactory
from voipadmin.console import overview
from voipadmin.console.templatetags.charts import bar_chart, column_chart, grouped_money, nice_ticks
from voipadmin.core.models import SyncRun

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    # The database cache table outlives a test's flush; a cached overview of another test must not leak in.
    if request.node.get_closest_marker("django_db"):
        cache.clear()


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# -- the figures against the sandbox's own counts ----------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_kpis_equal_what_the_sandbox_holds(sandbox_settings: Sandbox, ops_client: Client) -> None:
    assert devices_sync().state == SyncRun.State.SUCCEEDED
    assert mall_sync(trigger="test").state == SyncRun.State.SUCCEEDED
    stats = sandbox_settings.stats()

    figures = overview.compute_overview()

    assert dict(figures.orders_by_status) == {k: v for k, v in stats["orders_by_status"].items() if v}
    assert figures.orders_ever == stats["orders"]
    assert figures.subscriptions == stats["subscriptions"]
    assert figures.active_subscriptions == stats["subscriptions_by_status"].get("1", 0)
    assert figures.voip_devices == stats["voip_devices"]
    assert figures.devices == stats["devices"]
    # No reconciliation has compared with WeChat yet: nothing is in drift, every VoIP device is unchecked.
    assert figures.drift_devices == 0 and figures.unchecked_devices == stats["voip_devices"]

    today = timezone.localdate()
    window = Order.objects.filter(created_at__gte=_day_start(today - dt.timedelta(days=29)))
    assert figures.orders_30d == window.count() > 0
    assert (
        figures.orders_7d == window.filter(created_at__gte=_day_start(today - dt.timedelta(days=6))).count()
    )
    assert figures.orders_today == window.filter(created_at__gte=_day_start(today)).count()

    paid = window.filter(status__in=overview.PAID_LIKE).values("currency").annotate(total=Sum("amount_trade"))
    expected = {row["currency"]: row["total"] for row in paid}
    assert dict(figures.revenue_30d) == expected
    assert all(isinstance(amount, Decimal) for amount in expected.values())
    for currency, series in figures.revenue_per_day.items():
        assert len(series) == overview.WINDOW_DAYS
        assert sum((amount for _day, amount in series), Decimal(0)) == expected[currency]

    assert figures.last_sync["devices"].state == "succeeded"
    assert figures.last_sync["mall"].state == "succeeded"

    # The page shows the same numbers, each linking to the list behind it.
    html = ops_client.get("/", **EN).content.decode()
    assert f'href="/mall/orders/?from={today}&amp;to={today}"' in html
    assert f"{figures.orders_30d}</span>" in html
    for currency, amount in figures.revenue_30d:
        assert f'{grouped_money(amount)} <span class="kpi-unit">{currency}</span>' in html
    assert "/mall/subscriptions/?status=1" in html and "/devices/?voip=yes" in html
    assert "/devices/?auth=drift&amp;voip=yes" in html and "/devices/?expiring=7" in html


# -- queries and the cache ---------------------------------------------------------------------------------
def _mirror(n: int) -> None:
    """``n`` orders over the last weeks, devices with services and auth states, subscriptions, sync runs."""
    now = timezone.now()
    for i in range(n):
        OrderFactory(
            created_at=now - dt.timedelta(hours=7 * i),
            status=("paid", "refunded", "finished", "created")[i % 4],
            currency=("CNY", "USD")[i // 2 % 2],
            site_code=("CN", "US")[i // 2 % 2],
        )
        auth = VoipAuthStateFactory(device=DeviceFactory(), wechat_authorized=bool(i % 3))
        DeviceServiceFactory(device=auth.device, end_at=now + dt.timedelta(days=i % 10))
        SubscriptionFactory(status=1 + i % 3)
    order_day_totals_rebuild()
    SyncRun.objects.create(kind="devices", state="succeeded", finished_at=now)
    SyncRun.objects.create(kind="mall", state="partial", finished_at=now, errors=["a", "b"])


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_queries_are_bounded_and_do_not_grow_with_rows(
    ops_client: Client, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    _mirror(4)
    with django_assert_max_num_queries(20):
        assert ops_client.get("/").status_code == 200
    cache.clear()
    few = _queries(ops_client)

    _mirror(40)
    cache.clear()
    assert _queries(ops_client) == few


@pytest.mark.django_db
def test_a_second_request_within_the_expiry_is_served_from_the_cache(
    ops_client: Client, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    _mirror(6)
    cold = _queries(ops_client)
    # Session, user and role, plus the mirror version and the cached figures: no aggregate runs again. The
    # alerts bell's COUNT and the pinned views' one query are the other two.
    with django_assert_max_num_queries(7):
        warm = ops_client.get("/")
    assert cold - _queries(ops_client) >= 6
    assert warm.status_code == 200


@pytest.mark.django_db
def test_a_mall_sync_makes_the_cached_figures_stale(ops_client: Client) -> None:
    first = overview.overview_figures()
    assert first.orders_today == 0
    OrderFactory(created_at=timezone.now())
    order_day_totals_rebuild()
    assert overview.overview_figures().orders_today == 0  # still the cached copy
    mirror_changed()  # what the sync's commit does
    assert overview.overview_figures().orders_today == 1


# -- states ------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_empty_mirror_says_the_first_sync_fills_it(persona_client: Client) -> None:
    response = persona_client.get("/", **EN)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "No data yet — the first sync fills it." in html
    assert "No reconciliation run yet." in html
    assert "no run yet" in html
    assert "<svg" not in html  # no chart of nothing


@pytest.mark.django_db
def test_the_greeting_names_the_user(ops_client: Client) -> None:
    html = ops_client.get("/", **EN).content.decode()
    assert re.search(r"<h1>Overview · good (morning|afternoon|evening), ops-user</h1>", html)


@pytest.mark.django_db
def test_the_htmx_answer_is_the_body_alone(ops_client: Client) -> None:
    response = ops_client.get("/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="overview-body"') and "<h1" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_charts_are_drawn_with_a_text_alternative(ops_client: Client) -> None:
    _mirror(8)
    html = ops_client.get("/", **EN).content.decode()
    svgs = re.findall(r"<svg[^>]*>", html)
    assert len(svgs) >= 3  # revenue CNY, revenue USD, orders per status
    for svg in svgs:
        assert 'role="img"' in svg and "aria-labelledby=" in svg
    assert html.count("<title id=") == html.count("<desc id=") == len(svgs)
    assert html.count('<details class="chart-data">') == len(svgs)
    assert "/mall/orders/?status=refunded" in html


@pytest.mark.django_db
def test_without_a_run_the_reconciliation_kpi_and_chart_are_empty() -> None:
    figures = overview.compute_overview()
    assert figures.last_reconciliation is None and figures.drift_per_run == []


@pytest.mark.django_db
def test_reconciliation_runs_fill_the_kpi_and_the_drift_chart(ops_client: Client) -> None:
    runs = [
        ReconciliationRun.objects.create(
            trigger="user", state="succeeded", counts={"checked": 9, "drift_found": n}
        )
        for n in (4, 0, 7)
    ]
    ReconciliationRun.objects.create(
        trigger="user", state="succeeded", dry_run=True, counts={"drift_found": 9}
    )
    ReconciliationRun.objects.create(
        trigger="user", state="failed", device_scope="vdevo1", counts={"drift_found": 1}
    )
    ReconciliationRun.objects.create(trigger="user", state="failed", counts={"drift_found": "bad"})
    figures = overview.compute_overview()
    # Dry runs and one-device checks stay out of the chart; a count that is no number reads "?".
    assert [r.drift_found for r in figures.drift_per_run] == [4, 0, 7, None]
    assert figures.last_reconciliation.state == "failed"
    html = ops_client.get("/", **EN).content.decode()
    assert 'id="drift-title"' in html
    assert f'href="/reconciliation/{runs[0].pk}/"' in html
    assert "No reconciliation run yet." not in html


# -- the chart tags ----------------------------------------------------------------------------------------
def test_nice_ticks_end_on_a_round_number_at_or_above_the_top() -> None:
    assert nice_ticks(0) == [0.0, 1.0]
    assert nice_ticks(7)[-1] >= 7 and len(nice_ticks(7)) <= 5
    assert nice_ticks(1234.5)[-1] == 1500
    assert nice_ticks(100) == [0, 25, 50, 75, 100]


def test_charts_escape_labels_and_name_themselves() -> None:
    svg = bar_chart([("<b>x</b>", 3, "bad")], chart_id="c", title="T & t", desc="D")
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "T &amp; t" in svg
    assert 'aria-labelledby="c-title c-desc"' in svg and 'class="chart-bar chart-bar-bad"' in svg
    col = column_chart(
        [("03-01", Decimal("0.10"), "a"), ("03-02", Decimal("0"), "b")], chart_id="m", title="M", desc="d"
    )
    assert col.count("<rect") == 1  # a zero day draws no bar


def test_grouped_money_is_exact() -> None:
    assert grouped_money(Decimal("1234567.5")) == "1,234,567.50"
    assert grouped_money(Decimal("-1000.0001")) == "-1,000.0001"
    assert grouped_money(Decimal("0")) == "0.00"
    assert grouped_money(None) == "—"


def test_the_drift_chart_leaves_dry_runs_out_and_names_each_column_once(ops_client: Client) -> None:
    from devices.models import ReconciliationRun

    real = [
        ReconciliationRun.objects.create(
            trigger="beat", state="succeeded", counts={"checked": 9, "drift_found": n}
        )
        for n in (3, 1)
    ]
    dry = ReconciliationRun.objects.create(
        trigger="user", state="succeeded", dry_run=True, counts={"checked": 9, "drift_found": 5}
    )
    figures = overview.compute_overview()
    assert [r.pk for r in figures.drift_per_run] == [r.pk for r in real]
    html = ops_client.get("/", **EN).content.decode()
    chart = html.split('id="drift-title"')[1].split("</svg>")[0]
    labels = re.findall(r'<text class="chart-axis" x="[^"]+" y="[^"]+" text-anchor="middle">([^<]+)<', chart)
    assert labels == [f"#{r.pk}" for r in real] and f"#{dry.pk}" not in labels
