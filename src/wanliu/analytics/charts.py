"""Plotly charts of the monthly review; the JavaScript is served locally (offline)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.io as pio
from django.utils.translation import gettext as _


def _html(figure: dict[str, Any], div_id: str) -> str:
    return str(
        pio.to_html(
            figure,
            validate=False,
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displayModeBar": False},
        )
    )


def churn_by_unit_chart(table: pd.DataFrame) -> str:
    names = [str(n) for n in table.get("name", table["key"])]
    rates = [None if pd.isna(r) else round(float(r) * 100, 3) for r in table["churn_rate"]]
    return _html(
        {
            "data": [{"type": "bar", "x": names, "y": rates, "name": _("Churn rate (%)")}],
            "layout": {
                "height": 280,
                "margin": {"l": 50, "r": 20, "t": 30, "b": 60},
                "yaxis": {"title": {"text": _("Churn rate (%)")}},
            },
        },
        "churn-by-unit-chart",
    )


def fcr_csat_chart(table: pd.DataFrame, slope: float | None, intercept: float | None) -> str:
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": [float(v) for v in table["fcr"]],
            "y": [float(v) for v in table["mean_csat"]],
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
    return _html(
        {
            "data": data,
            "layout": {
                "height": 280,
                "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
                "xaxis": {"title": {"text": _("FCR (%)")}},
                "yaxis": {"title": {"text": _("Mean CSAT (1-5)")}},
            },
        },
        "fcr-csat-chart",
    )
