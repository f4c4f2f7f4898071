"""Churn features from the operator database, as of a month.

Two steps, both plain functions:

1. ``operator_extract(out_dir)``: the tables the features need, read once from the
   operator database with raw SQL (works on SQLite and PostgreSQL) and written as Parquet.
2. ``features_as_of(tables_dir, as_of=..., label=...)``: DuckDB SQL over those Parquet
   files, one row per line active on the first day of ``as_of``. Every feature uses only
   data from before that day (bills and usage of earlier months, contacts started before
   it, competitor promotions of earlier months); the label, when asked for, is whether
   the line was cancelled during the ``as_of`` month.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

# name -> (SQL, [(column, arrow type)]). Dates are read as text (both backends agree on
# ISO text), numbers as double precision; DuckDB casts them back.
_NUM = "DOUBLE PRECISION"
EXTRACTS: dict[str, tuple[str, list[tuple[str, pa.DataType]]]] = {
    "lines": (
        "SELECT l.id, l.account_id, l.subscription_id, l.kind, CAST(l.activated_on AS TEXT), "
        "CAST(l.cancelled_on AS TEXT) FROM customers_line l",
        [
            ("line_id", pa.int64()),
            ("account_id", pa.int64()),
            ("subscription_id", pa.int64()),
            ("kind", pa.string()),
            ("activated_on", pa.string()),
            ("cancelled_on", pa.string()),
        ],
    ),
    "accounts": (
        "SELECT a.id, a.customer_id FROM customers_account a",
        [("account_id", pa.int64()), ("customer_id", pa.int64())],
    ),
    "customers": (
        "SELECT c.id, c.unit_id, c.value_tier, CAST(c.joined_on AS TEXT), "
        "c.marketing_opt_out FROM customers_customer c",
        [
            ("customer_id", pa.int64()),
            ("unit_id", pa.int64()),
            ("value_tier", pa.string()),
            ("joined_on", pa.string()),
            ("marketing_opt_out", pa.bool_()),
        ],
    ),
    "units": (
        "SELECT u.id, u.parent_id FROM org_orgunit u",
        [("unit_id", pa.int64()), ("parent_id", pa.int64())],
    ),
    "subscriptions": (
        "SELECT s.id, s.plan_id, CAST(s.contract_end_on AS TEXT) FROM customers_subscription s",
        [
            ("subscription_id", pa.int64()),
            ("plan_id", pa.int64()),
            ("contract_end_on", pa.string()),
        ],
    ),
    "plan_changes": (
        "SELECT p.subscription_id, p.from_plan_id, p.to_plan_id, CAST(p.changed_on AS TEXT) "
        "FROM customers_planchange p",
        [
            ("subscription_id", pa.int64()),
            ("from_plan_id", pa.int64()),
            ("to_plan_id", pa.int64()),
            ("changed_on", pa.string()),
        ],
    ),
    "plans": (
        f"SELECT p.id, p.family, CAST(p.monthly_fee AS {_NUM}), p.contract_months "
        "FROM customers_plan p",
        [
            ("plan_id", pa.int64()),
            ("family", pa.string()),
            ("monthly_fee", pa.float64()),
            ("contract_months", pa.int64()),
        ],
    ),
    "bills": (
        f"SELECT b.account_id, CAST(b.month AS TEXT), CAST(b.total AS {_NUM}) "
        "FROM customers_bill b",
        [("account_id", pa.int64()), ("month", pa.string()), ("total", pa.float64())],
    ),
    "usage": (
        f"SELECT u.line_id, CAST(u.month AS TEXT), CAST(u.data_gb AS {_NUM}), u.voice_minutes, "
        f"CAST(u.overage_charge AS {_NUM}) FROM customers_usage u",
        [
            ("line_id", pa.int64()),
            ("month", pa.string()),
            ("data_gb", pa.float64()),
            ("voice_minutes", pa.float64()),
            ("overage_charge", pa.float64()),
        ],
    ),
    "contacts": (
        "SELECT c.customer_id, c.line_id, c.topic, CAST(c.started_at AS TEXT), "
        "c.resolved_at_contact FROM customers_contact c",
        [
            ("customer_id", pa.int64()),
            ("line_id", pa.int64()),
            ("topic", pa.string()),
            ("started_at", pa.string()),  # the local calendar day
            ("resolved_at_contact", pa.bool_()),
        ],
    ),
    "promotions": (
        f"SELECT p.unit_id, CAST(p.month AS TEXT), CAST(p.promo_monthly AS {_NUM}) "
        "FROM customers_competitorpromotion p",
        [("unit_id", pa.int64()), ("month", pa.string()), ("promo_monthly", pa.float64())],
    ),
}

CHUNK = 50_000

# Monthly tables and the column ``operator_extract(since=...)`` filters them on.
SINCE_COLUMNS = {
    "bills": "b.month",
    "usage": "u.month",
    "contacts": "c.started_at",
    "promotions": "p.month",
}


DATE_COLUMNS = frozenset(
    {"activated_on", "cancelled_on", "joined_on", "contract_end_on", "changed_on", "month"}
)


def _local_day(value: Any, zone: ZoneInfo) -> str:
    """A stored (UTC) timestamp, as text or datetime, as the operator's local calendar day."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    else:
        text = str(value).replace("T", " ")
        moment = dt.datetime.fromisoformat(text[:19]).replace(tzinfo=dt.UTC)
        if len(text) > 19 and text[19:].lstrip("0123456789.")[:1] in ("+", "-"):
            moment = dt.datetime.fromisoformat(text)
    return moment.astimezone(zone).date().isoformat()


