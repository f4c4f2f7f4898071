"""The quick benchmarks, one after the other (what `make bench` runs).

- churn: model quality against two baselines on ../shared/data/telecom_churn_5000.csv
  (``bench/churn_bench.py quality``: rows 1-3333 train, the rest test);
- generate: ``wanliu generate`` at 100,000 lines x 12 months on a fresh SQLite database
  (``bench/generate_bench.py``): wall time, CPU, peak memory, rows per table.

    .venv/bin/python bench/run_all.py
    .venv/bin/python bench/run_all.py --only churn
    .venv/bin/python bench/run_all.py --lines 20000 --out /tmp/bench

Each benchmark prints its figures and writes them as JSON to ``--out`` (default
``bench/out/``); a summary at the end names the files and the BENCHMARKS.md section each
belongs in. The slow runs (1M-line generation, scoring throughput at 1M/10M rows, the
360 latency on a 1M-line database, the operator bench) are not part of this: their
commands are in BENCHMARKS.md. Exits non-zero when a benchmark failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_TABLE = REPO.parent / "shared" / "data" / "telecom_churn_5000.csv"
NAMES = ("churn", "generate")


@dataclass
class Run:
    name: str
    command: list[str]
    json: Path
    section: str
    seconds: float = 0.0
    status: int | None = None


def plan(args: argparse.Namespace) -> list[Run]:
    runs = {
        "churn": Run(
            name="churn",
            command=[
                sys.executable,
                str(BENCH / "churn_bench.py"),
                "quality",
                "--table",
                str(args.table),
                "--json",
                str(args.out / "churn_quality.json"),
            ],
            json=args.out / "churn_quality.json",
            section='"Churn engine (`wanliu churn`)", the quality table',
        ),
        "generate": Run(
            name="generate",
            command=[
                sys.executable,
                str(BENCH / "generate_bench.py"),
                "--lines",
                str(args.lines),
                "--months",
                "12",
                "--json",
                str(args.out / f"generate_{args.lines}.json"),
            ],
            json=args.out / f"generate_{args.lines}.json",
            section='"Generation (`wanliu generate`)", the SQLite row for this size',
        ),
    }
    return [runs[name] for name in (args.only or NAMES)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", choices=NAMES, help="run only this one (repeatable)"
    )
    parser.add_argument(
        "--table", type=Path, default=DEFAULT_TABLE, help="churn table (default: %(default)s)"
    )
    parser.add_argument(
        "--lines", type=int, default=100_000, help="lines to generate (default: %(default)s)"
    )
    parser.add_argument(
        "--out", type=Path, default=BENCH / "out", help="JSON figures here (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    runs = plan(args)
    if any(r.name == "churn" for r in runs) and not args.table.is_file():
        parser.error(f"churn table {args.table} not found: give --table or --only generate")
    args.out.mkdir(parents=True, exist_ok=True)

    for run in runs:
        print(f"\n=== {run.name}: {' '.join(run.command)}", flush=True)
        started = time.perf_counter()
        run.status = subprocess.run(run.command, cwd=REPO, check=False).returncode
        run.seconds = time.perf_counter() - started

    print("\n=== summary")
    for run in runs:
        outcome = "ok" if run.status == 0 else f"FAILED (exit {run.status})"
        print(f"{run.name:<9} {outcome:<18} {run.seconds:7.1f} s  figures: {run.json}")
        if run.status == 0:
            print(f"{'':<9} record them in BENCHMARKS.md, section {run.section}")
    print(
        "BENCHMARKS.md gives each figure with the command that produced it and the machine's"
        " load; quote medians of repeated runs on a quiet machine."
    )
    return 0 if all(run.status == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
