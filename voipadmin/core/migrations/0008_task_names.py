"""Scheduled jobs follow their tasks to their modules: a stored schedule names the task by its import path."""

from django.db import migrations

RENAMED = {"voipadmin.tasks.alerts_evaluate_task": "voipadmin.core.alerts.alerts_evaluate_task"}


def rename(apps, schema_editor, renamed=RENAMED):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in renamed.items():
        PeriodicTask.objects.filter(task=old).update(task=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("voipadmin", "0007_saved_views"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
