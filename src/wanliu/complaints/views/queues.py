"""My queue, team queue, tasks for my unit, hand-overs to accept, revisits due; search."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from wanliu.complaints import selectors
from wanliu.complaints.checks import EDIT_PERMISSION, calendars_missing_holidays
from wanliu.complaints.models import InternalTask, Status
from wanliu.complaints.permissions import can_take_complaint, staff_of
from wanliu.complaints.presenters import order_item, task_item

QUEUES = ("mine", "team", "tasks", "all")


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """A queue of open orders, overdue first; the search box filters it as you type."""
    name = request.GET.get("queue", "mine")
    if name not in QUEUES:
        name = "mine"
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "open")
    if status != "open" and status not in Status.values:
        status = "open"
    now = timezone.now()
    orders = selectors.work_order_list(
        user=request.user, q=q, status=status, queue="" if name == "all" else name, now=now
    )
    page = Paginator(orders, 25).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "queue": name,
        "q": q,
        "status": status,
        "statuses": Status.choices,
        "page": page,
        "rows": [order_item(o, now) for o in page],
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "complaints/_orders.html", context)
    staff = staff_of(request.user)
    tasks = []
    if staff is not None:
        tasks = [
            task_item(t, now)
            for t in InternalTask.objects.filter(
                order__in=selectors.work_orders_visible_to(request.user),
                assignee_unit__path__startswith=staff.unit.path,
                status__in=[InternalTask.Status.OPEN, InternalTask.Status.IN_PROGRESS],
            )
            .select_related("order", "assignee_unit", "assignee_staff")
            .order_by("due_at")[:50]
        ]
    context |= {
        "can_take": can_take_complaint(request.user),
        # whoever may edit calendars is told when one in use lacks a year's holidays
        "calendar_warnings": [m.message for m in calendars_missing_holidays()]
        if request.user.has_perm(EDIT_PERMISSION)
        else [],
        "tasks": tasks,
        "hand_overs": selectors.hand_overs_waiting_for(request.user)[:50],
        "revisits": selectors.revisits_due(user=request.user)[:50],
    }
    return render(request, "complaints/queue.html", context)
