"""Reads of the review from the desks' own tables: the work orders, cancellation requests,
revisits, surveys and retention contacts of a window of months, within one unit subtree.

Selectors: ``unit_path`` is the subtree the caller decided with ``wanliu.org.scoping``
(``wanliu.analytics.selectors.review_unit_for``); ``None`` is the whole operator. Each read
is one queryset executed on a raw cursor (``wanliu.analytics.extract``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from wanliu.analytics.extract import frame_of, rows_of
from wanliu.analytics.months import local_bounds
from wanliu.complaints.models import Category, Revisit, Survey, WorkOrder
from wanliu.customers.models import Line
from wanliu.org.models import OrgUnit, Staff, Store
from wanliu.retention.models import (
    CancellationRequest,
    OfferGrant,
    RetentionContact,
    StepRecord,
    Transfer,
)


def _within(field: str, unit_path: str | None) -> Q:
    return Q(**{f"{field}__startswith": unit_path}) if unit_path else Q()


def unit_frame() -> pd.DataFrame:
    return frame_of(
        OrgUnit.objects.values_list("id", "path", "name", "kind", "parent_id"),
        {"unit_id": "int", "path": "text", "name": "text", "kind": "text", "parent_id": "int"},
    )


def store_frame() -> pd.DataFrame:
    return frame_of(
        Store.objects.values_list("id", "name", "code", "unit_id", "unit__path", "direct_operated"),
        {
            "store_id": "int",
            "name": "text",
            "code": "text",
            "unit_id": "int",
            "unit_path": "text",
            "direct": "bool",
        },
    )


def staff_frame(*, user_ids: Sequence[int] = (), staff_ids: Sequence[int] = ()) -> pd.DataFrame:
    """Staff by login or by profile id: name, role, unit and store."""
    staff = Staff.objects.all()
    if user_ids or staff_ids:
        staff = staff.filter(Q(user_id__in=list(user_ids)) | Q(pk__in=list(staff_ids)))
    else:
        staff = staff.none()
    return frame_of(
        staff.values_list(
            "id", "user_id", "name", "role", "unit_id", "unit__path", "store_id", "employee_no"
        ),
        {
            "staff_id": "int",
            "user_id": "int",
            "name": "text",
            "role": "text",
            "unit_id": "int",
            "unit_path": "text",
            "store_id": "int",
            "employee_no": "text",
        },
    )


ORDER_COLUMNS = {
    "order_id": "int",
    "order_no": "text",
    "received_at": "datetime",
    "channel": "text",
    "category": "text",
    "parent_category": "text",
    "status": "text",
    "unit_path": "text",
    "owner_unit_id": "int",
    "owner_unit_path": "text",
    "owner_store_id": "int",
    "owner_staff_id": "int",
    "sla_policy_id": "int",
    "sla_policy": "text",
    "sla_calendar_id": "int",
    "first_response_minutes": "int",
    "first_responded_at": "datetime",
    "resolution_due_at": "datetime",
    "resolved_at": "datetime",
    "closed_at": "datetime",
    "reopen_count": "int",
    "reopened_at": "datetime",
}


def _orders_frame(orders: QuerySet[WorkOrder]) -> pd.DataFrame:
    """The ``ORDER_COLUMNS`` of some work orders, one row each."""
    frame = frame_of(
        orders.values_list(
            "id",
            "order_no",
            "received_at",
            "channel",
            "category__code",
            "category__parent__code",
            "status",
            "customer__unit__path",
            "owner_unit_id",
            "owner_unit__path",
            "owner_store_id",
            "owner_staff_id",
            "sla_policy_id",
            "sla_policy__name",
            "sla_calendar_id",
            "sla_policy__first_response_minutes",
            "first_responded_at",
            "resolution_due_at",
            "resolved_at",
            "closed_at",
            "reopen_count",
            "reopened_at",
        ),
        ORDER_COLUMNS,
    )
    frame["parent_category"] = frame["parent_category"].fillna("")
    return frame


def orders_frame(
    *,
    start: dt.datetime,
    end: dt.datetime,
    unit_path: str | None,
    owner_staff_id: int | None = None,
) -> pd.DataFrame:
    """Work orders received in [start, end) from customers of the subtree (merged ones out),
    or owned by one member of staff."""
    orders = WorkOrder.objects.exclude(status="merged").filter(
        _within("customer__unit__path", unit_path), received_at__gte=start, received_at__lt=end
    )
    if owner_staff_id is not None:
        orders = orders.filter(owner_staff_id=owner_staff_id)
    frame = _orders_frame(orders)
    frame["sla_policy"] = frame["sla_policy"].fillna("")
    return frame


def orders_not_closed_frame(
    *, due_before: dt.datetime, closed_by: dt.datetime, unit_path: str | None
) -> pd.DataFrame:
    """Orders whose resolution was due before ``due_before`` and that were not closed by
    ``closed_by`` (still open, or closed only later); merged ones out."""
    orders = (
        WorkOrder.objects.exclude(status="merged")
        .filter(_within("customer__unit__path", unit_path), received_at__lt=closed_by)
        .filter(Q(resolution_due_at__lt=due_before) | Q(resolution_due_at__isnull=True))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=closed_by) | ~Q(status="closed"))
    )
    frame = _orders_frame(orders)
    return frame


def complaints_by_month(*, months: Sequence[dt.date], unit_path: str | None) -> pd.DataFrame:
    """Per local month of ``months`` (in order): all complaints, cancellation complaints
    and refusals received.

    Counted in the database: each order falls into its month by comparing ``received_at``
    with the months' local bounds (a ``CASE``), grouped by month and category."""
    bounds = [local_bounds(month) for month in months]
    if not bounds:
        return pd.DataFrame(columns=["month", "complaints", "cancellation", "refusals"])
    month_of = Case(
        *[When(received_at__lt=end, then=Value(k)) for k, (_start, end) in enumerate(bounds)],
        output_field=IntegerField(),
    )
    counted = rows_of(
        WorkOrder.objects.exclude(status="merged")
        .filter(
            _within("customer__unit__path", unit_path),
            received_at__gte=bounds[0][0],
            received_at__lt=bounds[-1][1],
        )
        .annotate(month_index=month_of)
        .values("month_index", "category_id")
        .annotate(n=Count("id"))
        .values_list("month_index", "category_id", "n")
    )
    codes = {
        pk: (code, parent or "")
        for pk, code, parent in Category.objects.values_list("pk", "code", "parent__code")
    }
    cancellation = {pk for pk, (code, parent) in codes.items() if "cancellation" in (code, parent)}
    refusal = {pk for pk, (code, _parent) in codes.items() if code == "cancellation-refused"}
    totals = np.zeros((len(months), 3), dtype=np.int64)
    for index, category_id, n in counted:
        totals[index, 0] += n
        totals[index, 1] += n if category_id in cancellation else 0
        totals[index, 2] += n if category_id in refusal else 0
    return pd.DataFrame(
        {
            "month": [f"{month:%Y-%m}" for month in months],
            "complaints": totals[:, 0],
            "cancellation": totals[:, 1],
            "refusals": totals[:, 2],
        }
    )


