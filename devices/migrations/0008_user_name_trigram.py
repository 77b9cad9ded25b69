"""The cloud users' names get the trigram index the devices' and homes' names have (0007), for the search page's
users group (voipadmin/core/textsearch.py); the three tables are analysed so the planner uses the indexes at once.
PostgreSQL only, as 0007."""

from django.db import migrations

NAME, TABLE, COLUMN = "clouduser_name_trgm", "devices_clouduser", "user_name"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON {TABLE} USING gin ((UPPER({COLUMN}::text)) gin_trgm_ops)"
    )
    # The planner knows an indexed expression's values only once its table is analysed after the index exists;
    # until then it walks the name index and filters every row (36 ms against 0.5 ms at 10^5 users).
    for table in (TABLE, "devices_device", "devices_home"):
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("devices", "0007_name_trigram")]

    operations = [migrations.RunPython(create, drop)]
