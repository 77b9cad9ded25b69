"""The devices app's action forms (its list filters are FilterSets in devices/filters.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

ID_PATTERN = r"^[A-Za-z0-9_\-.:]+$"


class VoipAuthUserForm(forms.Form):
    user_id = forms.RegexField(
        label=_("User id"),
        max_length=64,
        regex=ID_PATTERN,
        error_messages={"invalid": _("A user id has only letters, digits and - _ . :")},
    )


class ExchangeCodeForm(forms.Form):
    CATALOGS = [("CLOUD_STORAGE", _("Cloud storage")), ("VOIP", _("VoIP calls")), ("AI", _("AI"))]

    code = forms.RegexField(
        label=_("Exchange code"),
        max_length=64,
        regex=r"^[A-Za-z0-9\-]+$",
        error_messages={"invalid": _("An exchange code has only letters, digits and dashes.")},
    )
    catalog_code = forms.ChoiceField(label=_("Catalog"), choices=CATALOGS)


class ReconciliationStartForm(forms.Form):
    # Writing is opt-in: a form without an explicit ``write`` starts a dry run.
    write = forms.BooleanField(label=_("Fix the drift (write to the cloud)"), required=False)
