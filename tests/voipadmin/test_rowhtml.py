"""The rows' own escape and link (voipadmin/core/rowhtml.py) write exactly what Django's escape and urlencode do."""

from __future__ import annotations

from django.template.defaultfilters import urlencode
from django.utils import html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy, override
from hypothesis import given
from hypothesis import strategies as st

from voipadmin.core.rowhtml import escape, row_link


@given(st.text())
def test_escape_is_djangos(text: str) -> None:
    ours = escape(text)
    assert ours == html.escape(text) and isinstance(ours, SafeString)


@given(st.text(min_size=1), st.text())
def test_a_row_link_quotes_the_id_as_the_urlencode_filter_does(key: str, name: str) -> None:
    link = row_link("/devices/", key, escape(name))
    assert link == f'<a href="/devices/{html.escape(urlencode(key))}/">{html.escape(name)}</a>'


def test_a_lazy_text_is_escaped_in_the_active_language() -> None:
    with override("zh-hans"):
        assert escape(gettext_lazy("Devices")) == "设备"
