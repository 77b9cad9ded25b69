from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The pages and tasks that span the apps: overview, search, customers, syncs, schedules, alerts, accounts."""

    name = "voipadmin.console"
    label = "console"
    verbose_name = _("Console")
