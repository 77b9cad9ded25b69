from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class VoipadminConfig(AppConfig):
    name = "voipadmin"
    verbose_name = _("VoIP admin")

    def ready(self) -> None:
        from voipadmin import roles, sessions  # noqa: F401 -- sessions connects its login signals

        post_migrate.connect(roles.on_post_migrate, dispatch_uid="voipadmin.ensure_roles")
