"""A search for an id the mirror lacks asks the cloud: the one lookup a page request may make besides buttons.

Only the full search (never the live dropdown), only for an id-shaped query, at most ``PER_MINUTE`` a minute
per person (through the shared cache, so every process counts together). A device id is asked with
getDeviceAddValueType (40000901: the cloud has no such device), then a home id with ext/getHome (1000: no such
home). What the cloud knows becomes a mirror row with its details (a device gets the device page's whole
refresh) and the search jumps to it.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.urls import reverse

from devices.services.refresh import home_refresh
from voipadmin.console.refresh import device_refresh_everything
from voipadmin.core.clients.cloud import CloudClient
from voipadmin.core.clients.errors import CloudError, DataNotFound, DeviceNotFound

log = logging.getLogger(__name__)

PER_MINUTE = 10
ID_SHAPE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9_\-.:]{3,63}$")


@dataclass(frozen=True)
class Lookup:
    url: str | None = None  # where the found object's page is
    unknown: bool = False  # the cloud does not know it
    throttled: bool = False
    failed: bool = False  # the cloud could not be asked


def id_shaped(q: str) -> bool:
    return bool(ID_SHAPE.match(q))


def _minute() -> int:
    return int(time.time() // 60)


def _allowed(user_key: str) -> bool:
    key = f"cloud-lookup:{user_key}:{_minute()}"
    cache.add(key, 0, 120)
    try:
        return cache.incr(key) <= PER_MINUTE
    except ValueError:  # expired between add and incr
        return cache.add(key, 1, 120)


def cloud_lookup(*, q: str, user_key: str, client: CloudClient | None = None) -> Lookup:
    """Ask the cloud for ``q`` as a device id, then as a home id."""
    if not _allowed(user_key):
        return Lookup(throttled=True)
    client = client or CloudClient.from_settings()
    try:
        try:
            device_refresh_everything(device_id=q, client=client)
            return Lookup(url=reverse("devices:device-detail", args=[q]))
        except DeviceNotFound:
            pass
        try:
            home_refresh(owner_id=q, client=client)
            return Lookup(url=reverse("devices:home-detail", args=[q]))
        except DataNotFound:
            return Lookup(unknown=True)
    except CloudError as exc:
        log.info("search: the cloud could not be asked for %r (%s)", q, exc)
        return Lookup(failed=True)
