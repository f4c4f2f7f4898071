"""The cells of monthly snapshots, computed from the operator database.

One extract of the lines (a raw-cursor read of one joined query, handed to DuckDB as Arrow)
serves every requested month; contacts, bills and their flags are read for the months'
window only. Everything else is DuckDB SQL. The cells are those of
``wanliu.analytics.models.snapshots``; definitions are in docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from django.db.models import Sum

from wanliu.analytics.extract import arrow_of, frame_of, rows_of
from wanliu.analytics.months import (
    add_months,
    local_bounds,
    local_zone,
    month_end,
    month_start,
    next_month,
)
from wanliu.complaints.models import ContactResolution
from wanliu.customers.models import Bill, Line
from wanliu.org.models import OrgUnit
from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.sbg import SbgFit, sbg_fit

HORIZONS = (1, 3, 6, 12, 24, 36)
DAYS_PER_MONTH = 30.4375
VALUE_TOP = 50
SEGMENT_MONTHS = 12
CENT = Decimal("0.01")

CHURN_COLUMNS = [
    "unit_id",
    "store_id",
    "plan_family",
    "value_tier",
    "active_at_start",
    "disconnected",
    "fee_at_start",
]
SURVIVAL_COLUMNS = ["unit_id", "dimension", "key", "lines", "events", *[f"m{h}" for h in HORIZONS]]
SEGMENT_COLUMNS = ["plan_family", "value_tier", "survivors", "alpha", "beta", "log_likelihood"]
FCR_COLUMNS = ["customer_unit_id", "team_id", "channel", "topic", "contacts", "resolved"]
AGENT_FCR_COLUMNS = ["agent_id", "team_id", "contacts", "resolved"]
VALUE_COLUMNS = ["unit_id", "customer_id", "bill_total"]
CHURNED_COLUMNS = ["unit_id", "customer_id", "lines", "fee_lost"]


@dataclass
class MonthCells:
    """Everything line-, bill- and contact-level the review of one month needs."""

    month: dt.date
    churn: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHURN_COLUMNS))
    survival: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SURVIVAL_COLUMNS))
    segments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SEGMENT_COLUMNS))
    fcr: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FCR_COLUMNS))
    agent_fcr: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=AGENT_FCR_COLUMNS))
    value_customers: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=VALUE_COLUMNS)
    )
    churned: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHURNED_COLUMNS))
    lines: int = 0


LINE_NAMES = [
    "line_id",
    "subscription_id",
    "activated_on",
    "cancelled_on",
    "customer_id",
    "unit_id",
    "store_id",
    "value_tier",
    "plan_family",
    "monthly_fee",
]

LINES_SQL = """
CREATE TEMP TABLE lines AS
SELECT CAST(line_id AS BIGINT) AS line_id,
       CAST(subscription_id AS BIGINT) AS subscription_id,
       CAST(activated_on AS DATE) AS activated_on,
       CAST(cancelled_on AS DATE) AS cancelled_on,
       CAST(customer_id AS BIGINT) AS customer_id,
       CAST(unit_id AS BIGINT) AS unit_id,
       CAST(store_id AS BIGINT) AS store_id,
       CAST(value_tier AS VARCHAR) AS value_tier,
       coalesce(CAST(plan_family AS VARCHAR), 'none') AS plan_family,
       -- a line's monthly fee: its plan's fee shared among the subscription's lines
       CASE WHEN subscription_id IS NULL THEN 0.0
            ELSE coalesce(CAST(monthly_fee AS DOUBLE), 0.0)
                 / count(*) OVER (PARTITION BY subscription_id) END AS fee
FROM raw_lines
"""

CHURN_SQL = """
SELECT unit_id, store_id, plan_family, value_tier,
       count(*) FILTER (WHERE activated_on < $start
                        AND (cancelled_on IS NULL OR cancelled_on >= $start)) AS active_at_start,
       count(*) FILTER (WHERE cancelled_on >= $start AND cancelled_on < $end) AS disconnected,
       round(coalesce(sum(fee) FILTER (WHERE activated_on < $start
                        AND (cancelled_on IS NULL OR cancelled_on >= $start)), 0), 2)
           AS fee_at_start
