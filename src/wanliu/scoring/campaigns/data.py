"""Tables behind campaigns, from the operator extract (DuckDB over the Parquet files of
``wanliu.scoring.operator.operator_extract``; no ORM here):

- ``primary_lines``: one line per customer active at the start of a month (the first line
  of the customer's first plan: a campaign contacts a customer once, and a plan's lines
  leave together), with its plan;
- ``subscription_values``: the remaining value a plan would take with it, the sum over
  its active lines of the sBG remaining value (``wanliu.scoring.value``);
- ``uplift_table``: past campaign targets with their features as of the campaign month
  (``features_as_of``), arm, outcome, acceptance and attempts, to learn uplift from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.uplift import CONTROL
from wanliu.scoring.operator import features_as_of, month_start
from wanliu.scoring.value import (
    SegmentFit,
    ValueTerms,
    line_values,
    segment_fits,
    segment_lifetimes,
)

PRIMARY_SQL = """
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
acc AS (SELECT account_id, customer_id FROM read_parquet($accounts)),
subs AS (SELECT subscription_id, plan_id FROM read_parquet($subscriptions)),
plans AS (SELECT plan_id, family, monthly_fee FROM read_parquet($plans)),
per_sub AS (
  SELECT subscription_id, count(*) AS lines_on_plan FROM active GROUP BY subscription_id
),
ranked AS (
  SELECT a.*, acc.customer_id,
         row_number() OVER (PARTITION BY acc.customer_id ORDER BY a.subscription_id, a.line_id)
           AS position
  FROM active a JOIN acc ON acc.account_id = a.account_id
)
SELECT r.line_id, r.customer_id, r.account_id, r.subscription_id, r.kind,
       r.cancelled_on, p.family AS plan_family, p.monthly_fee AS plan_fee,
       ps.lines_on_plan
FROM ranked r
LEFT JOIN subs s ON s.subscription_id = r.subscription_id
LEFT JOIN plans p ON p.plan_id = s.plan_id
LEFT JOIN per_sub ps ON ps.subscription_id = r.subscription_id
WHERE r.position = 1
ORDER BY r.line_id
"""


def _params(tables_dir: Path, names: Sequence[str]) -> dict[str, Any]:
    missing = [n for n in names if not (tables_dir / f"{n}.parquet").is_file()]
    if missing:
        raise EngineError(f"{tables_dir}: the extract lacks {', '.join(missing)}")
    return {name: str(tables_dir / f"{name}.parquet") for name in names}


def _query(sql: str, params: dict[str, Any]) -> pa.Table:
    import duckdb

    with duckdb.connect() as con:
        con.execute("SET threads TO 2")
        return con.sql(sql, params=params).to_arrow_table()


def primary_lines(tables_dir: Path, *, as_of: dt.date) -> pa.Table:
    """``line_id, customer_id, account_id, subscription_id, kind, cancelled_on,
    plan_family, plan_fee, lines_on_plan`` for every customer active at ``as_of``."""
    params = _params(tables_dir, ("lines", "accounts", "subscriptions", "plans"))
    params["as_of"] = month_start(as_of)
    return _query(PRIMARY_SQL, params)


def value_fits(tables_dir: Path, *, as_of: dt.date) -> dict[tuple[str, str, str], SegmentFit]:
    """sBG fits per segment from the lifetimes seen in the year before ``as_of``."""
    return segment_fits(segment_lifetimes(tables_dir, as_of=as_of))


def line_remaining_values(
    tables_dir: Path,
    *,
    as_of: dt.date,
    terms: ValueTerms,
    fits: dict[tuple[str, str, str], SegmentFit] | None = None,
) -> dict[int, float]:
    """Remaining value (yuan, float) of every line active at ``as_of``: its share of the
    plan's margin x the discounted expected further months (sBG of its segment)."""
    fitted = fits if fits is not None else value_fits(tables_dir, as_of=as_of)
    values = line_values(tables_dir, as_of=as_of, fits=fitted, terms=terms)
    return {
        int(line_id): float(value or 0.0)
        for line_id, value in zip(
            values.column("line_id").to_pylist(),
            values.column("remaining_value").to_pylist(),
            strict=True,
        )
    }


def subscription_lines(tables_dir: Path) -> dict[int, list[int]]:
    """The lines of every plan (subscription id -> line ids)."""
    lines = _query(
        "SELECT line_id, subscription_id FROM read_parquet($lines) ORDER BY line_id",
        _params(tables_dir, ("lines",)),
    )
    out: dict[int, list[int]] = {}
    for line_id, sub in zip(
        lines.column("line_id").to_pylist(),
        lines.column("subscription_id").to_pylist(),
        strict=True,
    ):
        if sub is not None:
            out.setdefault(int(sub), []).append(int(line_id))
    return out


