"""Pure figure functions of the monthly review.

The needed columns are pulled from the database once per review into pandas frames
(``lines_frame``, ``complaints_frame``); every figure is then one DuckDB SQL query over
those frames. Each function is scoped to an organisation unit by its materialised path
prefix (``unit_path``; ``None`` means the whole operator). Definitions: docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import duckdb
import pandas as pd
from django.conf import settings
from django.db.models import Sum

from wanliu.complaints.models import ContactResolution, Revisit, Survey, WorkOrder
from wanliu.customers.models import Bill, Line

CANCELLATION_CATEGORY = "cancellation"
REFUSAL_CATEGORY = "cancellation-refused"

CHURN_DIMENSIONS = ("total", "child_unit", "store", "plan_family", "value_tier")
COMPLAINT_DIMENSIONS = ("category", "channel")


def month_start(month: dt.date) -> dt.date:
    return month.replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    first = month_start(month)
    return (first - dt.timedelta(days=1)).replace(day=1)


def next_month(month: dt.date) -> dt.date:
    first = month_start(month)
    return (first + dt.timedelta(days=32)).replace(day=1)


def parse_month(text: str) -> dt.date:
    """``YYYY-MM`` to the first day of that month."""
    return dt.datetime.strptime(text, "%Y-%m").date()


def lines_frame(*, unit_path: str | None = None) -> pd.DataFrame:
    """One row per line: dates, the customer's unit path, store, value tier and plan family."""
    qs = Line.objects.all()
    if unit_path:
        qs = qs.filter(account__customer__unit__path__startswith=unit_path)
    rows = qs.values_list(
        "id",
        "activated_on",
        "cancelled_on",
        "account__customer__unit__path",
        "account__customer__store_id",
        "account__customer__value_tier",
        "subscription__plan__family",
    )
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=[
            "line_id",
            "activated_on",
            "cancelled_on",
            "unit_path",
            "store_id",
            "value_tier",
            "plan_family",
        ],
    )
    for column in ("activated_on", "cancelled_on"):
        frame[column] = pd.to_datetime(frame[column])
    frame["plan_family"] = frame["plan_family"].fillna("none")
    frame["store_id"] = frame["store_id"].astype("Int64")
    return frame


def complaints_frame(*, unit_path: str | None = None) -> pd.DataFrame:
    """One row per work order (merged orders left out), dated by the local day it was received."""
    qs = WorkOrder.objects.exclude(status="merged")
    if unit_path:
        qs = qs.filter(customer__unit__path__startswith=unit_path)
    rows = qs.values_list(
        "id",
        "received_at",
        "channel",
        "category__code",
        "category__parent__code",
        "customer__unit__path",
        "owner_store_id",
    )
    frame = pd.DataFrame.from_records(
        list(rows),
        columns=[
            "order_id",
            "received_at",
            "channel",
            "category",
            "parent_category",
            "unit_path",
            "owner_store_id",
        ],
    )
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    received = pd.to_datetime(frame["received_at"], utc=True)
    frame["received_on"] = received.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    frame = frame.drop(columns=["received_at"])
    frame["parent_category"] = frame["parent_category"].fillna("")
    return frame


def _child_unit_expr(unit_path: str | None) -> str:
    """SQL giving the path of the unit directly under the scope root (or the root itself)."""
    root = unit_path or "/"
    n = len(root)
    # the next path segment after the root, e.g. root "/1/" and "/1/4/9/" -> "/1/4/"
    return (
        f"CASE WHEN length(unit_path) <= {n} THEN unit_path "
        f"ELSE substr(unit_path, 1, {n} + strpos(substr(unit_path, {n + 1}), '/')) END"
    )


