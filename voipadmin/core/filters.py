"""The one list filter: a django-filter FilterSet whose form is the filter form every list renders.

The FilterSet parses and validates the query string (an invalid filter is a 400 with the form's message), names
the date range ``from``/``to`` on every list, and describes the active filters as chips that clear one by one
and date presets. Selectors still build the querysets from ``filter.form.cleaned_data`` (STYLE: reads are
selectors), so this module never touches a model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.db import models
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voipadmin.core import audit_messages
from voipadmin.core.forms import SYNC_KIND_CHOICES, SearchField
from voipadmin.core.keyset import CursorField, Keyset
from voipadmin.core.models import AuditEvent, SyncRun
from voipadmin.core.renderers import FILTER_RENDERER
from voipadmin.core.selectors import AUDIT_PAGES, SYNC_PAGES
from voipadmin.core.textsearch import is_short

# Paging and export parameters: never a filter, dropped whenever the filter changes (a new filter starts at 1).
PAGING_PARAMS = ("page", "cursor", "format")


@dataclass(frozen=True)
class Chip:
    label: str
    value: str
    url: str


@dataclass(frozen=True)
class Preset:
    label: str
    url: str
    current: bool


# Dates outside these years are no one's filter, and at the ends of the calendar the local-day arithmetic overflows.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


class FilterForm(forms.Form):
    # Every list page draws its filter form: its widgets are drawn in Python (voipadmin/core/renderers.py).
    default_renderer = FILTER_RENDERER

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("from", "to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, _("Pick a date between 2000-01-01 and 2099-12-31."))
                data.pop(name, None)
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise forms.ValidationError(_("The start date is after the end date."), code="date_order")
        return data


def date_filter(label: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=label, method="filter_nothing", widget=forms.DateInput(attrs={"type": "date"})
    )


class CursorFilter(django_filters.Filter):
    field_class = CursorField


class ListFilterSet(django_filters.FilterSet):
    """A list's filters. ``dated`` adds ``from``/``to``; ``keyset`` adds its ``cursor`` (voipadmin/core/keyset.py);
    ``hidden`` names parsed params that are not controls; ``names_searched`` says that ``q`` matches names
    (voipadmin/core/textsearch.py), so a short query is said to match from the start."""

    model: type[models.Model]
    dated = False
    names_searched = False
    keyset: Keyset | None = None
    hidden: tuple[str, ...] = ()

    class Meta:
        form = FilterForm

    @classmethod
    def get_filters(cls) -> dict[str, django_filters.Filter]:
        filters = super().get_filters()
        if cls.dated:
            # "from" cannot be a class attribute, and it is the URL's name on every list (README: "Lists and their filters").
            filters["from"] = date_filter(_("From"))
            filters["to"] = date_filter(_("To"))
        if cls.keyset is not None:
            filters["cursor"] = CursorFilter(keyset=cls.keyset, method="filter_nothing")
        return filters

    def __init__(
        self, data: QueryDict | dict | None = None, *, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        if data is None and request is not None:
            data = request.GET
        # Not django-filter's __init__: it copies every filter for each instance, to filter its queryset. Here the
        # FilterSet only parses (the selector builds the queryset from cleaned_data), so its filters are the
        # class's own, never changed, and ``qs`` is not there.
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = self.model._default_manager.none()
        self.request = request
        self.form_prefix = kwargs.get("prefix")
        self.filters = self.base_filters
        self.path = request.path if request is not None else ""
        if self.keyset is not None:
            self.hidden = (*type(self).hidden, "cursor")

    @classmethod
    def _form_class(cls) -> type[forms.Form]:
        """The form of this list's filters, built once per class: django-filter builds a new form class, and
        a new field per filter, on every request (0.2 ms of the homes page, 0.7 ms of the orders page). Labels
        and choices are lazy, so one class serves every language; choices read from the database per request
        come from ``choices()``."""
        built = cls.__dict__.get("_built_form")
        if built is None:
            fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
            built = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            cls._built_form = built
        return built

    def get_form_class(self) -> type[forms.Form]:
        return type(self)._form_class()

    def choices(self) -> dict[str, list[tuple[str, str]]]:
        """Choices of this request's form read from data (a filter's own are fixed in its class)."""
        return {}

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for name, choices in self.choices().items():
                form.fields[name].choices = choices
        return self._form

    @property
    def qs(self) -> Any:
        raise TypeError("a list's FilterSet parses its query; its selector builds the queryset")

    def filter_nothing(self, queryset: Any, name: str, value: Any) -> Any:
        """Every filter's work is the selector's; the FilterSet is the parser."""
        return queryset

    def is_valid(self) -> bool:
        return self.form.is_valid()

    @property
    def cleaned_data(self) -> dict[str, Any]:
        return self.form.cleaned_data if self.form.is_valid() else {}

    @property
    def starts_with_only(self) -> bool:
        """A name search too short to match inside names: the list says how it matched."""
        return type(self).names_searched and is_short(self.cleaned_data.get("q") or "")

    def visible_fields(self) -> list[forms.BoundField]:
        return [field for field in self.form if field.name not in self.hidden]

    # -- the URL is the state ------------------------------------------------------------------------------------
    def _url(self, query: QueryDict) -> str:
        for name in PAGING_PARAMS:
            query.pop(name, None)
        encoded = query.urlencode()
        return f"{self.path}?{encoded}" if encoded else self.path

    def _query(self) -> QueryDict:
        query = QueryDict(mutable=True)
        for name, values in self.data.lists():
            if name in self.filters or name in self.hidden:
                query.setlist(name, [v for v in values if v != ""])
        return query

    def chips(self) -> list[Chip]:
        """One chip per active value (a status ticked twice is two chips); each links to the filter without it.
        Worked out once per list render (the count and the bar both read it)."""
        if getattr(self, "_chips", None) is not None:
            return self._chips
        if not self.form.is_valid():
            return []
        chips = []
        for field in self.visible_fields():
            raw = [v for v in self.data.getlist(field.name) if v != ""]
            choices = {str(k): str(v) for k, v in getattr(field.field, "choices", ())}
            for value in dict.fromkeys(raw):
                query = self._query()
                query.setlist(field.name, [v for v in raw if v != value])
                chips.append(Chip(str(field.label), choices.get(value, value), self._url(query)))
        self._chips: list[Chip] | None = chips
        return chips

    @property
    def active_count(self) -> int:
        return len(self.chips())

    def presets(self) -> list[Preset]:
        if not type(self).dated:
            return []
        today = timezone.localdate()
        ranges = [
            (_("Today"), today),
            (_("7 days"), today - dt.timedelta(days=6)),
            (_("30 days"), today - dt.timedelta(days=29)),
            (_("This month"), today.replace(day=1)),
        ]
        current = (self.data.get("from"), self.data.get("to"))
        presets = []
        for label, first in ranges:
            query = self._query()
            query["from"], query["to"] = first.isoformat(), today.isoformat()
            presets.append(Preset(str(label), self._url(query), current == (query["from"], query["to"])))
        return presets

    def clear_url(self) -> str:
        return self.path


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class IntegerFilter(django_filters.Filter):
    field_class = forms.IntegerField


class RegexFilter(django_filters.Filter):
    field_class = forms.RegexField


def any_choice(**kwargs: Any) -> dict[str, Any]:
    """Keyword arguments of a single-choice filter whose empty choice reads "any"."""
    return {"empty_label": _("any"), "method": "filter_nothing", **kwargs}


# -- the audit log -----------------------------------------------------------------------------------------------


class AuditFilter(ListFilterSet):
    model = AuditEvent
    dated = True
    keyset = AUDIT_PAGES
    hidden = ("format",)

    action = django_filters.MultipleChoiceFilter(
        label=_("Action"),
        choices=list(audit_messages.ACTION_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        method="filter_nothing",
    )
    actor = django_filters.CharFilter(label=_("Actor"), max_length=150, method="filter_nothing")
    device = django_filters.CharFilter(label=_("Device id"), max_length=64, method="filter_nothing")
    result = django_filters.ChoiceFilter(
        label=_("Result"),
        **any_choice(choices=AuditEvent.Result.choices),
    )
    format = django_filters.ChoiceFilter(choices=[("csv", "CSV")], method="filter_nothing")


# -- the sync passes ---------------------------------------------------------------------------------------------


class SyncFilter(ListFilterSet):
    model = SyncRun
    keyset = SYNC_PAGES

    kind = django_filters.ChoiceFilter(
        label=_("Sync"),
        **any_choice(choices=SYNC_KIND_CHOICES),
    )
