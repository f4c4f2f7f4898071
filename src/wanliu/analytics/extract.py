"""Reading rows fast: a queryset's SQL, built (and scoped) by the ORM, executed on a raw
cursor, its columns handed to pandas or Arrow without making model instances.

Works on SQLite and PostgreSQL alike: the ORM adapts the parameters for its backend, and
the loose types the two backends return (text or ``date``, float or ``Decimal``, 0/1 or
``bool``) are made uniform here.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

CHUNK = 100_000


def rows_of(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset, as the database returns them."""
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:
        return []
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK):
            rows.extend(batch)
    return rows


def _datetimes(values: Sequence[Any]) -> pd.Series:
    """Stored instants as naive UTC timestamps (NaT for NULL)."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, str) and "+" not in sample[10:]:
        # naive UTC text (how Django keeps instants in SQLite): numpy parses it in C
        text = np.array(["NaT" if v is None else v[:26] for v in values], dtype=object)
        return pd.Series(text.astype("datetime64[us]").astype("datetime64[ns]"))
    series = pd.Series(values, dtype=object)
    if isinstance(sample, str):
        parsed = pd.to_datetime(series, utc=True, format="ISO8601")
    else:
        parsed = pd.to_datetime(series, utc=True)
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _dates(values: Sequence[Any]) -> pd.Series:
    series = pd.Series(values, dtype=object)
    return pd.to_datetime(series, format="ISO8601").astype("datetime64[ns]")


def _floats(values: Sequence[Any]) -> pd.Series:
    return pd.Series([None if v is None else float(v) for v in values], dtype="float64")


def _decimals(values: Sequence[Any]) -> pd.Series:
    cent = Decimal("0.01")
    return pd.Series(
        [None if v is None else Decimal(str(v)).quantize(cent) for v in values], dtype=object
    )


def _bools(values: Sequence[Any]) -> pd.Series:
    return pd.Series([bool(v) for v in values], dtype=bool)


def _ints(values: Sequence[Any]) -> pd.Series:
    if any(v is None for v in values):
        return pd.Series(values, dtype="Int64")
    return pd.Series(np.asarray(values, dtype=np.int64))


_CONVERT = {
    "datetime": _datetimes,
    "date": _dates,
    "float": _floats,
    "decimal": _decimals,
    "bool": _bools,
    "int": _ints,
}


def frame_of(queryset: QuerySet[Any], columns: dict[str, str]) -> pd.DataFrame:
    """A ``values_list`` queryset as a DataFrame; ``columns`` maps each selected column's
    name to its kind: ``int``, ``float``, ``decimal``, ``bool``, ``date``, ``datetime`` or
    ``text``."""
    selected = list(queryset.query.values_select)
    if connection.vendor == "sqlite" and len(selected) == len(columns):
        # read instants as their stored text: parsed in bulk below, not one by one
        queryset = queryset.values_list(
            *[
                Cast(name, output_field=TextField()) if kind == "datetime" else name
                for name, kind in zip(selected, columns.values(), strict=True)
            ]
        )
    rows = rows_of(queryset)
    names = list(columns)
    transposed: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data: dict[str, Any] = {}
    for name, values in zip(names, transposed, strict=True):
        kind = columns[name]
        if kind == "text":
            data[name] = pd.Series(values, dtype=object)
        else:
            data[name] = _CONVERT[kind](values)
    return pd.DataFrame(data, columns=names)


def arrow_of(queryset: QuerySet[Any], names: Sequence[str]) -> pa.Table:
    """A ``values_list`` queryset as an Arrow table, types inferred per column (dates may
    be text on SQLite: cast them in SQL)."""
    rows = rows_of(queryset)
    if not rows:
        return pa.table({name: pa.array([], type=pa.string()) for name in names})
    columns = list(zip(*rows, strict=True))
    arrays = []
    for values in columns:
        sample = next((v for v in values if v is not None), None)
        if isinstance(sample, Decimal):
            arrays.append(pa.array([None if v is None else float(v) for v in values]))
        elif isinstance(sample, bool):
            arrays.append(pa.array(values, type=pa.bool_()))
        elif sample is None:
            arrays.append(pa.array(values, type=pa.string()))
        else:
            arrays.append(pa.array(values))
    return pa.table(arrays, names=list(names))


def to_int(value: Any) -> int:
    """A cell (numpy, pandas or Python scalar) as an int."""
    return int(value)


def missing(value: Any) -> bool:
    """Whether a cell is missing (None, NaN, NaT or NA)."""
    return value is None or bool(pd.isna(value))
