"""The mall's list filters (the one filter component: voipadmin/core/filters.py).

The cursor (voipadmin/core/keyset.py) and the CSV format are parsed here but are not controls: a new filter
starts at the first page.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from mall import selectors
from mall.enums import ORDER_STATUS_LABELS, SUBSCRIPTION_STATUS_LABELS
from mall.models import Order, Subscription
from voipadmin.core.filters import ListFilterSet, SearchFilter, any_choice


class OrderFilter(ListFilterSet):
    model = Order
    dated = True
    keyset = selectors.ORDER_PAGES
    hidden = ("format",)

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
    format = django_filters.ChoiceFilter(choices=[("csv", "CSV")], method="filter_nothing")

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        malls, sites = selectors.mall_site_choices()  # one small query, never the orders
        return {"mall": malls, "site": [(s, s) for s in sites]}


class SubscriptionFilter(ListFilterSet):
    model = Subscription
    dated = True
    keyset = selectors.SUBSCRIPTION_PAGES
    hidden = ("format",)

    q = SearchFilter(label=_("Subscription, order or device id"), method="filter_nothing")
    status = django_filters.TypedMultipleChoiceFilter(
        label=_("Status"),
        coerce=int,
        choices=[(str(code), label) for code, label in SUBSCRIPTION_STATUS_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        method="filter_nothing",
    )
    device = django_filters.CharFilter(label=_("Device id"), max_length=64, method="filter_nothing")
    format = django_filters.ChoiceFilter(choices=[("csv", "CSV")], method="filter_nothing")
