"""Our error pages: translated, on the base layout with the search box and a way back; 500 without a database."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

pytestmark = pytest.mark.django_db


def _is_ours(html: str) -> None:
    assert 'id="global-search"' in html and 'href="/"' in html and "<h1" in html
    assert "Traceback" not in html and "URLconf" not in html


def test_404_in_chinese_and_english(viewer_client: Client) -> None:
    response = viewer_client.get("/devices/no-such-device/", HTTP_REFERER="http://testserver/devices/")
    assert response.status_code == 404
    html = response.content.decode()
    _is_ours(html)
    assert "未找到" in html and 'href="http://testserver/devices/"' in html
    english = viewer_client.get("/nowhere/", HTTP_ACCEPT_LANGUAGE="en", HTTP_REFERER="https://evil.example/")
    assert english.status_code == 404
    assert "Not found" in english.content.decode() and "evil.example" not in english.content.decode()


def test_403_is_our_page(viewer_client: Client) -> None:
    response = viewer_client.post("/reconciliation/run/")
    assert response.status_code == 403
    _is_ours(response.content.decode())
    assert "无权" in response.content.decode() or "不允许" in response.content.decode()


def test_400_is_our_page(viewer_client: Client) -> None:
    from django.test import RequestFactory

    from voipadmin.console import errors

    response = errors.bad_request(RequestFactory().get("/"), None)
    assert response.status_code == 400 and 'id="global-search"' in response.content.decode()


def test_500_renders_when_the_database_is_down(viewer_client: Client) -> None:
    viewer_client.raise_request_exception = False
    down = OperationalError("the database is down")
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=down):
        response = viewer_client.get("/devices/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 500
    html = response.content.decode()
    _is_ours(html)
    assert "出错" in html
