"""Read CSV and Parquet files in chunks, every cell as text, with spreadsheet row numbers.

CSV goes through ``pyarrow.csv`` with every column typed as string; Parquet through
``pyarrow.parquet``, each column turned into the text a person would have typed. Row
numbers count like a spreadsheet: the header is row 1, the first data row is row 2, and in a
Parquet file record ``i`` (counting from 0) is row ``i + 2``.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from wanliu.customers.importing.fields import Column
from wanliu.customers.importing.problems import FileProblem

PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
_PANDAS_INDEX = re.compile(r"^__index_level_[0-9]+__$")  # written by DataFrame.to_parquet
CSV_SUFFIXES = {".csv", ".txt"}
_SCAN_BLOCK = 4 << 20


@dataclass
class BrokenRow:
    """A CSV row that could not be split into the header's columns."""

    row: int
    cells: dict[str, str]
    reason: str


@dataclass
class Chunk:
    rows: list[int]
    cells: dict[str, list[str]]  # header name -> the text of each row's cell ("" when empty)
    broken: list[BrokenRow] = field(default_factory=list)


class TableReader:
    file_name: str
    format: str
    header: list[str]
    estimated_rows: int | None

    def chunks(self, columns: Mapping[str, Column], chunk_rows: int) -> Iterator[Chunk]:
        raise NotImplementedError


def table_open(*, path: Path, file_format: str | None = None) -> TableReader:
    """A reader for ``path``; ``file_format`` (csv/parquet) overrides the file's suffix."""
    if not path.is_file():
        raise FileProblem(_("{file}: no such file").format(file=path))
    if file_format is None:
        suffix = path.suffix.lower()
        if suffix in PARQUET_SUFFIXES:
            file_format = "parquet"
        elif suffix in CSV_SUFFIXES:
            file_format = "csv"
        else:
            with path.open("rb") as handle:
                file_format = "parquet" if handle.read(4) == b"PAR1" else "csv"
    if file_format == "parquet":
        return ParquetReader(path)
    return CsvReader(path)


# --- CSV ------------------------------------------------------------------------------------

# Tried in this order when a file is not UTF-8: what Excel and Chinese systems export.
_LEGACY_ENCODINGS = (("GBK", "gbk"), ("GB18030", "gb18030"), ("Big5", "big5"))


def _guess_encoding(sample: bytes) -> str | None:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    for label, codec in _LEGACY_ENCODINGS:
        try:
            codecs.getincrementaldecoder(codec)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return label
    return None


