from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

SCHEDULES = [
    ("devices: sync the mirror", "devices.tasks.devices_sync_task", 3600, {"trigger": "schedule"}),
    # A full pass a day re-reads everything; its SyncRun counts what incremental passes had missed.
    (
        "devices: full sync every day",
        "devices.tasks.devices_sync_task",
        24 * 3600,
        {"trigger": "schedule", "full": True},
    ),
]


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Homes and devices")

    def ready(self) -> None:
        from devices.alerts import KINDS
        from voipadmin.core.schedules import defaults_on_migrate

        defaults_on_migrate(self, SCHEDULES, KINDS)
