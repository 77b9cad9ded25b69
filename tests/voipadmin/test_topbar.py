"""The header every page draws ({% topbar %}, voipadmin/console/templatetags/layout.py): what it says to whom, in
the reader's language, with everything that comes from the person or the request escaped."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from voipadmin.core.models import Alert, AlertRule

pytestmark = pytest.mark.django_db


def _header(response) -> str:
    found = re.search(r'<header class="topbar">.*?</header>', response.content.decode(), re.S)
    assert found, response.status_code
    return found.group(0)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_header_names_the_person_and_role_and_escapes_what_they_typed(
    make_user: Callable[..., User],
) -> None:
    user = make_user("support", username='<b>eve"&')
    client = _client(user)
    header = _header(client.get("/homes/", {"q": '"><script>x</script>'}, HTTP_ACCEPT_LANGUAGE="en"))
    assert '<span class="user-name">&lt;b&gt;eve&quot;&amp;</span>' in header
    assert '<span class="role-badge">Support</span>' in header and "<script>" not in header
    # Both menus send the reader back to this very page, its query escaped.
    back = re.findall(r'<input name="next" type="hidden" value="([^"]*)">', header)
    assert back == ["/homes/?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E"] * 2
    # One CSRF token, in each of the three forms.
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', header))
    assert len(tokens) == 1 and header.count("csrfmiddlewaretoken") == 3
    assert 'href="/homes/" aria-current="page"' in header and "Django admin" not in header


def test_the_header_speaks_the_readers_language_and_counts_alerts(make_user: Callable[..., User]) -> None:
    client = _client(make_user(None, username="someone"))
    plain = _header(client.get("/devices/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<a class="bell" href="/alerts/">' in plain and "0 open" in plain and ">no role<" in plain
    for key in ("a", "b"):
        Alert.objects.create(rule=AlertRule.objects.get(kind="orders_stuck"), key=key, params={"count": 1})
    zh = _header(client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert '<a class="bell bell-open" href="/alerts/" aria-current="page">' in zh
    assert "2 条未关闭" in zh and ">概览<" in zh and ">无角色<" in zh
    assert '<option value="zh-hans" selected>' in zh and '<option value="Asia/Shanghai" selected>' in zh


def test_a_superuser_gets_the_admin_link_and_the_error_page_a_bare_header(
    admin_user: User, client: Client
) -> None:
    header = _header(_client(admin_user).get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert ">superuser<" in header and 'href="/admin/">Django admin</a>' in header
    assert 'href="/" aria-current="page"' in header
    # Logged out, a page that does not exist still carries the brand, the links and the search, nothing personal.
    missing = _header(client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en"))
    assert 'id="global-search"' in missing and "user-menu" not in missing and "bell" not in missing
