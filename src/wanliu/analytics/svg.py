"""The review's charts as static SVG, drawn from the same figure dicts as the Plotly charts
(``wanliu.analytics.charts``): bars, lines and markers on one value axis.

For the HTML report: shown where JavaScript does not run (mail clients, ``noscript``) and
when the report is printed; vector, no browser or image library needed to make it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from wanliu.analytics.charts import Figure

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 80
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high - low <= 1e-9 * max(1.0, abs(low), abs(high)):  # one value: a frame around it
        high = low + max(abs(low), 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(k * step, 10) for k in range(first, max(last, first + 1) + 1)]


def _text_width(text: str) -> int:
    """About how wide ``text`` is at 11 px: CJK characters take a full em, others half."""
    return sum(11 if ord(ch) > 0x2E80 else 6 for ch in text)


def _clip(text: str, width: int) -> str:
    """``text`` cut to about ``width`` pixels (with an ellipsis when cut)."""
    if _text_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch) > width - 8:
            break
        out += ch
    return out + "…"


def _label(value: float) -> str:
    return f"{value:g}"


def _numbers(values: Sequence[Any]) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        try:
            number = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(number if math.isfinite(number) else None)
    return out


def _numeric_x(traces: list[dict[str, Any]]) -> bool:
    return all(
        trace.get("type") == "scatter"
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in trace["x"])
        for trace in traces
    )


def figure_svg(figure: Figure, *, width: int = WIDTH, height: int = HEIGHT) -> str:
    """One chart as an ``<svg>`` element (empty traces draw an empty frame)."""
    traces = [t for t in figure.get("data", []) if t.get("x") is not None]
    layout = figure.get("layout", {})
    y_title = str(layout.get("yaxis", {}).get("title", {}).get("text", ""))
    x_title = str(layout.get("xaxis", {}).get("title", {}).get("text", ""))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    ys = [y for t in traces for y in _numbers(t.get("y", [])) if y is not None]
    bars = any(t.get("type") == "bar" for t in traces)
    low = min([*ys, 0.0] if bars else ys or [0.0])
    high = max(ys or [1.0])
    ticks = nice_ticks(low, high)
    y_lo, y_hi = ticks[0], ticks[-1]

    def y_at(value: float) -> float:
        return TOP + plot_h - (value - y_lo) / ((y_hi - y_lo) or 1.0) * plot_h

    numeric = _numeric_x(traces) and bool(traces)
    if numeric:
        xs = [float(x) for t in traces for x in t["x"]]
        x_ticks = nice_ticks(min(xs or [0.0]), max(xs or [1.0]))

        def x_at(value: Any) -> float:
            span = (x_ticks[-1] - x_ticks[0]) or 1.0
            return LEFT + (float(value) - x_ticks[0]) / span * plot_w

        categories: list[str] = []
    else:
        categories = list(dict.fromkeys(str(x) for trace in traces for x in trace["x"]))
        slots = {name: k for k, name in enumerate(categories)}
        slot = plot_w / max(len(categories), 1)

        def x_at(value: Any) -> float:
            return LEFT + slot * (slots[str(value)] + 0.5)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" font-family="sans-serif" '
        f'font-size="11" data-chart-svg="1"><title>{escape(y_title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="#ccc"/>',
    ]
    for tick in ticks:
        y = y_at(tick)
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(tick)}</text>'
        )
    if numeric:
        for tick in x_ticks:
            x = x_at(tick)
            out.append(
                f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{_label(tick)}</text>"
            )
    else:
        every = max(1, math.ceil(len(categories) / 30))
        for k, name in enumerate(categories):
            if k % every:
                continue
            x = x_at(name)
            out.append(
                f'<text x="{x:.1f}" y="{TOP + plot_h + 12}" text-anchor="end" '
                f'transform="rotate(-40 {x:.1f} {TOP + plot_h + 12})">'
                f"{escape(_clip(name, 84))}</text>"
            )
    bar_traces = [t for t in traces if t.get("type") == "bar"]
    zero = y_at(max(y_lo, min(0.0, y_hi)))
    for n, trace in enumerate(traces):
        colour = COLOURS[n % len(COLOURS)]
        values = _numbers(trace.get("y", []))
        if trace.get("type") == "bar":
            width_each = (plot_w / max(len(categories), 1)) * 0.8 / max(len(bar_traces), 1)
            offset = bar_traces.index(trace) - (len(bar_traces) - 1) / 2
            for category, value in zip(trace["x"], values, strict=False):
                if value is None:
                    continue
                left = x_at(category) + (offset - 0.5) * width_each
                top = min(y_at(value), zero)
                out.append(
                    f'<rect x="{left:.1f}" y="{top:.1f}" width="{width_each:.1f}" '
                    f'height="{abs(zero - y_at(value)):.1f}" fill="{colour}" '
                    f'data-value="{value:g}"><title>{escape(str(category))}: {value:g}</title>'
                    "</rect>"
                )
            continue
        mode = str(trace.get("mode", "lines"))
        points = [
            (x_at(x), y_at(y), x, y)
            for x, y in zip(trace["x"], values, strict=False)
            if y is not None
        ]
        if "lines" in mode and len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _x, _y in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        if "markers" in mode:
            texts = list(trace.get("text") or [])
            for k, (px, py, x, y) in enumerate(points):
                label = texts[k] if k < len(texts) else x
                out.append(
                    f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}" '
                    f'data-value="{y:g}"><title>{escape(str(label))}: {y:g}</title></circle>'
                )
    # legend, under the axis titles
    legend_y = height - 10
    x = LEFT
    for n, trace in enumerate(traces):
        name = str(trace.get("name", ""))
        if not name:
            continue
        out.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{COLOURS[n % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{legend_y}">{escape(name)}</text>'
        )
        x += 24 + _text_width(name)
    if x_title and numeric:
        out.append(
            f'<text x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h + 32}" '
            f'text-anchor="middle">{escape(x_title)}</text>'
        )
    out.append(
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(y_title)}</text>'
    )
    out.append("</svg>")
    return "".join(out)
