"""The monthly review: every table of it for one month and one unit subtree.

``monthly_review`` is what the page, its exports, the report command and the scheduled
report all call, so they show the same numbers. Line-, bill- and contact-level figures come
from the month's snapshot (``wanliu.analytics.snapshots``); the desks' figures from their
own tables for the month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from django.utils.translation import gettext_lazy as _

from wanliu.analytics import desk, figures, rankings, sources, value
from wanliu.analytics.cells import MonthCells
from wanliu.analytics.compliance import (
    CASE_TABLES,
    CheckResult,
    compliance_checks,
    compliance_summary,
)
from wanliu.analytics.labels import Labels, label_frame
from wanliu.analytics.models import ComplianceRule
from wanliu.analytics.months import add_months, local_bounds, month_start, previous_month
from wanliu.analytics.service_time import first_response_due
from wanliu.analytics.snapshots import month_cells

SECTIONS: list[tuple[str, object, list[str]]] = [
    (
        "churn",
        _("Churn"),
        [
            "churn_total",
            "churn_by_unit",
            "churn_by_store",
            "churn_by_plan_family",
            "churn_by_value_tier",
        ],
    ),
    (
        "desk",
        _("Retention desk"),
        [
            "retention_summary",
            "retention_by_store",
            "retention_by_clerk",
            "retention_by_reason",
            "retention_by_offer_level",
        ],
    ),
    (
        "complaints",
        _("Complaints and service"),
        [
            "cancellation_complaints",
            "complaints_trend",
            "complaints_by_category",
            "complaints_by_channel",
            "sla_attainment",
            "orders_overdue",
            "orders_reopened",
            "revisit_completion",
            "csat",
        ],
    ),
    (
        "fcr",
        _("First-contact resolution"),
        ["fcr_by_channel", "fcr_by_topic", "fcr_vs_csat", "fcr_csat_fit"],
    ),
    (
        "value",
        _("Retention curves and lifetime value"),
        ["retention_by_cohort", "retention_by_plan_family", "lifetime_value"],
    ),
    (
        "customers",
        _("Value customers and churned customers"),
        ["value_customers", "churned_customers", "churn_reasons"],
    ),
    ("compliance", _("Compliance checks"), ["compliance_summary", *CASE_TABLES.values()]),
    (
        "rankings",
        _("Rankings against targets"),
        ["ranking_stores", "ranking_teams", "ranking_agents"],
    ),
]
TABLES = tuple(name for _key, _title, names in SECTIONS for name in names)

TITLES = {
    "churn_total": _("Churn rate, whole unit"),
    "churn_by_unit": _("Churn rate by unit"),
    "churn_by_store": _("Churn rate by store"),
    "churn_by_plan_family": _("Churn rate by plan family"),
    "churn_by_value_tier": _("Churn rate by value tier"),
    "retention_summary": _("Cancellation requests and retention success"),
    "retention_by_store": _("Retention success by store"),
    "retention_by_clerk": _("Retention success by clerk"),
    "retention_by_reason": _("Retention success by reason"),
    "retention_by_offer_level": _("Retention success by offer level"),
    "cancellation_complaints": _("Cancellation complaints"),
    "complaints_trend": _("Complaints month by month"),
    "complaints_by_category": _("Complaints by category"),
    "complaints_by_channel": _("Complaints by channel"),
    "sla_attainment": _("SLA attainment per target"),
    "orders_overdue": _("Overdue work orders"),
    "orders_reopened": _("Reopened work orders"),
    "revisit_completion": _("Revisit completion"),
    "csat": _("Customer satisfaction (CSAT)"),
    "fcr_by_channel": _("First-contact resolution by channel"),
    "fcr_by_topic": _("First-contact resolution by topic"),
    "fcr_vs_csat": _("FCR against CSAT per team"),
    "fcr_csat_fit": _("FCR-CSAT fitted line"),
    "retention_by_cohort": _("Retention curve (Kaplan-Meier) by join cohort"),
    "retention_by_plan_family": _("Retention curve (Kaplan-Meier) by plan family"),
    "lifetime_value": _("Lifetime value by segment"),
    "value_customers": _("Value customers (top contributors)"),
    "churned_customers": _("Churned customers"),
    "churn_reasons": _("Reasons churned customers gave"),
    "compliance_summary": _("Compliance checks"),
    "check_missing_steps": _("Requests with retention steps missing"),
    "check_refusals": _("Refusals by store"),
    "check_transfers": _("Transfers by store"),
    "check_orders_not_closed": _("Work orders not closed"),
    "check_revisits_overdue": _("Revisits overdue"),
    "check_contacts_policy": _("Retention contacts beyond policy"),
    "ranking_stores": _("Stores against their targets"),
    "ranking_teams": _("Teams against their targets"),
    "ranking_agents": _("Agents against their targets"),
}


@dataclass
class Review:
    month: dt.date
    unit_path: str | None
    tables: dict[str, pd.DataFrame]
    slope: float | None = None
    intercept: float | None = None
    checks: list[CheckResult] = field(default_factory=list)


def _scope_unit_id(unit_path: str | None) -> int:
    if not unit_path:
        return -1
    return int(unit_path.strip("/").split("/")[-1])


def _within(frame: pd.DataFrame, column: str, unit_path: str | None) -> pd.DataFrame:
    if not unit_path or frame.empty:
        return frame.reset_index(drop=True)
    return frame[frame[column].fillna("").str.startswith(unit_path)].reset_index(drop=True)


def scoped_cells(cells: MonthCells, units: pd.DataFrame, unit_path: str | None) -> MonthCells:
    """The month's cells within the subtree, each with the unit paths it is scoped by."""

    paths = dict(zip(units["unit_id"], units["path"], strict=True))
    names = dict(zip(units["unit_id"], units["name"], strict=True))

    def path(frame: pd.DataFrame, column: str, out: str) -> pd.DataFrame:
        return frame.assign(**{out: frame[column].map(paths)})

    fcr = path(path(cells.fcr, "customer_unit_id", "unit_path"), "team_id", "team_path")
    fcr["team_name"] = fcr["team_id"].map(names)
    return MonthCells(
        month=cells.month,
        churn=_within(path(cells.churn, "unit_id", "unit_path"), "unit_path", unit_path),
        survival=cells.survival,
        segments=cells.segments,
        fcr=_within(fcr, "unit_path", unit_path),
        agent_fcr=_within(path(cells.agent_fcr, "team_id", "team_path"), "team_path", unit_path),
        value_customers=_within(
            path(cells.value_customers, "unit_id", "unit_path"), "unit_path", unit_path
        ),
        churned=_within(path(cells.churned, "unit_id", "unit_path"), "unit_path", unit_path),
        lines=cells.lines,
    )


