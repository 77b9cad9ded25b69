"""Django admin of the floor: the read-only base every app's admin uses, and the audit log (read-only).

AuditEventAdmin is also the benchmark's yardstick (bench/lists.py): the same columns, filters and search as
/audit/, so the two pages are compared page for page.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from voipadmin.core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """The mirror and the log are written by the product only: the admin reads."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_name", "action", "device_id", "result", "message", "cloud_code")
    list_filter = ("action", "result", "created_at")
    search_fields = ("actor_name", "device_id")
