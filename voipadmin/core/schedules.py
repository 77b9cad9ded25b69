"""Default periodic jobs in the database (django-celery-beat): each app declares its own, made once.

An app lists ``(name, task, every_seconds, kwargs)``; ``ensure_schedules`` creates the ones missing and never
touches one that exists, so what ops changed or paused in /schedules/ stays as they left it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

Schedule = tuple[str, str, int, dict[str, Any]]


def ensure_schedules(defaults: Sequence[Schedule]) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, task, seconds, kwargs in defaults:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=every, kwargs=json.dumps(kwargs))


def defaults_on_migrate(
    config: AppConfig, schedules: Sequence[Schedule], alert_kinds: Sequence[Any] = ()
) -> None:
    """After every migrate, make the app's default schedules and alert rules that are missing (from ``ready``).

    Django sends post_migrate only to apps with a models module, so an app without models keeps an empty one."""
    from voipadmin.core.alerts import ensure_alert_rules

    def ensure(sender: AppConfig, **kwargs: Any) -> None:
        ensure_schedules(schedules)
        if alert_kinds:
            ensure_alert_rules(list(alert_kinds))

    post_migrate.connect(ensure, sender=config, weak=False, dispatch_uid=f"{config.label}.defaults")
