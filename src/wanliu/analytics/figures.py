"""Figures of the monthly review: churn, complaints, service and first-contact resolution.

Pure functions over the month's snapshot cells (``wanliu.analytics.cells``) and the desks'
frames (``wanliu.analytics.sources``); each is DuckDB SQL over those frames. The frames are
already within the reviewed unit subtree. Definitions: docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import duckdb
import pandas as pd

from wanliu.analytics.months import local_bounds, local_zone, next_month, previous_month

CANCELLATION_CATEGORY = "cancellation"
REFUSAL_CATEGORY = "cancellation-refused"
CHURN_DIMENSIONS = ("total", "child_unit", "store", "plan_family", "value_tier")
COMPLAINT_DIMENSIONS = ("category", "channel")


_local = threading.local()


def _connection() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB connection per thread, reused by every figure."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        _local.con = con
    return con


def sql(query: str, params: dict[str, Any] | None = None, **frames: pd.DataFrame) -> pd.DataFrame:
    """Run one DuckDB query over the given frames (registered under their keyword names)."""
    con = _connection()
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        return con.execute(query, params or {}).df()
    finally:
        for name in frames:
            con.unregister(name)


def utc_bounds(month: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The month's local bounds as naive UTC timestamps (how the frames hold instants)."""
    start, end = local_bounds(month)
    return (
        pd.Timestamp(start).tz_convert("UTC").tz_localize(None),
        pd.Timestamp(end).tz_convert("UTC").tz_localize(None),
    )


def local_days(instants: pd.Series) -> pd.Series:
    """Naive UTC instants as the local calendar day (naive midnight)."""
    return (
        pd.to_datetime(instants)
        .dt.tz_localize("UTC")
        .dt.tz_convert(local_zone())
        .dt.tz_localize(None)
        .dt.normalize()
    )


# --- churn ---------------------------------------------------------------------------------


def child_unit_expr(unit_path: str | None, column: str = "unit_path") -> str:
    """SQL giving the path of the unit directly under the scope root (or the root itself)."""
    root = unit_path or "/"
    n = len(root)
    return (
        f"CASE WHEN length({column}) <= {n} THEN {column} "
        f"ELSE substr({column}, 1, {n} + strpos(substr({column}, {n + 1}), '/')) END"
    )


def churn_rates(
    *, now: pd.DataFrame, before: pd.DataFrame, by: str = "total", unit_path: str | None = None
) -> pd.DataFrame:
    """Monthly churn rate and its month-over-month change, grouped by ``by``, from the churn
    cells of the month (``now``) and of the month before (``before``).

    Columns: key, active_at_start, disconnected, churn_rate, prev_active_at_start,
    prev_disconnected, prev_churn_rate, mom_change (relative, in percent).
    """
    if by not in CHURN_DIMENSIONS:
        raise ValueError(f"unknown churn dimension {by!r}")
    key = {
        "total": "'total'",
        "child_unit": child_unit_expr(unit_path),
        "store": "CAST(store_id AS VARCHAR)",
        "plan_family": "plan_family",
        "value_tier": "value_tier",
    }[by]
    both = pd.concat(
        [now.assign(period="now"), before.assign(period="prev")], ignore_index=True
    ).astype({"store_id": "Int64"})
    return sql(
        f"""
        WITH counted AS (
            SELECT {key} AS key,
                coalesce(sum(active_at_start) FILTER (WHERE period = 'now'), 0) AS active_at_start,
                coalesce(sum(disconnected) FILTER (WHERE period = 'now'), 0) AS disconnected,
                coalesce(sum(active_at_start) FILTER (WHERE period = 'prev'), 0)
                    AS prev_active_at_start,
                coalesce(sum(disconnected) FILTER (WHERE period = 'prev'), 0) AS prev_disconnected
            FROM cells GROUP BY 1
        ), rated AS (
            SELECT *,
                CASE WHEN active_at_start > 0
                    THEN disconnected::DOUBLE / active_at_start END AS churn_rate,
                CASE WHEN prev_active_at_start > 0
                    THEN prev_disconnected::DOUBLE / prev_active_at_start END AS prev_churn_rate
            FROM counted
        )
        SELECT CAST(key AS VARCHAR) AS key,
            CAST(active_at_start AS BIGINT) AS active_at_start,
            CAST(disconnected AS BIGINT) AS disconnected, churn_rate,
            CAST(prev_active_at_start AS BIGINT) AS prev_active_at_start,
            CAST(prev_disconnected AS BIGINT) AS prev_disconnected, prev_churn_rate,
            CASE WHEN prev_churn_rate > 0
                THEN round((churn_rate - prev_churn_rate) / prev_churn_rate * 100, 2)
            END AS mom_change
        FROM rated
        WHERE active_at_start > 0 OR prev_active_at_start > 0 OR disconnected > 0
        ORDER BY key
        """,
        cells=both,
    )


# --- complaints ----------------------------------------------------------------------------


