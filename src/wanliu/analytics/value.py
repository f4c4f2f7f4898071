"""Retention curves, lifetime value by segment, value customers and churned customers.

* Retention curve: Kaplan-Meier survival of the unit's lines by join cohort (activation
  year) or plan family as of the month's last day, read from the snapshot.
* Lifetime value of a line in a segment (plan family x value tier): the sum over the value
  policy's horizon (``wanliu.scoring.models.ValuePolicy``, 120 months by default) of the
  monthly margin x the survival probability of the segment's shifted-beta-geometric model
  (``wanliu.scoring.engine.sbg``), discounted at the policy's rate. The fit is the churn
  engine's stored one for the segment (``wanliu.scoring.models.LifetimeValueFit``, cohort
  ``all``) when there is one, else the snapshot's own fit of the segment's survivors over
  the last twelve months (the months with history on record).
* Value customers: the top contributors by the bills of the month; churned customers: those
  with lines disconnected in the month, the monthly fee that left, and the reason they gave
  (in a churn interview, else at the retention desk).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from wanliu.analytics.cells import HORIZONS
from wanliu.analytics.extract import missing
from wanliu.analytics.models import FollowUpTask
from wanliu.analytics.months import add_months, local_bounds, next_month
from wanliu.customers.models import Customer
from wanliu.retention.models import PROCESSED_STATUSES, CancellationRequest
from wanliu.scoring.engine.sbg import SbgFit

CENT = Decimal("0.01")
CURVE_COLUMNS = ["key", "lines", "events", *[f"m{h}" for h in HORIZONS]]


def retention_curves(*, survival: pd.DataFrame, unit_id: int, by: str) -> pd.DataFrame:
    """The stored Kaplan-Meier curves of one unit subtree (-1: the operator) by ``by``."""
    if by not in ("cohort", "plan_family"):
        raise ValueError(f"unknown retention dimension {by!r}")
    rows = survival[(survival["unit_id"] == unit_id) & (survival["dimension"] == by)]
    table = rows[CURVE_COLUMNS].sort_values("key", ignore_index=True)
    for h in HORIZONS:
        table[f"m{h}"] = table[f"m{h}"].astype(float).round(4)
    return table


def value_policy() -> tuple[Decimal, Decimal, int]:
    """(margin share of the monthly fee, annual discount rate, horizon in months) of the
    churn engine's value policy: its active row, else the policy's defaults."""
    from wanliu.scoring.models import ValuePolicy

    policy = ValuePolicy.objects.filter(active=True).order_by("id").first() or ValuePolicy()
    return (
        Decimal(policy.margin_share),
        Decimal(policy.annual_discount_rate),
        int(policy.horizon_months),
    )


def discounted_lifetime(fit: SbgFit, *, discount: float, horizon: int) -> float:
    """Sum over the next ``horizon`` months of the survival probability, discounted (the
    first month undiscounted): S(1) + S(2) / (1 + d) + ... + S(H) / (1 + d)^(H - 1)."""
    survival = fit.survival(horizon)[1:]
    weights = (1 + discount) ** -np.arange(horizon, dtype=np.float64)
    return float(np.sum(survival * weights))


def stored_fits(month: dt.date) -> dict[tuple[str, str], tuple[float, float]]:
    """The churn engine's stored sBG fits (cohort ``all``, at every level it fits: segment,
    plan family ``*`` tier, whole operator ``*``/``*``) of its newest scoring run as of the
    month after ``month`` or earlier (a run as of a month uses the history before it)."""
    from wanliu.scoring.models import LifetimeValueFit

    fits = LifetimeValueFit.objects.filter(cohort="all", as_of__lte=next_month(month))
    newest = fits.order_by("-as_of").values_list("as_of", flat=True).first()
    if newest is None:
        return {}
    return {
        (family, tier): (float(alpha), float(beta))
        for family, tier, alpha, beta in fits.filter(as_of=newest).values_list(
            "plan_family", "value_tier", "alpha", "beta"
        )
    }


def monthly_discount(annual: Decimal) -> float:
    return float((1 + float(annual)) ** (1 / 12) - 1)


def lifetime_value(*, segments: pd.DataFrame, churn: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Lifetime value of a line per segment, for the segments with lines in the unit."""
    margin_share, annual, horizon = value_policy()
    discount = monthly_discount(annual)
    stored = stored_fits(month)
    active = churn.groupby(["plan_family", "value_tier"]).agg(
        lines=("active_at_start", "sum"), fee=("fee_at_start", "sum")
    )
    own: dict[tuple[str, str], tuple[float, float]] = {}
    for family, tier, alpha_, beta_ in zip(
        segments["plan_family"].tolist(),
        segments["value_tier"].tolist(),
        segments["alpha"].tolist(),
        segments["beta"].tolist(),
        strict=True,
    ):
        if not missing(alpha_) and not missing(beta_):
            own[(str(family), str(tier))] = (float(alpha_), float(beta_))
    rows = []
    keys: list[Any] = list(active.index)
    for key, record in zip(keys, active.to_dict("records"), strict=True):
        family, tier = str(key[0]), str(key[1])
        lines = int(record["lines"])
        if lines <= 0:
            continue
        fee = round(float(record["fee"]) / lines, 2)
        margin = (Decimal(str(fee)) * margin_share).quantize(CENT, rounding=ROUND_HALF_UP)
        source, params = "", None
        for level in ((family, tier), (family, "*"), ("*", "*")):
            if level in stored:
                source, params = "stored_fit", stored[level]
                break
        if params is None and (family, tier) in own:
            source, params = "snapshot_fit", own[(family, tier)]
        alpha = beta = first = derl = value = None
        if params is not None:
            alpha, beta = params
            fit = SbgFit(alpha=alpha, beta=beta, log_likelihood=0.0, initial=1.0, periods=0)
            first = round(alpha / (alpha + beta) * 100, 3)
            lifetime = discounted_lifetime(fit, discount=discount, horizon=horizon)
            derl = round(lifetime, 3)
            value = (margin * Decimal(repr(lifetime))).quantize(CENT, rounding=ROUND_HALF_UP)
        rows.append(
            {
                "key": f"{family}/{tier}",
                "plan_family": family,
                "value_tier": tier,
                "lines": lines,
                "monthly_fee": fee,
                "monthly_margin": margin,
                "fit_source": source,
                "alpha": None if alpha is None else float(f"{alpha:.8g}"),
                "beta": None if beta is None else float(f"{beta:.8g}"),
                "first_month_churn": first,
                "discounted_lifetime_months": derl,
                "lifetime_value": value,
            }
        )
    columns = [
        "key",
        "plan_family",
        "value_tier",
        "lines",
        "monthly_fee",
        "monthly_margin",
        "fit_source",
        "alpha",
        "beta",
        "first_month_churn",
        "discounted_lifetime_months",
        "lifetime_value",
    ]
    return pd.DataFrame(rows, columns=columns).sort_values("key", ignore_index=True)


