"""Churn engine benchmarks: model quality against two baselines, and scoring throughput.

Runs the engine directly (no Django, no database). Models are written to and loaded from
``--workdir`` (default: a temporary folder).

Quality: train on the first ``--train-rows`` rows of ``--table`` (or on ``--table`` with
``--test FILE``), evaluate on the rest, for

- ``default``: what ``wanliu churn train`` does (model choice by repeated stratified CV,
  family totals, calibration);
- ``logistic``: a well-regularised logistic regression (L2, C=0.1, scaling, one-hot);
- ``lightgbm_default``: LightGBM with its stock settings (100 trees, 31 leaves);
- ``lightgbm_default_family``: the same with the family totals, to show what they add.

    .venv/bin/python bench/churn_bench.py quality
    .venv/bin/python bench/churn_bench.py quality --table my.csv --target churned --test t.csv

Throughput: N rows made by resampling the table's rows with replacement, written as
Parquet (or CSV) in 1M-row slices, then scored with 3 reasons per row.

    .venv/bin/python bench/churn_bench.py throughput --rows 1000000
    .venv/bin/python bench/churn_bench.py throughput --rows 10000000 --format csv
    .venv/bin/python bench/churn_bench.py throughput --rows 1000000 --engine spark

``--json FILE`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from wanliu.scoring.engine.artefact import artefact_load, artefact_save
from wanliu.scoring.engine.scorer import churn_evaluate, churn_score_local
from wanliu.scoring.engine.table import table_read
from wanliu.scoring.engine.training import churn_model_train

DEFAULT_TABLE = Path(__file__).resolve().parents[1].parent / "shared/data/telecom_churn_5000.csv"
METRICS = ("roc_auc", "pr_auc", "lift_at_10", "brier", "ece", "n")
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "logistic": {"algorithm": "logistic", "family_sums": False, "calibration": "none"},
    "lightgbm_default": {
        "algorithm": "lightgbm-default",
        "family_sums": False,
        "calibration": "none",
    },
    "lightgbm_default_family": {"algorithm": "lightgbm-default", "calibration": "none"},
}


def _split(table: Path, train_rows: int, workdir: Path) -> tuple[Path, Path]:
    whole = table_read(table)
    suffix = table.suffix if table.suffix.lower() == ".csv" else ".parquet"
    train, test = workdir / f"train{suffix}", workdir / f"test{suffix}"
    for part, path in ((whole.slice(0, train_rows), train), (whole.slice(train_rows), test)):
        if suffix == ".csv":
            pacsv.write_csv(part, path)
        else:
            pq.write_table(part, path)
    return train, test


def quality(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    if args.test is not None:
        train, test = args.table, args.test
    else:
        train, test = _split(args.table, args.train_rows, workdir)
    results: dict[str, Any] = {}
    for name, options in CONFIGS.items():
        started = time.perf_counter()
        trained = churn_model_train(
            table_path=train,
            target=args.target,
            positive=args.positive,
            seed=args.seed,
            progress=True,
            **options,
        )
        seconds = time.perf_counter() - started
        artefact = artefact_save(trained, workdir / name, overwrite=True)
        loaded = artefact_load(artefact.path, roots=[workdir])
        metrics = churn_evaluate(loaded, table_path=test)
        results[name] = {
            **{key: metrics[key] for key in METRICS},
            "chosen": trained.chosen,
            "calibration": trained.model.calibration["method"],
            "train_seconds": round(seconds, 1),
        }
    print(f"table {args.table}  train {train}  test {test}")
    print(f"{'model':26} " + " ".join(f"{m:>10}" for m in METRICS) + "  train_s  chosen")
    for name, row in results.items():
        cells = " ".join(
            f"{row[m]:>10.4f}" if isinstance(row[m], float) else f"{row[m]:>10}" for m in METRICS
        )
        print(f"{name:26} {cells}  {row['train_seconds']:>7}  {row['chosen']}/{row['calibration']}")
    return {"quality": results, "table": str(args.table)}


def _resampled(source: Path, rows: int, path: Path, fmt: str, seed: int, target: str) -> None:
    table = table_read(source)
    if target in table.column_names:
        table = table.drop_columns([target])
    rng = np.random.default_rng(seed)
    slice_rows = 1_000_000
    writer: Any = None
    with tqdm(total=rows, desc="make rows", unit="rows", unit_scale=True, file=sys.stderr) as bar:
        for start in range(0, rows, slice_rows):
            count = min(slice_rows, rows - start)
            part = table.take(pa.array(rng.integers(0, table.num_rows, count)))
            if fmt == "parquet":
                if writer is None:
                    writer = pq.ParquetWriter(path, part.schema)
                writer.write_table(part, row_group_size=131_072)
            else:
                if writer is None:
                    writer = pacsv.CSVWriter(path, part.schema)
                writer.write_table(part)
            bar.update(count)
    if writer is not None:
        writer.close()


def throughput(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    model_dir = workdir / "throughput_model"
    if not (model_dir / "manifest.json").exists():
        trained = churn_model_train(
            table_path=args.table, target=args.target, positive=args.positive, seed=args.seed
        )
        artefact_save(trained, model_dir, overwrite=True)
    artefact = artefact_load(model_dir, roots=[workdir], threads=args.jobs)
    source = workdir / f"rows_{args.rows}.{args.format}"
    if not source.exists():
        _resampled(args.table, args.rows, source, args.format, args.seed, args.target)
    out = workdir / f"scores_{args.rows}_{args.engine}.parquet"
    if args.engine == "spark":
        from wanliu.scoring.engine.spark import churn_score_spark

        summary = churn_score_spark(
            artefact, table_path=source, out_path=out, reasons=args.reasons, master=args.master
        )
    else:
        summary = churn_score_local(
            artefact, table_path=source, out_path=out, reasons=args.reasons, progress=True
        )
    model = artefact.model
    trees = 0 if model.algorithm == "logistic" else model.booster.num_trees()
    figures = {
        **summary.as_dict(),
        "format": args.format,
        "reasons": args.reasons,
        "algorithm": artefact.model.algorithm,
        "trees": trees,
        "features": len(artefact.model.preprocessor.features),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(figures, indent=2))
    return {"throughput": figures}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("quality", "throughput"))
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    parser.add_argument("--target", default="churn")
    parser.add_argument("--positive", default=None)
    parser.add_argument("--test", type=Path, default=None)
    parser.add_argument("--train-rows", type=int, default=3333)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--engine", choices=("local", "spark"), default="local")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--reasons", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="churn-bench-") as scratch:
        workdir = (args.workdir or Path(scratch)).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        figures = quality(args, workdir) if args.what == "quality" else throughput(args, workdir)
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
