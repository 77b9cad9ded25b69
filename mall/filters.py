"""The mall's list filters (the one filter component: voipadmin/core/filters.py).

The cursor and the CSV format are parsed here but are not controls: a new filter starts at the first page.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from mall import keyset, selectors
from mall.enums import ORDER_STATUS_LABELS, SUBSCRIPTION_STATUS_LABELS
from mall.models import Order, Subscription
from voipadmin.core.filters import FilterForm, ListFilterSet, SearchFilter, any_choice

BAD_CURSOR = _("This page link is not valid (it was changed or cut short). Start again from the first page.")


class _CursorForm(FilterForm):
    cursor_salt = ""

    def clean_cursor(self) -> keyset.Cursor | None:
        raw = self.cleaned_data.get("cursor")
        if not raw:
            return None
        try:
            return keyset.decode(raw, salt=self.cursor_salt)
        except keyset.BadCursor:
            raise forms.ValidationError(BAD_CURSOR, code="bad_cursor") from None


class OrderFilterForm(_CursorForm):
    cursor_salt = selectors.ORDER_CURSOR_SALT


class SubscriptionFilterForm(_CursorForm):
    cursor_salt = selectors.SUBSCRIPTION_CURSOR_SALT


class OrderFilter(ListFilterSet):
    model = Order
    dated = True
    hidden = ("cursor", "format")

    q = SearchFilter(label=_("Order id, commodity or SKU"), method="filter_nothing")
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=list(ORDER_STATUS_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        method="filter_nothing",
    )
    mall = django_filters.ChoiceFilter(label=_("Mall"), **any_choice(choices=()))
    site = django_filters.ChoiceFilter(label=_("Site"), **any_choice(choices=()))
    device = django_filters.CharFilter(label=_("Device id"), max_length=64, method="filter_nothing")
    cursor = django_filters.CharFilter(max_length=400, method="filter_nothing")
    format = django_filters.ChoiceFilter(choices=[("csv", "CSV")], method="filter_nothing")

    class Meta:
        form = OrderFilterForm

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        malls, sites = selectors.mall_site_choices()  # one small query, never the orders
        self.filters["mall"].extra["choices"] = malls
        self.filters["site"].extra["choices"] = [(s, s) for s in sites]


class SubscriptionFilter(ListFilterSet):
    model = Subscription
    dated = True
    hidden = ("cursor", "format")

    q = SearchFilter(label=_("Subscription, order or device id"), method="filter_nothing")
    status = django_filters.TypedMultipleChoiceFilter(
        label=_("Status"),
        coerce=int,
        choices=[(str(code), label) for code, label in SUBSCRIPTION_STATUS_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        method="filter_nothing",
    )
    device = django_filters.CharFilter(label=_("Device id"), max_length=64, method="filter_nothing")
    cursor = django_filters.CharFilter(max_length=400, method="filter_nothing")
    format = django_filters.ChoiceFilter(choices=[("csv", "CSV")], method="filter_nothing")

    class Meta:
        form = SubscriptionFilterForm
