"""Lifetime value per segment and remaining value per line, from the operator extract.

Plain functions over the Parquet tables of ``wanliu.scoring.operator.operator_extract``
(no Django): DuckDB turns the lines into grouped lifetimes per segment, the
shifted-beta-geometric model (``engine.sbg``) is fitted to each segment by maximum
likelihood, and every line active at the start of the month gets its remaining value:
margin per month x the discounted expected number of further months (sBG, given the
months it has already stayed).

Segments are plan family x value tier x cohort (the year the line joined). A segment
with too few lines or churners to fit falls back to plan family x value tier, then to
the plan family, then to the whole operator, so every line gets a value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.sbg import SbgFit, discounted_remaining_periods, sbg_fit_lifetimes
from wanliu.scoring.operator import month_add, month_start

ALL = "*"
ALL_COHORTS = "all"
WINDOW_MONTHS = 12
MIN_LINES = 200
MIN_CHURNED = 30

_TABLES = """
lines AS (
  SELECT line_id, account_id, subscription_id,
         CAST(activated_on AS DATE) AS activated_on,
         CAST(cancelled_on AS DATE) AS cancelled_on
  FROM read_parquet($lines)
),
subs AS (SELECT subscription_id, plan_id FROM read_parquet($subscriptions)),
plans AS (SELECT plan_id, family, monthly_fee FROM read_parquet($plans)),
acc AS (SELECT account_id, customer_id FROM read_parquet($accounts)),
cust AS (SELECT customer_id, value_tier FROM read_parquet($customers)),
seg AS (
  SELECT l.*, coalesce(p.family, 'none') AS plan_family,
         coalesce(c.value_tier, 'C') AS value_tier,
         CAST(year(l.activated_on) AS VARCHAR) AS cohort,
         p.monthly_fee
  FROM lines l
  LEFT JOIN subs s ON s.subscription_id = l.subscription_id
  LEFT JOIN plans p ON p.plan_id = s.plan_id
  LEFT JOIN acc a ON a.account_id = l.account_id
  LEFT JOIN cust c ON c.customer_id = a.customer_id
)
"""

LIFETIMES_SQL = (
    "WITH"
    + _TABLES
    + """,
observed AS (
  SELECT plan_family, value_tier, cohort,
         greatest(0, date_diff('month', activated_on, $window_start)) AS entered,
         cancelled_on IS NOT NULL AND cancelled_on < $as_of AS churned,
         activated_on, cancelled_on
  FROM seg
  WHERE activated_on < $as_of
    AND (cancelled_on IS NULL OR cancelled_on >= $window_start)
)
SELECT plan_family, value_tier, cohort, entered, churned,
       CASE WHEN churned
            THEN greatest(entered + 1, date_diff('month', activated_on, cancelled_on), 1)
            ELSE greatest(entered, date_diff('month', activated_on, $as_of)) END AS ended,
       count(*) AS n
FROM observed
GROUP BY ALL
ORDER BY ALL
"""
)

ACTIVE_SQL = (
    "WITH"
    + _TABLES
    + """,
active AS (
  SELECT * FROM seg
  WHERE activated_on < $as_of AND (cancelled_on IS NULL OR cancelled_on >= $as_of)
),
shares AS (
  SELECT subscription_id, count(*) AS lines_on_plan FROM active
  WHERE subscription_id IS NOT NULL GROUP BY subscription_id
)
SELECT a.line_id, a.plan_family, a.value_tier, a.cohort,
       date_diff('month', a.activated_on, $as_of) AS tenure_months,
       coalesce(a.monthly_fee, 0) / coalesce(sh.lines_on_plan, 1) AS monthly_fee_share
FROM active a LEFT JOIN shares sh ON sh.subscription_id = a.subscription_id
ORDER BY a.line_id
"""
)


@dataclass(frozen=True)
class SegmentFit:
    """One fitted segment; ``ALL`` in a field means the fit covers every value of it."""

    plan_family: str
    value_tier: str
    cohort: str
    fit: SbgFit
    lines: int
    churned: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.plan_family, self.value_tier, self.cohort)


@dataclass(frozen=True)
class ValueTerms:
    """How value is reckoned (from the active ``ValuePolicy``)."""

    margin_share: float
    annual_discount_rate: float
    horizon_months: int

    @property
    def monthly_discount(self) -> float:
        return math.expm1(math.log1p(self.annual_discount_rate) / 12)


def _params(tables_dir: Path, as_of: dt.date) -> dict[str, Any]:
    params: dict[str, Any] = {
        name: str(tables_dir / f"{name}.parquet")
        for name in ("lines", "subscriptions", "plans", "accounts", "customers")
    }
    missing = [name for name in params if not (tables_dir / f"{name}.parquet").is_file()]
    if missing:
        raise EngineError(f"{tables_dir}: the extract lacks {', '.join(missing)}")
    params["as_of"] = month_start(as_of)
    return params


def _query(sql: str, params: dict[str, Any]) -> pa.Table:
    import duckdb

    used = {key: value for key, value in params.items() if f"${key}" in sql}
    with duckdb.connect() as con:
        con.execute("SET threads TO 2")
        return con.sql(sql, params=used).to_arrow_table()


def segment_lifetimes(tables_dir: Path, *, as_of: dt.date) -> pa.Table:
    """Grouped lifetimes seen in the ``WINDOW_MONTHS`` months before ``as_of``."""
    params = _params(tables_dir, as_of)
    params["window_start"] = month_add(params["as_of"], -WINDOW_MONTHS)
    return _query(LIFETIMES_SQL, params)


def _levels(key: tuple[str, str, str]) -> Iterator[tuple[str, str, str]]:
    """A line's segment, most specific first, ending with the whole operator."""
    family, tier, cohort = key
    yield (family, tier, cohort)
    yield (family, tier, ALL_COHORTS)
    yield (family, ALL, ALL_COHORTS)
    yield (ALL, ALL, ALL_COHORTS)


