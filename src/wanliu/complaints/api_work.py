"""Complaints API, second part: internal tasks, hand-overs, revisits and the public
satisfaction survey (no login: a signed single-use token)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from wanliu.complaints import selectors
from wanliu.complaints.api_support import ensure, get_or_400, service_errors
from wanliu.complaints.models import InternalTask, Revisit
from wanliu.complaints.permissions import (
    can_act_as_owner,
    can_decide_hand_over,
    can_revisit,
    can_work_task,
)
from wanliu.complaints.presenters import hand_over_item, task_item
from wanliu.complaints.schemas import (
    DecisionIn,
    ErrorOut,
    HandOverIn,
    HandOverOut,
    RevisitIn,
    SurveyIn,
    SurveyOut,
    TaskIn,
    TaskOut,
    TaskUpdateIn,
)
from wanliu.complaints.services.dispatch import internal_task_dispatch, internal_task_update
from wanliu.complaints.services.followup import (
    SurveyAlreadyAnswered,
    SurveyTokenInvalid,
    revisit_record,
    survey_answer,
    survey_for_token,
)
from wanliu.complaints.services.handover import (
    hand_over_accept,
    hand_over_decline,
    hand_over_request,
)
from wanliu.org.models import OrgUnit, Staff, Store

router = Router(tags=["complaints"])
ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


@router.post(
    "/orders/{order_id}/tasks",
    response={201: TaskOut, **ERRORS},
    summary="Dispatch an internal task to another unit",
)
def tasks_dispatch(request: HttpRequest, order_id: int, payload: TaskIn) -> Any:
    """The owner keeps the order; the unit works the task and reports back."""
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(
            request.user,
            can_act_as_owner(request.user, order),
            _("Only the owner unit dispatches tasks."),
        )
        unit = get_or_400(OrgUnit, _("Unknown unit."), pk=payload.assignee_unit_id)
        staff = None
        if payload.assignee_staff_id is not None:
            staff = get_or_400(Staff, _("Unknown staff member."), pk=payload.assignee_staff_id)
        task = internal_task_dispatch(
            order=order,
            assignee_unit=unit,
            assignee_staff=staff,
            title=payload.title,
            description=payload.description,
            due_at=payload.due_at,
            actor=request.user,
        )
        return Status(201, task_item(task))


@router.get("/tasks", response=list[TaskOut], summary="Open tasks for my unit")
def tasks_list(request: HttpRequest) -> list[dict[str, Any]]:
    staff = getattr(request.user, "staff", None)
    if staff is None:
        return []
    orders = selectors.work_orders_visible_to(request.user)
    now = timezone.now()
    tasks = (
        InternalTask.objects.filter(
            order__in=orders,
            assignee_unit__path__startswith=staff.unit.path,
            status__in=[InternalTask.Status.OPEN, InternalTask.Status.IN_PROGRESS],
        )
        .select_related("order", "assignee_unit", "assignee_staff")
        .order_by("due_at")
    )
    return [task_item(t, now) for t in tasks]


@router.post(
    "/tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="Update a task (its unit)"
)
def tasks_update(request: HttpRequest, task_id: int, payload: TaskUpdateIn) -> dict[str, Any]:
    """open → in_progress → done, or returned to the owner; done and returned need a
    ``result``, which the owner sees on the order."""
    with service_errors():
        task = selectors.task_get_for(request.user, task_id)
        ensure(
            request.user,
            can_work_task(request.user, task),
            _("Only the assigned unit works this task."),
        )
        internal_task_update(
            task=task, status=payload.status, result=payload.result, actor=request.user
        )
        return task_item(task)


@router.post(
    "/orders/{order_id}/hand-overs",
    response={201: HandOverOut, **ERRORS},
    summary="Ask another unit to take over the order",
)
def hand_overs_request(request: HttpRequest, order_id: int, payload: HandOverIn) -> Any:
    """Nothing changes until the receiving unit accepts."""
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(
            request.user,
            can_act_as_owner(request.user, order),
            _("Only the owner unit hands the order over."),
        )
        unit = get_or_400(OrgUnit, _("Unknown unit."), pk=payload.to_unit_id)
        store = (
            get_or_400(Store, _("Unknown store."), pk=payload.to_store_id)
            if payload.to_store_id
            else None
        )
        staff = (
            get_or_400(Staff, _("Unknown staff member."), pk=payload.to_staff_id)
            if payload.to_staff_id
            else None
        )
        hand_over = hand_over_request(
            order=order,
            to_unit=unit,
            to_store=store,
            to_staff=staff,
            reason=payload.reason,
            actor=request.user,
        )
        return Status(201, hand_over_item(hand_over))


@router.post(
    "/hand-overs/{hand_over_id}/accept",
    response={200: HandOverOut, **ERRORS},
    summary="Accept a hand-over (receiving unit)",
)
def hand_overs_accept(
    request: HttpRequest, hand_over_id: int, payload: DecisionIn
) -> dict[str, Any]:
    with service_errors():
        hand_over = selectors.hand_over_get_for(request.user, hand_over_id)
        ensure(
            request.user,
            can_decide_hand_over(request.user, hand_over),
            _("Only the receiving unit decides."),
        )
        return hand_over_item(
            hand_over_accept(hand_over=hand_over, actor=request.user, note=payload.note)
        )


@router.post(
    "/hand-overs/{hand_over_id}/decline",
    response={200: HandOverOut, **ERRORS},
    summary="Decline a hand-over (receiving unit)",
)
def hand_overs_decline(
    request: HttpRequest, hand_over_id: int, payload: DecisionIn
) -> dict[str, Any]:
    with service_errors():
        hand_over = selectors.hand_over_get_for(request.user, hand_over_id)
        ensure(
            request.user,
            can_decide_hand_over(request.user, hand_over),
            _("Only the receiving unit decides."),
        )
        return hand_over_item(
            hand_over_decline(hand_over=hand_over, actor=request.user, note=payload.note)
        )


@router.post(
    "/orders/{order_id}/revisit",
    response={200: dict, **ERRORS},
    summary="Record the revisit (回访) outcome",
)
def revisits_record(request: HttpRequest, order_id: int, payload: RevisitIn) -> dict[str, Any]:
    """``solved`` closes the order; ``not_solved`` reopens it and counts against the owner."""
    with service_errors():
        order = selectors.work_order_get_for(request.user, order_id)
        ensure(
            request.user,
            can_revisit(request.user, order),
            _("Your role does not do revisits of this order."),
        )
        revisit = Revisit.objects.filter(order=order, cycle=order.reopen_count, outcome="").first()
        if revisit is None:
            raise HttpError(409, _("No revisit is waiting on this order."))
        revisit = revisit_record(
            revisit=revisit, outcome=payload.outcome, notes=payload.notes, actor=request.user
        )
        order.refresh_from_db()
        return {"revisit_id": revisit.pk, "outcome": revisit.outcome, "order_status": order.status}


@router.get(
    "/survey/{token}",
    auth=None,
    response={200: SurveyOut, 404: ErrorOut},
    summary="A survey by its link (public)",
)
def survey_show(request: HttpRequest, token: str) -> Any:
    try:
        survey = survey_for_token(token=token)
    except SurveyTokenInvalid as exc:
        return Status(404, {"detail": str(exc)})
    return {
        "order_no": survey.order.order_no or "",
        "title": survey.order.title,
        "expires_at": survey.expires_at,
        "answered": survey.responded_at is not None,
    }


@router.post(
    "/survey/{token}",
    auth=None,
    response={201: dict, 404: ErrorOut, 409: ErrorOut, 400: ErrorOut},
    summary="Answer a survey (public, once)",
)
def survey_submit(request: HttpRequest, token: str, payload: SurveyIn) -> Any:
    try:
        survey = survey_answer(
            token=token, csat=payload.csat, solved=payload.solved, comment=payload.comment
        )
    except SurveyTokenInvalid as exc:
        return Status(404, {"detail": str(exc)})
    except SurveyAlreadyAnswered as exc:
        return Status(409, {"detail": str(exc)})
    return Status(201, {"thanks": True, "csat": survey.csat})


class ReportParams(Schema):
    by: str = Field("team", pattern="^(agent|team)$")


@router.get(
    "/reports/satisfaction", response=list[dict], summary="Survey results per agent or team"
)
def reports_satisfaction(request: HttpRequest, params: Query[ReportParams]) -> list[dict[str, Any]]:
    """Answered surveys of orders in scope: count, average CSAT (1-5), answers 'solved'."""
    return selectors.satisfaction_by(user=request.user, by=params.by)


@router.get("/reports/reopens", response=list[dict], summary="Revisits not solved, per owner unit")
def reports_reopens(request: HttpRequest) -> list[dict[str, Any]]:
    """Orders whose revisit found the problem still there count against the unit that
    owned them at resolution."""
    return selectors.reopens_against_owner(user=request.user)
