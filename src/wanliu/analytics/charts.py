"""Plotly charts of the monthly review (figure dicts, no kaleido).

On the page the JavaScript is served locally from the plotly wheel (offline); the HTML
report inlines it, so the file opens without a network.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.io as pio
from django.utils.translation import gettext as _

from wanliu.analytics.cells import HORIZONS

Figure = dict[str, Any]


def _layout(y_title: str, x_title: str = "", height: int = 300) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 70},
        "yaxis": {"title": {"text": y_title}},
        "xaxis": {"title": {"text": x_title}},
        "legend": {"orientation": "h"},
    }


def _floats(values: Any, scale: float = 1.0) -> list[float | None]:
    return [None if pd.isna(v) else round(float(v) * scale, 4) for v in values]


def churn_by_unit(table: pd.DataFrame) -> Figure:
    names = [str(n) for n in table.get("name", table["key"])]
    return {
        "data": [
            {
                "type": "bar",
                "x": names,
                "y": _floats(table["churn_rate"], 100),
                "name": _("Churn rate (%)"),
            }
        ],
        "layout": _layout(_("Churn rate (%)")),
    }


def retention_by_store(table: pd.DataFrame, limit: int = 25) -> Figure:
    top = table.head(limit)
    names = [str(n) or str(k) for n, k in zip(top.get("name", top["key"]), top["key"], strict=True)]
    return {
        "data": [
            {
                "type": "bar",
                "x": names,
                "y": _floats(top["success_rate"]),
                "name": _("Retention success rate (%)"),
            }
        ],
        "layout": _layout(_("Retention success rate (%)")),
    }


def complaints_trend(table: pd.DataFrame) -> Figure:
    months = list(table["month"])
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": months,
                "y": [int(v) for v in table["cancellation"]],
                "name": _("Cancellation complaints"),
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": months,
                "y": [int(v) for v in table["refusals"]],
                "name": _("of which refusals"),
            },
        ],
        "layout": _layout(_("Complaints")),
    }


def fcr_csat(table: pd.DataFrame, slope: float | None, intercept: float | None) -> Figure:
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": _floats(table["fcr"]),
            "y": _floats(table["mean_csat"]),
            "text": [str(n) for n in table["name"]],
            "name": _("Teams"),
        }
    ]
    if slope is not None and intercept is not None and len(table):
        xs = [float(table["fcr"].min()), float(table["fcr"].max())]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs,
                "y": [slope * x + intercept for x in xs],
                "name": _("Fitted line"),
            }
        )
    return {"data": data, "layout": _layout(_("Mean CSAT (1-5)"), _("FCR (%)"))}


def retention_curves(table: pd.DataFrame) -> Figure:
    xs = [0, *HORIZONS]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": xs,
                "y": [1.0, *_floats(row[[f"m{h}" for h in HORIZONS]])],
                "name": str(row["key"]),
            }
            for _i, row in table.iterrows()
        ],
        "layout": _layout(_("Share of lines still active"), _("Months since joining")),
    }


def review_figures(
    tables: dict[str, pd.DataFrame], slope: float | None, intercept: float | None
) -> dict[str, Figure]:
    """The charts of the review, by the table they draw."""
    return {
        "churn_by_unit": churn_by_unit(tables["churn_by_unit"]),
        "retention_by_store": retention_by_store(tables["retention_by_store"]),
        "complaints_trend": complaints_trend(tables["complaints_trend"]),
        "fcr_vs_csat": fcr_csat(tables["fcr_vs_csat"], slope, intercept),
        "retention_by_plan_family": retention_curves(tables["retention_by_plan_family"]),
    }


def chart_html(figure: Figure, div_id: str, *, inline_js: bool = False) -> str:
    """A chart's ``<div>``; with ``inline_js`` the first chart carries plotly.js itself."""
    return str(
        pio.to_html(
            figure,
            validate=False,
            full_html=False,
            include_plotlyjs=bool(inline_js),
            div_id=div_id,
            config={"displayModeBar": False},
        )
    )