def churn_rates(
    *, lines: pd.DataFrame, month: dt.date, by: str = "total", unit_path: str | None = None
) -> pd.DataFrame:
    """Monthly churn rate and its month-over-month change, grouped by ``by``.

    Columns: key, active_at_start, disconnected, churn_rate, prev_active_at_start,
    prev_disconnected, prev_churn_rate, mom_change (relative, in percent).
    """
    if by not in CHURN_DIMENSIONS:
        raise ValueError(f"unknown churn dimension {by!r}")
    start = month_start(month)
    end = next_month(start)
    prev = previous_month(start)
    key = {
        "total": "'total'",
        "child_unit": _child_unit_expr(unit_path),
        "store": "CAST(store_id AS VARCHAR)",
        "plan_family": "plan_family",
        "value_tier": "value_tier",
    }[by]
    sql = f"""
        WITH counted AS (
            SELECT {key} AS key,
                count(*) FILTER (WHERE activated_on < $start
                    AND (cancelled_on IS NULL OR cancelled_on >= $start)) AS active_at_start,
                count(*) FILTER (WHERE cancelled_on >= $start AND cancelled_on < $end)
                    AS disconnected,
                count(*) FILTER (WHERE activated_on < $prev
                    AND (cancelled_on IS NULL OR cancelled_on >= $prev)) AS prev_active_at_start,
                count(*) FILTER (WHERE cancelled_on >= $prev AND cancelled_on < $start)
                    AS prev_disconnected
            FROM lines
            GROUP BY 1
        ), rated AS (
            SELECT *,
                CASE WHEN active_at_start > 0
                    THEN disconnected::DOUBLE / active_at_start END AS churn_rate,
                CASE WHEN prev_active_at_start > 0
                    THEN prev_disconnected::DOUBLE / prev_active_at_start END AS prev_churn_rate
            FROM counted
        )
        SELECT key, active_at_start, disconnected, churn_rate,
            prev_active_at_start, prev_disconnected, prev_churn_rate,
            CASE WHEN prev_churn_rate > 0
                THEN round((churn_rate - prev_churn_rate) / prev_churn_rate * 100, 2)
            END AS mom_change
        FROM rated
        WHERE active_at_start > 0 OR prev_active_at_start > 0 OR disconnected > 0
        ORDER BY key
    """
    con = duckdb.connect()
    try:
        con.register("lines", lines)
        result = con.execute(
            sql,
            {
                "start": pd.Timestamp(start),
                "end": pd.Timestamp(end),
                "prev": pd.Timestamp(prev),
            },
        ).df()
    finally:
        con.close()
    return result


def _complaint_counts(
    complaints: pd.DataFrame, *, month: dt.date, key: str, where: str = "TRUE"
) -> pd.DataFrame:
    start = month_start(month)
    sql = f"""
        WITH counted AS (
            SELECT {key} AS key,
                count(*) FILTER (WHERE received_on >= $start AND received_on < $end) AS count,
                count(*) FILTER (WHERE received_on >= $prev AND received_on < $start)
                    AS prev_count
            FROM complaints
            WHERE {where}
            GROUP BY 1
        )
        SELECT key, count, prev_count,
            CASE WHEN prev_count > 0
                THEN round((count - prev_count)::DOUBLE / prev_count * 100, 2) END AS mom_change
        FROM counted
        WHERE count > 0 OR prev_count > 0
        ORDER BY count DESC, key
    """
    con = duckdb.connect()
    try:
        con.register("complaints", complaints)
        return con.execute(
            sql,
            {
                "start": pd.Timestamp(start),
                "end": pd.Timestamp(next_month(start)),
                "prev": pd.Timestamp(previous_month(start)),
            },
        ).df()
    finally:
        con.close()


def complaints_by(*, complaints: pd.DataFrame, month: dt.date, by: str) -> pd.DataFrame:
    """Complaints received in the month by ``category`` (top-level) or ``channel``, with MoM."""
    if by not in COMPLAINT_DIMENSIONS:
        raise ValueError(f"unknown complaint dimension {by!r}")
    key = (
        "CASE WHEN parent_category = '' THEN category ELSE parent_category END"
        if by == "category"
        else "channel"
    )
    return _complaint_counts(complaints, month=month, key=key)