class CsvReader(TableReader):
    format = "csv"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file_name = path.name
        line_breaks, ends_with_break = self._check_utf8()
        self.header = self._read_header()
        lines = line_breaks + (0 if ends_with_break else 1)
        self.estimated_rows = max(lines - 1, 0)

    def _check_utf8(self) -> tuple[int, bool]:
        """Decode the whole file once as UTF-8; count line breaks for the progress bar."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        line_breaks = 0
        last = b""
        with self.path.open("rb") as handle:
            while True:
                block = handle.read(_SCAN_BLOCK)
                try:
                    decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    self._not_utf8(
                        offset + exc.start, line_breaks + block.count(b"\n", 0, exc.start)
                    )
                if not block:
                    break
                line_breaks += block.count(b"\n")
                offset += len(block)
                last = block[-1:]
        if offset == 0 or (offset <= 3 and self.path.read_bytes() == codecs.BOM_UTF8):
            raise FileProblem(
                _("{file} is empty; it needs a header row with the column names").format(
                    file=self.file_name
                )
            )
        return line_breaks, last == b"\n"

    def _not_utf8(self, bad_offset: int, line_breaks_before: int) -> None:
        with self.path.open("rb") as handle:
            head = handle.read(4)
            start = max(bad_offset - (256 << 10), 0)
            handle.seek(start)
            sample = handle.read(bad_offset - start + (256 << 10))
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding: str | None = "UTF-16"
        else:
            # Begin the sample at a line start: a line break is never inside a GBK character.
            line_start = sample.rfind(b"\n", 0, bad_offset - start) + 1
            encoding = _guess_encoding(sample[line_start:])
        where = _("the first non-UTF-8 byte is at line {line}, byte {offset}").format(
            line=line_breaks_before + 1, offset=bad_offset
        )
        if encoding is None:
            raise FileProblem(
                _(
                    '{file} is not UTF-8 text ({where}). Save it as "CSV UTF-8" from the '
                    "spreadsheet, or convert it, e.g. iconv -f GBK -t UTF-8"
                ).format(file=self.file_name, where=where)
            )
        converted = self.path.with_name(self.path.stem + "-utf8" + self.path.suffix).name
        raise FileProblem(
            _(
                "{file} is not UTF-8 text ({where}); it looks like {encoding}. Convert it from "
                "{encoding} to UTF-8: iconv -f {encoding} -t UTF-8 {file} > {converted} "
                '(or save it as "CSV UTF-8" from the spreadsheet)'
            ).format(file=self.file_name, where=where, encoding=encoding, converted=converted)
        )

    def _read_header(self) -> list[str]:
        with self.path.open("rb") as handle:
            first = handle.readline()
        text = first.decode("utf-8-sig").rstrip("\r\n")
        names = next(csv.reader([text]), [])
        header = [name.strip().lower() for name in names]
        if not any(header):
            raise FileProblem(
                _("{file} has no header row; the first line must name the columns").format(
                    file=self.file_name
                )
            )
        return header

    def chunks(self, columns: Mapping[str, Column], chunk_rows: int) -> Iterator[Chunk]:
        header = self.header
        invalid: list[int] = []  # row numbers of rows pyarrow could not split
        broken: list[BrokenRow] = []
        # pyarrow may call the handler on its own reader thread, where the caller's
        # active language is not set: translate here, format there.
        too_many = _(
            "has {actual} values but the header has {expected} columns; quote "
            "values that contain commas"
        )

        def on_invalid_row(row: pa_csv.InvalidRow) -> str:
            number = int(row.number) if row.number is not None else -1
            invalid.append(number)
            if row.text.strip():
                values = next(csv.reader([row.text]), [])
                cells = {
                    name: (values[i] if i < len(values) else "") for i, name in enumerate(header)
                }
                broken.append(
                    BrokenRow(
                        number,
                        cells,
                        too_many.format(actual=row.actual_columns, expected=row.expected_columns),
                    )
                )
            return "skip"

        reader = pa_csv.open_csv(
            self.path,
            read_options=pa_csv.ReadOptions(
                use_threads=False, column_names=header, skip_rows=1, block_size=1 << 20
            ),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid_row,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        ordinal = 0  # data rows delivered so far
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowException as exc:
                raise FileProblem(
                    _("{file} cannot be read as CSV: {error}").format(
                        file=self.file_name, error=exc
                    )
                ) from None
            # Row of the k-th delivered record: k + 2, plus the rows skipped before it.
            skipped = np.asarray(invalid, dtype=np.int64)
            shifted = skipped - np.arange(len(skipped), dtype=np.int64)
            for start in range(0, batch.num_rows, chunk_rows):
                piece = batch.slice(start, chunk_rows)
                plain = np.arange(ordinal, ordinal + piece.num_rows, dtype=np.int64) + 2
                rows = plain + np.searchsorted(shifted, plain, side="right")
                ordinal += piece.num_rows
                cells = {name: piece.column(i).to_pylist() for i, name in enumerate(header)}
                taken, broken = broken, []
                yield Chunk(rows=rows.tolist(), cells=cells, broken=taken)
        if broken:
            yield Chunk(rows=[], cells={name: [] for name in header}, broken=broken)


# --- Parquet --------------------------------------------------------------------------------


def _float_text(value: float | None, places: int | None) -> str:
    if value is None or math.isnan(value):
        return ""
    if math.isinf(value):
        return repr(value)
    if places is not None:
        rounded = round(value, places)
        if abs(value - rounded) <= 1e-9 * max(1.0, abs(value)):
            return f"{rounded:.{places}f}"
    if value.is_integer():
        return str(int(value))
    return repr(value)


def _as_text(array: pa.Array, column: Column | None) -> list[str]:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_floating(kind):
        places = column.decimal_places if column is not None else None
        return [_float_text(value, places) for value in array.to_pylist()]
    if pa.types.is_timestamp(kind) and kind.unit == "ns":
        array = array.cast(pa.timestamp("us", kind.tz), safe=False)
    if pa.types.is_null(kind):
        return [""] * len(array)
    texts = array.cast(pa.string())
    return ["" if value is None else value for value in texts.to_pylist()]


class ParquetReader(TableReader):
    format = "parquet"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file_name = path.name
        try:
            self.parquet = pq.ParquetFile(path)
            schema = self.parquet.schema_arrow
        except (pa.ArrowException, OSError) as exc:
            raise FileProblem(
                _(
                    "{file} is not a readable Parquet file ({error}); export it again as "
                    "Parquet, or as CSV"
                ).format(file=self.file_name, error=exc)
            ) from None
        self.original_names = [name for name in schema.names if not _PANDAS_INDEX.match(name)]
        self.header = [name.strip().lower() for name in self.original_names]
        nested = [
            name
            for name, kind in zip(schema.names, schema.types, strict=True)
            if pa.types.is_nested(kind)
            or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
        ]
        if nested:
            raise FileProblem(
                _("{file}: columns {columns} are not plain values; store them as text").format(
                    file=self.file_name, columns=", ".join(nested)
                )
            )
        self.estimated_rows = self.parquet.metadata.num_rows

    def chunks(self, columns: Mapping[str, Column], chunk_rows: int) -> Iterator[Chunk]:
        ordinal = 0
        batches = self.parquet.iter_batches(
            batch_size=chunk_rows, columns=self.original_names, use_pandas_metadata=False
        )
        while True:
            try:
                batch = next(batches)
                cells = {
                    name: _as_text(batch.column(i), columns.get(name))
                    for i, name in enumerate(self.header)
                }
            except StopIteration:
                break
            except (pa.ArrowException, OSError) as exc:
                raise FileProblem(
                    _("{file} is not a readable Parquet file ({error})").format(
                        file=self.file_name, error=exc
                    )
                ) from None
            rows = list(range(ordinal + 2, ordinal + 2 + batch.num_rows))
            ordinal += batch.num_rows
            yield Chunk(rows=rows, cells=cells)