def _names(customer_ids: list[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    for first in range(0, len(customer_ids), 5000):
        chunk = customer_ids[first : first + 5000]
        for pk, name, tier in Customer.objects.filter(pk__in=chunk).values_list(
            "pk", "name", "value_tier"
        ):
            found[pk] = (name, tier)
    return found


def value_customers(*, cells: pd.DataFrame, month: dt.date, limit: int = 20) -> pd.DataFrame:
    """The unit's top contributors: bills of the month summed exactly, with the margin."""
    margin_share, _annual, _horizon = value_policy()
    top = cells.copy()
    top["sort"] = [float(v) for v in top["bill_total"]]
    top = top.sort_values(["sort", "customer_id"], ascending=[False, True]).head(limit)
    ids = [int(v) for v in top["customer_id"]]
    names = _names(ids)
    tasks = dict(
        FollowUpTask.objects.filter(
            kind=FollowUpTask.Kind.THANK_YOU_CALL, month=month, customer_id__in=ids
        ).values_list("customer_id", "status")
    )
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": [names.get(i, ("", ""))[0] for i in ids],
            "value_tier": [names.get(i, ("", ""))[1] for i in ids],
            "bill_total": list(top["bill_total"]),
            "contribution": [
                (Decimal(v) * margin_share).quantize(CENT, rounding=ROUND_HALF_UP)
                for v in top["bill_total"]
            ],
            "task": [tasks.get(i, "") for i in ids],
        },
        columns=["customer_id", "name", "value_tier", "bill_total", "contribution", "task"],
    )


def churned_customers(*, cells: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """Customers with lines disconnected in the month, most monthly fee lost first, with the
    reason they gave: in their churn interview, else at the retention desk."""
    frame = cells.sort_values(["fee_lost", "customer_id"], ascending=[False, True])
    ids = [int(v) for v in frame["customer_id"]]
    names = _names(ids)
    interviews = {
        customer: (status, reason)
        for customer, status, reason in FollowUpTask.objects.filter(
            kind=FollowUpTask.Kind.CHURN_INTERVIEW, month=month
        ).values_list("customer_id", "status", "reason_given")
    }
    _start, end = local_bounds(month)
    earliest, _ = local_bounds(add_months(month, -3))
    desk: dict[int, str] = {}
    for customer, reason in (
        CancellationRequest.objects.filter(
            outcome__in=list(PROCESSED_STATUSES), opened_at__gte=earliest, opened_at__lt=end
        )
        .exclude(reason="")
        .order_by("opened_at", "id")
        .values_list("customer_id", "reason")
    ):
        desk[customer] = reason
    reasons, sources, tasks = [], [], []
    for i in ids:
        status, given = interviews.get(i, ("", ""))
        tasks.append(status)
        if given:
            reasons.append(given)
            sources.append("interview")
        elif i in desk:
            reasons.append(desk[i])
            sources.append("desk")
        else:
            reasons.append("")
            sources.append("")
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": [names.get(i, ("", ""))[0] for i in ids],
            "value_tier": [names.get(i, ("", ""))[1] for i in ids],
            "lines": [int(v) for v in frame["lines"]],
            "fee_lost": [round(float(v), 2) for v in frame["fee_lost"]],
            "reason": reasons,
            "reason_source": sources,
            "task": tasks,
        },
        columns=[
            "customer_id",
            "name",
            "value_tier",
            "lines",
            "fee_lost",
            "reason",
            "reason_source",
            "task",
        ],
    )


def churn_reasons(*, churned: pd.DataFrame) -> pd.DataFrame:
    """How many churned customers gave each reason (``not_recorded``: none yet), with share."""
    if churned.empty:
        return pd.DataFrame(columns=["key", "customers", "share"])
    keys = churned["reason"].replace("", "not_recorded")
    counts = keys.value_counts().rename_axis("key").reset_index(name="customers")
    counts["share"] = (counts["customers"] / counts["customers"].sum() * 100).round(2)
    return counts.sort_values(["customers", "key"], ascending=[False, True], ignore_index=True)