def revisits_frame(*, start: dt.datetime, end: dt.datetime, unit_path: str | None) -> pd.DataFrame:
    """Revisits due in [start, end) of orders from customers of the subtree."""
    return frame_of(
        Revisit.objects.filter(
            _within("order__customer__unit__path", unit_path), due_at__gte=start, due_at__lt=end
        ).values_list(
            "id",
            "order_id",
            "order__order_no",
            "cycle",
            "due_at",
            "done_at",
            "outcome",
            "owner_unit_id",
            "owner_unit__path",
            "owner_staff_id",
        ),
        {
            "revisit_id": "int",
            "order_id": "int",
            "order_no": "text",
            "cycle": "int",
            "due_at": "datetime",
            "done_at": "datetime",
            "outcome": "text",
            "owner_unit_id": "int",
            "owner_unit_path": "text",
            "owner_staff_id": "int",
        },
    )


def surveys_frame(*, start: dt.datetime, end: dt.datetime, unit_path: str | None) -> pd.DataFrame:
    """Survey answers received in [start, end) about orders from customers of the subtree."""
    frame = frame_of(
        Survey.objects.filter(
            _within("order__customer__unit__path", unit_path),
            csat__isnull=False,
            responded_at__gte=start,
            responded_at__lt=end,
        ).values_list(
            "id", "team_id", "team__path", "team__name", "agent_id", "responded_at", "csat"
        ),
        {
            "survey_id": "int",
            "team_id": "int",
            "team_path": "text",
            "team_name": "text",
            "agent_id": "int",
            "responded_at": "datetime",
            "csat": "float",
        },
    )
    return frame


