"""Plotly figures for customer pages; the JavaScript is served locally (offline)."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from wanliu.customers.selectors import Customer360


def usage_chart_html(view: Customer360) -> str:
    """A 12-month chart of data (GB, bars) and voice minutes (line) over all lines."""
    totals = view.usage_totals()
    months = [f"{row['month']:%Y-%m}" for row in totals]
    figure = go.Figure()
    figure.add_bar(x=months, y=[float(row["data_gb"]) for row in totals], name=_("Data (GB)"))
    figure.add_scatter(
        x=months,
        y=[row["voice_minutes"] for row in totals],
        name=_("Voice (minutes)"),
        yaxis="y2",
        mode="lines+markers",
    )
    figure.update_layout(
        height=300,
        margin={"l": 40, "r": 40, "t": 30, "b": 30},
        legend={"orientation": "h", "y": 1.15},
        yaxis={"title": {"text": _("Data (GB)")}},
        yaxis2={"title": {"text": _("Voice (minutes)")}, "overlaying": "y", "side": "right"},
        font={"family": "WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"},
    )
    return str(
        figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id="usage-chart",
            config={"displayModeBar": False},
        )
    )
