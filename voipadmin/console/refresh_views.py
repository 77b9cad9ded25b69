"""The device page's refresh button: everything both syncs read for the device (voipadmin/console/refresh.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from devices.services import fixes
from devices.views import device_body, get_device
from voipadmin.console.refresh import device_refresh_everything
from voipadmin.core.paging import HtmxHttpRequest


@require_POST
@permission_required("voipadmin.run_safe_fixes", raise_exception=True)
def device_refresh_view(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    device = get_device(request, device_id)
    read = fixes.device_refresh_by(actor=request.user, device=device, refresh=device_refresh_everything)
    if read.throttled:
        return device_body(request, device, status=429, refresh_error=read.message)
    if not read.ok:
        return device_body(request, device, status=502, refresh_error=read.message)
    return device_body(request, read.value, refreshed=True)