def _month_params(month: dt.date) -> dict[str, Any]:
    return {
        "start": pd.Timestamp(month),
        "end": pd.Timestamp(next_month(month)),
        "prev": pd.Timestamp(previous_month(month)),
    }


def with_local_day(orders: pd.DataFrame) -> pd.DataFrame:
    frame = orders.copy()
    frame["received_on"] = local_days(frame["received_at"])
    return frame


def complaints_by(*, complaints: pd.DataFrame, month: dt.date, by: str) -> pd.DataFrame:
    """Complaints received in the month by ``category`` (top-level) or ``channel``, with MoM."""
    if by not in COMPLAINT_DIMENSIONS:
        raise ValueError(f"unknown complaint dimension {by!r}")
    key = (
        "CASE WHEN parent_category = '' THEN category ELSE parent_category END"
        if by == "category"
        else "channel"
    )
    return sql(
        f"""
        WITH counted AS (
            SELECT {key} AS key,
                count(*) FILTER (WHERE received_on >= $start AND received_on < $end) AS count,
                count(*) FILTER (WHERE received_on >= $prev AND received_on < $start)
                    AS prev_count
            FROM complaints GROUP BY 1
        )
        SELECT key, count, prev_count,
            CASE WHEN prev_count > 0
                THEN round((count - prev_count)::DOUBLE / prev_count * 100, 2) END AS mom_change
        FROM counted
        WHERE count > 0 OR prev_count > 0
        ORDER BY count DESC, key
        """,
        _month_params(month),
        complaints=complaints,
    )


