"""Forms of the cross-app pages, and the search field every list shares."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_QUERY = 200


class SearchField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            required=False,
            max_length=MAX_QUERY,
            strip=True,
            label=kwargs.pop("label", _("Search")),
            error_messages={"max_length": _("Search for at most %(limit_value)d characters.")},
            **kwargs,
        )


class SearchForm(forms.Form):
    q = SearchField(label=_("Search"))


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    device = forms.CharField(label=_("Device"), required=False, max_length=64)
    result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[("", _("any")), ("ok", _("ok")), ("failed", _("failed")), ("unknown", _("unknown"))],
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
