"""Retention desk pages: the cost comparison (比算). Parse, compute, render."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wanliu.retention.comparison import (
    MAX_HORIZON_MONTHS,
    MAX_MONEY,
    Comparison,
    ComparisonError,
    CompetitorOffer,
    OfferTerms,
    SwitchingCosts,
    comparison_compute,
)

OFFER_SLOTS = 2


def _money_field(label: Any, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=MAX_MONEY,
        decimal_places=2,
        max_digits=9,
    )


def _months_field(label: Any, *, required: bool = False, low: int = 0) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=required, min_value=low, max_value=MAX_HORIZON_MONTHS
    )


class CompareForm(forms.Form):
    """The clerk's inputs; an offer slot counts when any of its terms is filled in."""

    current_monthly = _money_field(gettext_lazy("Current monthly fee (yuan)"), required=True)
    horizon_months = _months_field(gettext_lazy("Months compared"), required=True, low=1)
    competitor_operator = forms.CharField(
        label=gettext_lazy("Competitor"), required=False, max_length=60
    )
    competitor_promo_monthly = _money_field(gettext_lazy("Promotional monthly price (yuan)"))
    competitor_promo_months = _months_field(gettext_lazy("Promotion months"))
    competitor_monthly = _money_field(
        gettext_lazy("Regular monthly price after it (yuan)"), required=True
    )
    bundle_breakup_monthly = _money_field(
        gettext_lazy("Bundle lines that must move too (yuan/month)")
    )
    installation = _money_field(gettext_lazy("Installation (yuan)"))
    device_and_sim = _money_field(gettext_lazy("New device / SIM (yuan)"))
    early_termination = _money_field(gettext_lazy("Early-termination fee (yuan)"))
    lost_loyalty_points = _money_field(gettext_lazy("Lost loyalty points (yuan)"))
    switching_other = _money_field(gettext_lazy("Other one-off costs (yuan)"))

    OFFER_TERMS = ("discount_pct", "amount_off", "months", "free_months", "bonus_data_gb")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"horizon_months": 24})
        super().__init__(*args, **kwargs)
        for slot in range(1, OFFER_SLOTS + 1):
            p = f"offer{slot}_"
            self.fields[p + "discount_pct"] = forms.DecimalField(
                label=gettext_lazy("Discount (%)"),
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(100),
                decimal_places=2,
                max_digits=5,
            )
            self.fields[p + "amount_off"] = _money_field(gettext_lazy("Amount off (yuan/month)"))
            self.fields[p + "months"] = _months_field(gettext_lazy("For months"))
            self.fields[p + "free_months"] = _months_field(gettext_lazy("Free months"))
            self.fields[p + "bonus_data_gb"] = forms.DecimalField(
                label=gettext_lazy("Bonus data (GB)"),
                required=False,
                min_value=Decimal(0),
                max_value=MAX_MONEY,
                decimal_places=2,
            )

    def offer_slots(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"offer{slot}_{term}"] for term in self.OFFER_TERMS]
            for slot in range(1, OFFER_SLOTS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("competitor_promo_months") and data.get("competitor_promo_monthly") is None:
            self.add_error(
                "competitor_promo_monthly", _("Required when there are promotion months.")
            )
        for slot in range(1, OFFER_SLOTS + 1):
            p = f"offer{slot}_"
            if (data.get(p + "discount_pct") or data.get(p + "amount_off")) and not data.get(
                p + "months"
            ):
                self.add_error(p + "months", _("How many months does the offer last?"))
        return data

    def engine_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        zero = Decimal(0)
        offers = []
        self.offer_field_names: list[str] = []
        for slot in range(1, OFFER_SLOTS + 1):
            p = f"offer{slot}_"
            if all(d.get(p + term) in (None, 0) for term in self.OFFER_TERMS):
                continue
            self.offer_field_names.append(p)
            offers.append(
                OfferTerms(
                    discount_pct=d.get(p + "discount_pct") or zero,
                    amount_off=d.get(p + "amount_off") or zero,
                    months=d.get(p + "months") or 0,
                    free_months=d.get(p + "free_months") or 0,
                    bonus_data_gb=d.get(p + "bonus_data_gb") or zero,
                )
            )
        promo_months = d.get("competitor_promo_months") or 0
        promo_monthly = d.get("competitor_promo_monthly")
        return {
            "current_monthly": d["current_monthly"],
            "horizon_months": d["horizon_months"],
            "offers": offers,
            "competitor": CompetitorOffer(
                operator=d.get("competitor_operator") or "",
                promo_monthly=d["competitor_monthly"] if promo_monthly is None else promo_monthly,
                promo_months=promo_months,
                regular_monthly=d["competitor_monthly"],
                bundle_breakup_monthly=d.get("bundle_breakup_monthly") or zero,
                switching=SwitchingCosts(
                    installation=d.get("installation") or zero,
                    device_and_sim=d.get("device_and_sim") or zero,
                    early_termination=d.get("early_termination") or zero,
                    lost_loyalty_points=d.get("lost_loyalty_points") or zero,
                    other=d.get("switching_other") or zero,
                ),
            ),
        }

    def field_for(self, engine_field: str) -> str | None:
        """The form field behind an engine field name such as ``offers[1].months``."""
        if engine_field.startswith("offers["):
            index = int(engine_field[len("offers[") : engine_field.index("]")])
            term = engine_field.rsplit(".", 1)[-1]
            return f"{self.offer_field_names[index]}{term}"
        name = engine_field.rsplit(".", 1)[-1]
        return {
            "regular_monthly": "competitor_monthly",
            "promo_monthly": "competitor_promo_monthly",
            "promo_months": "competitor_promo_months",
            "other": "switching_other",
        }.get(name, name if name in self.fields else None)


def comparison_chart_html(comparison: Comparison, *, offer_labels: list[str]) -> str:
    """Cumulative cost per option; amounts go to Plotly as decimal strings, never floats."""
    months = list(range(1, comparison.horizon_months + 1))
    figure = go.Figure()
    figure.add_scatter(
        x=months,
        y=[f"{v:.2f}" for v in comparison.stay_cumulative],
        name=_("Stay as is"),
        mode="lines",
        line={"color": "#8a96a3", "dash": "dot"},
    )
    for label, offer in zip(offer_labels, comparison.offers, strict=True):
        figure.add_scatter(
            x=months,
            y=[f"{v:.2f}" for v in offer.cumulative],
            name=label,
            mode="lines",
        )
    figure.add_scatter(
        x=months,
        y=[f"{v:.2f}" for v in comparison.competitor_cumulative],
        name=_("Competitor"),
        mode="lines",
        line={"color": "#b3261e"},
    )
    if comparison.break_even_month is not None:
        figure.add_vline(
            x=comparison.break_even_month,
            line={"dash": "dash", "color": "#1b7f3b"},
            annotation_text=_("Break-even"),
        )
    figure.update_layout(
        height=320,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "y": 1.15},
        xaxis={"title": {"text": _("Month")}, "dtick": 6 if len(months) > 24 else 1},
        yaxis={"title": {"text": _("Cumulative cost (yuan)")}, "type": "linear"},
        autotypenumbers="convert types",  # the y values are decimal strings
        font={"family": "WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"},
    )
    # The plot's own div gets a fresh id each time: htmx "settles" elements whose id is in
    # both the old and the new content by resetting their attributes, which would strip the
    # classes Plotly adds while drawing (and its layout CSS with them).
    plot = figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"comparison-plot-{secrets.token_hex(4)}",
        config={"displayModeBar": False},
    )
    return f'<div id="comparison-chart" class="comparison-chart">{plot}</div>'


