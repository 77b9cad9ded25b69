"""The search page's name order as an index (voipadmin/core/textsearch.py ``name_key``), on PostgreSQL only.

``(UPPER(name) COLLATE "C", pk)``: the "C" collation lets the planner turn ``UPPER(name) LIKE 'q%'`` into a range
of this index, and the index hands the range over in the page's order, the primary key breaking ties. The three
tables are analysed so the new expression has statistics at once.
"""

from django.db import migrations

INDEXES = [
    ("device_name_key", "devices_device", "name", "device_id"),
    ("home_name_key", "devices_home", "name", "owner_id"),
    ("clouduser_name_key", "devices_clouduser", "user_name", "user_id"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column, pk in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} ((UPPER({column}::text)) COLLATE "C", {pk})'
        )
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, *_ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("devices", "0008_user_name_trigram")]

    operations = [migrations.RunPython(create, drop)]
