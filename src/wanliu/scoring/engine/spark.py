"""The Spark engine: the same chunk scorer, run by ``mapInArrow`` on Spark's partitions.

The artefact is verified once on the driver and shipped to the executors as plain data
(JSON and LightGBM text), so executors need no access to the models folder. CSV columns
are read as text, exactly as the local engine reads them, so both engines see the same
values and give the same numbers. Without an id column, the row number is rebuilt from
each partition's offset (partitions of one file follow the file's order).

Writes a Parquet dataset (a folder of part files) at ``out``; Parquet readers, DuckDB and
pandas read it like a single file.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from wanliu.scoring.engine.artefact import Artefact, artefact_from_payload, artefact_payload
from wanliu.scoring.engine.scorer import (
    ROW_NUMBER_TYPE,
    ScoreSummary,
    output_schema,
    required_columns,
    score_batch,
)
from wanliu.scoring.engine.table import (
    DEFAULT_BATCH_ROWS,
    csv_header,
    table_columns,
    table_format,
)

PARTITION_COLUMN = "__wanliu_partition"
POSITION_COLUMN = "__wanliu_position"
POSITION_BITS = 33
_EXECUTOR_CACHE: dict[str, Artefact] = {}


def spark_session(master: str = "local[*]") -> Any:
    from pyspark.sql import SparkSession

    logging.getLogger("py4j").setLevel(logging.WARNING)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master)
    java_options = os.environ.get("WANLIU_SPARK_JAVA_OPTIONS", "").strip()
    if java_options:
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    return (
        builder.config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
        .appName("wanliu-churn-score")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def _read(spark: Any, path: Path, columns: list[str]) -> Any:
    from pyspark.sql import types as T

    if table_format(path) == "csv":
        header = csv_header(path)
        schema = T.StructType([T.StructField(name, T.StringType()) for name in header])
        frame = (
            spark.read.option("header", True)
            .option("sep", "\t" if path.suffix.lower() == ".tsv" else ",")
            .option("quote", '"')
            .option("escape", '"')
            .option("nullValue", None)
            .option("emptyValue", "")
            .schema(schema)
            .csv(str(path))
        )
    else:
        frame = spark.read.parquet(str(path))
    return frame.select(*columns)


def _scorer(payload: dict[str, Any], threads: int) -> Artefact:
    version = payload["manifest"]["model_version"]
    artefact = _EXECUTOR_CACHE.get(version)
    if artefact is None:
        artefact = artefact_from_payload(payload, threads=threads)
        _EXECUTOR_CACHE[version] = artefact
    return artefact


def churn_score_spark(
    artefact: Artefact,
    *,
    table_path: Path,
    out_path: Path,
    reasons: int = 3,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    master: str = "local[*]",
    spark: Any = None,
) -> ScoreSummary:
    """Score ``table_path`` with Spark into the Parquet dataset ``out_path``.

    ``WANLIU_SPARK_JAVA_OPTIONS`` adds JVM options for a local driver (the tests use it for a
    quicker start).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    started = time.perf_counter()
    columns = required_columns(artefact, table_columns(table_path))
    session = spark if spark is not None else spark_session(master)
    session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
    frame = _read(session, table_path, columns)
    use_row_numbers = artefact.id_column is None
    offsets: dict[int, int] = {}
    if use_row_numbers:
        frame = frame.withColumn(PARTITION_COLUMN, F.spark_partition_id()).withColumn(
            POSITION_COLUMN, F.monotonically_increasing_id()
        )
        counts = sorted(
            (int(row[0]), int(row[1])) for row in frame.groupBy(PARTITION_COLUMN).count().collect()
        )
        running = 0
        for partition, count in counts:
            offsets[partition] = running
            running += count
        id_type = ROW_NUMBER_TYPE
    else:
        id_type = (
            pa.string()
            if table_format(table_path) == "csv"
            else pq.ParquetDataset(table_path).schema.field(artefact.id_column).type
        )
    schema = output_schema(id_type, reasons)
    payload = artefact_payload(artefact)
    id_column = None if use_row_numbers else artefact.id_column
    mask = (1 << POSITION_BITS) - 1

    def score_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        scorer = _scorer(payload, threads=1)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if id_column is None:
                partitions = batch.column(PARTITION_COLUMN).to_numpy(zero_copy_only=False)
                positions = batch.column(POSITION_COLUMN).to_numpy(zero_copy_only=False)
                start = np.asarray([offsets[int(p)] for p in partitions[:1]], dtype=np.int64)
                ids = pa.array(start[0] + (positions & mask) + 1, ROW_NUMBER_TYPE)
            else:
                ids = batch.column(id_column)
            yield from score_batch(scorer, batch, ids=ids, reasons=reasons).to_batches()

    scored = frame.mapInArrow(score_partition, from_arrow_schema(schema))
    scored.write.mode("overwrite").parquet(str(out_path))
    rows = pq.ParquetDataset(out_path).read(columns=["id"]).num_rows
    return ScoreSummary(
        rows=rows,
        seconds=time.perf_counter() - started,
        out=out_path,
        engine="spark",
        model_version=artefact.version,
    )
