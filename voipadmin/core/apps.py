from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

SCHEDULES = [("alerts: evaluate the rules", "voipadmin.core.alerts.alerts_evaluate_task", 60, {})]


class VoipadminConfig(AppConfig):
    """The floor every app stands on; its label stays "voipadmin" (tables, migrations and permissions keep it)."""

    name = "voipadmin.core"
    label = "voipadmin"
    verbose_name = _("VoIP admin")

    def ready(self) -> None:
        from voipadmin.core import alerts, roles, saved_views, sessions  # noqa: F401 -- sessions connects its login signals
        from voipadmin.core.alerts import VOIPADMIN_KINDS
        from voipadmin.core.schedules import defaults_on_migrate

        post_migrate.connect(roles.on_post_migrate, dispatch_uid="voipadmin.ensure_roles")
        roles.connect_role_changes()
        alerts.connect_alert_changes()
        saved_views.connect_view_changes()
        defaults_on_migrate(self, SCHEDULES, VOIPADMIN_KINDS)
