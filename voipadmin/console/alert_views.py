"""/alerts/: what needs ops now (open alerts, acknowledged or not), what cleared, and the rules (ops edit them)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from voipadmin.core.alerts import alert_summary, rule_condition, rule_label
from voipadmin.core.audit import audit_record
from voipadmin.core.keyset import PageForm
from voipadmin.core.models import Alert, AlertRule, AuditEvent
from voipadmin.core.paging import HtmxHttpRequest, render_list
from voipadmin.core.selectors import CLEARED_ALERT_PAGES


class AlertRuleForm(forms.Form):
    threshold = forms.IntegerField(label=gettext_lazy("Threshold"), min_value=0, max_value=1_000_000)
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False)
    notify_webhook = forms.BooleanField(label=gettext_lazy("Webhook"), required=False)
    notify_mail = forms.BooleanField(label=gettext_lazy("Mail"), required=False)


def _rows(alerts: list[Alert]) -> list[dict[str, object]]:
    return [{"alert": a, "title": rule_label(a.rule), "summary": alert_summary(a)} for a in alerts]


@require_GET
def alert_list(request: HtmxHttpRequest) -> HttpResponse:
    related = Alert.objects.select_related("rule", "acknowledged_by")
    form = PageForm(request.GET, keyset=CLEARED_ALERT_PAGES)
    valid = form.is_valid()
    cleared = related.exclude(cleared_at=None)
    page = (
        CLEARED_ALERT_PAGES.page(cleared, cursor=form.cleaned_data["cursor"], total=True) if valid else None
    )
    context = {
        "open_rows": _rows(list(related.filter(cleared_at=None)[:200])),
        "cleared_page": page,
        "cleared_rows": _rows(list(page or [])),
        "page_form": form,
        "can_ack": request.user.has_perm("voipadmin.acknowledge_alert"),
    }
    return render_list(
        request, "voipadmin/alert_list.html", "cleared-table", context, status=200 if valid else 400
    )


@require_POST
@permission_required("voipadmin.acknowledge_alert", raise_exception=True)
def alert_acknowledge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert.objects.select_related("rule"), pk=pk)
    with transaction.atomic():
        if Alert.objects.filter(pk=pk, acknowledged_at=None).update(
            acknowledged_by=request.user, acknowledged_at=timezone.now()
        ):
            audit_record(
                actor=request.user,
                action="alert_acknowledge",
                result=AuditEvent.Result.OK,
                message="alert.acknowledged",
                params={"alert": alert.pk, "rule": alert.rule.kind},
                target=f"alert {alert.pk}",
            )
    messages.success(request, _("Acknowledged: %(title)s.") % {"title": rule_label(alert.rule)})
    return redirect("alerts")


def _rule_rows(
    request: HtmxHttpRequest, bound: tuple[int, AlertRuleForm] | None = None
) -> list[dict[str, object]]:
    rows = []
    for rule in AlertRule.objects.all():
        initial = {f: getattr(rule, f) for f in ("threshold", "enabled", "notify_webhook", "notify_mail")}
        form = (
            bound[1]
            if bound and bound[0] == rule.pk
            else AlertRuleForm(initial=initial, prefix=f"r{rule.pk}")
        )
        rows.append(
            {"rule": rule, "label": rule_label(rule), "condition": rule_condition(rule), "form": form}
        )
    return rows


@require_GET
def alert_rules(request: HtmxHttpRequest) -> HttpResponse:
    context = {"rows": _rule_rows(request), "can_edit": request.user.has_perm("voipadmin.change_alertrule")}
    return render(request, "voipadmin/alert_rules.html", context)


@require_POST
@permission_required("voipadmin.change_alertrule", raise_exception=True)
def alert_rule_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=pk)
    form = AlertRuleForm(request.POST, prefix=f"r{rule.pk}")
    if not form.is_valid():
        context = {"rows": _rule_rows(request, (rule.pk, form)), "can_edit": True}
        return render(request, "voipadmin/alert_rules.html", context, status=400)
    fields = list(form.cleaned_data)
    before = {f: getattr(rule, f) for f in fields}
    with transaction.atomic():
        for name, value in form.cleaned_data.items():
            setattr(rule, name, value)
        rule.save()
        audit_record(
            actor=request.user,
            action="alert_rule_update",
            result=AuditEvent.Result.OK,
            message="alert_rule.updated",
            params={"rule": rule.kind},
            target=rule.kind,
            before=before,
            after=form.cleaned_data,
        )
    messages.success(request, _("Saved “%(name)s”.") % {"name": rule_label(rule)})
    return redirect("alert-rules")