REQUEST_COLUMNS = {
    "request_id": "int",
    "request_no": "text",
    "opened_at": "datetime",
    "customer_id": "int",
    "store_id": "int",
    "origin_store_id": "int",
    "unit_path": "text",
    "opened_by_id": "int",
    "outcome": "text",
    "reason": "text",
    "insisted_at": "datetime",
    "refusal_flagged_at": "datetime",
    "target": "text",
    "line_id": "int",
    "subscription_id": "int",
    "account_id": "int",
    "accepted_cost": "float",
    "accepted_level": "int",
}


def requests_q(
    *,
    start: dt.datetime,
    end: dt.datetime,
    unit_path: str | None,
    store_id: int | None = None,
    opened_by_id: int | None = None,
    prefix: str = "",
) -> Q:
    """The filter of the requests of a window (``prefix``: reached through a relation)."""
    q = Q(**{f"{prefix}opened_at__gte": start, f"{prefix}opened_at__lt": end})
    q &= _within(f"{prefix}unit__path", unit_path)
    if store_id is not None:
        q &= Q(**{f"{prefix}store_id": store_id}) | Q(**{f"{prefix}origin_store_id": store_id})
    if opened_by_id is not None:
        q &= Q(**{f"{prefix}opened_by_id": opened_by_id})
    return q


def requests_frame(
    *,
    start: dt.datetime,
    end: dt.datetime,
    unit_path: str | None,
    store_id: int | None = None,
    opened_by_id: int | None = None,
) -> pd.DataFrame:
    """Cancellation requests opened in [start, end) in the subtree (by the handling area),
    or handled or opened at one store, or opened by one login."""
    requests = CancellationRequest.objects.filter(
        requests_q(
            start=start,
            end=end,
            unit_path=unit_path,
            store_id=store_id,
            opened_by_id=opened_by_id,
        )
    )
    return frame_of(
        requests.values_list(
            "id",
            "request_no",
            "opened_at",
            "customer_id",
            "store_id",
            "origin_store_id",
            "unit__path",
            "opened_by_id",
            "outcome",
            "reason",
            "insisted_at",
            "refusal_flagged_at",
            "target",
            "line_id",
            "subscription_id",
            "account_id",
            "accepted_grant__cost",
            "accepted_grant__level",
        ),
        REQUEST_COLUMNS,
    )


def requests_count(
    *,
    start: dt.datetime,
    end: dt.datetime,
    unit_path: str | None,
    store_id: int | None = None,
    opened_by_id: int | None = None,
) -> int:
    """How many requests ``requests_frame`` would read."""
    requests = CancellationRequest.objects.filter(
        _within("unit__path", unit_path), opened_at__gte=start, opened_at__lt=end
    )
    if store_id is not None:
        requests = requests.filter(Q(store_id=store_id) | Q(origin_store_id=store_id))
    if opened_by_id is not None:
        requests = requests.filter(opened_by_id=opened_by_id)
    return requests.count()


