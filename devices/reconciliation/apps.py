from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Named as they were when reconciliation lived in devices: ensure_schedules finds existing rows by name.
SCHEDULES = [
    (
        "devices: reconcile VoIP authorization",
        "devices.reconciliation.tasks.reconciliation_scheduled_task",
        15 * 60,
        {},
    ),
    ("devices: reconciliation sweeper", "devices.reconciliation.tasks.reconciliation_sweep_task", 60, {}),
]


class ReconciliationConfig(AppConfig):
    """VoIP authorization's reconciliation and the bulk actions: a part above devices, whose models it uses."""

    name = "devices.reconciliation"
    label = "reconciliation"
    verbose_name = _("Reconciliation")

    def ready(self) -> None:
        from voipadmin.core.schedules import defaults_on_migrate

        defaults_on_migrate(self, SCHEDULES)
