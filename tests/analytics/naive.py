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
