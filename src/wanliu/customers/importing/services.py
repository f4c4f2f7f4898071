"""Import one file of one kind: check the header, validate every row, upsert, audit.

All rows go in one transaction. By default one bad row means nothing is saved and every
problem is reported; with ``skip_bad_rows`` the good rows are saved and the bad ones written
to a rejects file with the reason per row.
"""

from __future__ import annotations

import csv
import difflib
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from wanliu.core.database import planner_statistics_refresh
from wanliu.core.services import audit_record
from wanliu.customers.importing.fields import Column
from wanliu.customers.importing.problems import BadValue, FileProblem, RowProblem
from wanliu.customers.importing.readers import Chunk, TableReader, table_open
from wanliu.customers.importing.schemas import (
    IGNORED_COLUMNS,
    REJECT_REASON,
    REJECT_ROW,
    SCHEMAS,
    KindSchema,
)
from wanliu.customers.importing.writers import WRITERS, Row, Writer
from wanliu.customers.signals import data_imported

KINDS = tuple(SCHEMAS)
DEFAULT_CHUNK_ROWS = 20_000


@dataclass
class ImportSummary:
    file: str
    kind: str
    format: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    also_created: dict[str, int] = field(default_factory=dict)  # lines: accounts, subscriptions
    loaded: bool = False
    dry_run: bool = False
    rejects_file: str | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def counts(self) -> dict[str, Any]:
        """The summary without the problem texts, for the audit row."""
        summary = self.as_dict()
        summary.pop("problems")
        return summary


