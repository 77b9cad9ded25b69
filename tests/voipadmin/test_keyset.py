"""Keyset paging (voipadmin/core/keyset.py) and the lists that page by it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.models import Device, Home, ReconciliationRun
from devices.selectors import DEVICE_PAGES, HOME_PAGES
from devices.services.sync import home_device_counts_keep
from tests.factories import AuditEventFactory, DeviceFactory, HomeFactory
from voipadmin.core import keyset as keyset_module
from voipadmin.core.keyset import Keyset, KeysetPage, Total, list_total
from voipadmin.core.models import Alert, AlertRule, AuditEvent, SyncRun
from voipadmin.core.templatetags.list_tags import total_label

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# A nullable column in both directions, ties on it and on the name, the primary key last; and the orders of
# NOT NULL columns all one way, which page by one row comparison.
ORDERS = [
    ("name", "device_id"),
    ("-name", "-device_id"),
    ("cloud_modified_at", "device_id"),
    ("-cloud_modified_at", "-device_id"),
    ("-cloud_modified_at", "name", "device_id"),
    ("name", "-cloud_modified_at", "-device_id"),
]


def _expected(rows: list[Device], order: tuple[str, ...]) -> list[str]:
    """The order in Python, NULL above every value whichever the direction (as the module promises)."""
    rows = list(rows)
    for name in reversed(order):
        field = name.lstrip("-")
        rows.sort(key=lambda r: (getattr(r, field) is None, getattr(r, field) or ""), reverse=name[0] == "-")
    return [r.device_id for r in rows]


def _walk(keyset: Keyset, per_page: int) -> list[KeysetPage]:
    pages = [keyset.page(Device.objects.all(), cursor=None, per_page=per_page)]
    while pages[-1].next_cursor:
        cursor = keyset.decode(pages[-1].next_cursor)
        pages.append(keyset.page(Device.objects.all(), cursor=cursor, per_page=per_page))
    return pages


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["", "门铃", "a", "b"]), st.one_of(st.none(), st.integers(0, 3))),
        max_size=14,
    ),
    per_page=st.integers(1, 4),
    order=st.sampled_from(ORDERS),
)
def test_every_row_once_forwards_and_the_same_pages_backwards(
    rows: list[tuple[str, int | None]], per_page: int, order: tuple[str, ...]
) -> None:
    with transaction.atomic():
        Device.objects.all().delete()
        Device.objects.bulk_create(
            Device(
                device_id=f"d{i:03d}",
                name=name,
                cloud_modified_at=None if minutes is None else T0 + dt.timedelta(minutes=minutes),
                synced_at=T0,
            )
            for i, (name, minutes) in enumerate(rows)
        )
        keyset = Keyset("test", order)
        pages = _walk(keyset, per_page)
        seen = [d.device_id for p in pages for d in p]
        assert seen == _expected(list(Device.objects.all()), order)
        assert all(len(p) == per_page for p in pages[:-1])
        # Back from the last page by "previous" gives every earlier page again, the first one last.
        back = [pages[-1]]
        while back[-1].prev_cursor:
            cursor = keyset.decode(back[-1].prev_cursor)
            back.append(keyset.page(Device.objects.all(), cursor=cursor, per_page=per_page))
        assert [[d.device_id for d in p] for p in reversed(back)] == [[d.device_id for d in p] for p in pages]
        transaction.set_rollback(True)


def _cursor(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="[^"]*cursor=([^"&]+)', html)
    return found and found.group(1).replace("%3A", ":").replace("%2F", "/")


def test_devices_list_round_trip_and_back_from_page_three(viewer_client: Client) -> None:
    home = HomeFactory()
    for i in range(130):
        DeviceFactory(home=home, name=f"Doorbell {i % 7}")  # ties on the name
    url = reverse("devices:device-list")
    pages, response = [], viewer_client.get(url)
    while True:
        page = response.context["page"]
        pages.append([d.device_id for d in page])
        if not page.next_cursor:
            break
        response = viewer_client.get(url, {"cursor": page.next_cursor})
    seen = [pk for p in pages for pk in p]
    assert len(pages) == 3 and len(seen) == len(set(seen)) == 130
    assert seen == list(DEVICE_PAGES.ordered(Device.objects.all()).values_list("pk", flat=True))
    # On page 3, "Previous" twice is page 1 again; "First" is the list without a cursor.
    html = response.content.decode()
    assert ('rel="next"' not in html and ">First<" in html) or ">第一页<" in html
    second = viewer_client.get(url, {"cursor": response.context["page"].prev_cursor})
    first = viewer_client.get(url, {"cursor": second.context["page"].prev_cursor})
    assert [d.device_id for d in second.context["page"]] == pages[1]
    assert [d.device_id for d in first.context["page"]] == pages[0]
    assert first.context["page"].prev_cursor is None


def test_a_new_filter_and_its_chips_drop_the_cursor(viewer_client: Client) -> None:
    for i in range(60):
        DeviceFactory(name=f"Doorbell {i}")
    url = reverse("devices:device-list")
    cursor = viewer_client.get(url).context["page"].next_cursor
    html = viewer_client.get(url, {"q": "Doorbell", "cursor": cursor}, **HTMX).content.decode()
    assert 'name="cursor"' not in html  # the filter form never sends the old position
    chips = re.findall(r'<a class="chip" href="([^"]*)"', html)
    assert chips and all("cursor" not in c for c in chips)


def _forged(valid: str, other: str) -> list[str]:
    return ["forged", valid[:-3], valid[5:], valid + "A", other]


@pytest.mark.parametrize(
    "name", ["devices", "homes", "audit", "syncs", "alerts", "home", "commodities", "reconciliation"]
)
def test_a_tampered_truncated_or_other_lists_cursor_is_a_400(ops_client: Client, name: str) -> None:
    home = HomeFactory()
    devices = [DeviceFactory(home=home) for _ in range(3)]
    run = ReconciliationRun.objects.create(trigger="user")
    urls = {
        "devices": reverse("devices:device-list"),
        "homes": reverse("devices:home-list"),
        "audit": reverse("audit"),
        "syncs": reverse("syncs"),
        "alerts": reverse("alerts"),
        "home": reverse("devices:home-detail", args=[home.owner_id]),
        "commodities": reverse("mall:commodity-list"),
        "reconciliation": reverse("devices:reconciliation-detail", args=[run.pk]),
    }
    valid = DEVICE_PAGES.cursor_at(DEVICE_PAGES.keyed(Device.objects.all()).get(pk=devices[0].pk))
    other = valid if name != "devices" else HOME_PAGES.cursor_at(HOME_PAGES.keyed(Home.objects.all()).get())
    for raw in _forged(valid, other):
        for extra in ({}, HTMX):
            response = ops_client.get(urls[name], {"cursor": raw}, **extra)
            assert response.status_code == 400, (name, raw)
            html = response.content.decode()
            assert 'role="alert"' in html and ("not valid" in html or "无效" in html)


SIZES = (3, 70)


@pytest.mark.parametrize("size", SIZES)
def test_query_counts_do_not_grow_with_the_rows(
    ops_client: Client, size: int, django_assert_max_num_queries
) -> None:
    rule = AlertRule.objects.first() or AlertRule.objects.create(kind="sync_failing", threshold=1)
    for i in range(size):
        home = HomeFactory()
        DeviceFactory(home=home)
        AuditEventFactory()
        SyncRun.objects.create(kind="devices", state="ok")
        Alert.objects.create(rule=rule, key=f"k{i}", cleared_at=timezone.now())
    home_device_counts_keep()
    run = ReconciliationRun.objects.create(trigger="user")
    device = Device.objects.first()
    lists = [
        (reverse("devices:device-list"), {"q": "Door"}),
        (reverse("devices:device-list"), {"voip": "yes"}),
        (reverse("devices:home-list"), {}),
        (reverse("devices:home-detail", args=[device.home_id]), {}),
        (reverse("audit"), {}),
        (reverse("syncs"), {}),
        (reverse("alerts"), {}),
        (reverse("devices:reconciliation-detail", args=[run.pk]), {}),
    ]
    for url, params in lists:
        response = ops_client.get(url, params)
        page = response.context["page"] if "page" in response.context else response.context["cleared_page"]
        deeper = {**params, "cursor": page.next_cursor} if page.next_cursor else params
        for query in (params, deeper):
            # The same bound at 3 rows and at 70: session, user, groups, the bell, the page, its total.
            with django_assert_max_num_queries(16):
                assert ops_client.get(url, query).status_code == 200


def test_homes_show_a_kept_device_count_never_counted_per_request(viewer_client: Client) -> None:
    home = HomeFactory()
    for _ in range(3):
        DeviceFactory(home=home)
    assert Home.objects.get(pk=home.pk).device_count == 0  # nothing kept it yet
    assert home_device_counts_keep() == 1 and home_device_counts_keep() == 0  # writes only what changed
    html = viewer_client.get(reverse("devices:home-list")).content.decode()
    assert '<td class="num">3</td>' in html


@pytest.mark.parametrize(
    ("total", "english"),
    [
        (Total(1, False), "1 row"),
        (Total(1234, False), "1,234 rows"),
        (Total(12000, True), "about 12,000 rows"),
        (Total(1_200_000, True), "about 1.2 million rows"),
    ],
)
def test_a_total_says_about_only_when_it_is_an_estimate(total: Total, english: str) -> None:
    with translation.override("en"):
        assert total_label(total).endswith(f">{english}</span>")
    with translation.override("zh-hans"):
        shown = total_label(total)
        assert ("约" in shown) == total.estimated


def test_the_total_is_exact_on_sqlite_and_an_estimate_on_postgresql() -> None:
    for _ in range(5):
        AuditEventFactory()
    every, failed = (
        list_total(AuditEvent.objects.all()),
        list_total(AuditEvent.objects.filter(result="failed")),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE voipadmin_auditevent")
        keyset_module._table_rows_read.clear()  # the table's size is read once a minute: a minute has passed
        assert list_total(AuditEvent.objects.all()) == Total(5, True)
        assert failed.estimated
    else:
        assert every == Total(5, False)
        assert failed == Total(AuditEvent.objects.filter(result="failed").count(), False)


def test_a_chinese_name_is_found(viewer_client: Client) -> None:
    DeviceFactory(name="前门门铃 2")
    DeviceFactory(name="Camera")
    HomeFactory(name="我的门铃之家")
    # Three characters match anywhere in a name; two match its start (voipadmin/core/textsearch.py).
    devices = viewer_client.get(reverse("devices:device-list"), {"q": "门门铃"}).context["page"]
    homes = viewer_client.get(reverse("devices:home-list"), {"q": "门铃之"}).context["page"]
    assert [d.name for d in devices] == ["前门门铃 2"]
    assert [h["name"] for h in homes] == ["我的门铃之家"]  # the homes list reads .values()
    assert [
        d.name for d in viewer_client.get(reverse("devices:device-list"), {"q": "前门"}).context["page"]
    ] == ["前门门铃 2"]
    assert list(viewer_client.get(reverse("devices:home-list"), {"q": "门铃"}).context["page"]) == []
