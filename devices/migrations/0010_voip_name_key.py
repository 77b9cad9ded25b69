"""The devices list's ``voip`` filter in the list's order (devices/selectors.py DEVICE_PAGES: ``name_key``), on
PostgreSQL only as 0009: ``(voip_capable, UPPER(name) COLLATE "C", device_id)``.

The indexes by the bare name stay: the model's own ordering (the admin's, a user's devices and homes) reads
them."""

from django.db import migrations

NAME, TABLE = "device_voip_key", "devices_device"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {NAME} ON {TABLE} (voip_capable, (UPPER(name::text)) COLLATE "C", device_id)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("devices", "0009_name_key")]

    operations = [migrations.RunPython(create, drop)]
