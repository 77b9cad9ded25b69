"""Read one device or one home from the cloud now, and the re-read queued after a write whose outcome is unknown.

The re-read task lives here, beside what it runs, because services queue it: tasks import services, never the
reverse.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from devices.models import (
    CloudUser,
    Device,
    Home,
    HomeMember,
)
from devices.services.mirror import (
    device_values,
    fetch_details,
    home_device_counts_keep,
    store_details,
    store_details_batch,
    upsert,
    write_devices,
)
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.clients.errors import CloudUnavailable
from voipadmin.core.syncpass import Tally


def device_refresh(*, device_id: str, client: CloudClient | None = None) -> Device:
    """Re-read one device from the cloud now: its name, icon and types (getDeviceAddValueType), then what the
    sync reads for it (capability, services, VoIP). A device the mirror lacks becomes a row (its home comes
    with the next pass); raises DeviceNotFound (40000901) when the cloud does not know it. "Last synced" moves.
    """
    client = client or CloudClient.from_settings()
    info = client.get_device_add_value_type(device_id)
    details = fetch_details(client, device_id)
    now, tally = timezone.now(), Tally()
    values = {"name": info.name, "icon": info.icon, "vas_types": sorted(int(t) for t in info.types)}
    with transaction.atomic():
        write_devices({device_id: values}, now, tally)  # no home in ``values``: no home's count moves
        Device.objects.filter(pk=device_id).update(synced_at=now)
        store_details(details, now, tally)
    return Device.objects.select_related("home").get(pk=device_id)


def home_refresh(*, owner_id: str, client: CloudClient) -> Home:
    """Read one home now (ext/getHome; DataNotFound when the cloud has none), its members the mirror knows,
    and its devices with their details."""
    info = client.get_home(owner_id)
    now, tally = timezone.now(), Tally()
    home = info.home
    items = list(client.get_device_list(owner_id).raise_errors())
    details = [fetch_details(client, item.id) for item in items]
    with transaction.atomic():
        values = {"name": home.name, "geo_name": home.geo_name or "", "cloud_modified_at": home.modified_at}
        upsert(Home, "owner_id", {owner_id: values}, now, tally)
        Home.objects.filter(pk=owner_id).update(synced_at=now)
        known = CloudUser.objects.filter(pk__in=info.user_ids).values_list("pk", flat=True)
        HomeMember.objects.bulk_create(
            [HomeMember(home_id=owner_id, user_id=u, synced_at=now) for u in known], ignore_conflicts=True
        )
        moved = write_devices({item.id: device_values(item, owner_id) for item in items}, now, tally)
        store_details_batch(details, now, tally)
        home_device_counts_keep(homes=sorted({owner_id, *moved}))
    return Home.objects.get(pk=owner_id)


# Queued by the services (queue_refresh), so it lives beside them: tasks import services, never the reverse.
@shared_task(autoretry_for=(CloudUnavailable,), retry_backoff=10, max_retries=3)
def device_refresh_task(device_id: str) -> dict[str, str]:
    device_refresh(device_id=device_id)
    return {"device": device_id}


def reread_delay() -> float:
    """Later than the cloud could still be working on a call that timed out, so the re-read sees its result."""
    return max(settings.CLOUD_REREAD_SECONDS, 2 * settings.CLOUD_TIMEOUT)


def queue_refresh(device_id: str) -> dt.datetime:
    """Queue a re-read of the device (after commit) and say when it runs."""
    delay = reread_delay()
    device_refresh_task.apply_async_on_commit((device_id,), countdown=delay)
    return timezone.now() + dt.timedelta(seconds=delay)
