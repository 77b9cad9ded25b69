"""The schedules reconciliation declares: made under their names, naming the tasks where they now live."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from devices.reconciliation.apps import SCHEDULES

NAMES = [name for name, *_ in SCHEDULES]
task_names = importlib.import_module("devices.reconciliation.migrations.0001_task_names")


@pytest.mark.django_db
def test_migrating_makes_the_schedules_with_the_tasks_paths() -> None:
    stored = dict(PeriodicTask.objects.filter(name__in=NAMES).values_list("name", "task"))
    assert stored == {name: task for name, task, *_ in SCHEDULES}
    assert all(task.startswith("devices.reconciliation.tasks.") for task in stored.values())


@pytest.mark.django_db
def test_stored_schedules_follow_the_tasks_to_their_new_paths_and_back() -> None:
    old = {
        name: task.replace("devices.reconciliation.tasks.", "devices.tasks.") for name, task, *_ in SCHEDULES
    }
    for name, task in old.items():
        PeriodicTask.objects.filter(name=name).update(task=task)

    task_names.rename(apps, None)
    assert dict(PeriodicTask.objects.filter(name__in=NAMES).values_list("name", "task")) == {
        name: task for name, task, *_ in SCHEDULES
    }
    task_names.rename_back(apps, None)
    assert dict(PeriodicTask.objects.filter(name__in=NAMES).values_list("name", "task")) == old
