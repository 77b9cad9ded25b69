from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

SCHEDULES = [
    ("mall: sync the mirror", "mall.tasks.mall_sync_task", 600, {"trigger": "schedule"}),
    # A full pass a day re-reads everything; its SyncRun counts what incremental passes had missed.
    (
        "mall: full sync every day",
        "mall.tasks.mall_sync_task",
        24 * 3600,
        {"trigger": "schedule", "full": True},
    ),
]


class MallConfig(AppConfig):
    name = "mall"
    verbose_name = _("Mall")

    def ready(self) -> None:
        from mall.alerts import KINDS
        from voipadmin.core.schedules import defaults_on_migrate

        defaults_on_migrate(self, SCHEDULES, KINDS)
