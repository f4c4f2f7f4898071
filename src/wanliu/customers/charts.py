"""Plotly figures for customer pages; the JavaScript is served locally (offline)."""

from __future__ import annotations

from typing import Any

import plotly.io as pio
from django.utils.translation import gettext as _

from wanliu.customers.selectors import Customer360

GRID_COLOUR = "#e8edf2"


def usage_figure(view: Customer360) -> dict[str, Any]:
    """A 12-month figure of data (GB, bars) and voice minutes (line) over all lines.

    A plain Plotly figure dict: building ``plotly.graph_objects`` validates every property
    and costs tens of milliseconds per page, more than the whole 360 read.
    """
    totals = view.usage_totals()
    months = [f"{row['month']:%Y-%m}" for row in totals]
    data_label, voice_label = _("Data (GB)"), _("Voice (minutes)")
    return {
        "data": [
            {
                "type": "bar",
                "x": months,
                "y": [float(row["data_gb"]) for row in totals],
                "name": data_label,
                "marker": {"color": "#6d9bd1"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": months,
                "y": [row["voice_minutes"] for row in totals],
                "name": voice_label,
                "yaxis": "y2",
                "line": {"color": "#b3261e"},
            },
        ],
        "layout": {
            "height": 300,
            "margin": {"l": 50, "r": 50, "t": 30, "b": 30},
            "legend": {"orientation": "h", "y": 1.15},
            # Months as categories: "2026-03" as written, not a locale's month names.
            "xaxis": {"type": "category", "gridcolor": GRID_COLOUR},
            "yaxis": {
                "title": {"text": data_label},
                "rangemode": "tozero",
                "gridcolor": GRID_COLOUR,
            },
            "yaxis2": {
                "title": {"text": voice_label},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "tickmode": "auto",
                "showgrid": False,
            },
            "font": {"family": "WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"},
            "paper_bgcolor": "#fff",
            "plot_bgcolor": "#fff",
        },
    }


def usage_chart_html(view: Customer360) -> str:
    """The chart's ``<div id="usage-chart">`` and the script that draws it with Plotly.js."""
    return str(
        pio.to_html(
            usage_figure(view),
            validate=False,
            full_html=False,
            include_plotlyjs=False,
            div_id="usage-chart",
            config={"displayModeBar": False},
        )
    )
