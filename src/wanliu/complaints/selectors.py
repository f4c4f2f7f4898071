"""Reads of complaints, always scoped by the reader's organisation unit.

An order is visible to a user whose scope covers its owner (unit or store), or a unit
that received one of its internal tasks or a pending hand-over. Everything else answers
404, as if it did not exist.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db.models import Avg, Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from wanliu.complaints.models import (
    OPEN_STATUSES,
    CannedReply,
    HandOver,
    InternalTask,
    Revisit,
    Status,
    Survey,
    WorkOrder,
)
from wanliu.complaints.permissions import WORK, staff_of
from wanliu.complaints.presenters import order_item
from wanliu.complaints.services import notices
from wanliu.complaints.services.search import work_order_search
from wanliu.org.models import OrgUnit, Staff
from wanliu.org.scoping import first_or_404, ids_within, scope_for

_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def work_orders_visible_to(user: Any) -> QuerySet[WorkOrder]:
    """Every order the user may see: the one place complaint scope is decided."""
    scope = scope_for(user)
    if scope.everything:
        return WorkOrder.objects.all()
    tasks = scope.apply(
        InternalTask.objects.all(),
        unit_path_field="assignee_unit__path",
        store_field="assignee_unit__stores__id",
    ).values("order_id")
    hand_overs = scope.apply(
        HandOver.objects.filter(status=HandOver.Status.PENDING),
        unit_path_field="to_unit__path",
        store_field="to_store_id",
    ).values("order_id")
    owned = scope.q(unit_path_field="owner_unit__path", store_field="owner_store_id")
    return WorkOrder.objects.filter(owned | Q(pk__in=tasks) | Q(pk__in=hand_overs))


def work_order_get_for(user: Any, order_id: int) -> WorkOrder:
    """The order if the user may see it; 404 otherwise (never says it exists)."""
    return first_or_404(
        work_orders_visible_to(user)
        .select_related(
            "customer",
            "line",
            "category",
            "owner_unit",
            "owner_store",
            "owner_staff",
            "sla_policy",
            "sla_calendar",
            "merged_into",
            "repeat_of",
        )
        .filter(pk=order_id),
        "work order",
    )


def _overdue_first(orders: QuerySet[WorkOrder], now: datetime) -> QuerySet[WorkOrder]:
    """Overdue open orders first, then by the nearest due time, then the oldest."""
    overdue = Q(status__in=OPEN_STATUSES, resolution_due_at__lt=now)
    return orders.annotate(
        overdue_rank=Case(
            When(overdue, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("overdue_rank", F("resolution_due_at").asc(nulls_last=True), "received_at")


def work_order_list(
    *,
    user: Any,
    q: str = "",
    status: str = "",
    queue: str = "",
    overdue: bool = False,
    customer_id: int | None = None,
    now: datetime | None = None,
) -> QuerySet[WorkOrder]:
    """Orders in scope. ``queue``: ``mine`` (I own them), ``team`` (my unit owns them),
    ``tasks`` (my unit has an open task on them); ``status``: one status or ``open``;
    ``overdue``: open and past the resolution due time. Overdue first."""
    now = now or timezone.now()
    orders = work_orders_visible_to(user)
    staff = staff_of(user)
    if queue == "mine":
        orders = orders.filter(owner_staff=staff) if staff else orders.none()
    elif queue == "team":
        if staff is None:
            orders = orders.none()
        elif staff.store_id is not None:
            orders = orders.filter(owner_store_id=staff.store_id)
        else:
            orders = orders.filter(owner_unit_id=staff.unit_id)
    elif queue == "tasks":
        if staff is None:
            orders = orders.none()
        else:
            open_tasks = InternalTask.objects.filter(
                Q(assignee_staff=staff) | Q(assignee_unit_id=staff.unit_id),
                status__in=[InternalTask.Status.OPEN, InternalTask.Status.IN_PROGRESS],
            ).values("order_id")
            orders = orders.filter(pk__in=open_tasks)
    if status == "open":
        orders = orders.filter(status__in=OPEN_STATUSES)
    elif status:
        orders = orders.filter(status=status)
    if overdue:
        orders = orders.filter(status__in=OPEN_STATUSES, resolution_due_at__lt=now)
    if customer_id is not None:
        orders = orders.filter(customer_id=customer_id)
    if q.strip():
        orders = work_order_search(orders, q)
    orders = orders.select_related("customer", "category", "owner_unit", "owner_staff")
    return _overdue_first(orders, now)


def complaint_workers_under(unit: OrgUnit) -> QuerySet[Staff]:
    """Staff of the unit's subtree whose role works complaints (an order's assignees)."""
    app_label, codename = WORK.split(".")
    works = Q(user__is_superuser=True) | Q(
        user__groups__permissions__content_type__app_label=app_label,
        user__groups__permissions__codename=codename,
    )
    return (
        Staff.objects.filter(works, unit__path__startswith=unit.path, user__is_active=True)
        .select_related("unit")
        .distinct()
    )


def task_get_for(user: Any, task_id: int) -> InternalTask:
    return first_or_404(
        InternalTask.objects.select_related("order", "assignee_unit", "assignee_staff").filter(
            pk=task_id, order__in=work_orders_visible_to(user)
        ),
        "task",
    )


def hand_over_get_for(user: Any, hand_over_id: int) -> HandOver:
    return first_or_404(
        HandOver.objects.select_related("order", "to_unit", "from_unit").filter(
            pk=hand_over_id, order__in=work_orders_visible_to(user)
        ),
        "hand-over",
    )


def hand_overs_waiting_for(user: Any) -> QuerySet[HandOver]:
    """Pending hand-overs to the user's unit (or store), for the receiver to decide."""
    staff = staff_of(user)
    if staff is None:
        return HandOver.objects.none()
    pending = HandOver.objects.filter(status=HandOver.Status.PENDING).select_related(
        "order", "from_unit", "to_unit"
    )
    if staff.store_id is not None:
        return pending.filter(Q(to_store_id=staff.store_id) | Q(to_staff=staff))
    return pending.filter(Q(to_unit__path__startswith=staff.unit.path) | Q(to_staff=staff))


