"""The customer page (/users/<id>/): a cross-app page, so it lives with the overview and the search."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from devices.models import CloudUser
from voipadmin.console.customer import LIMIT, customer_for
from voipadmin.core.paging import HtmxHttpRequest


def get_cloud_user(request: HtmxHttpRequest, user_id: str) -> CloudUser:
    """The one lookup of a customer (login is enforced by middleware; every role may read customers)."""
    return get_object_or_404(CloudUser.objects.prefetch_related("wechat_identities"), pk=user_id)


@require_GET
def user_detail(request: HtmxHttpRequest, user_id: str) -> HttpResponse:
    customer = customer_for(get_cloud_user(request, user_id))
    return render(request, "voipadmin/customer.html", {"c": customer, "limit": LIMIT})
