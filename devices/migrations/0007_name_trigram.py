"""Name search by trigram index, on PostgreSQL only (SQLite holds demo-sized mirrors and has no pg_trgm).

``icontains`` runs on PostgreSQL as ``UPPER(name::text) LIKE UPPER('%q%')``; an index on the plain column
cannot serve that, so each index is on the same expression, ``UPPER(name)`` with ``gin_trgm_ops``.
"""

from django.db import migrations

INDEXES = [
    ("device_name_trgm", "devices_device"),
    ("home_name_trgm", "devices_home"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER(name::text)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("devices", "0006_list_keyset_indexes")]

    operations = [migrations.RunPython(create, drop)]
