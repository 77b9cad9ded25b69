"""Reads of the device mirror: the only place that builds the devices app's list querysets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from devices.models import (
    CloudUser,
    Device,
    DeviceService,
    DeviceVasType,
    Home,
    ReconciliationItem,
    ReconciliationRun,
    VoipAuthState,
)
from voipadmin.core.keyset import Keyset
from voipadmin.core.textsearch import name_key, name_or_id_q

# Each list's order, served by a composite index ending in the primary key (devices/models.py). The two lists
# that search names are in the names' own search order (``name_key``: upper-cased, by code point), whose indexes
# (devices/migrations/0009, 0010) hold a start match as one range in that order: ``?q=王`` reads from the first
# 王 on, where an index by the bare name was walked past every name before it (260 ms at 5×10^5 homes).
NAME_KEY = (("name_key", lambda: name_key("name")),)
HOME_PAGES = Keyset("homes", ("name_key", "owner_id"), keys=NAME_KEY)
DEVICE_PAGES = Keyset("devices", ("name_key", "device_id"), keys=NAME_KEY)
HOME_DEVICE_PAGES = Keyset("home-devices", ("name", "device_id"))
RECONCILIATION_RUN_PAGES = Keyset("reconciliation-runs", ("-started_at", "-id"))
RECONCILIATION_ITEM_PAGES = Keyset("reconciliation-items", ("device_id", "id"))

# A name search follows voipadmin/core/textsearch.py (contains from three characters, starts-with below), served
# by the trigram index on ``UPPER(name)`` (devices/migrations/0007_name_trigram.py).

# The most devices one bulk action covers (devices/reconciliation/bulk.py); the devices list says so.
MAX_SELECTION = 5000


def home_list(*, filters: dict[str, Any]) -> QuerySet[Home]:
    qs = Home.objects.all()
    if q := filters.get("q"):
        qs = qs.filter(name_or_id_q(Home, "name", q, Q(owner_id=q)))
    return HOME_PAGES.ordered(qs)


def home_devices(*, home: Home) -> QuerySet[Device]:
    return Device.objects.filter(home=home).select_related("voip_auth").order_by(*HOME_DEVICE_PAGES.order)


def auth_state_q(state: str) -> Q:
    """Cloud vs WeChat: in sync, drift, or never checked (no WeChat observation yet)."""
    if state == "never":
        return Q(voip_auth__isnull=True) | Q(voip_auth__wechat_authorized__isnull=True)
    same = Q(voip_auth__is_auth=True, voip_auth__wechat_authorized=True) | Q(
        voip_auth__is_auth=False, voip_auth__wechat_authorized=False
    )
    if state == "in_sync":
        return same
    return Q(voip_auth__wechat_authorized__isnull=False) & ~same


def device_list(*, filters: dict[str, Any]) -> QuerySet[Device]:
    qs = Device.objects.select_related("home", "voip_auth")
    if q := filters.get("q"):
        qs = qs.filter(name_or_id_q(Device, "name", q, Q(device_id=q) | Q(uuid=q)))
    if (vas_type := filters.get("vas_type")) is not None:
        qs = qs.filter(Exists(DeviceVasType.objects.filter(device=OuterRef("pk"), vas_type=vas_type)))
    if filters.get("voip") == "yes":
        qs = qs.filter(voip_capable=True)
    elif filters.get("voip") == "no":
        qs = qs.filter(voip_capable=False)
    if state := filters.get("auth"):
        qs = qs.filter(auth_state_q(state))
    if (days := filters.get("expiring")) is not None:
        now = timezone.now()
        ending = DeviceService.objects.filter(
            device=OuterRef("pk"), is_permanent=False, end_at__gte=now, end_at__lte=now + timedelta(days=days)
        )
        qs = qs.filter(Exists(ending))
    return DEVICE_PAGES.ordered(qs)


def device_services(*, device: Device) -> list[DeviceService]:
    return list(device.services.order_by("service_type", "code"))


def voip_auth_for(*, device: Device) -> VoipAuthState | None:
    try:
        return VoipAuthState.objects.select_related("user").get(device=device)
    except VoipAuthState.DoesNotExist:
        return None


def user_devices(*, user: CloudUser) -> QuerySet[Device]:
    return (
        Device.objects.filter(voip_auth__user=user)
        .select_related("home", "voip_auth")
        .order_by("home__name", "name", "device_id")
    )


def user_homes(*, user: CloudUser) -> QuerySet[Home]:
    return (
        Home.objects.filter(devices__voip_auth__user=user)
        .annotate(device_count=Count("devices", distinct=True))
        .distinct()
        .order_by("name", "owner_id")
    )


# -- reconciliation ----------------------------------------------------------------------------------------------
def reconciliation_runs() -> QuerySet[ReconciliationRun]:
    # The list never shows the error lists; leave them in the database.
    return (
        ReconciliationRun.objects.select_related("requested_by")
        .defer("errors")
        .order_by(*RECONCILIATION_RUN_PAGES.order)
    )


def reconciliation_items(*, run: ReconciliationRun, filters: dict[str, Any]) -> QuerySet[ReconciliationItem]:
    """A run's drift and failure rows, by outcome and device id (a prefix)."""
    qs = run.items.all()
    if outcome := filters.get("outcome"):
        qs = qs.filter(outcome=outcome)
    if device := filters.get("device"):
        qs = qs.filter(device_id__startswith=device)
    return qs.order_by(*RECONCILIATION_ITEM_PAGES.order)