def segment_fits(
    lifetimes: pa.Table, *, min_lines: int = MIN_LINES, min_churned: int = MIN_CHURNED
) -> dict[tuple[str, str, str], SegmentFit]:
    """An sBG fit for every segment (at every level) with enough lines and churners."""
    columns = {
        name: lifetimes.column(name).to_numpy(zero_copy_only=False)
        for name in ("plan_family", "value_tier", "cohort", "entered", "ended", "churned", "n")
    }
    rows = lifetimes.num_rows
    if rows == 0:
        raise EngineError("no lines were active in the window: nothing to fit values to")
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i in range(rows):
        base = (
            str(columns["plan_family"][i]),
            str(columns["value_tier"][i]),
            str(columns["cohort"][i]),
        )
        for key in _levels(base):
            groups.setdefault(key, []).append(i)
    fits: dict[tuple[str, str, str], SegmentFit] = {}
    for key, members in sorted(groups.items()):
        index = np.asarray(members)
        weight = columns["n"][index].astype(np.float64)
        churned = columns["churned"][index].astype(bool)
        lines = int(weight.sum())
        churners = int(weight[churned].sum())
        is_operator = key == (ALL, ALL, ALL_COHORTS)
        if not is_operator and (lines < min_lines or churners < min_churned):
            continue
        if churners == 0:
            continue
        fit = sbg_fit_lifetimes(
            entered=columns["entered"][index],
            ended=columns["ended"][index],
            churned=churned,
            weight=weight,
        )
        fits[key] = SegmentFit(
            plan_family=key[0],
            value_tier=key[1],
            cohort=key[2],
            fit=fit,
            lines=lines,
            churned=churners,
        )
    if (ALL, ALL, ALL_COHORTS) not in fits:
        raise EngineError("nobody churned in the window: lifetime value cannot be fitted")
    return fits


def fit_for(fits: dict[tuple[str, str, str], SegmentFit], key: tuple[str, str, str]) -> SegmentFit:
    """The most specific fitted segment a line belongs to."""
    for level in _levels(key):
        found = fits.get(level)
        if found is not None:
            return found
    raise EngineError("no operator-wide fit")  # segment_fits always makes one


def line_values(
    tables_dir: Path,
    *,
    as_of: dt.date,
    fits: dict[tuple[str, str, str], SegmentFit],
    terms: ValueTerms,
) -> pa.Table:
    """Every line active at ``as_of``: ``line_id``, ``monthly_margin``, ``expected_months``
    (discounted) and ``remaining_value`` (yuan, float; round when storing), and the segment
    whose fit was used."""
    active = _query(ACTIVE_SQL, _params(tables_dir, as_of))
    n = active.num_rows
    family = active.column("plan_family").to_pylist()
    tier = active.column("value_tier").to_pylist()
    cohort = active.column("cohort").to_pylist()
    tenure = np.maximum(active.column("tenure_months").to_numpy(zero_copy_only=False), 0)
    margin = active.column("monthly_fee_share").to_numpy(zero_copy_only=False) * terms.margin_share
    used = [
        fit_for(fits, (str(f), str(t), str(c)))
        for f, t, c in zip(family, tier, cohort, strict=True)
    ]
    months = np.zeros(n)
    by_fit: dict[tuple[str, str, str], list[int]] = {}
    for i, segment in enumerate(used):
        by_fit.setdefault(segment.key, []).append(i)
    for key, members in by_fit.items():
        index = np.asarray(members)
        distinct, back = np.unique(tenure[index], return_inverse=True)
        periods = discounted_remaining_periods(
            fits[key].fit,
            survived=distinct,
            discount=terms.monthly_discount,
            horizon=terms.horizon_months,
        )
        months[index] = periods[back]
    return pa.table(
        {
            "line_id": active.column("line_id"),
            "monthly_margin": pa.array(margin, pa.float64()),
            "expected_months": pa.array(months, pa.float64()),
            "remaining_value": pa.array(margin * months, pa.float64()),
            "segment": pa.array(["/".join(s.key) for s in used], pa.string()),
        }
    )
