"""Column-wise rows for the big tables (the generators, the snapshots, the monthly scores),
and how they are written through Django's connection.

SQLite gets ``executemany`` of plain tuples on the raw connection (one transaction per
chunk, opened by the caller); PostgreSQL gets ``COPY ... FROM STDIN``. Values are in the
form Django itself stores them: dates as ``YYYY-MM-DD``, aware datetimes in UTC, decimals
as numbers with their field's decimal places, JSON as text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Field, Model

# Column kinds: how a numpy column becomes database values (``AS_IS``: a list of values
# already in their stored form: ints, floats, text, decimals as text, or None).
INT, INT_NULL, DEC2, DEC3, DATE, DATE_NULL, DATETIME, TEXT, BOOL, JSON, AS_IS = (
    "int",
    "int?",
    "dec2",
    "dec3",
    "date",
    "date?",
    "datetime",
    "text",
    "bool",
    "json",
    "as-is",
)
NULL_DATE = np.iinfo(np.int64).min  # sentinel day for NULL dates
SQLITE_ROWS_PER_STATEMENT = 500


@dataclass
class Table:
    """Rows of one model, column by column (field name, kind, values)."""

    model: type[Model]
    columns: list[tuple[str, str, Any]]

    def __len__(self) -> int:
        return len(self.columns[0][2]) if self.columns else 0

    def column(self, name: str) -> Any:
        for field_name, _kind, values in self.columns:
            if field_name == name:
                return values
        raise KeyError(name)


def _date_strings(days: np.ndarray) -> list[Any]:
    """Days since 1970-01-01 -> ``YYYY-MM-DD`` (``NULL_DATE`` -> None)."""
    days = np.asarray(days, dtype=np.int64)
    null = days == NULL_DATE
    if len(days) == 0:
        return []
    valid = days[~null]
    if len(valid) == 0:
        return [None] * len(days)
    lo, hi = int(valid.min()), int(valid.max())
    lookup = np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]")).astype(object)
    out = lookup[np.where(null, lo, days) - lo]
    if null.any():
        out[null] = None
    return list(out.tolist())


def _datetime_strings(seconds: np.ndarray, *, suffix: str) -> list[str]:
    """Seconds since the epoch (UTC) -> ``YYYY-MM-DD HH:MM:SS`` + suffix."""
    text = np.datetime_as_string(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"))
    return [f"{t[:10]} {t[11:]}{suffix}" for t in text.tolist()]


def _python_values(kind: str, values: Any, *, postgres: bool) -> list[Any]:
    if kind == INT:
        return list(np.asarray(values, dtype=np.int64).tolist())
    if kind == INT_NULL:
        array = np.asarray(values, dtype=np.int64)
        objects = array.astype(object)
        objects[array < 0] = None
        return list(objects.tolist())
    if kind == DEC2:
        return list(np.round(np.asarray(values, dtype=float), 2).tolist())
    if kind == DEC3:
        return list(np.round(np.asarray(values, dtype=float), 3).tolist())
    if kind in (DATE, DATE_NULL):
        return _date_strings(values)
    if kind == DATETIME:
        return _datetime_strings(values, suffix="+00:00" if postgres else "")
    if kind == BOOL:
        array = np.asarray(values, dtype=bool)
        return list(array.tolist()) if postgres else list(array.astype(np.int64).tolist())
    if kind in (TEXT, JSON, AS_IS):
        return list(values)
    raise ValueError(f"unknown column kind {kind!r}")


def table_write(table: Table) -> int:
    """Insert the table's rows through the default connection; returns the row count."""
    n = len(table)
    if n == 0:
        return 0
    meta = table.model._meta
    postgres = connection.vendor == "postgresql"
    fields = [meta.get_field(name) for name, _kind, _values in table.columns]
    names = [str(f.column) for f in fields if isinstance(f, Field)]
    assert len(names) == len(fields), "columns must be concrete fields"

    lists: Sequence[list[Any]] = [
        _python_values(kind, values, postgres=postgres) for _name, kind, values in table.columns
    ]
    quoted = ", ".join(connection.ops.quote_name(c) for c in names)
    db_table = connection.ops.quote_name(meta.db_table)
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    if postgres:
        with raw.cursor() as cursor, cursor.copy(f"COPY {db_table} ({quoted}) FROM STDIN") as copy:
            for row in zip(*lists, strict=True):
                copy.write_row(row)
        return n
    _sqlite_insert(raw, f"INSERT INTO {db_table} ({quoted}) VALUES ", lists, n)
    return n


def _sqlite_insert(raw: Any, head: str, lists: Sequence[list[Any]], n: int) -> None:
    """Many rows per INSERT statement: binding is cheap, statements are not."""
    width = len(lists)
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(SQLITE_ROWS_PER_STATEMENT, limit // width))
    flat = np.empty((n, width), dtype=object)
    for j, values in enumerate(lists):
        flat[:, j] = values
    one = "(" + ", ".join("?" * width) + ")"
    full = n - n % per_statement
    cursor = raw.cursor()
    try:
        if full:
            cursor.executemany(
                head + ", ".join([one] * per_statement),
                flat[:full].reshape(-1, width * per_statement).tolist(),
            )
        if full < n:
            cursor.execute(head + ", ".join([one] * (n - full)), flat[full:].ravel().tolist())
    finally:
        cursor.close()
