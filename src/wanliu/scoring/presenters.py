"""Churn risk, reasons and value as plain data for pages and the API (customer 360, the
retention desk's step 2).

Reasons are shown in the users' words: each operator feature has a label and a way to
read its value ("usage down 40%", "contract ends in 2 months", "competitor 35% below our
fee"); a feature without one is shown by its name and raw value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wanliu.scoring.models import ChurnScore
from wanliu.scoring.selectors import churn_scores_explained, churn_scores_latest

BAND_LABELS = {
    "low": gettext_lazy("low (低)"),
    "medium": gettext_lazy("medium (中)"),
    "high": gettext_lazy("high (高)"),
    "very_high": gettext_lazy("very high (很高)"),
}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _yuan(value: float) -> str:
    return f"¥{value:,.2f}"


def _months(value: float) -> str:
    return _("%(n)d months") % {"n": round(value)}


def _contract(value: float) -> str:
    months = round(value)
    if months < 0:
        return _("out of contract for %(n)d months") % {"n": -months}
    if months == 0:
        return _("contract ends this month")
    return _("contract ends in %(n)d months") % {"n": months}


def _change(value: float) -> str:
    return f"{value * 100:+.0f}%"


def _decline(value: float) -> str:
    if value >= 0:
        return _("down %(pct).0f%%") % {"pct": value * 100}
    return _("up %(pct).0f%%") % {"pct": -value * 100}


def _ratio(value: float) -> str:
    return f"×{value:.2f}"


def _gap(value: float) -> str:
    if value <= 0:
        return _("not below our fee")
    return _("%(pct).0f%% below our fee") % {"pct": value * 100}


def _count(value: float) -> str:
    return f"{round(value)}"


def _gb(value: float) -> str:
    return f"{value:.1f} GB"


FEATURES: dict[str, tuple[Any, Callable[[float], str] | None]] = {
    "kind": (gettext_lazy("line kind"), None),
    "plan_family": (gettext_lazy("plan family"), None),
    "plan_fee": (gettext_lazy("plan fee"), _yuan),
    "contract_months": (gettext_lazy("contract length"), _months),
    "value_tier": (gettext_lazy("value tier"), None),
    "tenure_months": (gettext_lazy("time on network"), _months),
    "customer_tenure_months": (gettext_lazy("time as a customer"), _months),
    "months_to_contract_end": (gettext_lazy("contract"), _contract),
    "bundle_lines": (gettext_lazy("lines in the bundle"), _count),
    "bill_3m": (gettext_lazy("average bill, last 3 months"), _yuan),
    "bill_prior_3m": (gettext_lazy("average bill, the 3 months before"), _yuan),
    "bill_trend": (gettext_lazy("bill trend"), _change),
    "bill_peak_ratio": (gettext_lazy("highest recent bill against usual"), _ratio),
    "data_3m": (gettext_lazy("data use, last 3 months"), _gb),
    "data_decline": (gettext_lazy("data use"), _decline),
    "voice_decline": (gettext_lazy("voice use"), _decline),
    "overage_3m": (gettext_lazy("overage charges, last 3 months"), _yuan),
    "contacts_3m": (gettext_lazy("contacts, last 3 months"), _count),
    "complaints_3m": (gettext_lazy("complaints, last 3 months"), _count),
    "network_contacts_3m": (gettext_lazy("network fault contacts, last 3 months"), _count),
    "billing_contacts_3m": (gettext_lazy("billing contacts, last 3 months"), _count),
    "cancellation_contacts_3m": (gettext_lazy("cancellation enquiries, last 3 months"), _count),
    "unresolved_3m": (gettext_lazy("unresolved problems, last 3 months"), _count),
    "competitor_promo": (gettext_lazy("competitor's promotion in the area"), _yuan),
    "competitor_gap": (gettext_lazy("competitor's promotion"), _gap),
}


def reason_row(reason: dict[str, Any]) -> dict[str, Any]:
    """One reason as the users read it: label, value, and which way it pushes the risk."""
    feature = str(reason.get("feature", ""))
    raw = reason.get("value")
    label, reader = FEATURES.get(feature, (feature, None))
    number = _number(raw)
    if raw is None or raw == "":
        text = _("unknown")
    elif reader is not None and number is not None:
        text = reader(number)
    else:
        text = str(raw)
    contribution = float(reason.get("contribution") or 0.0)
    return {
        "feature": feature,
        "label": str(label),
        "value": raw,
        "text": text,
        "contribution": round(contribution, 4),
        "raises_risk": contribution > 0,
    }


def line_risk(score: ChurnScore, *, exact: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    reasons = exact if exact is not None else list(score.reasons)
    return {
        "line_id": score.line_id,
        "as_of": f"{score.as_of:%Y-%m}",
        "model_version": score.model_version,
        "probability": round(score.probability, 4),
        "probability_pct": f"{score.probability * 100:.1f}%",
        "risk_band": score.risk_band,
        "risk_band_label": str(BAND_LABELS.get(score.risk_band, score.risk_band)),
        "remaining_value": score.remaining_value,
        "value_at_risk": score.value_at_risk,
        "reasons_exact": exact is not None,
        "reasons": [reason_row(r) for r in reasons],
    }


def churn_for_lines(*, line_ids: Sequence[int], exact: bool = False) -> dict[str, Any] | None:
    """The newest scores of some lines of one customer, with the customer's totals; None
    when none of them was ever scored. ``exact`` explains them with TreeSHAP (the 360)."""
    scores = churn_scores_latest(line_ids=line_ids)
    if not scores:
        return None
    explained = churn_scores_explained(scores=scores) if exact else {}
    lines = {
        line_id: line_risk(score, exact=explained.get(line_id)) for line_id, score in scores.items()
    }
    at_risk = [s.value_at_risk for s in scores.values() if s.value_at_risk is not None]
    remaining = [s.remaining_value for s in scores.values() if s.remaining_value is not None]
    top = max(scores.values(), key=lambda s: s.probability)
    newest: dt.date = max(s.as_of for s in scores.values())
    return {
        "as_of": f"{newest:%Y-%m}",
        "model_version": top.model_version,
        "highest": lines[top.line_id],
        "value_at_risk_total": sum(at_risk, Decimal("0")),
        "remaining_value_total": sum(remaining, Decimal("0")),
        "lines": sorted(lines.values(), key=lambda row: -row["probability"]),
        "by_line": lines,
    }