FROM lines
GROUP BY ALL
HAVING active_at_start > 0 OR disconnected > 0
ORDER BY unit_id, store_id NULLS FIRST, plan_family, value_tier
"""

# Kaplan-Meier (product-limit) per unit subtree and key, at fixed horizons: durations in
# days from activation to cancellation (event) or to the month's last day (censored).
SURVIVAL_SQL = """
WITH x AS (
  SELECT unit_id, CAST(year(activated_on) AS VARCHAR) AS cohort, plan_family,
         cancelled_on IS NOT NULL AND cancelled_on <= $as_of AS event,
         greatest(date_diff('day', activated_on,
             CASE WHEN cancelled_on IS NOT NULL AND cancelled_on <= $as_of
                  THEN cancelled_on ELSE $as_of END), 0) AS duration
  FROM lines WHERE activated_on <= $as_of
), base AS (
  SELECT unit_id, 'cohort' AS dimension, cohort AS key, duration,
         count(*) AS n, count(*) FILTER (WHERE event) AS d
  FROM x GROUP BY ALL
  UNION ALL
  SELECT unit_id, 'plan_family', plan_family, duration,
         count(*), count(*) FILTER (WHERE event)
  FROM x GROUP BY ALL
), g AS (
  SELECT a.ancestor_id AS unit_id, b.dimension, b.key, b.duration,
         sum(b.n) AS n, sum(b.d) AS d
  FROM base b JOIN ancestors a ON a.unit_id = b.unit_id
  GROUP BY ALL
  UNION ALL
  SELECT -1, dimension, key, duration, sum(n), sum(d) FROM base GROUP BY ALL
), r AS (
  SELECT *, sum(n) OVER (PARTITION BY unit_id, dimension, key ORDER BY duration DESC)
      AS at_risk
  FROM g
), totals AS (
  SELECT unit_id, dimension, key, CAST(sum(n) AS BIGINT) AS lines,
         CAST(sum(d) AS BIGINT) AS events
  FROM g GROUP BY ALL
), curve AS (
  SELECT r.unit_id, r.dimension, r.key, h.months,
         bool_or(r.d > 0 AND r.d = r.at_risk AND r.duration <= h.days) AS wiped,
         sum(CASE WHEN r.d > 0 AND r.d < r.at_risk AND r.duration <= h.days
                  THEN ln(1 - r.d / r.at_risk) ELSE 0 END) AS logs
  FROM r CROSS JOIN horizons h
  GROUP BY ALL
)
SELECT t.unit_id, t.dimension, t.key, t.lines, t.events, c.months,
       CASE WHEN c.wiped THEN 0.0 ELSE exp(c.logs) END AS survival
