"""Scoring: one chunk scorer shared by the local engine (here) and the Spark engine.

``score_batch`` turns a batch of raw rows into id, probability, risk band, raw score, model
version and the top K reasons (feature, value, contribution). ``churn_score_local`` streams
a CSV or Parquet table through it in bounded batches and writes Parquet as it goes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from wanliu.scoring.engine.artefact import Artefact
from wanliu.scoring.engine.errors import TableError
from wanliu.scoring.engine.metrics import churn_metrics
from wanliu.scoring.engine.table import (
    DEFAULT_BATCH_ROWS,
    table_batches,
    table_columns,
    table_read,
    table_row_count,
)
from wanliu.scoring.engine.training import target_resolve

ROW_NUMBER_TYPE = pa.int64()
NUMBER_SHOWN = ("numeric", "family_sum")


def required_columns(artefact: Artefact, available: Sequence[str]) -> list[str]:
    """Columns to read for scoring; a clear error when the table lacks any of them."""
    needed = list(artefact.model.preprocessor.source_columns)
    id_column = artefact.id_column
    missing = [column for column in needed if column not in available]
    if id_column is not None and id_column not in available:
        missing.append(f"{id_column} (the id column)")
    if missing:
        raise TableError("the table lacks columns the model needs: " + ", ".join(missing))
    if id_column is not None and id_column not in needed:
        needed.append(id_column)
    return needed


def output_schema(id_type: pa.DataType, reasons: int) -> pa.Schema:
    fields = [
        pa.field("id", id_type),
        pa.field("probability", pa.float64()),
        pa.field("risk_band", pa.string()),
        pa.field("raw_score", pa.float64()),
        pa.field("model_version", pa.string()),
    ]
    for k in range(1, reasons + 1):
        fields += [
            pa.field(f"reason_{k}_feature", pa.string()),
            pa.field(f"reason_{k}_value", pa.string()),
            pa.field(f"reason_{k}_contribution", pa.float64()),
        ]
    return pa.schema(fields)


def score_batch(
    artefact: Artefact,
    batch: pa.RecordBatch | pa.Table,
    *,
    ids: pa.Array,
    reasons: int = 3,
    exact: bool = False,
) -> pa.Table:
    """Score one batch of raw rows; ``ids`` gives the id of every row."""
    model = artefact.model
    preprocessor = model.preprocessor
    rows = batch.num_rows
    matrix = preprocessor.matrix(batch)
    count = min(reasons, len(preprocessor.features))
    if count > 0:
        raw, contributions, _ = model.explain(matrix, exact=exact)
    else:
        raw = model.raw_score(matrix)
    probability = model.probability(raw)
    columns: list[pa.Array] = [
        ids,
        pa.array(probability, pa.float64()),
        pa.array(model.bands(probability), pa.string()),
        pa.array(raw, pa.float64()),
        pa.array(np.full(rows, artefact.version, dtype=object), pa.string()),
    ]
    if count > 0:
        top = np.argpartition(-contributions, count - 1, axis=1)[:, :count]
        picked = np.take_along_axis(contributions, top, axis=1)
        order = np.argsort(-picked, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        picked = np.take_along_axis(picked, order, axis=1)
        names = pa.array(preprocessor.names, pa.string())
        positions = np.arange(rows, dtype=np.int64)
        shown_as_number = np.asarray(
            [feature.kind in NUMBER_SHOWN for feature in preprocessor.features]
        )
        used_text = set(np.unique(top[~shown_as_number[top]]).tolist())
        nothing = pa.nulls(rows, pa.string())
        texts = pa.concat_arrays(
            [
                preprocessor.display_text(batch, index) if index in used_text else nothing
                for index in range(len(preprocessor.features))
            ]
        )
        for k in range(count):
            chosen = top[:, k]
            numbers = pc.cast(
                pa.array(np.round(matrix[positions, chosen], 6), from_pandas=True), pa.string()
            )
            words = texts.take(pa.array(chosen.astype(np.int64) * rows + positions))
            values = pc.if_else(pa.array(shown_as_number[chosen]), numbers, words)
            columns += [
                names.take(pa.array(chosen)),
                values,
                pa.array(picked[:, k], pa.float64()),
            ]
    for _ in range(count, reasons):
        columns += [pa.nulls(rows, pa.string()), pa.nulls(rows, pa.string()), pa.nulls(rows)]
    schema = output_schema(ids.type, reasons)
    return pa.Table.from_arrays(
        [column.cast(field.type) for column, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


@dataclass
class ScoreSummary:
    rows: int
    seconds: float
    out: Path
    engine: str
    model_version: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows_per_second, 1),
            "out": str(self.out),
            "engine": self.engine,
            "model_version": self.model_version,
        }


def _batch_ids(artefact: Artefact, batch: pa.RecordBatch, first_row: int) -> pa.Array:
    if artefact.id_column is not None:
        column = batch.column(artefact.id_column)
        return column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
    return pa.array(np.arange(first_row + 1, first_row + batch.num_rows + 1), ROW_NUMBER_TYPE)


def churn_score_local(
    artefact: Artefact,
    *,
    table_path: Path,
    out_path: Path,
    reasons: int = 3,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    exact: bool = False,
    progress: bool = True,
) -> ScoreSummary:
    """Stream ``table_path`` through the model into ``out_path`` (Parquet), batch by batch."""
    started = time.perf_counter()
    columns = required_columns(artefact, table_columns(table_path))
    total = table_row_count(table_path)
    bar = tqdm(
        total=total,
        desc="churn score",
        unit="rows",
        unit_scale=True,
        file=sys.stderr,
        disable=not progress,
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for batch in table_batches(table_path, columns=columns, batch_rows=batch_rows):
            if batch.num_rows == 0:
                continue
            scored = score_batch(
                artefact,
                batch,
                ids=_batch_ids(artefact, batch, rows),
                reasons=reasons,
                exact=exact,
            )
            if writer is None:
                writer = pq.ParquetWriter(out_path, scored.schema)
            writer.write_table(scored)
            rows += batch.num_rows
            bar.update(batch.num_rows)
    finally:
        bar.close()
        if writer is not None:
            writer.close()
    if rows == 0:
        raise TableError(f"{table_path}: the table has no rows")
    return ScoreSummary(
        rows=rows,
        seconds=time.perf_counter() - started,
        out=out_path,
        engine="local",
        model_version=artefact.version,
    )


def churn_evaluate(artefact: Artefact, *, table_path: Path) -> dict[str, object]:
    """Held-out metrics of the artefact on a table that has the target column."""
    available = table_columns(table_path)
    if artefact.target not in available:
        raise TableError(f"the table has no target column {artefact.target!r} to evaluate against")
    columns = required_columns(artefact, available)
    table = table_read(table_path, columns=[*columns, artefact.target])
    labels, present, _ = target_resolve(
        table.column(artefact.target), name=artefact.target, positive=artefact.positive
    )
    table = table.filter(pa.array(present))
    probability = artefact.model.predict(artefact.model.preprocessor.matrix(table))
    metrics: dict[str, object] = dict(churn_metrics(labels[present], probability))
    metrics["model_version"] = artefact.version
    return metrics
