"""A person's own sessions (see and end them), and the endpoint browsers report CSP violations to."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from voipadmin.core.models import UserSession
from voipadmin.core.paging import HtmxHttpRequest
from voipadmin.core.sessions import session_end, sessions_end_others

log = logging.getLogger("voipadmin.csp")
MAX_REPORT = 16 * 1024


@require_GET
def session_list(request: HtmxHttpRequest) -> HttpResponse:
    sessions = UserSession.objects.filter(user=request.user)
    context = {
        "sessions": sessions,
        "current": request.session.session_key,
        "absolute_hours": settings.SESSION_ABSOLUTE_HOURS,
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
    }
    return render(request, "registration/sessions.html", context)


@require_POST
def session_end_view(request: HtmxHttpRequest) -> HttpResponse:
    current = request.session.session_key
    if request.POST.get("others") == "1":
        count = sessions_end_others(user=request.user, keep=current)
        messages.success(request, _("Ended %(count)d other session(s).") % {"count": count})
        return redirect("sessions")
    key = request.POST.get("key", "")
    if not key or len(key) > 64:
        return HttpResponseBadRequest(_("Say which session to end."))
    if not session_end(user=request.user, session_key=key):
        messages.error(request, _("That session had already ended."))
    elif key == current:
        return redirect("login")
    else:
        messages.success(request, _("The session was ended: that browser is logged out."))
    return redirect("sessions")


@csrf_exempt
@login_not_required
@require_POST
def csp_report(request: HtmxHttpRequest) -> HttpResponse:
    """A browser's report of a Content-Security-Policy violation: logged (bounded), so violations are seen."""
    body = request.body[:MAX_REPORT]
    try:
        report = json.loads(body).get("csp-report", {})
    except (ValueError, AttributeError):
        return HttpResponseBadRequest("not a CSP report")
    if not isinstance(report, dict):
        return HttpResponseBadRequest("not a CSP report")
    log.warning(
        "CSP violation: %s blocked %s on %s",
        str(report.get("violated-directive") or report.get("effective-directive"))[:100],
        str(report.get("blocked-uri"))[:200],
        str(report.get("document-uri")).split("?")[0][:200],
    )
    return HttpResponse(status=204)
