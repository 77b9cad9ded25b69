"""The mall's list filters: plain forms over request.GET; an invalid filter is a 400 with its message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mall import keyset, selectors
from mall.enums import ORDER_STATUS_LABELS, SUBSCRIPTION_STATUS_LABELS
from voipadmin.forms import SearchField

BAD_CURSOR = _("This page link is not valid (it was changed or cut short). Start again from the first page.")
FORMATS = [("", _("page")), ("csv", "CSV")]


class _CursorMixin:
    cursor_salt: str

    def clean_cursor(self) -> keyset.Cursor | None:
        raw = self.cleaned_data.get("cursor")  # type: ignore[attr-defined]
        if not raw:
            return None
        try:
            return keyset.decode(raw, salt=self.cursor_salt)
        except keyset.BadCursor:
            raise forms.ValidationError(BAD_CURSOR, code="bad_cursor") from None


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


class OrderFilterForm(_CursorMixin, forms.Form):
    cursor_salt = selectors.ORDER_CURSOR_SALT

    q = SearchField(label=_("Order id, commodity or SKU"))
    status = forms.MultipleChoiceField(
        label=_("Status"),
        required=False,
        choices=[(code, label) for code, label in ORDER_STATUS_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    mall = forms.ChoiceField(label=_("Mall"), required=False, choices=())
    site = forms.ChoiceField(label=_("Site"), required=False, choices=())
    device = forms.CharField(label=_("Device id"), required=False, max_length=64, strip=True)
    cursor = forms.CharField(required=False, max_length=400)
    format = forms.ChoiceField(required=False, choices=FORMATS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" and "to" are the URL's names (DESIGN §5) but "from" cannot be a class attribute.
        self.fields["from"] = _date_field(_("From"))
        self.fields["to"] = _date_field(_("To"))
        self.order_fields(["q", "status", "mall", "site", "device", "from", "to"])
        malls, sites = selectors.mall_site_choices()
        self.fields["mall"].choices = [("", _("any")), *malls]
        self.fields["site"].choices = [("", _("any"))] + [(s, s) for s in sites]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class SubscriptionFilterForm(_CursorMixin, forms.Form):
    cursor_salt = selectors.SUBSCRIPTION_CURSOR_SALT

    q = SearchField(label=_("Subscription, order or device id"))
    status = forms.TypedMultipleChoiceField(
        label=_("Status"),
        required=False,
        coerce=int,
        choices=[(str(code), label) for code, label in SUBSCRIPTION_STATUS_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    device = forms.CharField(label=_("Device id"), required=False, max_length=64, strip=True)
    cursor = forms.CharField(required=False, max_length=400)
    format = forms.ChoiceField(required=False, choices=FORMATS)


class TestPurchaseForm(forms.Form):
    # The form's one-time token (voipadmin.confirm.once_token): one order per token, whatever is re-submitted.
    once = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{16,64}$",
        error_messages={"invalid": _("The form has expired; reload the page.")},
    )
    commodity_code = forms.CharField(max_length=64)
    option_type = forms.IntegerField(min_value=0, max_value=1000)
    option_no = forms.IntegerField(min_value=0, max_value=1000)
