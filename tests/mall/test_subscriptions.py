"""Subscriptions: no next billing for ended ones; the list says its order; renewal failures on the overview."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.test import Client

from tests.mall.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def test_cancelled_and_expired_show_no_next_billing(viewer_client: Client) -> None:
    live = SubscriptionFactory(status=1)
    ended = [SubscriptionFactory(status=4), SubscriptionFactory(status=5)]
    html = viewer_client.get("/mall/subscriptions/").content.decode()
    assert live.next_at is not None and html.count('<td class="nowrap">—</td>') == 2
    assert "按订单时间从新到旧" in html
    for s in ended:
        page = viewer_client.get(f"/mall/subscriptions/{s.subscribe_id}/").content.decode()
        assert s.next_at.strftime("%Y-%m-%d") not in page
    rows = list(
        csv.reader(
            io.StringIO(viewer_client.get("/mall/subscriptions/?format=csv").getvalue().decode("utf-8-sig"))
        )
    )
    next_billing = {row[0]: row[2] for row in rows[1:]}
    assert next_billing[live.subscribe_id] and not any(next_billing[s.subscribe_id] for s in ended)


def test_renewal_failures_are_a_kpi_linking_to_the_filtered_list(viewer_client: Client) -> None:
    cache.clear()
    SubscriptionFactory.create_batch(2, status=3)
    SubscriptionFactory(status=1)
    html = viewer_client.get("/").content.decode()
    assert 'href="/mall/subscriptions/?status=3"' in html
    link = html.split('href="/mall/subscriptions/?status=3"')[1]
    assert '<span class="kpi-value">2</span>' in link[:200]
    listed = viewer_client.get("/mall/subscriptions/?status=3").content.decode()
    assert listed.count("badge badge-") >= 2
