"""The mall's codes read as words in the zh interface: no JSAPI, NORMAL or CLOUD_STORAGE left raw."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.mall.factories import MallFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_order_detail_names_its_codes(viewer_client: Client) -> None:
    MallFactory(mall_code="MALL0001", site_code="CN", catalog_code="CLOUD_STORAGE")
    order = OrderFactory(mall_code="MALL0001", site_code="CN", trade_type="JSAPI", order_type_code="NORMAL")
    html = viewer_client.get(f"/mall/orders/{order.order_id}/").content.decode()
    assert "微信支付（小程序）" in html and "JSAPI" not in html
    assert "NORMAL" not in html and "CLOUD_STORAGE" not in html
    assert '<span aria-current="page">' in html  # the breadcrumb ends in this order
