from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_POST

from devices.models import Device
from devices.views import get_device
from mall import csv_export, selectors
from mall.filters import OrderFilter, SubscriptionFilter
from mall.forms import TestPurchaseForm
from mall.models import CommodityPrice
from mall.services.purchase import ACTION, purchase_params, test_purchase_make
from voipadmin.core.cloudwrite import WriteResult
from voipadmin.core.confirm import confirm_step, confirmed, write_status
from voipadmin.core.csvstream import csv_response
from voipadmin.core.enums import CategoryCode, label_of
from voipadmin.core.keyset import PageForm
from voipadmin.core.paging import HtmxHttpRequest, mark_error_fragment, render_list


# -- catalog -------------------------------------------------------------------------------------------------
@require_GET
def commodity_list(request: HtmxHttpRequest) -> HttpResponse:
    form = PageForm(request.GET, keyset=selectors.COMMODITY_PAGES)
    valid = form.is_valid()
    page = (
        selectors.COMMODITY_PAGES.page(selectors.commodity_list(), cursor=form.cleaned_data["cursor"])
        if valid
        else None
    )
    context = {"page": page, "page_form": form}
    return render_list(
        request, "mall/commodity_list.html", "commodity-table", context, status=200 if valid else 400
    )


@require_GET
def commodity_detail(request: HtmxHttpRequest, commodity_code: str) -> HttpResponse:
    commodity = get_object_or_404(selectors.commodity_list(), pk=commodity_code)
    form = PageForm(request.GET, keyset=selectors.COMMODITY_DEVICE_PAGES)
    valid = form.is_valid()
    devices = selectors.commodity_devices(commodity=commodity)
    page = (
        selectors.COMMODITY_DEVICE_PAGES.page(devices, cursor=form.cleaned_data["cursor"]) if valid else None
    )
    context = {"commodity": commodity, "page": page, "page_form": form}
    return render_list(
        request, "mall/commodity_detail.html", "device-table", context, status=200 if valid else 400
    )


# Each language by its own name, as a language switcher shows it (never translated).
INTRO_LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


@require_GET
def service_detail(request: HtmxHttpRequest, category_code: str) -> HttpResponse:
    languages = selectors.service_languages(category_code=category_code)
    wanted = request.GET.get("lang") or ("zh" if (get_language() or "").startswith("zh") else "en")
    lang = wanted if wanted in languages else (languages[0] if languages else "")
    modules = selectors.service_introduction(category_code=category_code, lang=lang)
    if modules is None:
        raise Http404
    context = {
        "category_code": category_code,
        "category_label": label_of(CategoryCode, category_code),
        "modules": modules,
        "lang": lang,
        # Not "languages": base.html's language menu sets that name for the whole template.
        "intro_languages": [(code, INTRO_LANGUAGE_NAMES.get(code, code)) for code in languages],
    }
    return render(request, "mall/service_detail.html", context)


# -- orders --------------------------------------------------------------------------------------------------
@require_GET
def order_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = OrderFilter(request=request)
    # Each row links to its order and device: the URL prefixes once, not a reverse() per row. "embedded" is
    # asked per row: a name missing from the context costs a raised and caught exception at each lookup.
    context = {
        "filter": filters,
        "form": filters.form,
        "page": None,
        "list_url": request.path,
        "device_url": reverse("devices:device-list"),
        "embedded": False,
    }
    if not filters.is_valid():
        return render_list(request, "mall/order_list.html", "order-table", context, status=400)
    data = filters.cleaned_data
    if data["format"] == "csv":
        return csv_response(csv_export.order_rows(filters=data), "orders.csv")
    context["page"] = selectors.order_page(filters=data)
    return render_list(request, "mall/order_list.html", "order-table", context)


