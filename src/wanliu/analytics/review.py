"""The monthly review: every table of it for one month and one unit, and its exports."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from wanliu.analytics import figures
from wanliu.org.models import OrgUnit, Store

TABLES = (
    "churn_total",
    "churn_by_unit",
    "churn_by_store",
    "churn_by_plan_family",
    "churn_by_value_tier",
    "cancellation_complaints",
    "complaints_by_category",
    "complaints_by_channel",
    "sla_attainment",
    "revisit_completion",
    "csat",
    "fcr_by_channel",
    "fcr_by_topic",
    "fcr_vs_csat",
    "fcr_csat_fit",
    "retention_by_cohort",
    "retention_by_plan_family",
    "value_customers",
    "churn_reasons",
)

TITLES = {
    "churn_total": _("Churn rate, whole unit"),
    "churn_by_unit": _("Churn rate by unit"),
    "churn_by_store": _("Churn rate by store"),
    "churn_by_plan_family": _("Churn rate by plan family"),
    "churn_by_value_tier": _("Churn rate by value tier"),
    "cancellation_complaints": _("Cancellation complaints"),
    "complaints_by_category": _("Complaints by category"),
    "complaints_by_channel": _("Complaints by channel"),
    "sla_attainment": _("SLA attainment per target"),
    "revisit_completion": _("Revisit completion"),
    "csat": _("Customer satisfaction (CSAT)"),
    "fcr_by_channel": _("First-contact resolution by channel"),
    "fcr_by_topic": _("First-contact resolution by topic"),
    "fcr_vs_csat": _("FCR against CSAT per team"),
    "fcr_csat_fit": _("FCR-CSAT fitted line"),
    "retention_by_cohort": _("Retention curve (Kaplan-Meier) by join cohort"),
    "retention_by_plan_family": _("Retention curve (Kaplan-Meier) by plan family"),
    "value_customers": _("Value customers (top contributors)"),
    "churn_reasons": _("Reasons churned customers gave"),
}


def _label_units(table: pd.DataFrame) -> pd.DataFrame:
    names = dict(OrgUnit.objects.filter(path__in=list(table["key"])).values_list("path", "name"))
    table.insert(1, "name", [names.get(key, key) for key in table["key"]])
    return table


def _label_stores(table: pd.DataFrame) -> pd.DataFrame:
    ids = [int(key) for key in table["key"] if key not in (None, "") and str(key).isdigit()]
    names = {
        str(pk): name for pk, name in Store.objects.filter(pk__in=ids).values_list("pk", "name")
    }
    table.insert(1, "name", [names.get(str(key), "") for key in table["key"]])
    return table


def monthly_review(*, month: dt.date, unit_path: str | None = None) -> dict[str, pd.DataFrame]:
    """All tables of the review for ``month`` within the unit subtree ``unit_path``."""
    lines = figures.lines_frame(unit_path=unit_path)
    complaints = figures.complaints_frame(unit_path=unit_path)
    orders = figures.service_frame(unit_path=unit_path)
    revisits = figures.revisits_frame(unit_path=unit_path)
    surveys = figures.surveys_frame(unit_path=unit_path)
    contacts = figures.fcr_frame(unit_path=unit_path)
    month_end = figures.next_month(month) - dt.timedelta(days=1)
    scatter, slope, intercept = figures.fcr_vs_csat(contacts=contacts, surveys=surveys, month=month)

    def churn(by: str) -> pd.DataFrame:
        return figures.churn_rates(lines=lines, month=month, by=by, unit_path=unit_path)

    return {
        "churn_total": churn("total"),
        "churn_by_unit": _label_units(churn("child_unit")),
        "churn_by_store": _label_stores(churn("store")),
        "churn_by_plan_family": churn("plan_family"),
        "churn_by_value_tier": churn("value_tier"),
        "cancellation_complaints": figures.cancellation_complaints(
            complaints=complaints, month=month
        ),
        "complaints_by_category": figures.complaints_by(
            complaints=complaints, month=month, by="category"
        ),
        "complaints_by_channel": figures.complaints_by(
            complaints=complaints, month=month, by="channel"
        ),
        "sla_attainment": figures.sla_attainment(orders=orders, month=month),
        "revisit_completion": figures.revisit_completion(revisits=revisits, month=month),
        "csat": figures.csat_summary(surveys=surveys, month=month),
        "fcr_by_channel": figures.fcr_by(contacts=contacts, month=month, by="channel"),
        "fcr_by_topic": figures.fcr_by(contacts=contacts, month=month, by="topic"),
        "fcr_vs_csat": scatter,
        "fcr_csat_fit": pd.DataFrame(
            {"teams": [len(scatter)], "slope": [slope], "intercept": [intercept]}
        ),
        "retention_by_cohort": figures.retention_curves(lines=lines, as_of=month_end, by="cohort"),
        "retention_by_plan_family": figures.retention_curves(
            lines=lines, as_of=month_end, by="plan_family"
        ),
        "value_customers": figures.value_customers(month=month, unit_path=unit_path),
        "churn_reasons": figures.churn_reasons(
            churned=figures.churned_customers(month=month, unit_path=unit_path)
        ),
    }


def optional_float(value: object) -> float | None:
    """A table cell as a float, ``None`` where it is missing."""
    if value is None or bool(pd.isna(value)):  # type: ignore[call-overload]
        return None
    return float(value)  # type: ignore[arg-type]


def drill_rows(
    by_unit: pd.DataFrame, unit_ids: dict[str, int]
) -> list[tuple[int | None, str, int, int, float | None, float | None]]:
    """The churn-by-unit rows for the drill-down table: unit id, name, counts, rate (%), MoM."""
    rows = []
    for record in by_unit.to_dict("records"):
        rate = optional_float(record["churn_rate"])
        rows.append(
            (
                unit_ids.get(str(record["key"])),
                str(record["name"]),
                int(record["active_at_start"]),
                int(record["disconnected"]),
                None if rate is None else round(rate * 100, 3),
                optional_float(record["mom_change"]),
            )
        )
    return rows


def review_to_xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per table, header row first."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, table in tables.items():
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append([str(c) for c in table.columns])
        for row in table.itertuples(index=False):
            sheet.append(
                [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def review_to_csv_zip(tables: dict[str, pd.DataFrame]) -> bytes:
    """A zip archive holding one UTF-8 CSV file per table, ``<table>.csv``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            archive.writestr(f"{name}.csv", table.to_csv(index=False))
    return buffer.getvalue()


def review_to_html(tables: dict[str, pd.DataFrame], *, title: str) -> str:
    """A standalone HTML document with one table per figure."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
    ]
    parts.append(f"<h1>{title}</h1>")
    for name, table in tables.items():
        parts.append(f"<h2 id='{name}'>{name}</h2>")
        parts.append(table.to_html(index=False, na_rep="", escape=True))
    parts.append("</body></html>")
    return "\n".join(parts)
