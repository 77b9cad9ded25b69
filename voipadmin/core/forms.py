"""Forms of the cross-app pages, and the search field every list shares."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_QUERY = 200


class SearchField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.update(required=False, strip=True)
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("max_length", MAX_QUERY)
        kwargs.setdefault("widget", forms.SearchInput)
        kwargs.setdefault(
            "error_messages", {"max_length": _("Search for at most %(limit_value)d characters.")}
        )
        super().__init__(**kwargs)


class SearchForm(forms.Form):
    q = SearchField(label=_("Search"))
    # Sent by the search button only: an explicit search may ask the cloud for an id the mirror lacks.
    go = forms.BooleanField(required=False)


SYNC_KIND_CHOICES = [("devices", _("Devices")), ("mall", _("Mall"))]


class SyncStartForm(forms.Form):
    kind = forms.ChoiceField(label=_("Sync"), choices=SYNC_KIND_CHOICES)
    full = forms.BooleanField(label=_("Full pass (re-read everything)"), required=False)
