"""Benchmark `wanliu generate`: wall time, peak memory and rows per table.

    .venv/bin/python bench/generate_bench.py --lines 100000 --months 12
    .venv/bin/python bench/generate_bench.py --lines 1000000 --months 12 --json out.json
    .venv/bin/python bench/generate_bench.py --lines 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/wanliu_bench

SQLite: a fresh database file in a temporary directory (WANLIU_VAR_DIR). PostgreSQL: the
database named in the URL is dropped and created again first (it must not be one you
need). `migrate` runs first, untimed; then `wanliu generate` runs in a child process,
timed, and its peak resident memory is read from getrusage(RUSAGE_CHILDREN).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
WANLIU = [sys.executable, "-m", "wanliu.cli"]
TABLES = [
    "customers_customer",
    "customers_account",
    "customers_subscription",
    "customers_line",
    "customers_planchange",
    "customers_churntruth",
    "customers_usage",
    "customers_bill",
    "customers_contact",
    "customers_competitorpromotion",
    "org_orgunit",
    "org_store",
    "org_staff",
]


def _recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to recreate database {name!r}: name a scratch database")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _row_counts(url: str) -> dict[str, int]:
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1]
        with sqlite3.connect(path) as conn:
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    import psycopg

    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def _database_size(url: str, var_dir: Path) -> int:
    if url.startswith("sqlite"):
        return sum(p.stat().st_size for p in var_dir.glob("bench.sqlite3*"))
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default="2025-06-15")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (SQLite database)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="wanliu-genbench-"))
    url = args.database_url or f"sqlite:///{var_dir / 'bench.sqlite3'}"
    if not url.startswith("sqlite"):
        _recreate_postgres(url)
    env = {**os.environ, "WANLIU_VAR_DIR": str(var_dir), "DATABASE_URL": url}
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([*WANLIU, "migrate", "-v", "0", "--skip-checks"], env=env, check=True, cwd=REPO)

    load_before = os.getloadavg()
    before_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = before_usage.ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [
            *WANLIU,
            "generate",
            "--lines",
            str(args.lines),
            "--months",
            str(args.months),
            "--seed",
            str(args.seed),
            "--as-of",
            args.as_of,
            "--skip-checks",
        ],
        env=env,
        check=True,
        cwd=REPO,
    )
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
    rows = _row_counts(url)
    result = {
        "lines": args.lines,
        "months": args.months,
        "seed": args.seed,
        "database": "sqlite" if url.startswith("sqlite") else "postgresql",
        "wall_seconds": round(seconds, 1),
        "peak_rss_mib": round(peak_mib),
        "peak_rss_note": f"max over child processes (migrate was {before / 1024:.0f} MiB)",
        "cpu_seconds": round(
            usage.ru_utime + usage.ru_stime - before_usage.ru_utime - before_usage.ru_stime, 1
        ),
        "database_bytes": _database_size(url, var_dir),
        "rows": rows,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    print(f"wanliu generate --lines {args.lines} --months {args.months} ({result['database']})")
    print(f"  wall time        {seconds:8.1f} s")
    print(f"  peak memory      {peak_mib:8.0f} MiB (RSS of the generate process)")
    print(f"  load average     {load_before[0]:8.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"  CPU time         {result['cpu_seconds']:8.1f} s (user + system)")
    print(f"  database size    {result['database_bytes'] / 2**20:8.0f} MiB")
    for table, count in rows.items():
        print(f"  {table:<32} {count:>12,}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.keep:
        print(f"  kept in {var_dir}")
    else:
        shutil.rmtree(var_dir)


if __name__ == "__main__":
    main()