def review_build(
    *, month: dt.date, unit_path: str | None = None, today: dt.date | None = None
) -> Review:
    """Every table of the review of ``month`` within ``unit_path`` (``None``: the operator).

    Raises ``SnapshotMissing`` when a closed month it needs has no snapshot yet."""
    month = month_start(month)
    prev = previous_month(month)
    units = sources.unit_frame()
    now = scoped_cells(month_cells(month, today=today, unit_path=unit_path), units, unit_path)
    before = scoped_cells(
        month_cells(prev, today=today, churn_only=True, unit_path=unit_path), units, unit_path
    )
    start, end = local_bounds(month)
    prev_start, _ = local_bounds(prev)
    orders = figures.with_local_day(
        sources.orders_frame(start=prev_start, end=end, unit_path=unit_path)
    )
    orders["first_response_due"] = first_response_due(orders)
    revisits = sources.revisits_frame(start=start, end=end, unit_path=unit_path)
    surveys = sources.surveys_frame(start=start, end=end, unit_path=unit_path)
    first = add_months(month, -11)
    trend = [add_months(first, k) for k in range(12)]
    by_month = sources.complaints_by_month(months=trend, unit_path=unit_path)
    trend_months = [f"{m:%Y-%m}" for m in trend]
    data = desk.desk_data(month=month, prev=prev, unit_path=unit_path)
    scatter, slope, intercept = figures.fcr_vs_csat(cells=now.fcr, surveys=surveys)

    def churn(by: str) -> pd.DataFrame:
        return figures.churn_rates(now=now.churn, before=before.churn, by=by, unit_path=unit_path)

    churned = value.churned_customers(cells=now.churned, month=month)
    checks = compliance_checks(month=month, unit_path=unit_path, desk=data, revisits=revisits)
    tables: dict[str, pd.DataFrame] = {
        "churn_total": churn("total"),
        "churn_by_unit": churn("child_unit"),
        "churn_by_store": churn("store"),
        "churn_by_plan_family": churn("plan_family"),
        "churn_by_value_tier": churn("value_tier"),
        "retention_summary": desk.retention_summary(data),
        "retention_by_store": desk.retention_by(data, "store"),
        "retention_by_clerk": desk.retention_by(data, "clerk"),
        "retention_by_reason": desk.retention_by(data, "reason"),
        "retention_by_offer_level": desk.retention_by(data, "offer_level"),
        "cancellation_complaints": figures.cancellation_complaints(complaints=orders, month=month),
        "complaints_trend": figures.complaints_trend(by_month=by_month, months=trend_months),
        "complaints_by_category": figures.complaints_by(
            complaints=orders, month=month, by="category"
        ),
        "complaints_by_channel": figures.complaints_by(
            complaints=orders, month=month, by="channel"
        ),
        "sla_attainment": figures.sla_attainment(orders=orders, month=month),
        "orders_overdue": figures.overdue_orders(orders=orders, month=month),
        "orders_reopened": figures.reopened_orders(orders=orders, month=month),
        "revisit_completion": figures.revisit_completion(revisits=revisits, month=month),
        "csat": figures.csat_summary(surveys=surveys, month=month),
        "fcr_by_channel": figures.fcr_by(cells=now.fcr, by="channel"),
        "fcr_by_topic": figures.fcr_by(cells=now.fcr, by="topic"),
        "fcr_vs_csat": scatter,
        "fcr_csat_fit": pd.DataFrame(
            {"teams": [len(scatter)], "slope": [slope], "intercept": [intercept]}
        ),
        "retention_by_cohort": value.retention_curves(
            survival=now.survival, unit_id=_scope_unit_id(unit_path), by="cohort"
        ),
        "retention_by_plan_family": value.retention_curves(
            survival=now.survival, unit_id=_scope_unit_id(unit_path), by="plan_family"
        ),
        "lifetime_value": value.lifetime_value(segments=now.segments, churn=now.churn, month=month),
        "value_customers": value.value_customers(cells=now.value_customers, month=month),
        "churned_customers": churned,
        "churn_reasons": value.churn_reasons(churned=churned),
        "compliance_summary": compliance_summary(checks),
    }
    for result in checks:
        tables[CASE_TABLES[ComplianceRule.Check(result.rule.code)]] = result.cases
    tables.update(
        rankings.rankings_tables(
            unit_path=unit_path,
            units=units,
            churn=now.churn,
            desk=data,
            orders=orders,
            month=month,
            surveys=surveys,
            fcr=now.fcr,
            agent_fcr=now.agent_fcr,
        )
    )
    labels = Labels()
    ordered = {name: label_frame(name, tables[name], labels) for name in TABLES if name in tables}
    return Review(
        month=month,
        unit_path=unit_path,
        tables=ordered,
        slope=slope,
        intercept=intercept,
        checks=checks,
    )


def monthly_review(
    *, month: dt.date, unit_path: str | None = None, today: dt.date | None = None
) -> dict[str, pd.DataFrame]:
    """All tables of the review for ``month`` within the unit subtree ``unit_path``."""
    return review_build(month=month, unit_path=unit_path, today=today).tables


def optional_float(value_: object) -> float | None:
    """A table cell as a float, ``None`` where it is missing."""
    if value_ is None or bool(pd.isna(value_)):  # type: ignore[call-overload]
        return None
    return float(value_)  # type: ignore[arg-type]
