"""Shared list helpers: the one way a list answers both the page and its htmx fragment (paging: keyset.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it: ``request.htmx`` is typed."""

    htmx: HtmxDetails


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx swap asks for the fragment; a history restore (the browser's back) needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def render_list(
    request: HtmxHttpRequest, template: str, fragment: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The full page, or just ``template#fragment`` for an htmx request that is not a history restore."""
    name = f"{template}#{fragment}" if wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return mark_error_fragment(response)


def mark_error_fragment(response: HttpResponse) -> HttpResponse:
    """Let htmx swap a 4xx/5xx answer that carries a readable error fragment (static/js/app.js reads it)."""
    if response.status_code >= 400:
        response["X-Error-Fragment"] = "1"
    return response
