"""The parts every list draws around its rows ({% filter_form %}, {% pager %}: voipadmin/core/templatetags/list_tags.py):
what comes from the query, a saved view or a person escaped, each link both a real link and the list's swap, in the
reader's language."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from tests.factories import HomeFactory
from voipadmin.core.models import SavedView

pytestmark = pytest.mark.django_db
HOSTILE = '<script>"x&'


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _links(page: str, css: str) -> list[tuple[str, str, str]]:
    """(href, hx-get, text) of each ``<a class="{css}" …>``."""
    found = re.findall(
        rf'<a class="{css}"(?: rel="\w+")? href="([^"]*)" hx-get="([^"]*)"[^>]*>(.*?)</a>', page
    )
    return [(html.unescape(a), html.unescape(b), text) for a, b, text in found]


def test_the_filter_escapes_the_query_the_views_and_their_owners(make_user: Callable[..., User]) -> None:
    me = make_user("support", username="me")
    other = make_user("ops", username='o"&<b>')
    SavedView.objects.create(owner=other, list_name="homes", name="<i>night</i>", query="q=Home", shared=True)
    SavedView.objects.create(owner=me, list_name="homes", name="mine", query="q=%3Cscript%3E%22x%26")
    page = _client(me).get("/homes/", {"q": HOSTILE}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<script>" not in page and "<i>" not in page and 'o"&<b>' not in page
    # The chip shows the value, says what it removes, and links to the list without it.
    assert _links(page, "chip") == [
        (
            "/homes/",
            "/homes/",
            'Home id or name: &lt;script&gt;&quot;x&amp; <span aria-hidden="true">×</span>',
        )
    ]
    assert 'aria-label="Remove the filter Home id or name: &lt;script&gt;&quot;x&amp;"' in page
    assert _links(page, "chip chip-clear") == [("/homes/", "/homes/", "Clear all")]
    assert 'value="&lt;script&gt;&quot;x&amp;"' in page  # the search box keeps what was typed
    # The tabs: the other's shared view with its owner's name, this view (the current one) as the person's own.
    tabs = re.findall(r'<a class="view-tab" [^>]*?(aria-current="page")?>(.*?)</a>', page)
    assert tabs == [
        ("", '&lt;i&gt;night&lt;/i&gt; <span class="muted">· o&quot;&amp;&lt;b&gt;</span>'),
        ('aria-current="page"', "mine"),
    ]
    # "Save this view" posts the filters, normalized and escaped, with a CSRF token.
    assert '<input type="hidden" name="query" value="q=%3Cscript%3E%22x%26">' in page
    assert re.search(
        r'<form method="post" action="/views/save/" class="inline-form">\s*<input type="hidden" name="csrfmiddlewaretoken" value="\w+">',
        page,
    )


def test_the_pager_keeps_the_filters_drops_the_page_and_speaks_the_readers_language(
    make_user: Callable[..., User],
) -> None:
    HomeFactory.create_batch(101, name="Home")
    client = _client(make_user("viewer", username="v"))
    first = client.get("/homes/", {"q": "Home", "page": "7"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    [(href, hx, text)] = _links(first, "btn btn-small")
    assert text == "Next" and href == hx and href.startswith("?q=Home&cursor=") and "page=" not in href
    # The size: counted on SQLite, the planner's estimate on PostgreSQL, which says so.
    exact = connection.vendor == "sqlite"
    assert re.search(
        r'<span class="muted list-total">101 rows</span>' if exact else r'list-total">about [\d,]+ rows<',
        first,
    )

    second = client.get(f"/homes/{href}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    links = _links(second, "btn btn-small")
    assert [text for _h, _x, text in links] == ["第一页", "上一页", "下一页"]
    assert links[0][0] == "?q=Home" and all(h == x for h, x, _t in links)
    assert 'rel="prev"' in second and 'rel="next"' in second
    assert re.search(r'list-total">101 行<' if exact else r'list-total">约 [\d,]+ 行<', second)
    last = client.get(f"/homes/{links[2][0]}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert [text for _h, _x, text in _links(last, "btn btn-small")] == ["First", "Previous"]


def test_a_bad_cursor_on_a_list_without_filters_says_so_and_links_back(
    make_user: Callable[..., User],
) -> None:
    home = HomeFactory()
    response = _client(make_user("viewer", username="v")).get(
        f"/homes/{home.owner_id}/", {"cursor": HOSTILE}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(
        rf'<div class="form-error" role="alert">[^<]+ <a href="/homes/{home.owner_id}/">Start again from the first page.</a></div>',
        page,
    )
    assert "<script>" not in page
