"""The filter form's widgets drawn in Python are byte for byte what Django's widget templates draw."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.http import QueryDict
from django.utils import translation

from devices.filters import DeviceFilter, HomeFilter, ReconciliationItemFilter
from mall.filters import OrderFilter, SubscriptionFilter
from tests.mall.factories import MallFactory
from voipadmin.core.filters import AuditFilter, ListFilterSet, SyncFilter
from voipadmin.core.renderers import DRAWN, FILTER_RENDERER

pytestmark = pytest.mark.django_db

FILTERS = [
    OrderFilter,
    SubscriptionFilter,
    DeviceFilter,
    HomeFilter,
    ReconciliationItemFilter,
    AuditFilter,
    SyncFilter,
]
QUERIES = [
    "",
    "q=voip&status=paid&status=refunded&mall=MALL0001&site=CN&device=vd1&from=2025-01-01&to=2025-01-31",
    "status=1&status=3&vas_type=1&voip=yes&auth=drift&expiring=30&outcome=fixed&action=device_refresh&result=ok",
    # Invalid values: aria-invalid and aria-describedby on the controls, values echoed back escaped.
    "q=<b>\"&amp;'&status=nope&mall=nope&from=bad&to=1999-01-01&expiring=-5&vas_type=zz&device=a b&result=x",
    "q=" + "x" * 300 + "&device=" + "y" * 80,
]


def _drawn(filterset: type[ListFilterSet], query: str, renderer: BaseRenderer | None = None) -> dict:
    """Each control of the filter, and each of its choices' tags both ways a template asks for them."""
    filters = filterset(QueryDict(query))
    if renderer is not None:
        filters.form.renderer = renderer
    filters.is_valid()
    return {f.name: [str(f), *(c.tag() for c in f), *(str(c) for c in f)] for f in filters.form}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("query", QUERIES, ids=["none", "filled", "other-lists", "invalid", "too-long"])
@pytest.mark.parametrize("filterset", FILTERS)
def test_filter_widgets_match_djangos_templates(
    filterset: type[ListFilterSet], query: str, language: str
) -> None:
    MallFactory(mall_code="MALL0001", site_code="CN", currency="CNY")
    with translation.override(language):
        assert filterset(QueryDict(query)).form.renderer is FILTER_RENDERER
        assert _drawn(filterset, query) == _drawn(filterset, query, get_default_renderer())


def test_only_widget_templates_of_one_known_shape_are_drawn() -> None:
    """A Django upgrade that changes one of these templates fails here, not on a page."""
    renderer = get_default_renderer()
    shapes = {
        "_input": '{% include "django/forms/widgets/input.html" %}',
        "_input_option": '{% include "django/forms/widgets/input_option.html" %}',
    }
    for name, draw in DRAWN.items():
        if draw.__name__ in shapes:
            assert renderer.get_template(name).template.source.strip() == shapes[draw.__name__], name


def test_any_other_widget_is_drawn_by_django() -> None:
    def note(renderer: BaseRenderer) -> str:
        form = forms.Form(data={"note": "<hi>"}, renderer=renderer)
        form.fields["note"] = forms.CharField(widget=forms.Textarea)
        return str(form["note"])

    assert note(FILTER_RENDERER) == note(get_default_renderer())
