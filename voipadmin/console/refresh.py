"""Read one device through to the cloud: everything both syncs read for it, from the one place above both apps.

The devices app re-reads the device itself (name, icon, types, capability, services, VoIP); the mall app its
mall info and offers. Neither imports the other, so the whole refresh is put together here, for the device
page's button and for a search that finds an id the mirror lacks.
"""

from __future__ import annotations

from devices.models import Device
from devices.services.refresh import device_refresh
from mall.services.sync import device_mall_refresh
from voipadmin.core.clients.cloud import CloudClient


def device_refresh_everything(*, device_id: str, client: CloudClient | None = None) -> Device:
    """Re-read the device, then its mall info and offers; raises CloudError (DeviceNotFound: unknown device)."""
    client = client or CloudClient.from_settings()
    device = device_refresh(device_id=device_id, client=client)
    device_mall_refresh(device_id=device_id, client=client)
    return device
