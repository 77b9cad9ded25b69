"""Our 400 / 403 / 404 / 500 pages: on the base layout, translated, with the search box and a way back.

The 500 page is rendered without the request's context processors (which read the session and the user from
the database): it must still render when the database is what failed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

PAGES = {
    400: (_("This request is not valid"), _("Something in the address or the form could not be read.")),
    403: (
        _("You may not do this"),
        _("Your role does not allow this page or action. Ask an ops user if you need it."),
    ),
    404: (
        _("Not found"),
        _("There is nothing at this address. It may have been mistyped, or the item is gone."),
    ),
    500: (
        _("Something went wrong on our side"),
        _(
            "The error is logged. Try again in a moment; if it keeps happening, tell the ops team the time it happened."
        ),
    ),
}


def _context(request: HttpRequest, status: int) -> dict[str, object]:
    title, message = PAGES[status]
    referer = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(referer, {request.get_host()}, require_https=request.is_secure())
    return {
        "status": status,
        "title": title,
        "message": message,
        "back_url": referer if safe else "",
        "error_page": True,
    }


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "error.html", _context(request, 400), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "error.html", _context(request, 403), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "error.html", _context(request, 404), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request in the template context: no context processor runs, so no session, user or role is read.
    return HttpResponse(render_to_string("error.html", _context(request, 500)), status=500)
