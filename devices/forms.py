"""List filters: plain forms over request.GET; an invalid filter is a 400 with the form's message."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from voipadmin.clients.enums import VAS_TYPE_LABELS
from voipadmin.forms import SearchField


class HomeFilterForm(forms.Form):
    q = SearchField(label=_("Home id or name"))


class DeviceFilterForm(forms.Form):
    AUTH_STATES = [
        ("", _("any")),
        ("in_sync", _("in sync")),
        ("drift", _("drift")),
        ("never", _("never checked")),
    ]
    CAPABLE = [("", _("any")), ("yes", _("VoIP capable")), ("no", _("not VoIP capable"))]

    q = SearchField(label=_("Id, name or UUID"))
    vas_type = forms.TypedChoiceField(
        label=_("Service type"), required=False, coerce=int, empty_value=None, choices=()
    )
    voip = forms.ChoiceField(label=_("VoIP"), required=False, choices=CAPABLE)
    auth = forms.ChoiceField(label=_("Authorization"), required=False, choices=AUTH_STATES)
    expiring = forms.IntegerField(
        label=_("Service ends within (days)"), required=False, min_value=0, max_value=3650
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vas_type"].choices = [("", _("any"))] + [
            (str(code), label) for code, label in VAS_TYPE_LABELS.items()
        ]


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


class ReconciliationItemFilterForm(forms.Form):
    OUTCOMES = [
        ("", _("any")),
        ("fixed", _("fixed")),
        ("reported", _("reported")),
        ("skipped", _("skipped")),
        ("failed", _("failed")),
    ]

    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=OUTCOMES)
    device = forms.RegexField(
        label=_("Device id"),
        required=False,
        max_length=64,
        regex=ID_PATTERN,
        error_messages={"invalid": _("A device id has only letters, digits and - _ . :")},
    )
