"""Reconciliation pages (runs, a run's drift) and the device page's VoIP re-check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from devices import selectors
from devices.filters import ReconciliationItemFilter
from devices.forms import ReconciliationStartForm
from devices.models import ReconciliationRun
from devices.reconciliation.recheck import voip_auth_recheck
from devices.reconciliation.runs import RunAlreadyRunning, devices_to_check, reconciliation_start
from devices.reconciliation.sides import AUDIT_RECHECK
from devices.reconciliation.tasks import reconciliation_run_task
from devices.services.fixes import device_params
from devices.views import device_body, get_device, write_answer
from voipadmin.core.confirm import confirm_step, confirmed
from voipadmin.core.csvstream import csv_lines, csv_response
from voipadmin.core.keyset import PageForm
from voipadmin.core.paging import HtmxHttpRequest, render_list
from voipadmin.core.progress import Progress

# htmx 2 does not swap 4xx/5xx answers; static/js/app.js swaps those that carry this header (error fragments).


def _get_run(run_id: int) -> ReconciliationRun:
    return get_object_or_404(ReconciliationRun.objects.select_related("requested_by"), pk=run_id)


def _run_progress(run: ReconciliationRun) -> Progress | None:
    if not run.is_running:
        return None
    counts = run.counts or {}
    done, total = int(counts.get("checked") or 0), int(counts.get("total") or 0)
    return Progress.of(done=done, total=total, started_at=run.started_at)


@require_GET
def reconciliation_list(request: HtmxHttpRequest) -> HttpResponse:
    form = PageForm(request.GET, keyset=selectors.RECONCILIATION_RUN_PAGES)
    runs = selectors.reconciliation_runs()
    context = {
        "page": selectors.RECONCILIATION_RUN_PAGES.page(runs, cursor=form.cleaned_data["cursor"])
        if form.is_valid()
        else None,
        "page_form": form,
        "can_start": request.user.has_perm("voipadmin.start_reconciliation"),
        "start_form": ReconciliationStartForm(),
    }
    return render_list(
        request,
        "reconciliation/reconciliation_list.html",
        "run-table",
        context,
        status=400 if form.errors else 200,
    )


@require_GET
def reconciliation_row(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """One run's row, polled by the list while the run is running (the finished row stops polling)."""
    return render(request, "reconciliation/reconciliation_list.html#run-row", {"run": _get_run(run_id)})


@require_POST
@permission_required("voipadmin.start_reconciliation", raise_exception=True)
def reconciliation_start_view(request: HtmxHttpRequest) -> HttpResponse:
    """Start a run: a dry run at once; a run that writes (an explicit ``write``) only once confirmed."""
    form = ReconciliationStartForm(request.POST)
    write = form.is_valid() and form.cleaned_data["write"]
    url = reverse("devices:reconciliation-list")
    if write and not confirmed(request):
        count = devices_to_check()
        note = ngettext(
            "A fixing run may write to up to %(count)d device: each VoIP device whose cloud state differs from "
            "WeChat's newer observation.",
            "A fixing run may write to up to %(count)d devices: each VoIP device whose cloud state differs from "
            "WeChat's newer observation.",
            count,
        ) % {"count": count}
        return confirm_step(
            request,
            action="reconciliation_start",
            params={},
            back_url=url,
            target="body",
            note=note,
            button=_("Start a fixing run"),
        )
    try:
        run = reconciliation_start(
            trigger=ReconciliationRun.Trigger.USER, dry_run=not write, actor=request.user
        )
    except RunAlreadyRunning as exc:
        messages.error(request, str(exc))
    else:
        reconciliation_run_task.delay_on_commit(run.pk)
        text = _("Run #%(pk)d started.") if write else _("Run #%(pk)d started (dry run).")
        messages.success(request, text % {"pk": run.pk})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
def reconciliation_detail(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    run = _get_run(run_id)
    filters = ReconciliationItemFilter(request=request)
    valid = filters.is_valid()
    items = selectors.reconciliation_items(run=run, filters=filters.cleaned_data)
    if valid and request.GET.get("format") == "csv":
        return _csv(run, items)
    context = {
        "run": run,
        "progress": _run_progress(run),
        "filter": filters,
        "form": filters.form,
        "page": selectors.RECONCILIATION_ITEM_PAGES.page(
            items, cursor=filters.cleaned_data["cursor"], total=True
        )
        if valid
        else None,
    }
    return render_list(
        request,
        "reconciliation/reconciliation_detail.html",
        "item-table",
        context,
        status=200 if valid else 400,
    )


@require_GET
def reconciliation_summary(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """The run's facts, counts and progress, polled by its page while it runs.

    The answer that finds the run ended also tells the page (``reconciliation-finished``), so the items table
    refreshes with the summary instead of saying the run is still going until a reload.
    """
    run = _get_run(run_id)
    context = {"run": run, "progress": _run_progress(run)}
    response = render(request, "reconciliation/reconciliation_detail.html#run-summary", context)
    return response if run.is_running else trigger_client_event(response, "reconciliation-finished")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else str(int(value))


def _csv(run: ReconciliationRun, items: object) -> StreamingHttpResponse:
    header = [
        "device_id",
        "user_id",
        "drift",
        "cloud_before",
        "wechat_authorized",
        "observed_at",
        "cloud_changed_at",
        "outcome",
        "reason",
        "detail",
    ]
    rows = (
        [
            item.device_id,
            item.user_id,
            _yes_no(item.drift),
            _yes_no(item.cloud_before),
            _yes_no(item.wechat_authorized),
            timezone.localtime(item.observed_at).isoformat() if item.observed_at else "",
            timezone.localtime(item.cloud_changed_at).isoformat() if item.cloud_changed_at else "",
            item.outcome,
            item.reason,
            item.detail,
        ]
        for item in items.iterator(chunk_size=2000)  # type: ignore[attr-defined]
    )
    return csv_response(csv_lines(header, rows), f"reconciliation-{run.pk}.csv")


# -- the device page -------------------------------------------------------------------------------------------
@require_POST
@permission_required("voipadmin.run_safe_fixes", raise_exception=True)
def device_recheck(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    """Observe the device in WeChat now and push a drift to the cloud as a run would (confirmed, audited)."""
    device = get_device(request, device_id)
    if not confirmed(request):
        back = reverse("devices:device-detail", args=[device.device_id])
        params = device_params(device)
        return confirm_step(
            request, action=AUDIT_RECHECK, params=params, back_url=back, target="#device-body"
        )
    outcome = voip_auth_recheck(actor=request.user, device=device)
    if outcome.write is not None:
        return write_answer(request, device, outcome.write)
    if outcome.ok:
        return device_body(request, device, fix_message=outcome.message)
    return device_body(request, device, status=502, fix_error=outcome.message)
