"""The review as files: XLSX (one sheet per table, native Excel charts), CSV (a zip of one
file per table) and a standalone HTML report (tables and Plotly charts, plotly.js inlined:
it opens without a network; each chart also as static SVG for mail clients and paper).
Column names are the tables' own (docs/analytics.md)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.worksheet.worksheet import Worksheet

from wanliu.analytics import charts
from wanliu.analytics.review import SECTIONS, TITLES, Review
from wanliu.analytics.svg import figure_svg

CONTENTS = "contents"


def cell_value(value: Any) -> Any:
    """A table cell as openpyxl writes it (None for missing)."""
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return str(value)
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (Decimal, int, float, str, bool, dt.date)):
        return value
    return str(value)


def _column(sheet: Worksheet, table: pd.DataFrame, name: str) -> int | None:
    if name not in table.columns:
        return None
    return list(table.columns).index(name) + 1


def _bar(sheet: Worksheet, table: pd.DataFrame, *, value: str, label: str, title: str) -> None:
    n = min(len(table), 30)
    values, labels = _column(sheet, table, value), _column(sheet, table, label)
    if not n or values is None or labels is None:
        return
    chart = BarChart()
    chart.title = title
    chart.add_data(
        Reference(sheet, min_col=values, min_row=1, max_row=n + 1), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=labels, min_row=2, max_row=n + 1))
    chart.width, chart.height = 24, 9
    sheet.add_chart(chart, f"{_free_column(table)}2")


def _free_column(table: pd.DataFrame) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(len(table.columns) + 2)


def _add_charts(book: Workbook, tables: dict[str, pd.DataFrame]) -> None:
    if "churn_by_unit" in tables:
        _bar(
            book["churn_by_unit"],
            tables["churn_by_unit"],
            value="churn_rate",
            label="name",
            title=_("Churn rate by unit"),
        )
    if "retention_by_store" in tables:
        _bar(
            book["retention_by_store"],
            tables["retention_by_store"],
            value="success_rate",
            label="name",
            title=_("Retention success by store"),
        )
    if "complaints_by_category" in tables:
        _bar(
            book["complaints_by_category"],
            tables["complaints_by_category"],
            value="count",
            label="name",
            title=_("Complaints by category"),
        )
    trend = tables.get("complaints_trend")
    if trend is not None and len(trend):
        sheet = book["complaints_trend"]
        line = LineChart()
        line.title = _("Cancellation complaints month by month")
        for name in ("cancellation", "refusals"):
            col = _column(sheet, trend, name)
            if col is not None:
                line.add_data(
                    Reference(sheet, min_col=col, min_row=1, max_row=len(trend) + 1),
                    titles_from_data=True,
                )
        line.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(trend) + 1))
        line.width, line.height = 24, 9
        sheet.add_chart(line, f"{_free_column(trend)}2")
    scatter_table = tables.get("fcr_vs_csat")
    if scatter_table is not None and len(scatter_table):
        sheet = book["fcr_vs_csat"]
        x, y = _column(sheet, scatter_table, "fcr"), _column(sheet, scatter_table, "mean_csat")
        if x is not None and y is not None:
            scatter = ScatterChart()
            scatter.title = _("FCR against CSAT per team")
            scatter.x_axis.title = _("FCR (%)")
            scatter.y_axis.title = _("Mean CSAT (1-5)")
            n = len(scatter_table) + 1
            series = Series(
                Reference(sheet, min_col=y, min_row=1, max_row=n),
                Reference(sheet, min_col=x, min_row=2, max_row=n),
                title_from_data=True,
            )
            series.marker.symbol = "circle"
            series.graphicalProperties.line.noFill = True
            series.trendline = _trendline()
            scatter.series.append(series)
            scatter.width, scatter.height = 18, 9
            sheet.add_chart(scatter, f"{_free_column(scatter_table)}2")
    curves = tables.get("retention_by_plan_family")
    if curves is not None and len(curves):
        sheet = book["retention_by_plan_family"]
        first = _column(sheet, curves, "m1")
        if first is not None:
            last = first + len([c for c in curves.columns if c.startswith("m")]) - 1
            line = LineChart()
            line.title = _("Retention curve (Kaplan-Meier) by plan family")
            for row in range(2, len(curves) + 2):
                values = Reference(sheet, min_col=first, max_col=last, min_row=row, max_row=row)
                series = Series(values, title=str(sheet.cell(row=row, column=1).value))
                line.series.append(series)
            line.set_categories(Reference(sheet, min_col=first, max_col=last, min_row=1, max_row=1))
            line.width, line.height = 24, 9
            sheet.add_chart(line, f"{_free_column(curves)}2")


def _trendline() -> Any:
    from openpyxl.chart.trendline import Trendline

    return Trendline(trendlineType="linear", dispEq=True)


def review_to_xlsx(review: Review | dict[str, pd.DataFrame]) -> bytes:
    """A contents sheet, then one sheet per table (header row first) with native charts."""
    tables = review.tables if isinstance(review, Review) else review
    book = Workbook()
    contents = book.active
    assert contents is not None
    contents.title = CONTENTS
    contents.append(["table", "title", "rows"])
    for name, table in tables.items():
        contents.append([name, str(TITLES.get(name, name)), len(table)])
        sheet = book.create_sheet(title=name[:31])
        sheet.append([str(c) for c in table.columns])
        for row in table.itertuples(index=False):
            sheet.append([cell_value(v) for v in row])
    _add_charts(book, tables)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def review_to_csv_zip(tables: dict[str, pd.DataFrame]) -> bytes:
    """A zip archive holding one UTF-8 CSV file per table, ``<table>.csv``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in tables.items():
            archive.writestr(f"{name}.csv", table.to_csv(index=False))
    return buffer.getvalue()


def review_to_html(review: Review, *, title: str) -> str:
    """A standalone HTML document: every table, and the charts with plotly.js inlined (each
    also as static SVG, shown when scripts do not run and when printed)."""
    figures = charts.review_figures(review.tables, review.slope, review.intercept)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;"
        "font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}"
        # the static SVG charts stand in where plotly.js does not run, and on paper
        ".static-chart{display:none;margin:0}"
        "@media print{.static-chart{display:block}.plotly-graph-div{display:none}}</style>"
        "<noscript><style>.static-chart{display:block}</style></noscript></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    inline = True
    for _key, section, names in SECTIONS:
        parts.append(f"<h2>{escape(str(section))}</h2>")
        for name in names:
            if name not in review.tables:
                continue
            parts.append(f"<h3 id='{name}'>{escape(str(TITLES.get(name, name)))}</h3>")
            if name in figures:
                parts.append(charts.chart_html(figures[name], f"chart-{name}", inline_js=inline))
                parts.append(f"<figure class='static-chart' data-chart='{name}'>")
                parts.append(figure_svg(figures[name]))
                parts.append("</figure>")
                inline = False
            parts.append(review.tables[name].to_html(index=False, na_rep="", escape=True))
    parts.append("</body></html>")
    return "\n".join(parts)