class ImportFailed(Exception):
    """Nothing was saved; ``summary.problems`` lists every reason."""

    def __init__(self, message: str, summary: ImportSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class ImportedFile:
    """What the audit row points at: the file by name (the full path is in ``after``)."""

    pk: str


class _Failed(Exception):
    """Raised inside the transaction to roll it back."""


def rejects_path_for(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


class _RejectsFile:
    """CSV (UTF-8 with BOM, so spreadsheets show Chinese) of rejected rows as they came in."""

    def __init__(self, path: Path | None, header: list[str]) -> None:
        self.path = path
        self.header = [name for name in header if name not in IGNORED_COLUMNS]
        self.handle: IO[str] | None = None
        self.writer: Any = None

    def add(self, row: int, reasons: list[str], cells: dict[str, str]) -> None:
        if self.path is None:
            return
        if self.writer is None:
            self.handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self.writer = csv.writer(self.handle)
            self.writer.writerow([REJECT_ROW, REJECT_REASON, *self.header])
        self.writer.writerow([row, "; ".join(reasons), *(cells.get(n, "") for n in self.header)])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def header_check(*, schema: KindSchema, header: list[str], file_name: str) -> dict[str, Column]:
    """The header's columns with their definitions; FileProblem naming what is wrong."""
    unnamed = [str(position) for position, name in enumerate(header, start=1) if not name]
    if unnamed:
        raise FileProblem(
            _("{file}: header column {positions} has no name; name it or delete the column").format(
                file=file_name, positions=", ".join(unnamed)
            )
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FileProblem(
            _("{file}: the header has {columns} more than once; keep one of each").format(
                file=file_name, columns=", ".join(repeated)
            )
        )
    missing = [name for name in schema.required if name not in header]
    unexpected = [
        name for name in header if schema.column_for(name) is None and name not in IGNORED_COLUMNS
    ]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(_("missing columns: {columns}").format(columns=", ".join(missing)))
        if unexpected:
            known = [column.name for column in schema.columns]
            shown = []
            for name in unexpected:
                near = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
                shown.append(
                    _("{name} (did you mean {near}?)").format(name=name, near=near[0])
                    if near
                    else name
                )
            parts.append(_("unexpected columns: {columns}").format(columns=", ".join(shown)))
        if len(header) == 1 and any(mark in header[0] for mark in (";", "\t", "|")):
            parts.append(_("the file seems to use another separator than the comma"))
        expected = _("required: {required}; optional: {optional}").format(
            required=", ".join(schema.required),
            optional=", ".join(
                schema.optional + ([f"{schema.extra_prefix}<code>"] if schema.extra_prefix else [])
            )
            or "-",
        )
        raise FileProblem(
            _(
                "{file}: the header does not fit the {kind} format: {problems}. "
                "Columns are {expected}"
            ).format(file=file_name, kind=schema.kind, problems="; ".join(parts), expected=expected)
        )
    columns = {name: schema.column_for(name) for name in header if name not in IGNORED_COLUMNS}
    exclusive = schema.exclusive_with_extra
    extras = [
        name for name in columns if schema.extra_prefix and name.startswith(schema.extra_prefix)
    ]
    if exclusive and exclusive in columns and extras:
        raise FileProblem(
            _(
                "{file}: give the bill items either as the {column} column or as "
                "{prefix}<code> columns, not both"
            ).format(file=file_name, column=exclusive, prefix=schema.extra_prefix)
        )
    return {name: column for name, column in columns.items() if column is not None}


def _validate(
    schema: KindSchema, columns: dict[str, Column], chunk: Chunk
) -> tuple[list[Row], dict[int, list[tuple[str | None, str]]], set[int]]:
    """Parse every cell: the good rows, the problems by chunk index, the blank rows."""
    count = len(chunk.rows)
    stripped = {name: [cell.strip() for cell in chunk.cells[name]] for name in columns}
    parsed: dict[str, list[Any]] = {}
    problems: dict[int, list[tuple[str | None, str]]] = {}
    for name, column in columns.items():
        out: list[Any] = [None] * count
        parse = column.parse
        for index, text in enumerate(stripped[name]):
            if text:
                try:
                    out[index] = parse(text)
                except BadValue as exc:
                    problems.setdefault(index, []).append((name, str(exc)))
            elif column.required:
                problems.setdefault(index, []).append(
                    (name, _("is empty, but a value is required"))
                )
        parsed[name] = out
    blank = {index for index in problems if not any(stripped[name][index] for name in columns)}
    for index in blank:
        del problems[index]
    rows: list[Row] = []
    names = list(columns)
    for index in range(count):
        if index in problems or index in blank:
            continue
        values = {name: parsed[name][index] for name in names}
        if schema.row_check is not None:
            found = schema.row_check(values)
            if found:
                problems[index] = found
                continue
        rows.append(Row(index, chunk.rows[index], values))
    # Rows with problems still take part in the duplicate-key check when their key parsed.
    for index in problems:
        if all(parsed[name][index] is not None for name in schema.key):
            rows.append(
                Row(index, chunk.rows[index], {name: parsed[name][index] for name in schema.key})
            )
    rows.sort(key=lambda row: row.index)
    return rows, problems, blank


class _Run:
    def __init__(
        self,
        schema: KindSchema,
        reader: TableReader,
        columns: dict[str, Column],
        summary: ImportSummary,
        rejects: _RejectsFile,
    ) -> None:
        self.schema = schema
        self.reader = reader
        self.columns = columns
        self.summary = summary
        self.rejects = rejects
        self.problems: list[RowProblem] = []
        self.seen: dict[str, int] = {}  # natural key -> the row it was first seen on

    def load(self, chunk_rows: int, progress: bool) -> Writer:
        writer = WRITERS[self.schema.kind](present=frozenset(self.columns))
        bar = tqdm(
            total=self.reader.estimated_rows,
            unit="row",
            desc=f"{self.schema.kind} {self.reader.file_name}",
            file=sys.stderr,
            disable=not progress,
            mininterval=0.5,
        )
        with bar:
            for chunk in self.reader.chunks(self.columns, chunk_rows):
                self._load_chunk(chunk, writer)
                bar.update(len(chunk.rows) + len(chunk.broken))
        return writer

    def _load_chunk(self, chunk: Chunk, writer: Writer) -> None:
        for broken in chunk.broken:
            self.summary.rows += 1
            self.summary.rejected += 1
            self.problems.append(RowProblem(broken.row, None, broken.reason))
            self.rejects.add(broken.row, [broken.reason], broken.cells)
        # bad: chunk index -> its problems
        rows, bad, blank = _validate(self.schema, self.columns, chunk)
        self.summary.rows += len(chunk.rows) - len(blank)
        good: list[Row] = []
        key_names = self.schema.key
        for row in rows:
            values = row.values
            key = (
                values[key_names[0]]
                if len(key_names) == 1
                else "\x1f".join(str(values[name]) for name in key_names)
            )
            first = self.seen.setdefault(key, row.number)
            if first != row.number:
                bad.setdefault(row.index, []).append(
                    (
                        None,
                        _(
                            "repeats the {key} of row {first}; each may appear only once in a file"
                        ).format(key=" + ".join(self.schema.key), first=first),
                    )
                )
            elif row.index not in bad:
                good.append(row)

        def reject(row: Row, column: str | None, message: str) -> None:
            bad.setdefault(row.index, []).append((column, message))

        writer.write(good, reject)
        for index in sorted(bad):
            number = chunk.rows[index]
            found = bad[index]
            self.problems.extend(RowProblem(number, column, message) for column, message in found)
            reasons = [
                message if column is None else f"{column}: {message}" for column, message in found
            ]
            self.rejects.add(
                number, reasons, {name: cells[index] for name, cells in chunk.cells.items()}
            )
        self.summary.rejected += len(bad)


def data_import_run(
    *,
    kind: str,
    path: Path,
    file_format: str | None = None,
    skip_bad_rows: bool = False,
    rejects_path: Path | None = None,
    dry_run: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = False,
    actor: Any = None,
) -> ImportSummary:
    """Import ``path`` as ``kind``; returns the counts, raises ImportFailed if nothing saved.

    ``rejects_path``: where rejected rows go; with ``skip_bad_rows`` it defaults to
    ``<name>.rejects.csv`` beside the file.
    """
    schema = SCHEMAS[kind]
    started = time.monotonic()
    summary = ImportSummary(file=str(path), kind=kind, dry_run=dry_run)
    if skip_bad_rows and rejects_path is None:
        rejects_path = rejects_path_for(path)
    rejects: _RejectsFile | None = None
    try:
        reader = table_open(path=path, file_format=file_format)
        summary.format = reader.format
        columns = header_check(schema=schema, header=reader.header, file_name=reader.file_name)
        rejects = _RejectsFile(rejects_path, reader.header)
        run = _Run(schema, reader, columns, summary, rejects)
        try:
            with transaction.atomic():
                writer = run.load(chunk_rows, progress)
                if summary.rows == 0:
                    raise FileProblem(
                        _("{file} has a header but no data rows; nothing to import").format(
                            file=reader.file_name
                        )
                    )
                _count(summary, writer)
                summary.problems = [
                    problem.describe(reader.file_name)
                    for problem in sorted(run.problems, key=lambda p: p.row)
                ]
                saved = summary.created + summary.updated + summary.unchanged
                if summary.rejected and (not skip_bad_rows or saved == 0):
                    raise _Failed
                summary.loaded = not dry_run
                summary.seconds = round(time.monotonic() - started, 2)
                if dry_run:
                    transaction.set_rollback(True)
                else:
                    _audit(summary, actor, failed=False)
                    if writer.changed_from is not None:
                        data_imported.send(
                            sender=type(writer),
                            kind=kind,
                            changed_from=writer.changed_from,
                            actor=actor,
                        )
        finally:
            rejects.close()
        if summary.loaded and summary.created + summary.updated > 0:
            planner_statistics_refresh(app_labels=["customers"])
        if rejects.writer is not None:
            summary.rejects_file = str(rejects_path)
    except FileProblem as problem:
        if rejects is not None and rejects.writer is not None and rejects_path is not None:
            rejects_path.unlink(missing_ok=True)  # rows of a file that could not be read
        summary.problems = [str(problem)]
        _fail(summary, actor, started)
        raise ImportFailed(str(problem), summary) from None
    except _Failed:
        if rejects is not None and rejects.writer is not None:
            summary.rejects_file = str(rejects_path)
        _fail(summary, actor, started)
        if skip_bad_rows:
            message = _("{file}: nothing was saved; every one of its {count} rows has problems")
        else:
            message = _(
                "{file}: nothing was saved; {count} rows have problems. Fix them and import "
                "again, or save the good rows with --skip-bad-rows"
            )
        raise ImportFailed(
            message.format(file=path.name, count=summary.rejected), summary
        ) from None
    return summary


def _count(summary: ImportSummary, writer: Writer) -> None:
    main: Counter[str] = writer.counts[writer.entity]
    summary.created = main["created"]
    summary.updated = main["updated"]
    summary.unchanged = main["unchanged"]
    summary.also_created = {
        entity: counts["created"]
        for entity, counts in writer.counts.items()
        if entity != writer.entity
    }


def _fail(summary: ImportSummary, actor: Any, started: float) -> None:
    summary.loaded = False
    summary.created = summary.updated = summary.unchanged = 0
    summary.also_created = {}
    summary.seconds = round(time.monotonic() - started, 2)
    if not summary.dry_run:
        with transaction.atomic():
            _audit(summary, actor, failed=True)


def _audit(summary: ImportSummary, actor: Any, *, failed: bool) -> None:
    after = summary.counts()
    if failed:
        after["first_problems"] = summary.problems[:5]
    audit_record(
        actor=actor,
        action=f"import.{summary.kind}" + (".failed" if failed else ""),
        obj=ImportedFile(Path(summary.file).name[:64]),
        after=after,
        note=_(
            "{file}: created {created}, updated {updated}, unchanged {unchanged}, "
            "rejected {rejected}"
        ).format(
            file=Path(summary.file).name,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=summary.rejected,
        ),
    )
