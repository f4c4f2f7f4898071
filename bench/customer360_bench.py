"""Server time of the customer 360 (page and API) and of customer search.

Runs in-process through ``django.test.Client`` as a superuser (``force_login``) against the
configured database: ``DATABASE_URL``, or the SQLite file under ``WANLIU_VAR_DIR`` (default
``var/``). The database should hold a generated operator (``wanliu generate --lines N
--months M --seed S``); ``--generate`` makes one first when the database has no customers.

    .venv/bin/python bench/customer360_bench.py --sample 200
    WANLIU_VAR_DIR=/tmp/w1m .venv/bin/python bench/customer360_bench.py --generate --lines 1000000

Reports p50 / p95 / max milliseconds and queries per request for GET /customers/<id>/ and
GET /api/v1/customers/<id> over a random sample of customers, and for the search API with
MSISDN prefixes and name prefixes taken from the data. ``--json FILE`` also writes the
figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wanliu.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from tqdm import tqdm  # noqa: E402

from wanliu.customers.models import Bill, Contact, Customer, Line, Usage  # noqa: E402

BENCH_USERNAME = "bench-superuser"
WARMUP_REQUESTS = 5


@dataclass
class Figures:
    name: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    queries_max: int
    queries_p50: float


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def measure(name: str, client: Client, paths: Sequence[str], *, expect: int = 200) -> Figures:
    """Time each GET in-process (server time: middleware, view, queries, rendering)."""
    timings: list[float] = []
    queries: list[int] = []
    for path in tqdm(paths, desc=name, unit="req", file=sys.stderr, leave=False):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise SystemExit(f"{name}: GET {path} answered {response.status_code}, not {expect}")
        timings.append(elapsed)
        queries.append(len(captured.captured_queries))
    return Figures(
        name=name,
        requests=len(timings),
        p50_ms=round(statistics.median(timings), 1),
        p95_ms=round(percentile(timings, 0.95), 1),
        max_ms=round(max(timings), 1),
        queries_max=max(queries),
        queries_p50=statistics.median(queries),
    )


def bench_user() -> Any:
    """An active superuser: the generated admin if there is one, else a bench login."""
    users = get_user_model().objects
    existing = users.filter(is_superuser=True, is_active=True).order_by("id").first()
    if existing is not None:
        return existing
    user = users.create_superuser(username=BENCH_USERNAME, email="", password=None)
    print(f"created superuser {BENCH_USERNAME!r} (no password) for the bench", file=sys.stderr)
    return user


def database_size() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "lines": Line.objects.count(),
        "bills": Bill.objects.count(),
        "usage_rows": Usage.objects.count(),
        "contacts": Contact.objects.count(),
    }


def sample_ids(count: int, rng: random.Random) -> list[int]:
    ids = list(Customer.objects.values_list("id", flat=True))
    return rng.sample(ids, min(count, len(ids)))


def search_prefixes(ids: list[int], rng: random.Random, count: int) -> dict[str, list[str]]:
    """MSISDN prefixes (7 digits: operator prefix + area block) and name prefixes (the
    surname, and surname + first given character), drawn from sampled customers."""
    picked = ids[:count]
    numbers = list(
        Line.objects.filter(account__customer_id__in=picked, kind=Line.Kind.MOBILE).values_list(
            "number", flat=True
        )
    )
    names = list(Customer.objects.filter(id__in=picked).values_list("name", flat=True))
    rng.shuffle(numbers)
    return {
        "msisdn7": [n[:7] for n in numbers[:count]],
        "name1": [n[:1] for n in names],
        "name2": [n[:2] for n in names if len(n) >= 2],
    }


def generate_if_empty(lines: int, months: int, seed: int) -> None:
    call_command("migrate", verbosity=0)
    if Customer.objects.exists():
        print("database already holds customers: not generating", file=sys.stderr)
        return
    call_command("generate", "--lines", str(lines), "--months", str(months), "--seed", str(seed))


def run(*, sample: int, searches: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    size = database_size()
    if not size["customers"]:
        raise SystemExit(
            "no customers in this database: run `wanliu generate --lines N --months M --seed S` "
            "first, or pass --generate"
        )
    client = Client()
    client.force_login(bench_user())
    ids = sample_ids(sample, rng)
    # Warm-up: template loading, translations, connection; not counted.
    for customer_id in ids[:WARMUP_REQUESTS]:
        client.get(f"/customers/{customer_id}/")
        client.get(f"/api/v1/customers/{customer_id}")
    prefixes = search_prefixes(ids, rng, searches)
    results: list[Figures] = []
    checks: list[tuple[str, list[str]]] = [
        ("page GET /customers/<id>/", [f"/customers/{i}/" for i in ids]),
        ("api  GET /api/v1/customers/<id>", [f"/api/v1/customers/{i}" for i in ids]),
        ("api  search MSISDN prefix (7 digits)", _search_paths(prefixes["msisdn7"])),
        ("api  search name prefix (surname)", _search_paths(prefixes["name1"])),
        ("api  search name prefix (2 chars)", _search_paths(prefixes["name2"])),
        ("page search name prefix (2 chars)", _page_paths(prefixes["name2"])),
    ]
    for name, paths in checks:
        if paths:
            results.append(measure(name, client, paths))
    return {
        "database": connection.vendor,
        "database_name": str(connection.settings_dict.get("NAME")),
        "size": size,
        "sample": len(ids),
        "seed": seed,
        "results": [asdict(f) for f in results],
    }


def _search_paths(prefixes: list[str]) -> list[str]:
    return [f"/api/v1/customers?q={quote(p)}&limit=20" for p in prefixes]


def _page_paths(prefixes: list[str]) -> list[str]:
    return [f"/customers/?q={quote(p)}" for p in prefixes]


def report(result: dict[str, Any], out: Callable[[str], None] = print) -> None:
    size = result["size"]
    out(
        f"database: {result['database']} {result['database_name']}  "
        + "  ".join(f"{k}={v:,}" for k, v in size.items())
    )
    out(f"sample: {result['sample']} random customers (seed {result['seed']})")
    out(f"{'request':40} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for row in result["results"]:
        out(
            f"{row['name']:40} {row['requests']:>4} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['max_ms']:>8.1f} {row['queries_max']:>8}"
        )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=200, help="customers to open (200)")
    parser.add_argument("--searches", type=int, default=50, help="prefixes per search kind")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the sample")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--generate", action="store_true", help="generate an operator first if none exists"
    )
    parser.add_argument("--lines", type=int, default=100_000, help="lines to generate")
    parser.add_argument("--months", type=int, default=12, help="months to generate")
    args = parser.parse_args(argv)
    if args.generate:
        generate_if_empty(args.lines, args.months, args.seed)
    result = run(sample=args.sample, searches=args.searches, seed=args.seed)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
