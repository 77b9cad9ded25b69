"""Shared list helpers: a clamped page, and the one way a list answers both the page and its htmx fragment."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PER_PAGE = 50


def paginate(request: HttpRequest, items: Any, per_page: int = PER_PAGE) -> Page:
    """The requested page; a missing, non-numeric or out-of-range ``page`` is clamped, never an error."""
    raw = request.GET.get("page", "1")
    # isascii: "²" and "①" are digits to isdigit() but not to int().
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 1
    return Paginator(items, per_page).get_page(max(number, 1))


def render_list(
    request: HttpRequest, template: str, fragment: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The full page, or just ``template#fragment`` for an htmx request that is not a history restore."""
    htmx = getattr(request, "htmx", None)
    name = f"{template}#{fragment}" if htmx and not htmx.history_restore_request else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return mark_error_fragment(response)


def mark_error_fragment(response: HttpResponse) -> HttpResponse:
    """Let htmx swap a 4xx/5xx answer that carries a readable error fragment (static/js/app.js reads it)."""
    if response.status_code >= 400:
        response["X-Error-Fragment"] = "1"
    return response
