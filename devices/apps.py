from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
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


def _ensure_schedules(sender: AppConfig, **kwargs: Any) -> None:
    from voipadmin.core.schedules import ensure_schedules

    ensure_schedules(SCHEDULES)
    from devices.alerts import KINDS
    from voipadmin.core.alerts import ensure_alert_rules

    ensure_alert_rules(KINDS)


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = _("Homes and devices")

    def ready(self) -> None:
        from devices import alerts  # noqa: F401 -- registers its kinds of alert

        post_migrate.connect(_ensure_schedules, sender=self, dispatch_uid="devices.schedules")
