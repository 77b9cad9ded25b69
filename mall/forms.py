"""The mall's action forms (its list filters are FilterSets in mall/filters.py)."""

from __future__ import annotations

from django import forms


class TestPurchaseForm(forms.Form):
    commodity_code = forms.CharField(max_length=64)
    option_type = forms.IntegerField(min_value=0, max_value=1000)
    option_no = forms.IntegerField(min_value=0, max_value=1000)
