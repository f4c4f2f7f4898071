"""Reading churn tables (CSV or Parquet) as Arrow, whole or in bounded batches.

CSV columns are always read as text so that the same bytes give the same values whatever
engine reads them (Arrow here, Spark in ``spark.py``); type inference happens afterwards in
``features.py``. Parquet columns keep their stored types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wanliu.scoring.engine.errors import TableError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DEFAULT_BATCH_ROWS = 65_536


def table_format(path: Path) -> str:
    """``csv`` or ``parquet`` from the file name (a directory is a Parquet dataset)."""
    if path.is_dir():
        return "parquet"
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise TableError(f"{path}: unknown table format; use a .csv or .parquet file")


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise TableError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise TableError(f"{path}: the file is empty")


def _csv_delimiter(path: Path) -> str:
    return "\t" if path.suffix.lower() == ".tsv" else ","


def csv_header(path: Path) -> list[str]:
    """Column names of a CSV file (first line)."""
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 16),
            parse_options=pacsv.ParseOptions(delimiter=_csv_delimiter(path)),
            convert_options=pacsv.ConvertOptions(auto_dict_encode=False),
        )
    except pa.ArrowInvalid as exc:
        raise TableError(f"{path}: cannot read as CSV ({exc})") from exc
    names = list(reader.schema.names)
    if not names:
        raise TableError(f"{path}: the file has no columns")
    return names


def _csv_text_options(
    path: Path, columns: Sequence[str] | None
) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    names = csv_header(path)
    wanted = list(columns) if columns is not None else names
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        include_columns=wanted,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return (
        pacsv.ReadOptions(block_size=8 << 20),
        pacsv.ParseOptions(delimiter=_csv_delimiter(path)),
        convert,
    )


def table_columns(path: Path) -> list[str]:
    """Column names of a CSV or Parquet table."""
    _check_readable(path)
    if table_format(path) == "csv":
        return csv_header(path)
    try:
        return list(pq.ParquetDataset(path).schema.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TableError(f"{path}: cannot read as Parquet ({exc})") from exc


def table_read(path: Path, *, columns: Sequence[str] | None = None) -> pa.Table:
    """The whole table in memory (training and evaluation work on tables that fit)."""
    _check_readable(path)
    try:
        if table_format(path) == "csv":
            read, parse, convert = _csv_text_options(path, columns)
            table = pacsv.read_csv(
                path, read_options=read, parse_options=parse, convert_options=convert
            )
        else:
            table = pq.read_table(path, columns=list(columns) if columns is not None else None)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TableError(f"{path}: cannot read the table ({exc})") from exc
    if table.num_rows == 0:
        raise TableError(f"{path}: the table has no rows")
    return table.combine_chunks()


def table_batches(
    path: Path, *, columns: Sequence[str], batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """Stream a table in record batches of at most ``batch_rows`` rows (bounded memory)."""
    _check_readable(path)
    try:
        if table_format(path) == "csv":
            read, parse, convert = _csv_text_options(path, columns)
            reader = pacsv.open_csv(
                path, read_options=read, parse_options=parse, convert_options=convert
            )
            for batch in reader:
                for start in range(0, batch.num_rows, batch_rows):
                    yield batch.slice(start, batch_rows)
        else:
            dataset = pq.ParquetDataset(path)
            for fragment in dataset.fragments:
                parquet_file = pq.ParquetFile(fragment.path)
                yield from parquet_file.iter_batches(batch_size=batch_rows, columns=list(columns))
    except (pa.ArrowInvalid, OSError) as exc:
        raise TableError(f"{path}: cannot read the table ({exc})") from exc


def table_row_count(path: Path) -> int | None:
    """Rows in a Parquet table from its metadata; None for CSV (unknown without a scan)."""
    if table_format(path) != "parquet":
        return None
    dataset = pq.ParquetDataset(path)
    return sum(pq.ParquetFile(f.path).metadata.num_rows for f in dataset.fragments)


@dataclass(frozen=True)
class DataFingerprint:
    """What a model was trained on: the file's digest, its size and its shape."""

    sha256: str
    rows: int
    columns: list[str]
    file_name: str

    def as_dict(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "rows": self.rows,
            "columns": list(self.columns),
            "file_name": self.file_name,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def table_fingerprint(path: Path, table: pa.Table) -> DataFingerprint:
    return DataFingerprint(
        sha256=file_sha256(path),
        rows=table.num_rows,
        columns=list(table.column_names),
        file_name=path.name,
    )
