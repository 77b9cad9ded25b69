"""Django admin for the device mirror: read-only (the cloud is the source of truth).

HomeAdmin and DeviceAdmin are also the benchmark's yardstick (bench/lists.py): the same columns, filters and
search as /homes/ and /devices/, so the two pages are compared page for page.
"""

from __future__ import annotations

from django.contrib import admin

from devices.models import Device, Home
from voipadmin.core.admin import ReadOnlyAdmin


@admin.register(Home)
class HomeAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner_id", "geo_name", "device_count", "synced_at")
    search_fields = ("owner_id", "name")


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ("name", "device_id", "location_name", "home", "vas_types", "voip_capable", "synced_at")
    list_filter = (
        "voip_capable",
        "vas_type_rows__vas_type",
        "voip_auth__is_auth",
        "voip_auth__wechat_authorized",
    )
    search_fields = ("device_id", "uuid", "name")
    list_select_related = ("home", "voip_auth")
