"""The customer page from factories: what it lists, and a query count that does not grow with the customer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from devices.models import HomeMember, ReconciliationItem, ReconciliationRun
from tests.factories import (
    AuditEventFactory,
    CloudUserFactory,
    DeviceFactory,
    HomeFactory,
    VoipAuthStateFactory,
)
from tests.mall.factories import OrderFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _customer(orders: int) -> dict:
    home, elsewhere = HomeFactory(), HomeFactory()
    user, fellow, stranger = CloudUserFactory(), CloudUserFactory(), CloudUserFactory()
    now = timezone.now()
    for u in (user, fellow):
        HomeMember.objects.create(user=u, home=home, synced_at=now)
    HomeMember.objects.create(user=stranger, home=elsewhere, synced_at=now)
    mine = DeviceFactory(home=home)
    VoipAuthStateFactory(device=mine, user=fellow)
    other = DeviceFactory(home=elsewhere)
    for n in range(orders):
        OrderFactory(user_id=user.user_id, currency="CNY" if n % 2 else "USD")
        SubscriptionFactory(user_id=user.user_id)
        AuditEventFactory(device_id=mine.device_id)
    run = ReconciliationRun.objects.create(trigger="user", state="succeeded")
    ReconciliationItem.objects.create(run=run, device_id=mine.device_id, drift=True, outcome="reported")
    OrderFactory(user_id=stranger.user_id)
    return {"user": user, "fellow": fellow, "stranger": stranger, "mine": mine, "other": other}


def test_a_customer_who_authorizes_no_device_has_a_page_with_homes_devices_and_orders(
    viewer_client: Client,
) -> None:
    c = _customer(orders=3)
    html = viewer_client.get(f"/users/{c['user'].user_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert c["mine"].device_id in html and c["other"].device_id not in html
    assert f'href="/users/{c["fellow"].user_id}/"' in html and c["stranger"].user_id not in html
    assert "CNY" in html and "USD" in html
    assert html.count("<li><time") == 3 + 3 + 3 + 1  # orders, subscriptions, audit events, one finding


def test_an_unknown_customer_is_404(viewer_client: Client) -> None:
    assert viewer_client.get("/users/nobody/").status_code == 404


@pytest.mark.parametrize("orders", [1, 60])
def test_the_query_count_does_not_grow_with_the_customer(
    viewer_client: Client, django_assert_max_num_queries, orders: int
) -> None:
    c = _customer(orders=orders)
    with django_assert_max_num_queries(17):  # 16 of its own and the alerts bell's count
        response = viewer_client.get(f"/users/{c['user'].user_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<li><time") <= 50


def test_the_totals_say_what_was_paid_not_the_sum_of_every_order(viewer_client: Client) -> None:
    user = CloudUserFactory()
    for status, amount in (
        ("paid", "10.00"),
        ("finished", "5.50"),
        ("closed", "99.00"),
        ("refunded", "7.00"),
    ):
        OrderFactory(user_id=user.user_id, currency="CNY", status=status, amount_trade=amount)
    html = viewer_client.get(f"/users/{user.user_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "4 orders in CNY, paid 15.50 CNY (2 paid)" in html
