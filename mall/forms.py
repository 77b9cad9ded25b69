"""The mall's action forms (its list filters are FilterSets in mall/filters.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class TestPurchaseForm(forms.Form):
    # The form's one-time token (voipadmin.core.confirm.once_token): one order per token, whatever is re-submitted.
    once = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{16,64}$",
        error_messages={"invalid": _("The form has expired; reload the page.")},
    )
    commodity_code = forms.CharField(max_length=64)
    option_type = forms.IntegerField(min_value=0, max_value=1000)
    option_no = forms.IntegerField(min_value=0, max_value=1000)
