"""The order page and its actions (plain forms that post and come back to the page)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wanliu.complaints import selectors
from wanliu.complaints.models import (
    ALLOWED_TRANSITIONS,
    Category,
    Channel,
    OrderMessage,
    Priority,
    Revisit,
    Status,
    WorkOrder,
)
from wanliu.complaints.permissions import (
    can_act_as_owner,
    can_decide_hand_over,
    can_revisit,
    can_take_complaint,
    can_work_complaints,
    can_work_task,
    staff_of,
)
from wanliu.complaints.presenters import order_detail
from wanliu.complaints.services import dispatch, followup, handover, orders, workflow
from wanliu.complaints.services.errors import ComplaintError
from wanliu.customers.models import Line
from wanliu.customers.presenters import customer_360_data
from wanliu.customers.selectors import customer_360, customer_get_for, customer_list
from wanliu.org.models import OrgUnit, Staff

CALLER_RESULTS = 20


def _owner_order(request: HttpRequest, order_id: int) -> WorkOrder:
    order = selectors.work_order_get_for(request.user, order_id)
    if not can_work_complaints(request.user):
        raise PermissionDenied(_("Your role does not work complaints: you may read them only."))
    if not can_act_as_owner(request.user, order):
        raise PermissionDenied(_("Only the owner unit of this order may do this."))
    return order


def _attempt(
    request: HttpRequest, order_id: int, action: Callable[[], Any], done: str
) -> HttpResponse:
    """Run one service call; show its error instead of failing the page."""
    try:
        action()
    except ComplaintError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("complaints:order", order_id=order_id)


def _when(text: str) -> datetime | None:
    value = parse_datetime(text) if text else None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@login_required
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.work_order_get_for(request.user, order_id)
    try:
        view = customer_360(user=request.user, customer_id=order.customer_id)
        customer = customer_360_data(view)
    except Http404:
        customer = None  # a task unit may see the order without seeing the whole customer
    owner_side = can_act_as_owner(request.user, order)
    staff = staff_of(request.user)
    return render(
        request,
        "complaints/order.html",
        {
            "order": order,
            "data": order_detail(order),
            "customer": customer,
            "owner_side": owner_side,
            "next_statuses": [
                (s, Status(s).label)
                for s in sorted(ALLOWED_TRANSITIONS[order.status])
                if s != Status.MERGED
            ],
            "message_kinds": OrderMessage.Kind.choices,
            "units": OrgUnit.objects.select_related("region").order_by("path")
            if owner_side
            else [],
            "colleagues": selectors.complaint_workers_under(order.owner_unit) if owner_side else [],
            "canned": selectors.canned_replies_for(order=order, actor=request.user)
            if owner_side
            else [],
            "can_revisit": can_revisit(request.user, order) and order.status == Status.RESOLVED,
            "my_tasks": [t for t in order.tasks.all() if can_work_task(request.user, t)],
            "my_hand_overs": [
                h
                for h in order.hand_overs.filter(status="pending")
                if can_decide_hand_over(request.user, h)
            ],
            "staff": staff,
        },
    )


@login_required
def order_caller(request: HttpRequest) -> HttpResponse:
    """Take a call: find the caller by number, customer number or name, then register.

    A number search lists the matching lines with their home region (归属地), so the agent
    sees at once that a roaming caller belongs to another region's centre, and still
    registers the complaint here: the taking centre owns it.
    """
    if not can_take_complaint(request.user):
        raise PermissionDenied(_("Your role does not take complaints."))
    q = request.GET.get("q", "").strip()
    customers = list(customer_list(user=request.user, q=q)[:CALLER_RESULTS]) if q else []
    lines: dict[int, list[Line]] = {}
    if customers:
        found = Line.objects.filter(account__customer__in=customers).select_related(
            "home_region", "account"
        )
        if q.isdigit():
            found = found.filter(number__startswith=q)
        for line in found.order_by("number"):
            lines.setdefault(line.account.customer_id, []).append(line)
    template = "complaints/_callers.html" if request.htmx else "complaints/caller.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {"q": q, "callers": [(c, lines.get(c.pk, [])) for c in customers]},
    )


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    if not can_take_complaint(request.user):
        raise PermissionDenied(_("Your role does not take complaints."))
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if not (customer_id or "").isdigit():
        raise Http404("choose a customer first")
    customer = customer_get_for(user=request.user, customer_id=int(customer_id or 0))
    lines = list(
        Line.objects.filter(account__customer=customer)
        .select_related("home_region")
        .order_by("number")
    )
    chosen_line = request.POST.get("line") or request.GET.get("line") or ""
    error = ""
    if request.method == "POST":
        category = Category.objects.filter(code=request.POST.get("category", "")).first()
        line = next((ln for ln in lines if str(ln.pk) == chosen_line), None)
        try:
            if category is None:
                raise ComplaintError(_("Choose a category."))
            if chosen_line and line is None:
                raise ComplaintError(_("The line does not belong to this customer."))
            order = orders.work_order_create(
                actor=request.user,
                customer=customer,
                channel=request.POST.get("channel", ""),
                category=category,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                priority=request.POST.get("priority", Priority.NORMAL),
                line=line,
                contact_phone=request.POST.get("contact_phone", "").strip(),
                contact_email=request.POST.get("contact_email", "").strip(),
                notice_language=request.POST.get("notice_language", "zh-hans"),
            )
        except ComplaintError as exc:
            error = str(exc)
        else:
            messages.success(
                request, _("Complaint registered; the customer was told the deadline.")
            )
            return redirect("complaints:order", order_id=order.pk)
    staff = staff_of(request.user)
    return render(
        request,
        "complaints/new.html",
        {
            "customer": customer,
            "lines": lines,
            "chosen_line": chosen_line,
            "my_region_id": staff.unit.region_id if staff is not None else None,
            "categories": Category.objects.filter(active=True).select_related("parent"),
            "channels": Channel.choices,
            "priorities": Priority.choices,
            "error": error,
            "form": request.POST,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def order_transition(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _owner_order(request, order_id)
    return _attempt(
        request,
        order_id,
        lambda: workflow.work_order_transition(
            order=order,
            to_status=request.POST.get("to_status", ""),
            actor=request.user,
            note=request.POST.get("note", ""),
            resolution=request.POST.get("resolution", ""),
        ),
        _("Status changed."),
    )


@login_required
@require_POST
def order_message(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _owner_order(request, order_id)
    return _attempt(
        request,
        order_id,
        lambda: orders.work_order_message_add(
            order=order,
            kind=request.POST.get("kind", ""),
            body=request.POST.get("body", ""),
            actor=request.user,
        ),
        _("Saved."),
    )


@login_required
@require_POST
def order_assign(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _owner_order(request, order_id)
    staff = Staff.objects.filter(pk=request.POST.get("staff_id") or 0).first()
    if staff is None:
        messages.error(request, _("Choose a colleague."))
        return redirect("complaints:order", order_id=order_id)
    return _attempt(
        request,
        order_id,
        lambda: orders.work_order_assign(order=order, staff=staff, actor=request.user),
        _("Assigned."),
    )


@login_required
@require_POST
def order_task(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _owner_order(request, order_id)
    unit = OrgUnit.objects.filter(pk=request.POST.get("unit_id") or 0).first()
    due_at = _when(request.POST.get("due_at", ""))
    if unit is None or due_at is None:
        messages.error(request, _("Choose a unit and a due time."))
        return redirect("complaints:order", order_id=order_id)
    return _attempt(
        request,
        order_id,
        lambda: dispatch.internal_task_dispatch(
            order=order,
            assignee_unit=unit,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            due_at=due_at,
            actor=request.user,
        ),
        _("Task dispatched."),
    )


@login_required
@require_POST
def task_update(request: HttpRequest, task_id: int) -> HttpResponse:
    task = selectors.task_get_for(request.user, task_id)
    if not can_work_task(request.user, task):
        raise PermissionDenied(_("Only the assigned unit works this task."))
    return _attempt(
        request,
        task.order_id,
        lambda: dispatch.internal_task_update(
            task=task,
            status=request.POST.get("status", ""),
            result=request.POST.get("result", ""),
            actor=request.user,
        ),
        _("Task updated."),
    )


@login_required
@require_POST
def order_hand_over(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _owner_order(request, order_id)
    unit = OrgUnit.objects.filter(pk=request.POST.get("unit_id") or 0).first()
    if unit is None:
        messages.error(request, _("Choose the receiving unit."))
        return redirect("complaints:order", order_id=order_id)
    return _attempt(
        request,
        order_id,
        lambda: handover.hand_over_request(
            order=order, to_unit=unit, reason=request.POST.get("reason", ""), actor=request.user
        ),
        _("Hand-over requested; the receiving unit must accept it."),
    )


@login_required
@require_POST
def hand_over_decide(request: HttpRequest, hand_over_id: int, decision: str) -> HttpResponse:
    if decision not in ("accept", "decline"):
        raise Http404("unknown decision")
    hand_over = selectors.hand_over_get_for(request.user, hand_over_id)
    if not can_decide_hand_over(request.user, hand_over):
        raise PermissionDenied(_("Only the receiving unit decides."))
    note = request.POST.get("note", "")
    if decision == "accept":
        action: Callable[[], Any] = lambda: handover.hand_over_accept(  # noqa: E731
            hand_over=hand_over, actor=request.user, note=note
        )
    else:
        action = lambda: handover.hand_over_decline(  # noqa: E731
            hand_over=hand_over, actor=request.user, note=note
        )
    return _attempt(request, hand_over.order_id, action, _("Done."))


@login_required
@require_POST
def order_attachment(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _owner_order(request, order_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("complaints:order", order_id=order_id)
    return _attempt(
        request,
        order_id,
        lambda: orders.work_order_attachment_add(order=order, upload=upload, actor=request.user),
        _("File attached."),
    )


@login_required
@require_POST
def order_merge(request: HttpRequest, order_id: int) -> HttpResponse:
    duplicate = _owner_order(request, order_id)
    into_no = request.POST.get("into_order_no", "").strip()
    into = selectors.work_orders_visible_to(request.user).filter(order_no=into_no).first()
    if into is None or not can_act_as_owner(request.user, into):
        messages.error(request, _("No open order of yours has that number."))
        return redirect("complaints:order", order_id=order_id)
    return _attempt(
        request,
        order_id,
        lambda: orders.work_order_merge(duplicate=duplicate, into=into, actor=request.user),
        _("Merged."),
    )


@login_required
@require_POST
def order_revisit(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.work_order_get_for(request.user, order_id)
    if not can_revisit(request.user, order):
        raise PermissionDenied(_("Your role does not do revisits of this order."))
    revisit = Revisit.objects.filter(order=order, cycle=order.reopen_count, outcome="").first()
    if revisit is None:
        messages.error(request, _("No revisit is waiting on this order."))
        return redirect("complaints:order", order_id=order_id)
    return _attempt(
        request,
        order_id,
        lambda: followup.revisit_record(
            revisit=revisit,
            outcome=request.POST.get("outcome", ""),
            notes=request.POST.get("notes", ""),
            actor=request.user,
        ),
        _("Revisit recorded."),
    )


@login_required
def canned_reply(request: HttpRequest, order_id: int) -> HttpResponse:
    """HTMX: the chosen canned reply, filled in, as the message box's new content."""
    order = _owner_order(request, order_id)
    wanted = request.GET.get("reply", "")
    replies = selectors.canned_replies_for(order=order, actor=request.user)
    text = next((r["text"] for r in replies if str(r["id"]) == wanted), "")
    return render(request, "complaints/_message_box.html", {"text": text})
