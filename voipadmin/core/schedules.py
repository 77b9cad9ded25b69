"""Default periodic jobs in the database (django-celery-beat): each app declares its own, made once.

An app lists ``(name, task, every_seconds, kwargs)``; ``ensure_schedules`` creates the ones missing and never
touches one that exists, so what ops changed or paused in /schedules/ stays as they left it.
"""

from __future__ import annotations

import json
from typing import Any


def ensure_schedules(defaults: list[tuple[str, str, int, dict[str, Any]]]) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, task, seconds, kwargs in defaults:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=every, kwargs=json.dumps(kwargs))