def cancellation_complaints(*, complaints: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """One row: cancellation complaints in the month, MoM change, refusals and refusal share."""
    start = month_start(month)
    sql = """
        WITH c AS (
            SELECT * FROM complaints
            WHERE category = $cancel OR parent_category = $cancel
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
    """
    con = duckdb.connect()
    try:
        con.register("complaints", complaints)
        return con.execute(
            sql,
            {
                "start": pd.Timestamp(start),
                "end": pd.Timestamp(next_month(start)),
                "prev": pd.Timestamp(previous_month(start)),
                "cancel": CANCELLATION_CATEGORY,
                "refusal": REFUSAL_CATEGORY,
            },
        ).df()
    finally:
        con.close()


def _utc_naive(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)


def month_bounds_utc(month: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The month's first and next month's first instants (local midnight), as naive UTC."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(month_start(month), dt.time(), tzinfo=tz)
    end = dt.datetime.combine(next_month(month), dt.time(), tzinfo=tz)
    return (
        pd.Timestamp(start).tz_convert("UTC").tz_localize(None),
        pd.Timestamp(end).tz_convert("UTC").tz_localize(None),
    )


def service_frame(*, unit_path: str | None = None) -> pd.DataFrame:
    """Work orders with their SLA policy and the timestamps that SLA attainment reads."""
    qs = WorkOrder.objects.exclude(status="merged")
    if unit_path:
        qs = qs.filter(customer__unit__path__startswith=unit_path)
    columns = [
        "order_id",
        "sla_policy",
        "received_at",
        "first_response_due_at",
        "first_responded_at",
        "resolution_due_at",
        "resolved_at",
        "reopen_count",
    ]
    rows = qs.values_list(
        "id",
        "sla_policy__name",
        "received_at",
        "first_response_due_at",
        "first_responded_at",
        "resolution_due_at",
        "resolved_at",
        "reopen_count",
    )
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for column in columns[2:7]:
        frame[column] = _utc_naive(frame[column])
    frame["sla_policy"] = frame["sla_policy"].fillna("")
    return frame


def sla_attainment(*, orders: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Per SLA target, the orders received in the month and how many met each clock.

    ``overdue``: resolution due before the month ended and not resolved by then in time.
    """
    start, end = month_bounds_utc(month)
    sql = """
        SELECT sla_policy AS key,
            count(*) AS orders,
            count(*) FILTER (WHERE first_responded_at IS NOT NULL
                AND first_responded_at <= first_response_due_at) AS first_response_met,
            count(*) FILTER (WHERE resolved_at IS NOT NULL
                AND resolved_at <= resolution_due_at) AS resolution_met,
            count(*) FILTER (WHERE resolution_due_at < $end
                AND (resolved_at IS NULL OR resolved_at > resolution_due_at)) AS overdue,
            count(*) FILTER (WHERE reopen_count > 0) AS reopened,
            round(count(*) FILTER (WHERE first_responded_at IS NOT NULL
                AND first_responded_at <= first_response_due_at)::DOUBLE / count(*) * 100, 2)
                AS first_response_attainment,
            round(count(*) FILTER (WHERE resolved_at IS NOT NULL
                AND resolved_at <= resolution_due_at)::DOUBLE / count(*) * 100, 2)
                AS resolution_attainment
        FROM orders
        WHERE received_at >= $start AND received_at < $end
        GROUP BY 1
        ORDER BY 1
    """
    con = duckdb.connect()
    try:
        con.register("orders", orders)
        return con.execute(sql, {"start": start, "end": end}).df()
    finally:
        con.close()


def revisits_frame(*, unit_path: str | None = None) -> pd.DataFrame:
    qs = Revisit.objects.all()
    if unit_path:
        qs = qs.filter(order__customer__unit__path__startswith=unit_path)
    frame = pd.DataFrame.from_records(
        list(qs.values_list("id", "due_at", "done_at")), columns=["revisit_id", "due_at", "done_at"]
    )
    for column in ("due_at", "done_at"):
        frame[column] = _utc_naive(frame[column])
    return frame


def revisit_completion(*, revisits: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Revisits due in the month: done, done by the due time, and the completion rate."""
    start, end = month_bounds_utc(month)
    sql = """
        SELECT count(*) AS due,
            count(*) FILTER (WHERE done_at IS NOT NULL) AS done,
            count(*) FILTER (WHERE done_at IS NOT NULL AND done_at <= due_at) AS done_on_time,
            CASE WHEN count(*) > 0 THEN round(count(*) FILTER (WHERE done_at IS NOT NULL
                AND done_at <= due_at)::DOUBLE / count(*) * 100, 2) END AS on_time_rate
        FROM revisits
        WHERE due_at >= $start AND due_at < $end
    """
    con = duckdb.connect()
    try:
        con.register("revisits", revisits)
        return con.execute(sql, {"start": start, "end": end}).df()
    finally:
        con.close()


def surveys_frame(*, unit_path: str | None = None) -> pd.DataFrame:
    qs = Survey.objects.filter(csat__isnull=False)
    if unit_path:
        qs = qs.filter(order__customer__unit__path__startswith=unit_path)
    frame = pd.DataFrame.from_records(
        list(qs.values_list("id", "team__path", "team__name", "responded_at", "csat")),
        columns=["survey_id", "team_path", "team_name", "responded_at", "csat"],
    )
    frame["responded_at"] = _utc_naive(frame["responded_at"])
    frame["csat"] = frame["csat"].astype("float64")
    return frame


def csat_summary(*, surveys: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Survey answers received in the month: count, mean CSAT (1-5), share satisfied (4-5)."""
    start, end = month_bounds_utc(month)
    sql = """
        SELECT count(*) AS responses,
            round(avg(csat), 2) AS mean_csat,
            CASE WHEN count(*) > 0 THEN round(count(*) FILTER (WHERE csat >= 4)::DOUBLE
                / count(*) * 100, 2) END AS satisfied_share
        FROM surveys
        WHERE responded_at >= $start AND responded_at < $end
    """
    con = duckdb.connect()
    try:
        con.register("surveys", surveys)
        return con.execute(sql, {"start": start, "end": end}).df()
    finally:
        con.close()


def fcr_frame(*, unit_path: str | None = None) -> pd.DataFrame:
    """Contacts that have a first-contact-resolution verdict, with channel, topic and team."""
    qs = ContactResolution.objects.all()
    if unit_path:
        qs = qs.filter(contact__customer__unit__path__startswith=unit_path)
    frame = pd.DataFrame.from_records(
        list(
            qs.values_list(
                "contact_id",
                "contact__started_at",
                "contact__channel",
                "contact__topic",
                "contact__agent__unit__path",
                "contact__agent__unit__name",
                "first_contact_resolved",
            )
        ),
        columns=[
            "contact_id",
            "started_at",
            "channel",
            "topic",
            "team_path",
            "team_name",
            "resolved",
        ],
    )
    frame["started_at"] = _utc_naive(frame["started_at"])
    frame["resolved"] = frame["resolved"].astype(bool)
    return frame


def fcr_by(*, contacts: pd.DataFrame, month: dt.date, by: str) -> pd.DataFrame:
    """First-contact resolution of contacts started in the month by ``channel`` or ``topic``."""
    if by not in ("channel", "topic"):
        raise ValueError(f"unknown FCR dimension {by!r}")
    start, end = month_bounds_utc(month)
    sql = f"""
        SELECT {by} AS key, count(*) AS contacts,
            count(*) FILTER (WHERE resolved) AS resolved_first_time,
            round(count(*) FILTER (WHERE resolved)::DOUBLE / count(*) * 100, 2) AS fcr
        FROM contacts
        WHERE started_at >= $start AND started_at < $end
        GROUP BY 1 ORDER BY 1
    """
    con = duckdb.connect()
    try:
        con.register("contacts", contacts)
        return con.execute(sql, {"start": start, "end": end}).df()
    finally:
        con.close()


def fcr_vs_csat(
    *, contacts: pd.DataFrame, surveys: pd.DataFrame, month: dt.date
) -> tuple[pd.DataFrame, float | None, float | None]:
    """Per team: FCR (%) of its contacts and mean CSAT of its surveys in the month.

    Returns the table and the least-squares line ``csat = slope * fcr + intercept`` over
    the teams that have both (``None`` with fewer than two such teams or no FCR spread):
    each point of FCR is worth ``slope`` points of CSAT.
    """
    start, end = month_bounds_utc(month)
    sql = """
        WITH f AS (
            SELECT team_path, any_value(team_name) AS team_name, count(*) AS contacts,
                count(*) FILTER (WHERE resolved)::DOUBLE / count(*) * 100 AS fcr
            FROM contacts
            WHERE started_at >= $start AND started_at < $end AND team_path IS NOT NULL
            GROUP BY 1
        ), s AS (
            SELECT team_path, count(*) AS responses, avg(csat) AS mean_csat
            FROM surveys
            WHERE responded_at >= $start AND responded_at < $end
            GROUP BY 1
        )
        SELECT f.team_path AS key, f.team_name AS name, f.contacts, round(f.fcr, 2) AS fcr,
            s.responses, round(s.mean_csat, 3) AS mean_csat
        FROM f JOIN s USING (team_path)
        ORDER BY key
    """
    con = duckdb.connect()
    try:
        con.register("contacts", contacts)
        con.register("surveys", surveys)
        table = con.execute(sql, {"start": start, "end": end}).df()
        fit = con.execute(
            """
            SELECT regr_slope(mean_csat, fcr), regr_intercept(mean_csat, fcr), count(*)
            FROM (
                SELECT f.fcr, s.mean_csat FROM (
                    SELECT team_path, count(*) FILTER (WHERE resolved)::DOUBLE / count(*) * 100
                        AS fcr
                    FROM contacts
                    WHERE started_at >= $start AND started_at < $end AND team_path IS NOT NULL
                    GROUP BY 1
                ) f JOIN (
                    SELECT team_path, avg(csat) AS mean_csat FROM surveys
                    WHERE responded_at >= $start AND responded_at < $end GROUP BY 1
                ) s USING (team_path)
            )
            """,
            {"start": start, "end": end},
        ).fetchone()
    finally:
        con.close()
    slope = intercept = None
    if fit is not None and fit[2] >= 2 and fit[0] is not None:
        slope, intercept = float(fit[0]), float(fit[1])
    return table, slope, intercept


RETENTION_HORIZONS_MONTHS = (3, 6, 12, 24)


def retention_curves(
    *,
    lines: pd.DataFrame,
    as_of: dt.date,
    by: str,
    horizons: tuple[int, ...] = RETENTION_HORIZONS_MONTHS,
) -> pd.DataFrame:
    """Kaplan-Meier survival of lines by ``cohort`` (activation year) or ``plan_family``.

    Duration in days from activation to cancellation (event) or to ``as_of`` (censored);
    lines activated after ``as_of`` are left out. Columns: key, lines, events and the
    survival probability at each horizon (``m3``, ``m6`` ... months of 30.4375 days).
    """
    from lifelines import KaplanMeierFitter

    if by not in ("cohort", "plan_family"):
        raise ValueError(f"unknown retention dimension {by!r}")
    cutoff = pd.Timestamp(as_of)
    frame = lines[lines["activated_on"] <= cutoff].copy()
    ended = frame["cancelled_on"].notna() & (frame["cancelled_on"] <= cutoff)
    end = frame["cancelled_on"].where(ended, cutoff)
    frame["duration"] = (end - frame["activated_on"]).dt.days.clip(lower=0)
    frame["event"] = ended
    frame["key"] = (
        frame["activated_on"].dt.year.astype(str) if by == "cohort" else frame["plan_family"]
    )
    rows = []
    for key, group in frame.groupby("key", sort=True):
        fitter = KaplanMeierFitter().fit(group["duration"], event_observed=group["event"])
        row: dict[str, object] = {
            "key": key,
            "lines": len(group),
            "events": int(group["event"].sum()),
        }
        for months in horizons:
            row[f"m{months}"] = round(float(fitter.predict(months * 30.4375)), 4)
        rows.append(row)
    return pd.DataFrame(rows, columns=["key", "lines", "events", *[f"m{m}" for m in horizons]])


def value_customers(
    *, month: dt.date, unit_path: str | None = None, limit: int = 20
) -> pd.DataFrame:
    """The customers whose bills for the month add up to the most (top contributors).

    Totals stay exact: the sum is taken in the database over Decimal amounts.
    """
    qs = Bill.objects.filter(month=month_start(month))
    if unit_path:
        qs = qs.filter(account__customer__unit__path__startswith=unit_path)
    rows = (
        qs.values(
            "account__customer_id", "account__customer__name", "account__customer__value_tier"
        )
        .annotate(total=Sum("total"))
        .order_by("-total", "account__customer_id")[:limit]
    )
    return pd.DataFrame.from_records(
        [
            {
                "customer_id": r["account__customer_id"],
                "name": r["account__customer__name"],
                "value_tier": r["account__customer__value_tier"],
                "bill_total": r["total"],
            }
            for r in rows
        ],
        columns=["customer_id", "name", "value_tier", "bill_total"],
    )


def churned_customers(*, month: dt.date, unit_path: str | None = None) -> pd.DataFrame:
    """Customers with a line cancelled in the month, and the churn driver recorded for it."""
    start = month_start(month)
    qs = Line.objects.filter(cancelled_on__gte=start, cancelled_on__lt=next_month(start))
    if unit_path:
        qs = qs.filter(account__customer__unit__path__startswith=unit_path)
    frame = pd.DataFrame.from_records(
        list(
            qs.values_list(
                "account__customer_id",
                "account__customer__name",
                "id",
                "cancelled_on",
                "churn_truth__driver",
            )
        ),
        columns=["customer_id", "name", "line_id", "cancelled_on", "driver"],
    )
    frame["driver"] = frame["driver"].fillna("unknown")
    return frame.sort_values(["cancelled_on", "line_id"]).reset_index(drop=True)


def churn_reasons(*, churned: pd.DataFrame) -> pd.DataFrame:
    """How many churned lines each reason (churn driver) accounts for, with its share."""
    con = duckdb.connect()
    try:
        con.register("churned", churned)
        return con.execute(
            """
            SELECT driver AS key, count(*) AS lines,
                round(count(*)::DOUBLE / sum(count(*)) OVER () * 100, 2) AS share
            FROM churned GROUP BY 1 ORDER BY lines DESC, key
            """
        ).df()
    finally:
        con.close()