def _convert(value: Any, kind: pa.DataType, *, day: bool = False) -> Any:
    if value is None:
        return None
    if pa.types.is_string(kind):
        return str(value)[:10] if day else str(value)
    if pa.types.is_boolean(kind):
        return bool(value)
    if pa.types.is_floating(kind):
        return float(value)
    return int(value)


def _column(values: Sequence[Any], kind: pa.DataType, *, day: bool) -> pa.Array:
    """One fetched column as Arrow: pyarrow converts the driver's values directly (SQLite
    gives 0/1 for booleans, PostgreSQL true/false; numbers arrive as double precision,
    dates as ISO text); anything else goes through ``_convert`` value by value."""
    try:
        array = pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        try:
            if not pa.types.is_boolean(kind):
                raise
            array = pa.array(values, type=pa.int64()).cast(pa.bool_())  # SQLite's 0/1
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            array = pa.array([_convert(v, kind, day=day) for v in values], type=kind)
    if day and pa.types.is_string(kind):
        array = pc.utf8_slice_codeunits(array, 0, 10)
    return array


def operator_extract(
    out_dir: Path,
    *,
    cursor_factory: Callable[[], Any] | None = None,
    time_zone: str | None = None,
    since: dt.date | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Write every table of ``EXTRACTS`` to ``out_dir/<name>.parquet``; returns row counts.

    ``cursor_factory`` defaults to the Django default connection's cursor; contact times
    become calendar days in ``time_zone`` (default: the ``TIME_ZONE`` setting). ``since``
    leaves out bills, usage, contacts and promotions of months before it (features as of a
    month look back six months at most), which halves what a monthly scoring reads."""
    if cursor_factory is None:
        from django.db import connection

        cursor_factory = connection.cursor
    if time_zone is None:
        from django.conf import settings

        time_zone = str(settings.TIME_ZONE)
    zone = ZoneInfo(time_zone)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for name, (sql, columns) in tqdm(
        EXTRACTS.items(), desc="extract", file=sys.stderr, disable=not progress
    ):
        schema = pa.schema(columns)
        with pq.ParquetWriter(out_dir / f"{name}.parquet", schema) as writer:
            total = 0
            with cursor_factory() as cursor:
                if since is not None and name in SINCE_COLUMNS:
                    # a day early for contacts: their UTC timestamps become local days later
                    bound: Any = since.replace(day=1)
                    if name == "contacts":
                        bound = dt.datetime.combine(
                            bound - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
                        )
                    cursor.execute(f"{sql} WHERE {SINCE_COLUMNS[name]} >= %s", [bound])
                else:
                    cursor.execute(sql)
                while rows := cursor.fetchmany(CHUNK):
                    values = list(zip(*rows, strict=True))
                    arrays = [
                        pa.array([_local_day(v, zone) for v in values[i]], type=t)
                        if c == "started_at"
                        else _column(values[i], t, day=c in DATE_COLUMNS)
                        for i, (c, t) in enumerate(columns)
                    ]
                    writer.write_batch(pa.record_batch(arrays, schema=schema))
                    total += len(rows)
            if total == 0:
                writer.write_table(schema.empty_table())
        counts[name] = total
    return counts


def month_start(text: str | dt.date) -> dt.date:
    """``2026-05`` or a date -> the first day of that month."""
    if isinstance(text, dt.date):
        return text.replace(day=1)
    try:
        year, month = (int(p) for p in text.strip()[:7].split("-"))
        return dt.date(year, month, 1)
    except ValueError as exc:
        raise ValueError(f"not a month (YYYY-MM): {text!r}") from exc


def month_add(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


FEATURES_SQL = """
WITH
lines AS (
  SELECT line_id, account_id, subscription_id, kind,
         CAST(activated_on AS DATE) AS activated_on,
         CAST(cancelled_on AS DATE) AS cancelled_on
  FROM read_parquet($lines)
),
active AS (
  SELECT * FROM lines
  WHERE activated_on < $as_of AND (cancelled_on IS NULL OR cancelled_on >= $as_of)
),
acc AS (SELECT * FROM read_parquet($accounts)),
cust AS (
  SELECT customer_id, unit_id, value_tier, CAST(joined_on AS DATE) AS joined_on
  FROM read_parquet($customers)
),
units AS (SELECT * FROM read_parquet($units)),
subs AS (
  SELECT subscription_id, plan_id, CAST(contract_end_on AS DATE) AS contract_end_on
  FROM read_parquet($subscriptions)
),
changes AS (
  SELECT subscription_id, from_plan_id, CAST(changed_on AS DATE) AS changed_on
  FROM read_parquet($plan_changes)
),
-- the plan on the as-of day: the plan left by the first change made on or after it,
-- else the subscription's plan
later_change AS (
  SELECT subscription_id, arg_min(from_plan_id, changed_on) AS plan_then
  FROM changes WHERE changed_on >= $as_of GROUP BY subscription_id
),
plans AS (SELECT * FROM read_parquet($plans)),
bills AS (
  SELECT account_id, CAST(month AS DATE) AS month, total FROM read_parquet($bills)
  WHERE CAST(month AS DATE) < $as_of AND CAST(month AS DATE) >= $m6
),
bill_f AS (
  SELECT account_id,
         avg(total) FILTER (WHERE month >= $m3) AS bill_3m,
         avg(total) FILTER (WHERE month < $m3) AS bill_prior_3m,
         max(total) FILTER (WHERE month >= $m3) AS bill_max_3m
  FROM bills GROUP BY account_id
),
usage AS (
  SELECT line_id, CAST(month AS DATE) AS month, data_gb, voice_minutes, overage_charge
  FROM read_parquet($usage)
  WHERE CAST(month AS DATE) < $as_of AND CAST(month AS DATE) >= $m6
),
usage_f AS (
  SELECT line_id,
         avg(data_gb) FILTER (WHERE month >= $m3) AS data_3m,
         avg(data_gb) FILTER (WHERE month < $m3) AS data_prior_3m,
         avg(voice_minutes) FILTER (WHERE month >= $m3) AS voice_3m,
         avg(voice_minutes) FILTER (WHERE month < $m3) AS voice_prior_3m,
         sum(overage_charge) FILTER (WHERE month >= $m3) AS overage_3m
  FROM usage GROUP BY line_id
),
contacts AS (
  SELECT customer_id, line_id, topic, resolved_at_contact,
         CAST(started_at AS DATE) AS day
  FROM read_parquet($contacts)
),
contact_f AS (
  SELECT customer_id,
         count(*) AS contacts_3m,
         count(*) FILTER (WHERE topic = 'complaint') AS complaints_3m,
         count(*) FILTER (WHERE topic = 'network') AS network_contacts_3m,
         count(*) FILTER (WHERE topic = 'billing') AS billing_contacts_3m,
         count(*) FILTER (WHERE topic = 'cancellation') AS cancellation_contacts_3m,
         count(*) FILTER (WHERE NOT resolved_at_contact
                          AND topic IN ('complaint', 'network', 'billing')) AS unresolved_3m
  FROM contacts WHERE day < $as_of AND day >= $m3 GROUP BY customer_id
),
bundle AS (
  SELECT account_id, count(*) AS bundle_lines FROM active GROUP BY account_id
),
promo AS (
  SELECT unit_id, min(promo_monthly) AS promo_monthly
  FROM read_parquet($promotions) WHERE CAST(month AS DATE) = $m1 GROUP BY unit_id
),
base AS (
  SELECT a.line_id, a.account_id, a.kind, a.activated_on, a.cancelled_on,
         c.customer_id, c.unit_id, c.value_tier, c.joined_on,
         u.parent_id AS branch_id,
         coalesce(lc.plan_then, s.plan_id) AS plan_id, s.contract_end_on
  FROM active a
  JOIN acc ON acc.account_id = a.account_id
  JOIN cust c ON c.customer_id = acc.customer_id
  LEFT JOIN units u ON u.unit_id = c.unit_id
  LEFT JOIN subs s ON s.subscription_id = a.subscription_id
  LEFT JOIN later_change lc ON lc.subscription_id = a.subscription_id
)
SELECT
  b.line_id,
  b.kind,
  p.family AS plan_family,
  p.monthly_fee AS plan_fee,
  p.contract_months,
  b.value_tier,
  date_diff('month', b.activated_on, $as_of) AS tenure_months,
  date_diff('month', b.joined_on, $as_of) AS customer_tenure_months,
  CASE WHEN b.contract_end_on IS NULL THEN NULL
       ELSE date_diff('month', $as_of, b.contract_end_on) END AS months_to_contract_end,
  coalesce(bu.bundle_lines, 1) AS bundle_lines,
  bf.bill_3m,
  bf.bill_prior_3m,
  CASE WHEN bf.bill_prior_3m > 0 THEN bf.bill_3m / bf.bill_prior_3m - 1 END AS bill_trend,
  CASE WHEN bf.bill_prior_3m > 0 THEN bf.bill_max_3m / bf.bill_prior_3m END AS bill_peak_ratio,
  uf.data_3m,
  CASE WHEN uf.data_prior_3m > 0 THEN 1 - uf.data_3m / uf.data_prior_3m END AS data_decline,
  CASE WHEN uf.voice_prior_3m > 0 THEN 1 - uf.voice_3m / uf.voice_prior_3m END
    AS voice_decline,
  coalesce(uf.overage_3m, 0) AS overage_3m,
  coalesce(cf.contacts_3m, 0) AS contacts_3m,
  coalesce(cf.complaints_3m, 0) AS complaints_3m,
  coalesce(cf.network_contacts_3m, 0) AS network_contacts_3m,
  coalesce(cf.billing_contacts_3m, 0) AS billing_contacts_3m,
  coalesce(cf.cancellation_contacts_3m, 0) AS cancellation_contacts_3m,
  coalesce(cf.unresolved_3m, 0) AS unresolved_3m,
  least(pg.promo_monthly, pb.promo_monthly) AS competitor_promo,
  CASE WHEN p.monthly_fee > 0 AND least(pg.promo_monthly, pb.promo_monthly) IS NOT NULL
       THEN (p.monthly_fee - least(pg.promo_monthly, pb.promo_monthly)) / p.monthly_fee
       END AS competitor_gap
  {label}
FROM base b
LEFT JOIN plans p ON p.plan_id = b.plan_id
LEFT JOIN bundle bu ON bu.account_id = b.account_id
LEFT JOIN bill_f bf ON bf.account_id = b.account_id
LEFT JOIN usage_f uf ON uf.line_id = b.line_id
LEFT JOIN contact_f cf ON cf.customer_id = b.customer_id
LEFT JOIN promo pg ON pg.unit_id = b.unit_id
LEFT JOIN promo pb ON pb.unit_id = b.branch_id
ORDER BY b.line_id
"""

LABEL_SQL = (
    ", CASE WHEN b.cancelled_on IS NOT NULL AND b.cancelled_on < $next THEN 1 ELSE 0 END AS churned"
)

FEATURE_COLUMNS = (
    "kind",
    "plan_family",
    "plan_fee",
    "contract_months",
    "value_tier",
    "tenure_months",
    "customer_tenure_months",
    "months_to_contract_end",
    "bundle_lines",
    "bill_3m",
    "bill_prior_3m",
    "bill_trend",
    "bill_peak_ratio",
    "data_3m",
    "data_decline",
    "voice_decline",
    "overage_3m",
    "contacts_3m",
    "complaints_3m",
    "network_contacts_3m",
    "billing_contacts_3m",
    "cancellation_contacts_3m",
    "unresolved_3m",
    "competitor_promo",
    "competitor_gap",
)


def features_as_of(tables_dir: Path, *, as_of: dt.date, label: bool = False) -> pa.Table:
    """The feature table (``line_id`` + ``FEATURE_COLUMNS`` [+ ``churned``]) as of a month."""
    import duckdb

    first = month_start(as_of)
    params: dict[str, Any] = {name: str(tables_dir / f"{name}.parquet") for name in EXTRACTS}
    params.update(
        as_of=first,
        m1=month_add(first, -1),
        m3=month_add(first, -3),
        m6=month_add(first, -6),
    )
    if label:
        params["next"] = month_add(first, 1)
    sql = FEATURES_SQL.replace("{label}", LABEL_SQL if label else "")
    with duckdb.connect() as con:
        con.execute("SET threads TO 2")
        table = con.sql(sql, params=params).to_arrow_table()
    return table


def last_month(tables_dir: Path) -> dt.date:
    """The newest billed month in the extract."""
    import duckdb

    with duckdb.connect() as con:
        row = con.execute(
            "SELECT max(CAST(month AS DATE)) FROM read_parquet($p)",
            {"p": str(tables_dir / "bills.parquet")},
        ).fetchone()
    if row is None or row[0] is None:
        raise ValueError("the operator has no bills: run `wanliu generate` or import data first")
    return month_start(row[0])


def training_table(
    tables_dir: Path, *, months: Sequence[dt.date], progress: bool = False
) -> pa.Table:
    """Labelled feature rows for several as-of months, stacked (``as_of`` column added)."""
    parts = []
    for month in tqdm(months, desc="features", file=sys.stderr, disable=not progress):
        table = features_as_of(tables_dir, as_of=month, label=True)
        parts.append(
            table.append_column("as_of", pa.array([month] * table.num_rows, type=pa.date32()))
        )
    return pa.concat_tables(parts)
