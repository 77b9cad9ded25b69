"""Bulk actions from the devices list: confirm with the count, then run in the background with live progress.

Refresh and re-check (support) become a BulkJob over the selection; a reconciliation run (ops) is limited to the
selection, one home or one product model. The selection is the ticked rows, or every device the list's filter
matches (capped at MAX_SELECTION, and the page says so).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from devices import selectors
from devices.filters import DeviceFilter
from devices.models import BulkJob, Device, Home, ReconciliationRun
from devices.reconciliation.bulk import MAX_SELECTION, bulk_job_start
from devices.reconciliation.runs import RunAlreadyRunning, reconciliation_start
from devices.reconciliation.tasks import bulk_job_task, reconciliation_run_task
from voipadmin.core.confirm import confirm_step, confirmed
from voipadmin.core.forms import SearchField
from voipadmin.core.paging import HtmxHttpRequest, render_list
from voipadmin.core.progress import Progress

ACTIONS = {"refresh": "bulk_refresh", "recheck": "bulk_recheck", "reconcile": "bulk_reconcile"}
PERMISSIONS = {
    "refresh": "voipadmin.run_safe_fixes",
    "recheck": "voipadmin.run_safe_fixes",
    "reconcile": "voipadmin.start_reconciliation",
}


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    scope = forms.ChoiceField(
        choices=[("selected", "selected"), ("matching", "matching"), ("home", "home"), ("model", "model")]
    )
    device = forms.MultipleChoiceField(required=False)  # ids, checked against the mirror below
    query = forms.CharField(required=False, max_length=2000)
    home = SearchField(required=False, max_length=64)
    model = SearchField(required=False, max_length=128)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["device"].valid_value = lambda value: 0 < len(value) <= 64  # type: ignore[method-assign]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        scope = data.get("scope")
        if scope in ("home", "model") and data.get("action") != "reconcile":
            raise forms.ValidationError(_("Only a reconciliation run can be limited to a home or a model."))
        if scope in ("home", "model") and not data.get(scope):
            raise forms.ValidationError(_("Give the home or the model the run is limited to."))
        return data


def _selection(data: dict[str, Any]) -> list[str] | None:
    """The device ids the action covers (capped); None when the list's filter is not valid."""
    if data["scope"] == "selected":
        wanted = data["device"][:MAX_SELECTION]
        return list(Device.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    filters = DeviceFilter(QueryDict(data["query"]))
    if not filters.is_valid():
        return None
    devices = selectors.device_list(filters=filters.cleaned_data).order_by("device_id")
    return list(devices.values_list("pk", flat=True)[:MAX_SELECTION])


def _scope_of(data: dict[str, Any]) -> tuple[dict[str, Any], int, str]:
    """A run's scope, how many devices it covers, and how the confirm step names it."""
    if data["scope"] == "home":
        home = get_object_or_404(Home, pk=data["home"])
        count = Device.objects.filter(home=home, voip_capable=True).exclude(wechat_model_id="").count()
        return {"home": home.pk}, count, _("home %(name)s") % {"name": home.name or home.pk}
    if data["scope"] == "model":
        count = Device.objects.filter(wechat_model_id=data["model"], voip_capable=True).count()
        return {"model": data["model"]}, count, _("model %(model)s") % {"model": data["model"]}
    ids = _selection(data) or []
    return {"devices": ids}, len(ids), _("the selected devices")


@require_POST
def bulk_start(request: HtmxHttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(e for es in form.errors.values() for e in es)
        return render(request, "reconciliation/bulk_error.html", {"errors": errors}, status=400)
    data = form.cleaned_data
    if not request.user.has_perm(PERMISSIONS[data["action"]]):
        raise PermissionDenied
    scope, count, where = _scope_of(data)
    if not count:
        return render(
            request, "reconciliation/bulk_error.html", {"errors": _("No device is selected.")}, status=400
        )
    back = reverse("devices:device-list") + (f"?{data['query']}" if data["query"] else "")
    if not confirmed(request):
        params = {"count": count, "where": where, "cap": MAX_SELECTION}
        note = _("At most %(cap)s devices at a time.") % params if count >= MAX_SELECTION else ""
        return confirm_step(
            request,
            action=ACTIONS[data["action"]],
            params=params,
            back_url=back,
            target="body",
            note=note,
            heading=_("Confirm the bulk action"),
        )
    if data["action"] == "reconcile":
        return _start_run(request, scope, back)
    job = bulk_job_start(action=data["action"], actor=request.user, device_ids=scope["devices"])
    bulk_job_task.delay_on_commit(job.pk)
    url = reverse("devices:bulk-job", args=[job.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _start_run(request: HtmxHttpRequest, scope: dict[str, Any], back: str) -> HttpResponse:
    try:
        run = reconciliation_start(trigger=ReconciliationRun.Trigger.USER, actor=request.user, scope=scope)
    except RunAlreadyRunning as exc:
        messages.error(request, str(exc))
        return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    reconciliation_run_task.delay_on_commit(run.pk)
    url = reverse("devices:reconciliation-detail", args=[run.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
def bulk_job(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(BulkJob.objects.select_related("requested_by"), pk=job_id)
    progress = Progress.of(done=job.done, total=job.total, started_at=job.started_at, now=job.finished_at)
    context = {"job": job, "progress": progress}
    return render_list(request, "reconciliation/bulk_job.html", "bulk-progress", context)