def cancellation_complaints(*, complaints: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """One row: cancellation complaints in the month, MoM change, refusals and refusal share."""
    return sql(
        """
        WITH c AS (
            SELECT * FROM complaints WHERE category = $cancel OR parent_category = $cancel
        ), counted AS (
            SELECT
                count(*) FILTER (WHERE received_on >= $start AND received_on < $end) AS count,
                count(*) FILTER (WHERE received_on >= $prev AND received_on < $start)
                    AS prev_count,
                count(*) FILTER (WHERE received_on >= $start AND received_on < $end
                    AND category = $refusal) AS refusals
            FROM c
        )
        SELECT count, prev_count,
            CASE WHEN prev_count > 0
                THEN round((count - prev_count)::DOUBLE / prev_count * 100, 2) END AS mom_change,
            refusals,
            CASE WHEN count > 0 THEN round(refusals::DOUBLE / count * 100, 2) END
                AS refusal_share
        FROM counted
        """,
        {**_month_params(month), "cancel": CANCELLATION_CATEGORY, "refusal": REFUSAL_CATEGORY},
        complaints=complaints,
    )


def complaints_trend(*, by_month: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Per month: complaints, cancellation complaints (with MoM change) and refusals."""
    frame = pd.DataFrame({"month": months}).merge(by_month, on="month", how="left")
    for column in ("complaints", "cancellation", "refusals"):
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
    prev = frame["cancellation"].shift(1)
    frame["cancellation_mom_change"] = [
        round((c - p) / p * 100, 2) if pd.notna(p) and p > 0 else None
        for c, p in zip(frame["cancellation"], prev, strict=True)
    ]
    frame["refusal_share"] = [
        round(r / c * 100, 2) if c else None
        for r, c in zip(frame["refusals"], frame["cancellation"], strict=True)
    ]
    return frame


def sla_attainment(*, orders: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Per SLA target, the orders received in the month and how many met each clock.

    ``first_response_due`` is the policy's first-response target on the order's calendar
    (the stored due time is cleared at the first response); ``overdue``: resolution due
    before the month ended and not resolved by then in time; ``reopened``: reopened since.
    """
    start, end = utc_bounds(month)
    return sql(
        """
        WITH o AS (
            SELECT *, resolved_at IS NOT NULL AND resolved_at <= resolution_due_at
                AND status IN ('resolved', 'closed') AS resolution_met,
                first_responded_at IS NOT NULL AND first_response_due IS NOT NULL
                AND first_responded_at <= first_response_due AS first_response_met
            FROM orders WHERE received_at >= $start AND received_at < $end
        )
        SELECT sla_policy AS key, count(*) AS orders,
            count(*) FILTER (WHERE first_response_met) AS first_response_met,
            count(*) FILTER (WHERE resolution_met) AS resolution_met,
            count(*) FILTER (WHERE resolution_due_at < $end
                AND (resolved_at IS NULL OR resolved_at > resolution_due_at)) AS overdue,
            count(*) FILTER (WHERE reopen_count > 0) AS reopened,
            round(count(*) FILTER (WHERE first_response_met)::DOUBLE / count(*) * 100, 2)
                AS first_response_attainment,
            round(count(*) FILTER (WHERE resolution_met)::DOUBLE / count(*) * 100, 2)
                AS resolution_attainment
        FROM o GROUP BY 1 ORDER BY 1
        """,
        {"start": start, "end": end},
        orders=orders,
    )


def overdue_orders(*, orders: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """The orders counted overdue in ``sla_attainment``, latest due first."""
    start, end = utc_bounds(month)
    return sql(
        """
        SELECT order_id, order_no, received_at, category, channel, sla_policy,
            resolution_due_at, resolved_at, status, owner_unit_id, owner_staff_id
        FROM orders
        WHERE received_at >= $start AND received_at < $end AND resolution_due_at < $end
            AND (resolved_at IS NULL OR resolved_at > resolution_due_at)
        ORDER BY resolution_due_at DESC, order_id
        """,
        {"start": start, "end": end},
        orders=orders,
    )


def reopened_orders(*, orders: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Orders received in the month that were reopened (a revisit found it not solved)."""
    start, end = utc_bounds(month)
    return sql(
        """
        SELECT order_id, order_no, received_at, category, channel, reopened_at,
            reopen_count, status, owner_unit_id, owner_staff_id
        FROM orders
        WHERE received_at >= $start AND received_at < $end AND reopen_count > 0
        ORDER BY reopened_at DESC, order_id
        """,
        {"start": start, "end": end},
        orders=orders,
    )


def revisit_completion(*, revisits: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Revisits due in the month: done, done by the due time, not solved, on-time rate."""
    start, end = utc_bounds(month)
    return sql(
        """
        SELECT count(*) AS due,
            count(*) FILTER (WHERE done_at IS NOT NULL) AS done,
            count(*) FILTER (WHERE done_at IS NOT NULL AND done_at <= due_at) AS done_on_time,
            count(*) FILTER (WHERE outcome = 'not_solved') AS not_solved,
            CASE WHEN count(*) > 0 THEN round(count(*) FILTER (WHERE done_at IS NOT NULL
                AND done_at <= due_at)::DOUBLE / count(*) * 100, 2) END AS on_time_rate
        FROM revisits WHERE due_at >= $start AND due_at < $end
        """,
        {"start": start, "end": end},
        revisits=revisits,
    )


def csat_summary(*, surveys: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Survey answers received in the month: count, mean CSAT (1-5), share satisfied (4-5)."""
    start, end = utc_bounds(month)
    return sql(
        """
        SELECT count(*) AS responses, round(avg(csat), 2) AS mean_csat,
            CASE WHEN count(*) > 0 THEN round(count(*) FILTER (WHERE csat >= 4)::DOUBLE
                / count(*) * 100, 2) END AS satisfied_share
        FROM surveys WHERE responded_at >= $start AND responded_at < $end
        """,
        {"start": start, "end": end},
        surveys=surveys,
    )


# --- first-contact resolution ------------------------------------------------------------


def fcr_by(*, cells: pd.DataFrame, by: str) -> pd.DataFrame:
    """First-contact resolution of the month's contacts by ``channel`` or ``topic``."""
    if by not in ("channel", "topic"):
        raise ValueError(f"unknown FCR dimension {by!r}")
    return sql(
        f"""
        SELECT {by} AS key, CAST(sum(contacts) AS BIGINT) AS contacts,
            CAST(sum(resolved) AS BIGINT) AS resolved_first_time,
            round(sum(resolved)::DOUBLE / sum(contacts) * 100, 2) AS fcr
        FROM cells GROUP BY 1 HAVING sum(contacts) > 0 ORDER BY 1
        """,
        cells=cells,
    )


def fcr_vs_csat(
    *, cells: pd.DataFrame, surveys: pd.DataFrame
) -> tuple[pd.DataFrame, float | None, float | None]:
    """Per team: FCR (%) of its contacts and mean CSAT of its surveys in the month.

    Returns the table and the least-squares line ``csat = slope * fcr + intercept`` over
    the teams that have both (``None`` with fewer than two such teams or no FCR spread):
    each point of FCR is worth ``slope`` points of CSAT.
    """
    table = sql(
        """
        WITH f AS (
            SELECT team_path, any_value(team_name) AS team_name,
                CAST(sum(contacts) AS BIGINT) AS contacts,
                sum(resolved)::DOUBLE / sum(contacts) * 100 AS fcr
            FROM cells WHERE team_path IS NOT NULL GROUP BY 1 HAVING sum(contacts) > 0
        ), s AS (
            SELECT team_path, count(*) AS responses, avg(csat) AS mean_csat
            FROM surveys GROUP BY 1
        )
        SELECT f.team_path AS key, f.team_name AS name, f.contacts, f.fcr,
            s.responses, s.mean_csat
        FROM f JOIN s USING (team_path)
        ORDER BY key
        """,
        cells=cells,
        surveys=surveys,
    )
    fit = sql(
        "SELECT regr_slope(mean_csat, fcr) AS slope, regr_intercept(mean_csat, fcr) AS b, "
        "count(*) AS n FROM t",
        t=table,
    ).iloc[0]
    slope = intercept = None
    if fit["n"] >= 2 and pd.notna(fit["slope"]):
        slope, intercept = float(fit["slope"]), float(fit["b"])
    table["fcr"] = table["fcr"].round(2)
    table["mean_csat"] = table["mean_csat"].round(3)
    return table, slope, intercept
