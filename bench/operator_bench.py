"""Churn engine on a generated operator: model quality against two baselines on a held-out
month, and the monthly scoring run (extract, features, lifetime value, scoring, storing).

Each run works in ``--workdir`` (default ``bench/out/operator-<lines>``): the operator is
generated there once (``wanliu generate --seed 7 --as-of 2025-07-15``, 12 months, data to
2025-06) and reused by later runs.

Quality: features as of the last ``--train-months`` months before the newest one, stacked,
are the training table; the newest month (2025-06, who cancelled in June) is held out. For

- ``default``: what ``wanliu churn train-operator`` trains (model choice by cross-validation
  leaving one month out, calibrated, no family totals, monthly risk bands);
- ``logistic``: a well-regularised logistic regression (L2, C=0.1, scaled, one-hot);
- ``lightgbm_default``: LightGBM with its stock settings (100 trees, 31 leaves);

    .venv/bin/python bench/operator_bench.py quality --lines 100000

Scoring: a model trained on ``--model-lines`` lines (its own generated operator) scores
every active line of a ``--lines`` operator for the month after its data with ``wanliu churn
score-operator``, in a child process; wall time per stage and peak RSS.

    .venv/bin/python bench/operator_bench.py scoring --lines 1000000 --model-lines 100000

``--json FILE`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_operator import (
    WANLIU,
    operator_django,
    operator_env,
    operator_generate,
    operator_marker,
    operator_record,
)

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2025-07-15"
METRICS = ("roc_auc", "pr_auc", "lift_at_10", "brier", "ece", "n")
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "logistic": {"algorithm": "logistic", "calibration": "none"},
    "lightgbm_default": {"algorithm": "lightgbm-default", "calibration": "none"},
}


def operator_ready(workdir: Path, lines: int) -> None:
    """Generate the operator in ``workdir`` unless it is already there."""
    if operator_marker(workdir) is None:
        operator_record(workdir, operator_generate(workdir, lines=lines, as_of=AS_OF))


def quality(args: argparse.Namespace) -> dict[str, Any]:
    workdir = args.workdir or REPO / "bench" / "out" / f"operator-{args.lines}"
    operator_ready(workdir, args.lines)
    operator_django(workdir)
    import pyarrow.parquet as pq

    from wanliu.scoring.engine.artefact import artefact_load, artefact_save
    from wanliu.scoring.engine.scorer import churn_evaluate
    from wanliu.scoring.engine.training import churn_model_train
    from wanliu.scoring.operator import (
        features_as_of,
        last_month,
        month_add,
        operator_extract,
        training_table,
    )
    from wanliu.scoring.services.training import OPERATOR_BAND_CUTS

    results: dict[str, Any] = {"lines": args.lines, "models": {}}
    with tempfile.TemporaryDirectory(prefix="operator-bench-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, progress=True)
        newest = last_month(tables)
        months = [month_add(newest, -k) for k in range(args.train_months, 0, -1)]
        train = training_table(tables, months=months, progress=True)
        train_path = Path(folder) / "train.parquet"
        pq.write_table(train, train_path)
        test_path = Path(folder) / "test.parquet"
        pq.write_table(features_as_of(tables, as_of=newest, label=True), test_path)
        results.update(
            train_months=[f"{m:%Y-%m}" for m in months],
            test_month=f"{newest:%Y-%m}",
            train_rows=train.num_rows,
        )
        for name, options in CONFIGS.items():
            started = time.perf_counter()
            trained = churn_model_train(
                table_path=train_path,
                target="churned",
                positive="1",
                id_column="line_id",
                period_column="as_of",
                seed=0,
                family_sums=False,
                band_cuts=OPERATOR_BAND_CUTS,
                threads=2,
                progress=True,
                **options,
            )
            seconds = time.perf_counter() - started
            directory = Path(folder) / "models" / name
            artefact_save(trained, directory, overwrite=True)
            artefact = artefact_load(directory, roots=[Path(folder) / "models"], threads=2)
            metrics = churn_evaluate(artefact, table_path=test_path)
            results["models"][name] = {
                "chosen": trained.chosen,
                "train_seconds": round(seconds, 1),
                **{k: metrics[k] for k in METRICS},
            }
            print(name, results["models"][name], file=sys.stderr)
    return results


def scoring(args: argparse.Namespace) -> dict[str, Any]:
    workdir = args.workdir or REPO / "bench" / "out" / f"operator-{args.lines}"
    model_dir = REPO / "bench" / "out" / f"operator-{args.model_lines}"
    operator_ready(model_dir, args.model_lines)
    model_env = operator_env(model_dir)
    if not (model_dir / "models" / "promoted.json").is_file():
        subprocess.run(
            [*WANLIU, "churn", "train-operator", "--months", "3", "--jobs", "2", "--json"],
            env=model_env,
            check=True,
        )
    operator_ready(workdir, args.lines)
    env = operator_env(workdir)
    target = workdir / "models"
    if target != model_dir / "models":
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(model_dir / "models", target)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [*WANLIU, "churn", "score-operator", "--json"],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run = json.loads(done.stdout)
    return {
        "lines": args.lines,
        "model_lines": args.model_lines,
        "lines_scored": run["lines_scored"],
        "wall_seconds": round(wall, 1),
        "lines_per_second": round(run["lines_scored"] / wall, 1),
        "stage_seconds": run.get("seconds"),
        "peak_rss_mib": round(max(peak, before) / 1024, 1),
        "bands": run.get("bands"),
        "value_at_risk": run.get("value_at_risk"),
        "segments_fitted": run.get("segments_fitted"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    actions = parser.add_subparsers(dest="action", required=True)
    q = actions.add_parser("quality")
    q.add_argument("--lines", type=int, default=100_000)
    q.add_argument("--train-months", type=int, default=3)
    q.add_argument("--workdir", type=Path, default=None)
    q.add_argument("--json", type=Path, default=None)
    s = actions.add_parser("scoring")
    s.add_argument("--lines", type=int, default=1_000_000)
    s.add_argument("--model-lines", type=int, default=100_000)
    s.add_argument("--workdir", type=Path, default=None)
    s.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = quality(args) if args.action == "quality" else scoring(args)
    text = json.dumps(result, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