def _result_context(comparison: Comparison) -> dict[str, Any]:
    zh = (translation.get_language() or "").startswith("zh")
    labels = [o.label_zh if zh else o.label_en for o in comparison.offers]
    explanations = [
        ("zh-hans", "中文", comparison.explanation_zh),
        ("en", "English", comparison.explanation_en),
    ]
    rows = [
        {
            "kind": "stay",
            "label": _("Stay as is"),
            "total": comparison.stay_total,
            "vs_competitor": comparison.competitor_total - comparison.stay_total,
            "best": False,
        }
    ]
    rows += [
        {
            "kind": "offer",
            "label": label,
            "total": offer.total,
            "vs_competitor": comparison.competitor_total - offer.total,
            "best": i == comparison.best_offer_index,
        }
        for i, (label, offer) in enumerate(zip(labels, comparison.offers, strict=True))
    ]
    rows.append(
        {
            "kind": "competitor",
            "label": comparison.competitor.operator or _("Competitor"),
            "total": comparison.competitor_total,
            "vs_competitor": None,
            "best": False,
        }
    )
    months = [
        {
            "month": i + 1,
            "stay": comparison.stay_monthly[i],
            "offers": [offer.monthly[i] for offer in comparison.offers],
            "competitor": comparison.competitor_monthly[i],
            "kept_cumulative": (
                comparison.best_offer.cumulative[i]
                if comparison.best_offer
                else comparison.stay_cumulative[i]
            ),
            "competitor_cumulative": comparison.competitor_cumulative[i],
        }
        for i in range(comparison.horizon_months)
    ]
    return {
        "comparison": comparison,
        "offer_labels": labels,
        "explanations": explanations if zh else explanations[::-1],
        "rows": rows,
        "months": months,
        "chart": comparison_chart_html(comparison, offer_labels=labels),
    }


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    """GET only: the comparison stores nothing, so its URL can be shared and bookmarked."""
    form = CompareForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_bound and form.is_valid():
        try:
            context.update(_result_context(comparison_compute(**form.engine_kwargs())))
        except ComparisonError as exc:
            form.add_error(form.field_for(exc.field), exc.message)
    partial = request.htmx and not request.htmx.history_restore_request  # type: ignore[attr-defined]
    template = "retention/_compare_result.html" if partial else "retention/compare.html"
    return render(request, template, context)