@require_GET
def order_totals(request: HtmxHttpRequest) -> HttpResponse:
    filters = OrderFilter(request=request)
    valid = filters.is_valid()
    totals = selectors.order_totals(filters=filters.cleaned_data) if valid else None
    context = {"filter": filters, "form": filters.form, "totals": totals}
    return render_list(
        request, "mall/order_totals.html", "order-totals", context, status=200 if valid else 400
    )


@require_GET
def order_detail(request: HtmxHttpRequest, order_id: str) -> HttpResponse:
    order = selectors.order_detail(order_id=order_id)
    if order is None:
        raise Http404
    context = {
        "order": order,
        "mall": selectors.order_mall(order=order),
        "subscriptions": order.subscriptions.all(),
    }
    return render(request, "mall/order_detail.html", context)


# -- subscriptions -------------------------------------------------------------------------------------------
@require_GET
def subscription_list(request: HtmxHttpRequest) -> HttpResponse:
    filters = SubscriptionFilter(request=request)
    context = {"filter": filters, "form": filters.form, "page": None}
    if not filters.is_valid():
        return render_list(request, "mall/subscription_list.html", "subscription-table", context, status=400)
    if filters.cleaned_data["format"] == "csv":
        return csv_response(csv_export.subscription_rows(filters=filters.cleaned_data), "subscriptions.csv")
    context["page"] = selectors.subscription_page(filters=filters.cleaned_data)
    return render_list(request, "mall/subscription_list.html", "subscription-table", context)


@require_GET
def subscription_detail(request: HtmxHttpRequest, subscribe_id: str) -> HttpResponse:
    subscription = selectors.subscription_detail(subscribe_id=subscribe_id)
    if subscription is None:
        raise Http404
    return render(request, "mall/subscription_detail.html", {"subscription": subscription})


# -- the device page's mall panel ----------------------------------------------------------------------------
def _panel_context(request: HtmxHttpRequest, device: Device) -> dict:
    return {
        "device": device,
        "mall_infos": selectors.device_mall_infos(device=device),
        "offers": selectors.device_offers(device=device),
        "page": selectors.order_page(filters={"device": device.device_id}, per_page=10),
        "list_url": reverse("mall:order-list"),
        "embedded": True,
        "can_purchase": settings.SANDBOX_BACKED and request.user.has_perm("voipadmin.make_test_purchase"),
    }


@require_GET
def device_panel(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    device = get_device(request, device_id)
    return render(request, "mall/device_panel.html", _panel_context(request, device))


@require_POST
@permission_required("voipadmin.make_test_purchase", raise_exception=True)
def device_purchase(request: HtmxHttpRequest, device_id: str) -> HttpResponse:
    """A test purchase: confirmed first; the form's one-time token makes a second submit answer the first."""
    if not settings.SANDBOX_BACKED:
        raise Http404
    device = get_device(request, device_id)
    form = TestPurchaseForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    price = get_object_or_404(
        CommodityPrice.objects.select_related("commodity"),
        commodity__offers__device=device,
        commodity_id=data["commodity_code"],
        option_type=data["option_type"],
        option_no=data["option_no"],
    )
    if not confirmed(request):
        back = reverse("devices:device-detail", args=[device.device_id])
        params = purchase_params(device, price)
        return confirm_step(request, action=ACTION, params=params, back_url=back, target="#mall-device-panel")
    outcome = test_purchase_make(actor=request.user, device=device, price=price, once=data["once"])
    if not request.htmx:
        messages.add_message(request, _message_level(outcome), outcome.message)
        return redirect("devices:device-detail", device_id=device.device_id)
    context = {**_panel_context(request, device), "outcome": outcome}
    # htmx swaps the panel either way: its state says what the cloud did, or that nobody knows yet.
    return mark_error_fragment(
        render(request, "mall/device_panel.html", context, status=write_status(outcome))
    )


def _message_level(outcome: WriteResult) -> int:
    if outcome.applied:
        return messages.SUCCESS
    return messages.WARNING if outcome.unknown else messages.ERROR
