"""The step before every write to the cloud: say what it will do, and write only when the person confirms.

An action form posts its fields; without ``confirmed=yes`` the view answers this step instead of writing: for
htmx a box swapped into the page's confirm slot, without JavaScript a page of its own. Either way it is a form
that posts the same fields again with ``confirmed=yes``, and a way back that writes nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from voipadmin.core import audit_messages
from voipadmin.core.cloudwrite import Outcome, WriteResult

CONFIRM_FIELD = "confirmed"
ONCE_FIELD = "once"
SKIP_FIELDS = frozenset({"csrfmiddlewaretoken", CONFIRM_FIELD})


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "yes"


def once_token() -> str:
    """A fresh one-time token for a form that creates something (see cloudwrite.cloud_write's ``once``)."""
    return secrets.token_urlsafe(18)


def confirm_step(
    request: HttpRequest,
    *,
    action: str,
    params: dict[str, Any],
    back_url: str,
    target: str,
    note: str = "",
    button: str = "",
    heading: str = "",
) -> HttpResponse:
    """The confirm box (htmx) or page: ``target`` is where the confirmed answer goes on the page."""
    fields = [(k, v) for k in request.POST for v in request.POST.getlist(k) if k not in SKIP_FIELDS]
    context = {
        "what": audit_messages.describe(action, params),
        "action_label": audit_messages.action_label(action),
        "note": note,
        "button": button,
        "heading": heading,
        "post_url": request.path,
        "fields": fields,
        "back_url": back_url,
        "target": target,
    }
    htmx = getattr(request, "htmx", None)
    template = "voipadmin/confirm.html#confirm-box" if htmx else "voipadmin/confirm.html"
    return render(request, template, context)


def write_status(result: WriteResult) -> int:
    """The HTTP status that answers a write: 200 applied, 202 not known yet, 502 refused, 409 (503) not sent."""
    if result.outcome == Outcome.NOT_SENT:
        return 503 if result.params.get("reason") == "unreachable" else 409
    return {Outcome.APPLIED: 200, Outcome.UNKNOWN: 202, Outcome.REFUSED: 502}[result.outcome]
