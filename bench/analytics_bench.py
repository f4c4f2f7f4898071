"""Monthly review benchmark: the review of a month against the same figures in plain pandas.

Builds (or reuses, with ``--reuse``) a generated operator in a scratch ``WANLIU_VAR_DIR``:

    wanliu migrate; wanliu generate --lines N --months M --seed S   (a child process)

then, in this process: the retention desk's and the complaints desk's history (the demo's
generators), the monthly snapshots of every generated month (once, as the worker does), and
times, in one run,

- ``review``: ``wanliu.analytics.review.monthly_review`` of the last generated month for the
  whole operator (median of ``--repeat`` runs after one warm-up), and once for a branch;
- ``pandas``: the same figures computed in plain pandas without snapshots or DuckDB: every
  line, the month's bills and the months' contact flags read into pandas and grouped there
  (churn by unit, store, plan family and value tier with the month before, Kaplan-Meier
  curves by cohort and plan family, segment survivors and their fits, FCR by channel, topic
  and team, value customers, churned customers); complaints, SLA, revisits and CSAT grouped
  in pandas; the desk and compliance tables with the review's own (pandas) code;

checks that both give the same headline numbers, and prints the ratio.

    .venv/bin/python bench/analytics_bench.py --lines 1000000 --months 12 --seed 7
    .venv/bin/python bench/analytics_bench.py --lines 20000 --var-dir /tmp/wl-bench --reuse

``--json FILE`` also writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _wanliu(var_dir: Path, *argv: str) -> None:
    env = {**os.environ, "WANLIU_VAR_DIR": str(var_dir)}
    subprocess.run([str(ROOT / ".venv/bin/wanliu"), *argv], check=True, env=env)


def _timed(label: str, fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    began = time.perf_counter()
    result = fn(*args, **kwargs)
    seconds = time.perf_counter() - began
    print(f"{label:<44} {seconds:8.2f} s", flush=True)
    return result, seconds


# --- the plain-pandas implementation -------------------------------------------------------


def _frame(sql: str, params: list[Any], columns: list[str]) -> Any:
    import pandas as pd
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def pandas_review(month: dt.date) -> dict[str, Any]:
    """The review's line-, bill- and contact-level tables (and the rest) in plain pandas."""
    import numpy as np
    import pandas as pd

    from wanliu.analytics import desk, sources
    from wanliu.analytics.cells import DAYS_PER_MONTH, HORIZONS, segment_fit
    from wanliu.analytics.compliance import compliance_checks
    from wanliu.analytics.figures import local_days, utc_bounds
    from wanliu.analytics.months import add_months, local_bounds, next_month, previous_month
    from wanliu.analytics.service_time import first_response_due

    out: dict[str, Any] = {}
    prev = previous_month(month)
    lines = _frame(
        "SELECT l.id, l.subscription_id, CAST(l.activated_on AS TEXT),"
        " CAST(l.cancelled_on AS TEXT), c.id, c.unit_id, u.path, c.store_id, c.value_tier,"
        " p.family, CAST(p.monthly_fee AS DOUBLE PRECISION)"
        " FROM customers_line l JOIN customers_account a ON a.id = l.account_id"
        " JOIN customers_customer c ON c.id = a.customer_id"
        " JOIN org_orgunit u ON u.id = c.unit_id"
        " LEFT JOIN customers_subscription s ON s.id = l.subscription_id"
        " LEFT JOIN customers_plan p ON p.id = s.plan_id",
        [],
        ["line", "sub", "on", "off", "customer", "unit", "path", "store", "tier", "family", "fee"],
    )
    lines["on"] = pd.to_datetime(lines["on"], format="ISO8601")
    lines["off"] = pd.to_datetime(lines["off"], format="ISO8601")
    lines["family"] = lines["family"].fillna("none")
    lines["share"] = lines["fee"].fillna(0.0) / lines.groupby("sub")["line"].transform("size")
    lines.loc[lines["sub"].isna(), "share"] = 0.0
    lines["branch"] = lines["path"].str.extract(r"^(/\d+/\d+/)", expand=False).fillna(lines["path"])

    def churn(start: dt.date, by: str) -> Any:
        s, e = pd.Timestamp(start), pd.Timestamp(next_month(start))
        active = (lines["on"] < s) & (lines["off"].isna() | (lines["off"] >= s))
        gone = (lines["off"] >= s) & (lines["off"] < e)
        key = lines[by] if by != "total" else pd.Series("total", index=lines.index)
        table = pd.DataFrame({"active": active.groupby(key).sum(), "gone": gone.groupby(key).sum()})
        table["rate"] = table["gone"] / table["active"].replace(0, np.nan)
        return table

    for by in ("total", "branch", "store", "family", "tier"):
        now, before = churn(month, by), churn(prev, by)
        both = now.join(before, rsuffix="_prev", how="outer").fillna(0)
        both["mom"] = (
            (both["rate"] - both["rate_prev"]) / both["rate_prev"].replace(0, np.nan) * 100
        )
        out[f"churn_{by}"] = both
    # Kaplan-Meier by cohort and plan family as of the month's last day
    as_of = pd.Timestamp(next_month(month)) - pd.Timedelta(days=1)
    known = lines[lines["on"] <= as_of].copy()
    event = known["off"].notna() & (known["off"] <= as_of)
    known["event"] = event
    known["duration"] = ((known["off"].where(event, as_of)) - known["on"]).dt.days.clip(lower=0)
    known["cohort"] = known["on"].dt.year.astype(str)
    for by in ("cohort", "family"):
        curves = {}
        for key, group in known.groupby(by):
            counts = group.groupby("duration")["event"].agg(["size", "sum"]).sort_index()
            at_risk = counts["size"][::-1].cumsum()[::-1]
            factor = 1 - counts["sum"] / at_risk
            survival = factor.cumprod()
            curves[key] = [
                float(survival[survival.index <= h * DAYS_PER_MONTH].iloc[-1])
                if (survival.index <= h * DAYS_PER_MONTH).any()
                else 1.0
                for h in HORIZONS
            ]
        out[f"curves_{by}"] = curves
    # segment survivors over the window and their fits
    first = max(add_months(month, -11), lines["off"].min().date().replace(day=1))
    starts = []
    day = first
    while day <= next_month(month):
        starts.append(pd.Timestamp(day))
        day = add_months(day, 1)
    base = lines[(lines["on"] < starts[0]) & (lines["off"].isna() | (lines["off"] >= starts[0]))]
    fits = {}
    for key, group in base.groupby(["family", "tier"]):
        survivors = [int((group["off"].isna() | (group["off"] >= t)).sum()) for t in starts]
        fits[key] = segment_fit(survivors)
    out["fits"] = fits
    # churned customers of the month
    s, e = pd.Timestamp(month), pd.Timestamp(next_month(month))
    gone = lines[(lines["off"] >= s) & (lines["off"] < e)]
    out["churned"] = gone.groupby("customer").agg(lines=("line", "size"), fee=("share", "sum"))
    # value customers: the month's bills summed per customer
    bills = _frame(
        "SELECT a.customer_id, CAST(b.total AS DOUBLE PRECISION) FROM customers_bill b"
        " JOIN customers_account a ON a.id = b.account_id WHERE b.month = %s",
        [month.isoformat()],
        ["customer", "total"],
    )
    totals = bills.groupby("customer")["total"].sum().round(2)
    out["value"] = totals.sort_values(ascending=False, kind="stable").head(20)
    # FCR of the month's contacts
    start, end = local_bounds(month)
    flags = _frame(
        "SELECT c.channel, c.topic, s.unit_id, r.first_contact_resolved"
        " FROM complaints_contactresolution r JOIN customers_contact c ON c.id = r.contact_id"
        " LEFT JOIN org_staff s ON s.id = c.agent_id"
        " WHERE c.started_at >= %s AND c.started_at < %s",
        _instants(start, end),
        ["channel", "topic", "team", "fcr"],
    )
    flags["fcr"] = flags["fcr"].astype(bool)
    for by in ("channel", "topic", "team"):
        out[f"fcr_{by}"] = flags.groupby(by)["fcr"].agg(["size", "sum", "mean"])
    # complaints, SLA, revisits, CSAT
    prev_start, _ = local_bounds(prev)
    orders = sources.orders_frame(start=prev_start, end=end, unit_path=None)
    orders["day"] = local_days(orders["received_at"])
    in_month = orders[orders["day"] >= pd.Timestamp(month)].copy()
    top = np.where(
        in_month["parent_category"] == "", in_month["category"], in_month["parent_category"]
    )
    out["by_category"] = in_month.groupby(top).size()
    out["by_channel"] = in_month.groupby("channel").size()
    in_month["fr_due"] = first_response_due(in_month)
    m_start, m_end = utc_bounds(month)
    met = (
        in_month["resolved_at"].notna()
        & (in_month["resolved_at"] <= in_month["resolution_due_at"])
        & in_month["status"].isin(["resolved", "closed"])
    )
    out["sla"] = in_month.assign(met=met).groupby("sla_policy")["met"].agg(["size", "sum"])
    revisits = sources.revisits_frame(start=start, end=end, unit_path=None)
    out["revisits"] = (
        revisits["done_at"].notna() & (revisits["done_at"] <= revisits["due_at"])
    ).sum()
    surveys = sources.surveys_frame(start=start, end=end, unit_path=None)
    out["csat"] = surveys["csat"].mean()
    # the desk and compliance with the review's own pandas code
    data = desk.desk_data(month=month, prev=prev, unit_path=None)
    out["desk"] = desk.retention_by(data, "store")
    out["checks"] = compliance_checks(month=month, unit_path=None, desk=data, revisits=revisits)
    del m_start, m_end
    return out