FROM totals t JOIN curve c USING (unit_id, dimension, key)
"""


def _ancestors() -> pd.DataFrame:
    """Every unit with each unit on its path (itself included)."""
    rows = []
    for unit_id, path in OrgUnit.objects.values_list("id", "path"):
        for part in path.strip("/").split("/"):
            if part:
                rows.append((unit_id, int(part)))
    return pd.DataFrame(rows, columns=["unit_id", "ancestor_id"], dtype="int64")


def _survival(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    long = con.execute(SURVIVAL_SQL, {"as_of": as_of}).df()
    if long.empty:
        return pd.DataFrame(columns=SURVIVAL_COLUMNS)
    wide = long.pivot_table(
        index=["unit_id", "dimension", "key", "lines", "events"],
        columns="months",
        values="survival",
        aggfunc="first",
    ).reset_index()
    wide.columns = [c if isinstance(c, str) else f"m{int(c)}" for c in wide.columns]
    wide["unit_id"] = wide["unit_id"].astype("int64")
    return wide[SURVIVAL_COLUMNS].sort_values(["unit_id", "dimension", "key"], ignore_index=True)


def segment_fit(survivors: Sequence[float]) -> SbgFit | None:
    """The churn engine's maximum-likelihood sBG fit of one segment's survivor counts
    (``None`` when the counts cannot be fitted: fewer than two, nobody left, or counts that
    grow)."""
    try:
        return sbg_fit([float(v) for v in survivors])
    except EngineError:
        return None


def _segments(con: duckdb.DuckDBPyConnection, month: dt.date) -> pd.DataFrame:
    """Survivors, per plan family and value tier, of the lines active at the start of the
    window's first month, at the start of each month through the next one; sBG fits.

    The window is the twelve months to ``month``, from no earlier than the first month with
    a disconnection on record (before it the history is not there)."""
    first = add_months(month, 1 - SEGMENT_MONTHS)
    row = con.execute("SELECT min(cancelled_on) FROM lines").fetchone()
    if row is not None and row[0] is not None:
        first = max(first, month_start(row[0]))
    if first > month:
        return pd.DataFrame(columns=SEGMENT_COLUMNS)
    starts = []
    day = first
    while day <= next_month(month):
        starts.append(day)
        day = add_months(day, 1)
    counts = ", ".join(
        f"count(*) FILTER (WHERE cancelled_on IS NULL OR cancelled_on >= DATE '{day}') AS n{k}"
        for k, day in enumerate(starts)
    )
    table = con.execute(
        f"SELECT plan_family, value_tier, {counts} FROM lines "
        f"WHERE activated_on < DATE '{first}' "
        f"AND (cancelled_on IS NULL OR cancelled_on >= DATE '{first}') "
        "GROUP BY ALL ORDER BY plan_family, value_tier"
    ).df()
    rows = []
    for record in table.to_dict("records"):
        survivors = [int(record[f"n{k}"]) for k in range(len(starts))]
        fit = segment_fit(survivors)
        rows.append(
            (
                record["plan_family"],
                record["value_tier"],
                survivors,
                fit.alpha if fit else None,
                fit.beta if fit else None,
                fit.log_likelihood if fit else None,
            )
        )
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


def _fcr(
    months: Sequence[dt.date],
) -> tuple[dict[dt.date, pd.DataFrame], dict[dt.date, pd.DataFrame]]:
    first, _ = local_bounds(min(months))
    _, last = local_bounds(max(months))
    frame = frame_of(
        ContactResolution.objects.filter(
            contact__started_at__gte=first, contact__started_at__lt=last
        ).values_list(
            "contact__started_at",
            "contact__customer__unit_id",
            "contact__agent_id",
            "contact__agent__unit_id",
            "contact__channel",
            "contact__topic",
            "first_contact_resolved",
        ),
        {
            "started_at": "datetime",
            "customer_unit_id": "int",
            "agent_id": "int",
            "team_id": "int",
            "channel": "text",
            "topic": "text",
            "resolved": "bool",
        },
    )
    local = frame["started_at"].dt.tz_localize("UTC").dt.tz_convert(local_zone())
    frame["month"] = local.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date
    by_month: dict[dt.date, pd.DataFrame] = {}
    by_agent: dict[dt.date, pd.DataFrame] = {}
    for month in months:
        part = frame[frame["month"] == month]
        cells = (
            part.assign(team_id=part["team_id"].astype("Int64"))
            .groupby(["customer_unit_id", "team_id", "channel", "topic"], dropna=False)
            .agg(contacts=("resolved", "size"), resolved=("resolved", "sum"))
            .reset_index()
        )
        by_month[month] = cells[FCR_COLUMNS]
        agents = part[part["agent_id"].notna()]
        by_agent[month] = (
            agents.groupby(["agent_id", "team_id"])
            .agg(contacts=("resolved", "size"), resolved=("resolved", "sum"))
            .reset_index()[AGENT_FCR_COLUMNS]
        )
    return by_month, by_agent


def _value_customers(month: dt.date) -> pd.DataFrame:
    """Per unit, the customers whose bills of the month add up to the most (top VALUE_TOP)."""
    rows = rows_of(
        Bill.objects.filter(month=month)
        .values("account__customer_id", "account__customer__unit_id")
        .annotate(total=Sum("total"))
        .values_list("account__customer__unit_id", "account__customer_id", "total")
    )
    if not rows:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    frame = pd.DataFrame(rows, columns=["unit_id", "customer_id", "total"])
    frame["bill_total"] = pd.Series(
        [Decimal(str(v)).quantize(CENT) for v in frame["total"]], dtype=object, index=frame.index
    )
    frame["sort"] = frame["bill_total"].astype(float)
    frame = frame.sort_values(["unit_id", "sort", "customer_id"], ascending=[True, False, True])
    return frame.groupby("unit_id").head(VALUE_TOP)[VALUE_COLUMNS].reset_index(drop=True)


def month_cells_compute(months: Sequence[dt.date]) -> dict[dt.date, MonthCells]:
    """The cells of each month, from one read of the lines."""
    months = sorted(set(months))
    if not months:
        return {}
    lines = arrow_of(
        Line.objects.values_list(
            "id",
            "subscription_id",
            "activated_on",
            "cancelled_on",
            "account__customer_id",
            "account__customer__unit_id",
            "account__customer__store_id",
            "account__customer__value_tier",
            "subscription__plan__family",
            "subscription__plan__monthly_fee",
        ),
        LINE_NAMES,
    )
    horizons = pd.DataFrame(
        {"months": list(HORIZONS), "days": [h * DAYS_PER_MONTH for h in HORIZONS]}
    )
    fcr, agent_fcr = _fcr(months)
    out: dict[dt.date, MonthCells] = {}
    with duckdb.connect() as con:
        con.register("raw_lines", lines)
        con.register("ancestors", _ancestors())
        con.register("horizons", horizons)
        con.execute(LINES_SQL)
        for month in months:
            start, end = month, next_month(month)
            churn = con.execute(CHURN_SQL, {"start": start, "end": end}).df()
            churned = con.execute(
                "SELECT unit_id, customer_id, count(*) AS lines, round(sum(fee), 2) AS fee_lost "
                "FROM lines WHERE cancelled_on >= $start AND cancelled_on < $end "
                "GROUP BY ALL ORDER BY fee_lost DESC, customer_id",
                {"start": start, "end": end},
            ).df()
            out[month] = MonthCells(
                month=month,
                churn=churn[CHURN_COLUMNS],
                survival=_survival(con, month_end(month)),
                segments=_segments(con, month),
                fcr=fcr[month],
                agent_fcr=agent_fcr[month],
                value_customers=_value_customers(month),
                churned=churned[CHURNED_COLUMNS],
                lines=lines.num_rows,
            )
    return out


def as_int(values: Any) -> np.ndarray:
    """A column of ids with missing values as -1."""
    return pd.Series(values).fillna(-1).astype("int64").to_numpy()
