from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from devices import selectors
from devices.filters import DeviceFilter, HomeFilter
from devices.forms import ExchangeCodeForm, VoipAuthUserForm
from devices.models import Device, Home
from devices.services import fixes
from devices.templatetags.devices_tags import HOME_ROW_FIELDS
from voipadmin.core.cloudwrite import WriteResult
from voipadmin.core.confirm import confirm_step, confirmed, write_status
from voipadmin.core.keyset import PageForm
from voipadmin.core.models import AuditEvent
from voipadmin.core.paging import HtmxHttpRequest, mark_error_fragment, render_list


def get_device(request: HtmxHttpRequest, device_id: str) -> Device:
    """The one lookup every device page and fragment goes through (login is enforced by middleware)."""
    return get_object_or_404(Device.objects.select_related("home"), pk=device_id)


@require_GET
def home_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = HomeFilter(request=request)
    valid = filters.is_valid()
    data = filters.cleaned_data
    homes = selectors.home_list(filters=data).values(*HOME_ROW_FIELDS)
    context = {
        "filter": filters,
        "form": filters.form,
        "page": selectors.HOME_PAGES.page(homes, cursor=data["cursor"], total=True) if valid else None,
    }
    return render_list(request, "devices/home_list.html", "home-table", context, status=200 if valid else 400)


@require_GET
def home_detail(request: HtmxHttpRequest, owner_id: str) -> HttpResponse:
    home = get_object_or_404(Home, pk=owner_id)
    form = PageForm(request.GET, keyset=selectors.HOME_DEVICE_PAGES)
    valid = form.is_valid()
    devices = selectors.home_devices(home=home)
    page = selectors.HOME_DEVICE_PAGES.page(devices, cursor=form.cleaned_data["cursor"]) if valid else None
    context = {"home": home, "page": page, "page_form": form}
    return render_list(
        request, "devices/home_detail.html", "device-table", context, status=200 if valid else 400
    )


@require_GET
def device_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = DeviceFilter(request=request)
    valid = filters.is_valid()
    data = filters.cleaned_data
    devices = selectors.device_list(filters=data)
    page = selectors.DEVICE_PAGES.page(devices, cursor=data["cursor"], total=True) if valid else None
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "filter": filters,
        "form": filters.form,
        "page": page,
        "can_bulk": valid and request.user.has_perm("voipadmin.run_safe_fixes"),
        "can_reconcile": request.user.has_perm("voipadmin.start_reconciliation"),
        "bulk_query": query.urlencode(),
        "matching": page.total if page is not None else None,  # the pager's own total, kept or estimated
        "bulk_cap": selectors.MAX_SELECTION,
    }
    return render_list(
        request, "devices/device_list.html", "device-table", context, status=200 if valid else 400
    )


def device_context(request: HtmxHttpRequest, device: Device) -> dict:
    return {
        "device": device,
        "services": selectors.device_services(device=device),
        "auth": selectors.voip_auth_for(device=device),
        "events": AuditEvent.objects.filter(device_id=device.device_id).select_related("actor")[:20],
        "can_fix": request.user.has_perm("voipadmin.run_safe_fixes"),
        "catalog_choices": ExchangeCodeForm.base_fields["catalog_code"].choices,
        "members": fixes.home_members(device),
    }


