"""Saved views: saved from a list's URL (normalized), tabs on the list, owner-only changes, ops pin a tile."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.mall.factories import OrderFactory
from voipadmin.core.models import SavedView
from voipadmin.core.roles import OPS, SUPPORT
from voipadmin.core.saved_views import normalize, view_count

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_query_is_normalized_filters_only_sorted_without_empties() -> None:
    assert normalize("status=refunded&page=3&q=&status=paid&cursor=x&format=csv&mall=M1") == (
        "mall=M1&status=paid&status=refunded"
    )
    assert normalize("") == ""


@pytest.mark.parametrize(
    "path", ["/devices/", "/homes/", "/mall/orders/", "/mall/subscriptions/", "/audit/", "/syncs/"]
)
def test_every_list_offers_save_this_view(viewer_client: Client, path: str) -> None:
    body = viewer_client.get(path, **EN).content.decode()
    assert 'action="/views/save/"' in body and "Save this view" in body


def test_saving_a_view_redirects_to_it_and_it_shows_as_the_current_tab(support_client: Client) -> None:
    data = {"list_name": "orders", "name": "Stuck", "query": "status=paying&page=2&status=created"}
    response = support_client.post("/views/save/", data)
    assert (
        response.status_code == 302 and response["Location"] == "/mall/orders/?status=created&status=paying"
    )
    view = SavedView.objects.get()
    assert (view.query, view.shared) == ("status=created&status=paying", False)
    body = support_client.get("/mall/orders/?status=paying&status=created", **EN).content.decode()
    assert 'aria-current="page">Stuck' in body
    other = support_client.get("/mall/orders/?status=paid", **EN).content.decode()
    assert ">Stuck" in other and 'aria-current="page">Stuck' not in other


def test_a_private_view_is_its_owners_a_shared_one_is_seen_by_all_and_changed_by_its_owner(
    make_user: Any,
) -> None:
    owner, other = make_user(SUPPORT, "owner"), make_user(SUPPORT, "other")
    private = SavedView.objects.create(owner=owner, list_name="devices", name="Mine", query="voip=yes")
    shared = SavedView.objects.create(
        owner=owner, list_name="devices", name="Team", query="auth=drift", shared=True
    )
    client = Client()
    client.force_login(other)
    body = client.get("/devices/", **EN).content.decode()
    assert ">Team" in body and ">Mine" not in body
    assert client.post(f"/views/{shared.pk}/rename/", {"name": "x"}).status_code == 403
    assert client.post(f"/views/{shared.pk}/delete/").status_code == 403
    assert client.post(f"/views/{private.pk}/delete/").status_code == 404
    assert "only its owner changes it" in client.get("/views/", **EN).content.decode()
    mine = Client()
    mine.force_login(owner)
    assert mine.post(f"/views/{shared.pk}/rename/", {"name": "Drift"}).status_code == 302
    assert SavedView.objects.get(pk=shared.pk).name == "Drift"
    assert mine.post(f"/views/{shared.pk}/rename/", {"name": "Mine"}).status_code == 302  # taken: refused
    assert SavedView.objects.get(pk=shared.pk).name == "Drift"
    assert mine.post(f"/views/{shared.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def test_bad_input_is_a_4xx(support_client: Client) -> None:
    assert support_client.post("/views/save/", {"list_name": "nope", "name": "x"}).status_code == 400
    assert support_client.post("/views/save/", {"list_name": "orders", "name": ""}).status_code == 400
    assert support_client.post("/views/save/", {"list_name": "orders", "name": "x" * 61}).status_code == 400
    assert support_client.post("/views/999/rename/", {"name": "x"}).status_code == 404
    assert support_client.get("/views/save/").status_code == 405


def test_ops_pin_a_shared_view_and_the_overview_counts_it_with_the_selector(
    make_user: Any, django_assert_max_num_queries: Any
) -> None:
    ops: User = make_user(OPS, "ops")
    support: User = make_user(SUPPORT, "sup")
    for status in ("paying", "paying", "created", "paid"):
        OrderFactory(status=status)
    view = SavedView.objects.create(
        owner=support,
        list_name="orders",
        name="Awaiting payment",
        query="status=created&status=paying",
        shared=True,
    )
    private = SavedView.objects.create(owner=ops, list_name="orders", name="Private", query="")
    client, sup = Client(), Client()
    client.force_login(ops)
    sup.force_login(support)
    assert sup.post(f"/views/{view.pk}/pin/", {"pinned": "on"}).status_code == 403
    assert (
        client.post(f"/views/{private.pk}/pin/", {"pinned": "on"}).status_code == 404
    )  # private: never a tile
    assert client.post(f"/views/{view.pk}/pin/", {"pinned": "on"}).status_code == 302
    assert view_count(view) == 3
    body = client.get("/", **EN).content.decode()
    assert f'id="pinned-{view.pk}"' in body and "Awaiting payment" in body
    with django_assert_max_num_queries(1):
        assert view_count(view) == 3  # cached: one cache read, no COUNT


def test_a_tile_counts_with_the_lists_selector_for_each_list(make_user: Any) -> None:
    owner = make_user(OPS, "o")
    for list_name, query in [
        ("devices", "voip=yes"),
        ("homes", "q=x"),
        ("subscriptions", "status=1"),
        ("audit", "result=ok"),
        ("syncs", "kind=mall"),
    ]:
        view = SavedView.objects.create(owner=owner, list_name=list_name, name=list_name, query=query)
        assert view_count(view) == 0
    broken = SavedView.objects.create(owner=owner, list_name="orders", name="b", query="from=not-a-date")
    assert view_count(broken) is None
