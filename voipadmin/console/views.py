from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from devices.models import Device
from voipadmin.console import health, lookup
from voipadmin.console import search as search_service
from voipadmin.console.overview import day_part, overview_figures, page_context
from voipadmin.core.csvstream import csv_response
from voipadmin.core.filters import AuditFilter
from voipadmin.core.forms import SearchForm
from voipadmin.core.middleware import SESSION_KEY
from voipadmin.core.models import AuditEvent
from voipadmin.core.paging import HtmxHttpRequest, render_list, wants_fragment
from voipadmin.core.saved_views import pinned_tiles
from voipadmin.core.selectors import AUDIT_PAGES, audit_csv_lines, audit_events
from voipadmin.core.textsearch import is_short


@require_GET
def overview(request: HtmxHttpRequest) -> HttpResponse:
    context = {**page_context(overview_figures()), "day_part": day_part(), "pinned_views": pinned_tiles()}
    return render_list(request, "voipadmin/overview.html", "overview-body", context)


@login_not_required
@never_cache
@require_GET
def healthz(request: HtmxHttpRequest) -> JsonResponse:
    checks = {"database": health.check_database(), "broker": health.check_broker()}
    failed = sorted(name for name, error in checks.items() if error)
    body = {
        "status": "ok" if not failed else "failing",
        "checks": {name: ("ok" if error is None else f"failed: {error}") for name, error in checks.items()},
        "failed": failed,
    }
    return JsonResponse(body, status=503 if failed else 200)


@require_GET
def search(request: HtmxHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    valid = form.is_valid()
    q = form.cleaned_data.get("q", "") if valid else ""
    htmx = wants_fragment(request)
    if valid and q and not htmx and (url := search_service.exact_match(q)):
        return redirect(url)
    groups = search_service.grouped_matches(q) if valid and q else []
    looked_up = None
    if valid and not groups and form.cleaned_data.get("go") and lookup.id_shaped(q):
        # An explicit search for an id the mirror lacks: ask the cloud (throttled per person).
        looked_up = lookup.cloud_lookup(q=q, user_key=str(request.user.pk))
        if looked_up.url:
            return HttpResponseClientRedirect(looked_up.url) if htmx else redirect(looked_up.url)
    context = {
        "form": form,
        "q": q if valid else request.GET.get("q", "")[:200],
        "groups": groups,
        "short": valid and is_short(q),
        "exact": search_service.exact_match(q) if valid and q and htmx else None,
        "looked_up": looked_up,
    }
    fragment = "search-dropdown" if request.GET.get("dropdown") else "search-results"
    status = 429 if looked_up and looked_up.throttled else 200 if valid else 400
    return render_list(request, "voipadmin/search.html", fragment, context, status=status)


@require_GET
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = AuditFilter(request=request)
    valid = filters.is_valid()
    events = audit_events(filters=filters.cleaned_data) if valid else AuditEvent.objects.none()
    if valid and filters.cleaned_data["format"] == "csv":
        return csv_response(audit_csv_lines(events), "audit.csv")
    # The log names each device beside its id (one subquery by primary key, on the page's rows only; unordered,
    # or the model's default order would sort each row's one match).
    named = events.annotate(
        device_name=Subquery(Device.objects.filter(pk=OuterRef("device_id")).order_by().values("name")[:1])
    )
    page = AUDIT_PAGES.page(named, cursor=filters.cleaned_data["cursor"], total=True) if valid else None
    context = {"filter": filters, "form": filters.form, "page": page}
    return render_list(
        request, "voipadmin/audit_list.html", "audit-table", context, status=200 if valid else 400
    )


@require_POST
def set_timezone(request: HtmxHttpRequest) -> HttpResponse:
    """Keep the user's chosen time zone in the session; an unknown zone is a 400."""
    name = request.POST.get("timezone", "")
    if name not in settings.USER_TIME_ZONES:
        return HttpResponseBadRequest(_("Unknown time zone."))
    request.session[SESSION_KEY] = name
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    return redirect(target)
