"""The devices app's list filters (the one filter component: voipadmin/core/filters.py)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from devices import selectors
from devices.forms import ID_PATTERN
from devices.models import Device, Home, ReconciliationItem
from voipadmin.core.enums import VAS_TYPE_LABELS
from voipadmin.core.filters import IntegerFilter, ListFilterSet, RegexFilter, SearchFilter, any_choice


class HomeFilter(ListFilterSet):
    model = Home
    keyset = selectors.HOME_PAGES
    names_searched = True

    q = SearchFilter(label=_("Home id or name"), method="filter_nothing")


class DeviceFilter(ListFilterSet):
    model = Device
    keyset = selectors.DEVICE_PAGES
    names_searched = True

    q = SearchFilter(label=_("Id, name or UUID"), method="filter_nothing")
    vas_type = django_filters.TypedChoiceFilter(
        label=_("Service type"),
        coerce=int,
        empty_value=None,
        method="filter_nothing",
        choices=lambda: [("", _("any"))] + [(str(code), label) for code, label in VAS_TYPE_LABELS.items()],
    )
    voip = django_filters.ChoiceFilter(
        label=_("VoIP"), **any_choice(choices=[("yes", _("VoIP capable")), ("no", _("not VoIP capable"))])
    )
    auth = django_filters.ChoiceFilter(
        label=_("Authorization"),
        **any_choice(
            choices=[("in_sync", _("in sync")), ("drift", _("drift")), ("never", _("never checked"))]
        ),
    )
    expiring = IntegerFilter(
        label=_("Service ends within (days)"), min_value=0, max_value=3650, method="filter_nothing"
    )


class ReconciliationItemFilter(ListFilterSet):
    model = ReconciliationItem
    keyset = selectors.RECONCILIATION_ITEM_PAGES

    outcome = django_filters.ChoiceFilter(
        label=_("Outcome"),
        **any_choice(
            choices=[
                ("fixed", _("fixed")),
                ("reported", _("reported")),
                ("skipped", _("skipped")),
                ("failed", _("failed")),
            ]
        ),
    )
    device = RegexFilter(
        label=_("Device id"),
        max_length=64,
        regex=ID_PATTERN,
        error_messages={"invalid": _("A device id has only letters, digits and - _ . :")},
        method="filter_nothing",
    )
