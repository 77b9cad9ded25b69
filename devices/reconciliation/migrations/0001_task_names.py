"""Scheduled jobs follow reconciliation's tasks out of devices: a stored schedule names the task by its path."""

from django.db import migrations

TASKS = (
    "reconciliation_run_task",
    "reconciliation_worker_task",
    "reconciliation_sweep_task",
    "reconciliation_scheduled_task",
    "bulk_job_task",
)
RENAMED = {f"devices.tasks.{task}": f"devices.reconciliation.tasks.{task}" for task in TASKS}


def rename(apps, schema_editor, renamed=RENAMED):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in renamed.items():
        PeriodicTask.objects.filter(task=old).update(task=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0005_bulk_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
