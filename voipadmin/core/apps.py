from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

SCHEDULES = [("alerts: evaluate the rules", "voipadmin.core.alerts.alerts_evaluate_task", 60, {})]


def _ensure_defaults(sender: AppConfig, **kwargs: Any) -> None:
    from voipadmin.core.alerts import VOIPADMIN_KINDS, ensure_alert_rules
    from voipadmin.core.schedules import ensure_schedules

    ensure_schedules(SCHEDULES)
    ensure_alert_rules(VOIPADMIN_KINDS)


class VoipadminConfig(AppConfig):
    """The floor every app stands on; its label stays "voipadmin" (tables, migrations and permissions keep it)."""

    name = "voipadmin.core"
    label = "voipadmin"
    verbose_name = _("VoIP admin")

    def ready(self) -> None:
        from voipadmin.core import alerts, roles, sessions  # noqa: F401 -- sessions connects its login signals

        post_migrate.connect(roles.on_post_migrate, dispatch_uid="voipadmin.ensure_roles")
        post_migrate.connect(_ensure_defaults, sender=self, dispatch_uid="voipadmin.defaults")