def _instants(*values: dt.datetime) -> list[Any]:
    from django.db import connection

    if connection.vendor == "sqlite":
        return [v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") for v in values]
    return list(values)


def _check(review: dict[str, Any], plain: dict[str, Any]) -> list[str]:
    """Headline numbers both ways (they must agree)."""
    total = review["churn_total"].iloc[0]
    churn = plain["churn_total"].loc["total"]
    problems = []
    if (int(total.active_at_start), int(total.disconnected)) != (
        int(churn["active"]),
        int(churn["gone"]),
    ):
        problems.append("churn_total")
    if list(review["value_customers"]["customer_id"]) != list(plain["value"].index):
        problems.append("value_customers")
    fcr = review["fcr_by_channel"].set_index("key")["contacts"].to_dict()
    if {k: int(v) for k, v in fcr.items()} != {
        k: int(v) for k, v in plain["fcr_channel"]["size"].items()
    }:
        problems.append("fcr_by_channel")
    if int(review["sla_attainment"]["orders"].sum()) != int(plain["sla"]["size"].sum()):
        problems.append("sla_attainment")
    if len(review["churned_customers"]) != len(plain["churned"]):
        problems.append("churned_customers")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--var-dir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--reuse", action="store_true", help="keep an operator already there")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="wanliu-analytics-bench-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["WANLIU_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wanliu.settings")
    figures: dict[str, Any] = {"lines": args.lines, "months": args.months, "seed": args.seed}
    database = var_dir / "wanliu.sqlite3"
    fresh = not (args.reuse and database.exists())
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    print(f"var dir: {var_dir}", flush=True)
    if fresh:
        _wanliu(var_dir, "migrate", "-v0")
        generate = ["generate", "--lines", str(args.lines), "--months", str(args.months)]
        generate += ["--seed", str(args.seed), "--as-of", as_of.isoformat(), "--no-progress"]
        _, figures["generate_s"] = _timed(
            "wanliu generate (child process)", _wanliu, var_dir, *generate
        )

    import django

    django.setup()
    from wanliu.analytics.months import add_months, previous_month
    from wanliu.analytics.review import monthly_review
    from wanliu.analytics.snapshots import snapshot_build
    from wanliu.complaints.generator import complaints_history_generate
    from wanliu.complaints.models import WorkOrder
    from wanliu.org.models import OrgUnit
    from wanliu.retention.generator import retention_history_generate
    from wanliu.retention.models import CancellationRequest

    if not CancellationRequest.objects.exists():
        counts, figures["retention_history_s"] = _timed(
            "retention desk history", retention_history_generate, seed=args.seed, as_of=as_of
        )
        figures["requests"] = counts.get("retention.cancellationrequest", 0)
    if not WorkOrder.objects.exists():
        counts, figures["complaints_history_s"] = _timed(
            "complaints history", complaints_history_generate, seed=args.seed, as_of=as_of
        )
        figures["work_orders"] = counts.get("complaints.workorder", 0)
    last = previous_month(as_of.replace(day=1))
    months = [add_months(last, -k) for k in range(args.months)]
    _, figures["snapshots_s"] = _timed(
        f"snapshots of {len(months)} months (once)", snapshot_build, months=months, today=as_of
    )
    monthly_review(month=last, today=as_of)  # warm-up: imports, caches
    runs = []
    for k in range(args.repeat):
        _tables, seconds = _timed(
            f"review {last:%Y-%m}, whole operator #{k + 1}", monthly_review, month=last, today=as_of
        )
        runs.append(seconds)
    review = monthly_review(month=last, today=as_of)
    figures["review_s"] = statistics.median(runs)
    figures["review_runs_s"] = [round(s, 3) for s in runs]
    branch = OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("path").first()
    if branch is not None:
        _, figures["review_branch_s"] = _timed(
            f"review {last:%Y-%m}, one branch",
            monthly_review,
            month=last,
            unit_path=branch.path,
            today=as_of,
        )
    plain, figures["pandas_s"] = _timed(
        f"plain pandas {last:%Y-%m}, whole operator", pandas_review, last
    )
    problems = _check(review, plain)
    figures["same_numbers"] = not problems
    figures["ratio"] = figures["pandas_s"] / figures["review_s"]
    print(f"{'pandas / review':<44} {figures['ratio']:8.1f} x")
    print("same headline numbers: " + ("yes" if not problems else f"NO ({', '.join(problems)})"))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
