"""Database upkeep after bulk writes, the same on SQLite and PostgreSQL.

- ``planner_statistics_refresh``: fresh statistics for the query planner. Without them
  SQLite picks its join order blind: after the desks' tables fill, the review's month of
  cancellation requests was read by walking every unit's requests instead of the
  ``opened_at`` index (three times slower at 1M lines). SQLite samples
  (``PRAGMA analysis_limit``), so this takes milliseconds even on a multi-gigabyte file;
  PostgreSQL samples too (``ANALYZE``).
- ``bulk_load_finish``: after a generator or an import wrote rows with explicit ids, the
  PostgreSQL sequences go past them and the tables get fresh statistics.

The worker refreshes the statistics daily (``core.planner_statistics``); PostgreSQL's
autovacuum also does so on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Model

# rows SQLite reads per index when it samples (the SQLite documentation suggests 100-1000)
SQLITE_ANALYSIS_LIMIT = 1000


def _tables(app_labels: Iterable[str]) -> list[str]:
    tables: list[str] = []
    for label in app_labels:
        for model in apps.get_app_config(label).get_models():
            if model._meta.managed and not model._meta.proxy:
                tables.append(model._meta.db_table)
    return sorted(set(tables))


def planner_statistics_refresh(*, app_labels: Sequence[str] | None = None) -> list[str]:
    """Refresh the planner's statistics of the apps' tables (``None``: the whole database);
    returns the tables analysed (``["*"]`` for the whole database)."""
    tables = _tables(app_labels) if app_labels is not None else ["*"]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        for table in tables:
            cursor.execute("ANALYZE" if table == "*" else f"ANALYZE {quote(table)}")
    return tables


def bulk_load_finish(*, explicit_ids: Sequence[type[Model]], app_labels: Sequence[str]) -> None:
    """After a bulk write: PostgreSQL sequences past the explicit ids of ``explicit_ids``'
    tables, and fresh planner statistics for the tables of ``app_labels``."""
    if connection.vendor == "postgresql" and explicit_ids:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(explicit_ids)):
                cursor.execute(sql)
    planner_statistics_refresh(app_labels=app_labels)
