"""Full-text index of work orders: an FTS5 table on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

FTS_TABLE = "complaints_workorder_fts"


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} "
            "USING fts5(document, tokenize='trigram')"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS complaints_workorder_search_gin ON complaints_workorder "
            "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_document, '')))"
        )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS complaints_workorder_search_gin")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
