"""Input a client can send never makes a 500: odd page numbers, ids with bytes no id has."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LISTS = ["/devices/", "/homes/", "/audit/", "/reconciliation/", "/mall/commodities/"]
ID_PAGES = [
    "/devices/{}/",
    "/homes/{}/",
    "/users/{}/",
    "/mall/orders/{}/",
    "/mall/subscriptions/{}/",
    "/mall/commodities/{}/",
    "/mall/services/{}/",
    "/devices/{}/panels/voip/",
]


@pytest.mark.parametrize("page", ["²", "①", "٣", "1e3", "-1", "99999999999999999999", "0x10", " 2"])
@pytest.mark.parametrize("path", LISTS)
def test_a_page_number_that_is_no_number_is_page_one(ops_client: Client, path: str, page: str) -> None:
    assert ops_client.get(path, {"page": page}).status_code == 200


@pytest.mark.parametrize("bad", ["%00", "a%00b", "%20", "x" * 65, "%E2%80%AE", "..%2F", "%F0%9F%98%80"])
@pytest.mark.parametrize("pattern", ID_PAGES)
def test_an_id_with_bytes_no_id_has_is_a_404(ops_client: Client, pattern: str, bad: str) -> None:
    assert ops_client.get(pattern.format(bad)).status_code == 404


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
@pytest.mark.parametrize("bound", ["from", "to"])
@pytest.mark.parametrize("path", ["/mall/orders/", "/audit/", "/mall/subscriptions/"])
def test_a_date_out_of_range_is_a_400_with_a_message(
    ops_client: Client, path: str, bound: str, day: str
) -> None:
    response = ops_client.get(path, {bound: day}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Pick a date between 2000-01-01 and 2099-12-31." in response.content.decode()
