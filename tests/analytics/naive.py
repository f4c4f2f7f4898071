"""Independent, naive recomputations of the review's figures: plain Python over the ORM."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

from wanliu.complaints.models import WorkOrder
from wanliu.customers.models import Line

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def _prev(month: dt.date) -> dt.date:
    return (
        dt.date(month.year - 1, 12, 1) if month.month == 1 else month.replace(month=month.month - 1)
    )


def _next(month: dt.date) -> dt.date:
    return (
        dt.date(month.year + 1, 1, 1) if month.month == 12 else month.replace(month=month.month + 1)
    )


def churn(month: dt.date, *, key=lambda line: "total", unit_path: str = "") -> dict:
    """{key: (active_at_start, disconnected, rate)} by looping over every line."""
    start, end = month, _next(month)
    active: Counter = Counter()
    gone: Counter = Counter()
    for line in Line.objects.select_related("account__customer__unit", "subscription__plan"):
        if not line.account.customer.unit.path.startswith(unit_path):
            continue
        k = key(line)
        if line.activated_on < start and (line.cancelled_on is None or line.cancelled_on >= start):
            active[k] += 1
        if line.cancelled_on is not None and start <= line.cancelled_on < end:
            gone[k] += 1
    return {
        k: (active[k], gone[k], gone[k] / active[k] if active[k] else None)
        for k in set(active) | set(gone)
    }


def churn_mom(month: dt.date, **kwargs) -> dict:
    now, before = churn(month, **kwargs), churn(_prev(month), **kwargs)
    out = {}
    for k, (_, _, rate) in now.items():
        prev_rate = before.get(k, (0, 0, None))[2]
        out[k] = (
            round((rate - prev_rate) / prev_rate * 100, 2)
            if rate is not None and prev_rate
            else None
        )
    return out


def complaint_counts(
    month: dt.date, *, key, only=lambda order: True, unit_path: str = ""
) -> Counter:
    counts: Counter = Counter()
    for order in WorkOrder.objects.select_related("category__parent", "customer__unit"):
        if order.status == "merged" or not order.customer.unit.path.startswith(unit_path):
            continue
        day = order.received_at.astimezone(TZ).date()
        if month <= day < _next(month) and only(order):
            counts[key(order)] += 1
    return counts


def is_cancellation(order: WorkOrder) -> bool:
    return order.category.code == "cancellation" or (
        order.category.parent is not None and order.category.parent.code == "cancellation"
    )


def retention(month: dt.date, *, key, unit_path: str = "") -> dict:
    """{key: (requests, handled, retained, rate %, offer cost, retained lines)} by a loop
    over the month's requests (opened in the month, local time)."""
    from wanliu.retention.models import RETAINED_STATUSES, CancellationRequest

    out: dict = {}
    for request in CancellationRequest.objects.select_related(
        "unit", "accepted_grant", "subscription"
    ):
        day = request.opened_at.astimezone(TZ).date()
        if not (month <= day < _next(month)) or not request.unit.path.startswith(unit_path):
            continue
        k = key(request)
        n, handled, retained, cost, lines = out.get(k, (0, 0, 0, 0.0, 0))[:5]
        n += 1
        if request.outcome:
            handled += 1
        if request.outcome in RETAINED_STATUSES:
            retained += 1
            if request.accepted_grant is not None:
                cost += float(request.accepted_grant.cost)
            if request.target == "account":
                lines += Line.objects.filter(account_id=request.account_id).count()
            elif request.target == "subscription" and request.subscription_id:
                lines += Line.objects.filter(subscription_id=request.subscription_id).count()
            else:
                lines += 1
        out[k] = (n, handled, retained, cost, lines)
    return {
        k: (n, h, r, round(r / h * 100, 2) if h else None, round(c, 2), lines)
        for k, (n, h, r, c, lines) in out.items()
    }


def product_limit(durations_events, t: float) -> float:
    """Kaplan-Meier survival at ``t`` by a loop over the distinct event times."""
    survival = 1.0
    for time in sorted({d for d, e in durations_events if e}):
        if time > t:
            break
        at_risk = sum(1 for d, _ in durations_events if d >= time)
        deaths = sum(1 for d, e in durations_events if e and d == time)
        survival *= 1 - deaths / at_risk
    return survival


def sbg_value(alpha: float, beta: float, *, margin: float, discount: float, horizon=120):
    """Margin x the sum for t = 1..horizon of S(t) / (1 + d)^(t - 1), by a plain loop over
    the sBG recursion (P(T=1) = a/(a+b), P(T=t) = (b+t-2)/(a+b+t-1) P(T=t-1))."""
    p = alpha / (alpha + beta)
    survival = 1.0 - p
    total = survival
    for t in range(2, horizon + 1):
        p = p * (beta + t - 2) / (alpha + beta + t - 1)
        survival -= p
        total += survival / (1 + discount) ** (t - 1)
    return margin * total


def fcr(month: dt.date, *, key, unit_path: str = "") -> dict:
    """{key: (contacts, resolved, fcr %)} by a loop over contacts with a verdict."""
    from wanliu.complaints.models import ContactResolution

    counts: dict = {}
    for verdict in ContactResolution.objects.select_related(
        "contact__customer__unit", "contact__agent__unit"
    ):
        contact = verdict.contact
        day = contact.started_at.astimezone(TZ).date()
        if not (month <= day < _next(month)) or not contact.customer.unit.path.startswith(
            unit_path
        ):
            continue
        k = key(contact)
        n, r = counts.get(k, (0, 0))
        counts[k] = (n + 1, r + int(verdict.first_contact_resolved))
    return {k: (n, r, round(r / n * 100, 2)) for k, (n, r) in counts.items()}