@require_GET
def device_detail(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    device = get_device(request, device_id)
    return render(request, "devices/device_detail.html", device_context(request, device))


PANELS = {"services": "services-panel", "voip": "voip-panel", "audit": "audit-panel"}


@require_GET
def device_panel(request: HtmxHttpRequest, device_id: str, panel: str) -> HttpResponse:
    if panel not in PANELS:
        raise Http404
    device = get_device(request, device_id)
    return render(request, f"devices/device_detail.html#{PANELS[panel]}", device_context(request, device))


def device_body(request: HtmxHttpRequest, device: Device, status: int = 200, **extra: object) -> HttpResponse:
    """After an action: the device body fragment for htmx, else back to the page with a message."""
    if request.htmx:
        context = {**device_context(request, device), **extra}
        response = render(request, "devices/device_detail.html#device-body", context, status=status)
        # A form that asked for a confirm step targets the confirm slot: the answer replaces the whole body.
        return mark_error_fragment(reswap(retarget(response, "#device-body"), "outerHTML"))
    if message := extra.get("refresh_error") or extra.get("fix_error"):
        messages.error(request, str(message))
    elif message := extra.get("fix_unknown"):
        messages.warning(request, str(message))
    elif message := extra.get("fix_message"):
        messages.success(request, str(message))
    return redirect("devices:device-detail", device.device_id)


def write_answer(request: HtmxHttpRequest, device: Device, result: WriteResult) -> HttpResponse:
    """The device body after a write, its message saying what the cloud did (or that nobody knows yet)."""
    status = write_status(result)
    if result.applied:
        fresh = Device.objects.select_related("home").get(pk=device.pk)
        return device_body(request, fresh, status=status, fix_message=result.message)
    if result.unknown:
        return device_body(request, device, status=status, fix_unknown=result.message)
    return device_body(request, device, status=status, fix_error=result.message)


def _run_fix(
    request: HtmxHttpRequest,
    device: Device,
    form_class: type,
    action: str,
    params: Callable[[dict], dict],
    run: Callable[[dict], WriteResult],
) -> HttpResponse:
    form = form_class(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return device_body(request, device, status=400, fix_error=errors)
    if not confirmed(request):
        back = reverse("devices:device-detail", args=[device.device_id])
        return confirm_step(
            request, action=action, params=params(form.cleaned_data), back_url=back, target="#device-body"
        )
    return write_answer(request, device, run(form.cleaned_data))


@require_POST
@permission_required("voipadmin.run_safe_fixes", raise_exception=True)
def device_set_auth_user(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    device = get_device(request, device_id)
    form = VoipAuthUserForm(request.POST)
    if form.is_valid() and not fixes.is_home_member(device, user_id := form.cleaned_data["user_id"]):
        # Refused before any confirm step or cloud call, and recorded as not sent.
        return write_answer(
            request, device, fixes.voip_auth_user_set(actor=request.user, device=device, user_id=user_id)
        )
    return _run_fix(
        request,
        device,
        VoipAuthUserForm,
        fixes.ACTION_AUTH_USER,
        lambda data: fixes.voip_auth_user_params(device, data["user_id"]),
        lambda data: fixes.voip_auth_user_set(actor=request.user, device=device, user_id=data["user_id"]),
    )


@require_POST
@permission_required("voipadmin.run_safe_fixes", raise_exception=True)
def device_redeem_code(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    device = get_device(request, device_id)
    return _run_fix(
        request,
        device,
        ExchangeCodeForm,
        fixes.ACTION_EXCHANGE,
        lambda data: fixes.exchange_code_params(device, data["code"], data["catalog_code"]),
        lambda data: fixes.exchange_code_redeem(
            actor=request.user, device=device, code=data["code"], catalog_code=data["catalog_code"]
        ),
    )


@require_GET
@permission_required("voipadmin.run_safe_fixes", raise_exception=True)
def device_voip_authorization(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    """What the mini program passes to wx.requestDeviceVoIP for this device, asked from the cloud now (audited)."""
    device = get_device(request, device_id)
    read = fixes.voip_authorization_load(actor=request.user, device=device)
    context: dict[str, object] = {"device": device}
    if read.ok:
        context |= {"authorization": read.value, "asked_at": timezone.now()}
    else:
        context["error"] = read.message
    if request.htmx:
        template = "devices/device_detail.html#voip-authorization"
    else:  # without JavaScript the link opens the device page with the section filled in
        template, context = "devices/device_detail.html", {**device_context(request, device), **context}
    # It holds a live sn ticket: never stored (every authenticated answer is no-store; this one says so itself).
    response = render(request, template, context, status=200 if read.ok else 502)
    patch_cache_control(response, no_store=True)
    return mark_error_fragment(response)
