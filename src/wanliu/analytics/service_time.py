"""The first-response due time of work orders, from their SLA policy and calendar.

The order keeps its first-response due time only until somebody responds (the SLA service
clears it then), so the review recomputes it: the policy's first-response target in
working minutes from the order's receipt, on the order's calendar — the same instant as
``wanliu.complaints.businesstime.add_working``, computed for all orders at once on a
minute grid of the calendar's working time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wanliu.complaints.businesstime import WorkCalendar
from wanliu.complaints.models import BusinessCalendar
from wanliu.complaints.services.sla import work_calendar_of

MARGIN_DAYS = 60


def add_working_seconds(
    calendar: WorkCalendar, starts: np.ndarray, seconds: np.ndarray
) -> np.ndarray:
    """Epoch seconds ``starts`` plus ``seconds`` of working time on ``calendar``."""
    starts = np.asarray(starts, dtype=np.int64)
    seconds = np.asarray(seconds, dtype=np.int64)
    if calendar.always_open or len(starts) == 0:
        return starts + seconds
    first = int(starts.min()) // 60 * 60 - 86400
    last = int(starts.max()) + int(seconds.max()) * 3 + MARGIN_DAYS * 86400
    n = (last - first) // 60 + 1
    working = np.zeros(n, dtype=bool)
    zone = calendar.zone
    day = dt.datetime.fromtimestamp(first, tz=zone).date() - dt.timedelta(days=1)
    final = dt.datetime.fromtimestamp(last, tz=zone).date()
    while day <= final:
        for begin, end in calendar.spans_on(day):
            a = max(0, (int(begin.timestamp()) - first) // 60)
            b = min(n, (int(end.timestamp()) - first) // 60)
            if a < b:
                working[a:b] = True
        day += dt.timedelta(days=1)
    before = np.concatenate([[0], np.cumsum(working, dtype=np.int64)]) * 60
    offset = starts - first
    minute, second = offset // 60, offset % 60
    used = before[minute] + np.where(working[minute], second, 0)
    target = used + seconds
    j = np.searchsorted(before, target, side="left") - 1
    due = first + 60 * j + (target - before[j])
    return np.where(seconds <= 0, starts, due)


def first_response_due(orders: pd.DataFrame) -> pd.Series:
    """Naive UTC due times (NaT where the order has no policy)."""
    out = pd.Series(pd.NaT, index=orders.index, dtype="datetime64[ns]")
    known = orders["first_response_minutes"].notna() & orders["received_at"].notna()
    if not known.any():
        return out
    part = orders[known]
    calendar_ids = part["sla_calendar_id"].fillna(-1).astype("int64")
    stored = {
        c.pk: c for c in BusinessCalendar.objects.filter(pk__in=calendar_ids.unique().tolist())
    }
    starts = part["received_at"].astype("int64").to_numpy() // 10**9
    minutes = part["first_response_minutes"].astype("int64").to_numpy()
    due = np.zeros(len(part), dtype=np.int64)
    for calendar_id in sorted(set(calendar_ids.tolist())):
        mask = (calendar_ids == calendar_id).to_numpy()
        calendar = work_calendar_of(stored.get(calendar_id))
        due[mask] = add_working_seconds(calendar, starts[mask], minutes[mask] * 60)
    out.loc[known] = pd.to_datetime(due, unit="s").to_numpy()
    return out
