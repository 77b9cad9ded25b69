from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from voipadmin import health


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "voipadmin/overview.html")


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": health.check_database(), "broker": health.check_broker()}
    failed = sorted(name for name, error in checks.items() if error)
    body = {
        "status": "ok" if not failed else "failing",
        "checks": {name: ("ok" if error is None else f"failed: {error}") for name, error in checks.items()},
        "failed": failed,
    }
    return JsonResponse(body, status=503 if failed else 200)