def revisits_due(*, user: Any) -> QuerySet[Revisit]:
    """Revisits not yet recorded on orders in scope, earliest due first."""
    return (
        Revisit.objects.filter(
            outcome="", order__status=Status.RESOLVED, order__in=work_orders_visible_to(user)
        )
        .select_related("order", "order__customer")
        .order_by("due_at")
    )


def canned_replies_for(*, order: WorkOrder, actor: Any) -> list[dict[str, Any]]:
    """Active canned replies in the order's language (its category's first), filled in."""
    replies = CannedReply.objects.filter(active=True, language=order.notice_language).filter(
        Q(category__isnull=True) | Q(category=order.category)
    )
    staff = staff_of(actor)
    values = notices.order_context(order, order.notice_language) | {
        "agent_name": staff.name if staff else "",
    }
    return [
        {"id": r.pk, "title": r.title, "text": canned_reply_fill(r.body, values)}
        for r in sorted(replies, key=lambda r: (r.category_id is None, r.title))
    ]


def canned_reply_fill(body: str, values: dict[str, Any]) -> str:
    """``{{ name }}`` → value; unknown names stay as they are, for the agent to see."""
    return _VARIABLE.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)


def satisfaction_by(*, user: Any, by: str) -> list[dict[str, Any]]:
    """Survey results per ``agent`` or ``team`` over orders in scope."""
    key = {"agent": "agent__name", "team": "team__name"}[by]
    rows = (
        Survey.objects.filter(responded_at__isnull=False, order__in=work_orders_visible_to(user))
        .values(key)
        .annotate(answers=Count("pk"), csat=Avg("csat"), solved=Count("pk", filter=Q(solved=True)))
        .order_by(key)
    )
    return [dict(row) for row in rows]


def reopens_against_owner(*, user: Any) -> list[dict[str, Any]]:
    """Revisits that found the problem still there, per owner unit at resolution time."""
    rows = (
        Revisit.objects.filter(
            outcome=Revisit.Outcome.NOT_SOLVED, order__in=work_orders_visible_to(user)
        )
        .values("owner_unit__name")
        .annotate(count=Count("pk"))
        .order_by("-count")
    )
    return [dict(row) for row in rows]


def customer_work_orders(*, user: Any, customer_id: int, limit: int = 10) -> dict[str, Any]:
    """The customer's complaints for their 360: how many are open, and the latest (open
    ones first) with a link to each the reader may open. The customer is already in the
    reader's scope; an order owned elsewhere shows its summary without the link."""
    orders = WorkOrder.objects.filter(customer_id=customer_id)
    latest = list(
        orders.select_related("category", "customer", "owner_unit", "owner_staff")
        .annotate(
            open_rank=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("open_rank", "-received_at", "-id")[:limit]
    )
    visible = ids_within(work_orders_visible_to(user), [o.pk for o in latest])
    open_count = sum(1 for o in latest if o.status in OPEN_STATUSES)
    if open_count == limit:  # open ones come first: there may be more than the page shows
        open_count = orders.filter(status__in=OPEN_STATUSES).count()
    now = timezone.now()
    items = []
    for order in latest:
        item = order_item(order, now)
        item["url"] = reverse("complaints:order", args=[order.pk]) if order.pk in visible else None
        items.append(item)
    return {"open": open_count, "items": items}
