"""/syncs/: the sync passes of both syncs (state, counts, failures, live progress), and starting one now.

A cross-app page of the roof: it reads SyncRun and SyncFailure and queues either app's sync task.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from devices.tasks import devices_sync_task
from mall.tasks import mall_sync_task
from voipadmin.core import audit_messages, locks
from voipadmin.core.audit import audit_record
from voipadmin.core.confirm import confirm_step, confirmed
from voipadmin.core.filters import SyncFilter
from voipadmin.core.forms import SyncStartForm
from voipadmin.core.models import AuditEvent, SyncFailure, SyncRun
from voipadmin.core.paging import HtmxHttpRequest, render_list
from voipadmin.core.selectors import SYNC_PAGES, sync_runs
from voipadmin.core.syncpass import last_watermark, lock_key

TASKS = {"devices": devices_sync_task, "mall": mall_sync_task}


@require_GET
def sync_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = SyncFilter(request=request)
    valid = filters.is_valid()
    data = filters.cleaned_data
    # Asked before the rows are read: a pass a worker starts in between is then in the rows or still awaited.
    # Asked after, such a pass would be in neither, and the list would stop looking for it.
    awaiting = _awaiting_worker()
    runs = sync_runs(filters=data)
    context = {
        "filter": filters,
        "form": filters.form,
        # An invalid query (a forged cursor) never reaches the pager: no rows, and the form's error.
        "page": SYNC_PAGES.page(runs, cursor=data["cursor"], total=True) if valid else None,
        "failures": SyncFailure.objects.select_related("run")[:50],
        "failure_count": SyncFailure.objects.count(),
        "awaiting": awaiting,
        "can_start": request.user.has_perm("voipadmin.start_sync"),
        "start_form": SyncStartForm(),
    }
    return render_list(
        request, "voipadmin/sync_list.html", "sync-table", context, status=200 if valid else 400
    )


def _awaiting_worker() -> bool:
    """A pass was queued in the last minute and no worker has started one since: the list keeps looking."""
    since = timezone.now() - dt.timedelta(minutes=1)
    asked = AuditEvent.objects.filter(action="sync_start", result=AuditEvent.Result.OK, created_at__gte=since)
    last = asked.order_by("-created_at").values_list("created_at", flat=True).first()
    return last is not None and not SyncRun.objects.filter(started_at__gte=last).exists()


@require_GET
def sync_row(request: HtmxHttpRequest, run_id: int) -> HttpResponse:
    """One pass's row, polled while it runs (a finished row stops polling)."""
    run = get_object_or_404(SyncRun.objects.select_related("requested_by"), pk=run_id)
    return render(request, "voipadmin/sync_list.html#sync-row", {"run": run})


@require_POST
@permission_required("voipadmin.start_sync", raise_exception=True)
def sync_start(request: HtmxHttpRequest) -> HttpResponse:
    """Start a pass now: confirmed first, refused while a pass of that sync runs, audited either way."""
    form = SyncStartForm(request.POST)
    url = reverse("syncs")
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain; charset=utf-8")
    kind, full = form.cleaned_data["kind"], form.cleaned_data["full"]
    # Without a pass to continue from, the pass reads everything: say so before and after, as the row will.
    full = full or last_watermark(kind) is None
    params = {"sync_kind": kind, "pass": "full" if full else "incremental"}
    if not confirmed(request):
        return confirm_step(
            request,
            action="sync_start",
            params=params,
            back_url=url,
            target="body",
            heading=_("Confirm before starting a sync pass"),
            note=_("The pass reads from the cloud and writes only the local mirror; it runs on a worker."),
        )
    running = locks.owner(lock_key(kind)) is not None
    result = AuditEvent.Result.NOT_SENT if running else AuditEvent.Result.OK
    audit_record(
        actor=request.user,
        action="sync_start",
        result=result,
        message="sync.refused" if running else "sync.started",
        params=params,
        target=f"{kind} sync",
    )
    text = audit_messages.render("sync.refused" if running else "sync.started", "sync_start", params)
    if running:
        messages.error(request, text)
    else:
        TASKS[kind].delay_on_commit(trigger="user", full=full, actor_id=request.user.pk)
        messages.success(request, text)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