def _chunks(ids: Sequence[int], size: int = 5000) -> list[list[int]]:
    values = sorted({int(i) for i in ids})
    return [values[i : i + size] for i in range(0, len(values), size)]


def grants_frame(window: Q) -> pd.DataFrame:
    """Offer grants of the requests of a window (``requests_q(prefix="request__")``)."""
    return frame_of(
        OfferGrant.objects.filter(window).values_list("request_id", "level", "status", "cost"),
        {"request_id": "int", "level": "int", "status": "text", "cost": "float"},
    )


def steps_frame(window: Q) -> pd.DataFrame:
    return frame_of(
        StepRecord.objects.filter(window).values_list("request_id", "step"),
        {"request_id": "int", "step": "int"},
    )


def transfers_frame(window: Q) -> pd.DataFrame:
    return frame_of(
        Transfer.objects.filter(window, kind=Transfer.Kind.TRANSFER).values_list(
            "request_id", "from_store_id", "to_store_id", "at"
        ),
        {"request_id": "int", "from_store_id": "int", "to_store_id": "int", "at": "datetime"},
    )


def line_counts(
    *, subscription_ids: Sequence[int], account_ids: Sequence[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Lines per subscription and per account (what a retained request kept)."""
    by_subscription: dict[int, int] = {}
    by_account: dict[int, int] = {}
    for chunk in _chunks(subscription_ids):
        by_subscription.update(
            rows_of(
                Line.objects.filter(subscription_id__in=chunk)
                .values("subscription_id")
                .annotate(n=Count("id"))
                .values_list("subscription_id", "n")
            )
        )
    for chunk in _chunks(account_ids):
        by_account.update(
            rows_of(
                Line.objects.filter(account_id__in=chunk)
                .values("account_id")
                .annotate(n=Count("id"))
                .values_list("account_id", "n")
            )
        )
    return by_subscription, by_account


def retention_contacts_frame(
    *, start: dt.datetime, end: dt.datetime, unit_path: str | None
) -> pd.DataFrame:
    """Retention contacts (care, win-back) due in [start, end) on requests of the subtree,
    with what the contact policy needs: the customer's opt-out and the win-back date."""
    return frame_of(
        RetentionContact.objects.filter(
            _within("request__unit__path", unit_path), due_at__gte=start, due_at__lt=end
        )
        .exclude(status=RetentionContact.Status.CANCELLED)
        .values_list(
            "id",
            "request_id",
            "request__request_no",
            "request__store_id",
            "win_back_id",
            "purpose",
            "channel",
            "status",
            "due_at",
            "done_at",
            "request__customer__marketing_opt_out",
            "win_back__allowed_recontact_on",
        ),
        {
            "contact_id": "int",
            "request_id": "int",
            "request_no": "text",
            "store_id": "int",
            "win_back_id": "int",
            "purpose": "text",
            "channel": "text",
            "status": "text",
            "due_at": "datetime",
            "done_at": "datetime",
            "opted_out": "bool",
            "allowed_recontact_on": "date",
        },
    )


def contact_attempts(request_ids: Sequence[int]) -> pd.DataFrame:
    """Every non-cancelled retention contact of these requests and win-back entries, in
    order: the attempt number each contact is."""
    parts = []
    for chunk in _chunks(request_ids):
        parts.append(
            frame_of(
                RetentionContact.objects.filter(request_id__in=chunk)
                .exclude(status=RetentionContact.Status.CANCELLED)
                .values_list("id", "request_id", "win_back_id", "purpose", "due_at"),
                {
                    "contact_id": "int",
                    "request_id": "int",
                    "win_back_id": "int",
                    "purpose": "text",
                    "due_at": "datetime",
                },
            )
        )
    return _concat(parts, ["contact_id", "request_id", "win_back_id", "purpose", "due_at"])


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)