def active_lines(tables_dir: Path, *, as_of: dt.date) -> set[int]:
    """Lines in service on the first day of ``as_of``."""
    params = _params(tables_dir, ("lines",))
    params["as_of"] = month_start(as_of)
    table = _query(
        "SELECT line_id FROM read_parquet($lines) "
        "WHERE CAST(activated_on AS DATE) < $as_of "
        "AND (cancelled_on IS NULL OR CAST(cancelled_on AS DATE) >= $as_of)",
        params,
    )
    return {int(v) for v in table.column("line_id").to_pylist()}


def subscription_values(
    tables_dir: Path,
    *,
    as_of: dt.date,
    terms: ValueTerms,
    fits: dict[tuple[str, str, str], SegmentFit] | None = None,
    stored: dict[int, float] | None = None,
    subscriptions: set[int] | None = None,
) -> dict[int, float]:
    """Remaining value of plans active at ``as_of`` (all, or those in ``subscriptions``):
    the sum over each plan's active lines of the line's value, taken from ``stored`` (e.g.
    the latest stored churn scores) where it is there, else computed with the sBG engine
    (only when some line lacks a stored value; ``fits`` saves refitting the segments)."""
    stored = stored or {}
    by_sub = subscription_lines(tables_dir)
    if subscriptions is not None:
        by_sub = {sub: lines for sub, lines in by_sub.items() if sub in subscriptions}
    active = active_lines(tables_dir, as_of=as_of)
    needed = {line for lines in by_sub.values() for line in lines if line in active}
    computed: dict[int, float] = {}
    if needed - set(stored):
        computed = line_remaining_values(tables_dir, as_of=as_of, terms=terms, fits=fits)
    out: dict[int, float] = {}
    for sub, line_ids in by_sub.items():
        values = [stored.get(line, computed.get(line, 0.0)) for line in line_ids if line in active]
        if values:
            out[sub] = float(sum(values))
    return out


def features_for(tables_dir: Path, *, as_of: dt.date, line_ids: Sequence[int]) -> pa.Table:
    """``features_as_of`` rows of ``line_ids`` in that order (lines not active then are
    missing: the caller checks ``line_id``)."""
    table = features_as_of(tables_dir, as_of=as_of)
    wanted = pa.array(list(line_ids), pa.int64())
    index = pc.index_in(wanted, value_set=table.column("line_id"))
    found = pc.is_valid(index)
    return table.take(pc.filter(index, found))


@dataclass(frozen=True)
class HistoryRow:
    """One past target as the uplift model learns from it."""

    campaign_id: int
    as_of: dt.date
    line_id: int
    offer: str
    control: bool
    churned: bool
    accepted: bool
    attempts: int


def uplift_table(tables_dir: Path, rows: Sequence[HistoryRow]) -> pa.Table:
    """Features as of each campaign's month joined to its targets: feature columns plus
    ``line_id, campaign_id, arm`` (``control`` or the offer code), ``group`` (campaign and
    offer: an offer's treated rows are compared with the control rows planned for it in
    the same campaign), ``churned``, ``accepted`` and ``attempts``."""
    if not rows:
        raise EngineError("no past campaign targets with outcomes to learn from")
    parts = []
    months = sorted({row.as_of for row in rows})
    for month in months:
        these = [row for row in rows if row.as_of == month]
        features = features_for(tables_dir, as_of=month, line_ids=[r.line_id for r in these])
        by_line = {r.line_id: r for r in these}
        ids = features.column("line_id").to_pylist()
        chosen = [by_line[int(i)] for i in ids]
        parts.append(
            features.append_column("campaign_id", pa.array([r.campaign_id for r in chosen]))
            .append_column(
                "arm", pa.array([CONTROL if r.control else r.offer for r in chosen], pa.string())
            )
            .append_column(
                "group", pa.array([f"{r.campaign_id}:{r.offer}" for r in chosen], pa.string())
            )
            .append_column("churned", pa.array([int(r.churned) for r in chosen], pa.int64()))
            .append_column("accepted", pa.array([int(r.accepted) for r in chosen], pa.int64()))
            .append_column("attempts", pa.array([r.attempts for r in chosen], pa.int64()))
        )
    table = pa.concat_tables(parts)
    if table.num_rows == 0:
        raise EngineError("none of the past targets was active in its campaign's month")
    return table


# Columns of ``uplift_table`` that are neither features nor named to ``UpliftModel.fit``.
UPLIFT_NON_FEATURES = ("line_id", "campaign_id")


def numpy_column(table: pa.Table, name: str, dtype: Any = np.float64) -> np.ndarray:
    return np.asarray(
        pc.cast(table.column(name), pa.float64()).to_numpy(zero_copy_only=False), dtype=dtype
    )
