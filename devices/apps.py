from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

SCHEDULES = [
    ("devices: sync the mirror", "devices.tasks.devices_sync_task", 3600, {"trigger": "schedule"}),
    ("devices: reconcile VoIP authorization", "devices.tasks.reconciliation_scheduled_task", 15 * 60, {}),
    ("devices: reconciliation sweeper", "devices.tasks.reconciliation_sweep_task", 60, {}),
]


def _ensure_schedules(sender: AppConfig, **kwargs: Any) -> None:
    from voipadmin.schedules import ensure_schedules

    ensure_schedules(SCHEDULES)


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Homes and devices")

    def ready(self) -> None:
        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="devices.schedules")
