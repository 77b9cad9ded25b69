"""/schedules/: the periodic jobs in the database (django-celery-beat). Ops change and pause them; others read."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from voipadmin.core.audit import audit_record
from voipadmin.core.models import AuditEvent
from voipadmin.core.paging import HtmxHttpRequest


class ScheduleForm(forms.Form):
    every_minutes = forms.IntegerField(
        label=gettext_lazy("Every (minutes)"), min_value=1, max_value=7 * 24 * 60
    )
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False)


def _snapshot(task: PeriodicTask) -> dict[str, object]:
    seconds = (
        task.interval.every
        * {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}.get(task.interval.period, 1)
        if task.interval
        else None
    )
    return {"every_seconds": seconds, "enabled": task.enabled}


# The jobs by their task, in words (PeriodicTask.name is a stable English key, not a label).
TASK_LABELS = {
    "devices.tasks.devices_sync_task": gettext_lazy("Devices: sync the mirror"),
    "devices.reconciliation.tasks.reconciliation_scheduled_task": gettext_lazy(
        "Devices: reconcile VoIP authorization"
    ),
    "devices.reconciliation.tasks.reconciliation_sweep_task": gettext_lazy(
        "Devices: re-queue stalled reconciliation work"
    ),
    "mall.tasks.mall_sync_task": gettext_lazy("Mall: sync the mirror"),
    "voipadmin.core.alerts.alerts_evaluate_task": gettext_lazy("Alerts: evaluate the rules"),
}


@require_GET
def schedule_list(request: HtmxHttpRequest) -> HttpResponse:
    return _schedule_page(request)


def _schedule_page(request: HtmxHttpRequest, status: int = 200) -> HttpResponse:
    """The schedules page; after a refused change, the same page with its message and a 400."""
    tasks = PeriodicTask.objects.select_related("interval", "crontab").exclude(task="celery.backend_cleanup")
    rows = [
        {
            "task": t,
            "label": TASK_LABELS.get(t.task, t.name),
            "minutes": _initial(t)["every_minutes"] if t.interval else None,
            "form": ScheduleForm(initial=_initial(t), prefix=f"t{t.pk}"),
        }
        for t in tasks.order_by("name")
    ]
    context = {"rows": rows, "can_edit": request.user.has_perm("voipadmin.manage_schedules")}
    return render(request, "voipadmin/schedules.html", context, status=status)


def _initial(task: PeriodicTask) -> dict[str, object]:
    seconds = _snapshot(task)["every_seconds"] or 60
    return {"every_minutes": max(1, int(seconds) // 60), "enabled": task.enabled}


@require_POST
@permission_required("voipadmin.manage_schedules", raise_exception=True)
def schedule_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(PeriodicTask.objects.select_related("interval"), pk=pk)
    form = ScheduleForm(request.POST, prefix=f"t{task.pk}")
    if not form.is_valid():
        errors = "; ".join(e for es in form.errors.values() for e in es)
        messages.error(
            request, _("“%(name)s” was not saved: %(errors)s") % {"name": task.name, "errors": errors}
        )
        return _schedule_page(request, status=400)
    before = _snapshot(task)
    with transaction.atomic():
        every, _created = IntervalSchedule.objects.get_or_create(
            every=form.cleaned_data["every_minutes"] * 60, period=IntervalSchedule.SECONDS
        )
        # "Every N minutes" replaces whatever schedule the task had (beat may have made it a crontab).
        task.interval, task.crontab, task.solar, task.clocked = every, None, None, None
        task.enabled = form.cleaned_data["enabled"]
        task.save()  # saving a PeriodicTask bumps PeriodicTasks.last_update, which beat watches
        audit_record(
            actor=request.user,
            action="schedule_update",
            result=AuditEvent.Result.OK,
            message="schedule.updated",
            params={"name": task.name},
            target=task.name,
            before=before,
            after=_snapshot(task),
        )
    messages.success(request, _("Saved “%(name)s”.") % {"name": task.name})
    return redirect("schedules")
