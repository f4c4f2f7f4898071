"""Campaign API, mounted at /api/v1/scoring/: proactive campaigns (create, target, launch,
close, targets, report), outreach tasks and their contact attempts, the uplift models.

Campaigns and tasks outside the caller's scope answer 404; in scope but not the caller's
to manage or work, 403; refusals of the business rules 400 (bad input, with the field) or
409 (an illegal status move, a contact the policy refuses)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from wanliu.org.models import OrgUnit
from wanliu.retention.models import RetentionOffer
from wanliu.scoring.campaigns.access import (
    campaign_get_for,
    can_view_campaigns,
    outreach_task_get_for,
)
from wanliu.scoring.campaigns.errors import CampaignError
from wanliu.scoring.campaigns.presenters import campaign_out, target_out, task_out
from wanliu.scoring.campaigns.schemas import (
    AttemptIn,
    CampaignErrorOut,
    CampaignIn,
    CampaignOut,
    ReportOut,
    TargetIn,
    TargetOut,
    TaskOut,
    UpliftModelOut,
)
from wanliu.scoring.campaigns.selectors import (
    campaign_list,
    campaign_report,
    campaign_targets,
    outreach_attempts,
    outreach_task_list,
    report_as_json,
    uplift_models_list,
)
from wanliu.scoring.campaigns.services import (
    campaign_close,
    campaign_create,
    campaign_launch,
    campaign_targeting_request,
    campaign_targets_discard,
    outreach_attempt_record,
)
from wanliu.scoring.models import Campaign

router = Router(tags=["scoring: campaigns"])
F = TypeVar("F", bound=Callable[..., Any])
ERRORS: dict[int, type[Schema]] = {
    400: CampaignErrorOut,
    403: CampaignErrorOut,
    404: CampaignErrorOut,
    409: CampaignErrorOut,
}


def campaign_errors(view: F) -> F:
    """Refusals of the services become 400, 403 or 409 with the message and the field."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except CampaignError as exc:
            return Status(exc.http_status, {"detail": exc.message, "field": exc.field})

    return wrapper  # type: ignore[return-value]


def _offers(codes: list[str]) -> list[RetentionOffer]:
    found = {o.code: o for o in RetentionOffer.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise CampaignError(f"unknown offer code(s): {', '.join(unknown)}", field="offers")
    return [found[code] for code in dict.fromkeys(codes)]


def _unit(unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise CampaignError(f"unknown unit {unit_id}", field="unit_id")
    return unit


class CampaignFilters(Schema):
    status: str = Field("", description="draft, targeted, running, closed; empty: all")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


@router.get("/campaigns", response=list[CampaignOut], summary="Campaigns the caller may see")
def campaigns_list(request: HttpRequest, filters: Query[CampaignFilters]) -> list[dict[str, Any]]:
    campaigns = campaign_list(user=request.user, status=filters.status)
    return [campaign_out(c) for c in campaigns[filters.offset : filters.offset + filters.limit]]


@router.post(
    "/campaigns",
    response={201: CampaignOut, **ERRORS},
    summary="Create a draft campaign (analysts and administrators)",
)
@campaign_errors
def campaigns_create(request: HttpRequest, payload: CampaignIn) -> Any:
    """403 for roles that do not manage campaigns (e.g. agents); 400 naming the field for an
    unknown offer or unit, an end before the start, a share or budget out of range."""
    campaign = campaign_create(
        actor=request.user,
        name=payload.name,
        offers=_offers(payload.offers),
        budget=payload.budget,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        unit=_unit(payload.unit_id),
        control_share=payload.control_share,
        contact_cost=payload.contact_cost,
        channel=payload.channel,
        seed=payload.seed,
    )
    return Status(201, campaign_out(campaign))


@router.get(
    "/campaigns/{campaign_id}",
    response={200: CampaignOut, 404: CampaignErrorOut},
    summary="One campaign",
)
def campaigns_detail(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    return campaign_out(campaign_get_for(request.user, campaign_id))


@router.post(
    "/campaigns/{campaign_id}/target",
    response={202: CampaignOut, **ERRORS},
    summary="Queue the targeting of a draft campaign (the worker does it)",
)
@campaign_errors
def campaigns_target(request: HttpRequest, campaign_id: int, payload: TargetIn) -> Any:
    """Targets are ranked by expected incremental value (uplift x remaining value - offer
    and contact costs), never by risk, and taken while they fit in the budget; a random
    control group of the campaign's share is kept aside. The campaign becomes ``targeted``
    when the worker is done (or shows ``targeting_error``)."""
    campaign = campaign_get_for(request.user, campaign_id)
    campaign = campaign_targeting_request(
        campaign=campaign, actor=request.user, model=payload.model
    )
    return Status(202, campaign_out(campaign))


def _move(
    request: HttpRequest, campaign_id: int, service: Callable[..., Campaign]
) -> dict[str, Any]:
    campaign = campaign_get_for(request.user, campaign_id)
    return campaign_out(service(campaign=campaign, actor=request.user))


@router.post(
    "/campaigns/{campaign_id}/discard-targets",
    response={200: CampaignOut, **ERRORS},
    summary="Targeted → draft: discard the targets",
)
@campaign_errors
def campaigns_discard(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    return _move(request, campaign_id, campaign_targets_discard)


@router.post(
    "/campaigns/{campaign_id}/launch",
    response={200: CampaignOut, **ERRORS},
    summary="Targeted → running: outreach tasks for the treated (never the control group)",
)
@campaign_errors
def campaigns_launch(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    return _move(request, campaign_id, campaign_launch)


@router.post(
    "/campaigns/{campaign_id}/close",
    response={200: CampaignOut, **ERRORS},
    summary="Running → closed: record every target's outcome and keep the report",
)
@campaign_errors
def campaigns_close(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    return _move(request, campaign_id, campaign_close)


class TargetFilters(Schema):
    arm: str = Field("", description="treatment or control; empty: both")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


@router.get(
    "/campaigns/{campaign_id}/targets",
    response={200: list[TargetOut], 404: CampaignErrorOut},
    summary="The campaign's targets in rank order, with arm, offer, uplift and value",
)
def campaigns_targets(
    request: HttpRequest, campaign_id: int, filters: Query[TargetFilters]
) -> list[dict[str, Any]]:
    campaign = campaign_get_for(request.user, campaign_id)
    targets = campaign_targets(campaign=campaign, arm=filters.arm)
    return [target_out(t) for t in targets[filters.offset : filters.offset + filters.limit]]


@router.get(
    "/campaigns/{campaign_id}/report",
    response={200: ReportOut, 404: CampaignErrorOut},
    summary="Incremental retention against the control group, with a 95% interval",
)
def campaigns_report(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Retention of the treated minus that of the control group (Newcombe's hybrid score
    interval), per offer too; value saved = that difference x the remaining value of the
    treated; spending on contacts and accepted offers. Outcomes so far while running."""
    campaign = campaign_get_for(request.user, campaign_id)
    return report_as_json(campaign_report(campaign))


class TaskFilters(Schema):
    status: str = Field("open", description="a task status; empty: all")
    campaign: int | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


@router.get(
    "/outreach/tasks", response=list[TaskOut], summary="Outreach tasks of the caller's queue"
)
def tasks_list(request: HttpRequest, filters: Query[TaskFilters]) -> list[dict[str, Any]]:
    tasks = outreach_task_list(
        user=request.user, status=filters.status, campaign_id=filters.campaign
    )
    return [task_out(t) for t in tasks[filters.offset : filters.offset + filters.limit]]


@router.get(
    "/outreach/tasks/{task_id}",
    response={200: TaskOut, 404: CampaignErrorOut},
    summary="One outreach task with its attempts",
)
def tasks_detail(request: HttpRequest, task_id: int) -> dict[str, Any]:
    task = outreach_task_get_for(request.user, task_id)
    return task_out(task, attempts=list(outreach_attempts(task=task)))


@router.post(
    "/outreach/tasks/{task_id}/attempts",
    response={201: TaskOut, **ERRORS},
    summary="Record a contact attempt (within the contact policy)",
)
@campaign_errors
def tasks_attempt(request: HttpRequest, task_id: int, payload: AttemptIn) -> Any:
    """409 when the policy refuses it: more attempts than the campaign allows, quiet hours
    (Asia/Shanghai), a customer who opted out, outside the campaign's dates, a closed task
    or campaign."""
    task = outreach_task_get_for(request.user, task_id)
    outreach_attempt_record(
        task=task, actor=request.user, result=payload.result, note=payload.note, at=payload.at
    )
    task = outreach_task_get_for(request.user, task_id)
    return Status(201, task_out(task, attempts=list(outreach_attempts(task=task))))


@router.get(
    "/uplift-models", response=list[UpliftModelOut], summary="Uplift models in the models roots"
)
def uplift_models(request: HttpRequest) -> list[dict[str, Any]]:
    if not can_view_campaigns(request.user):
        return []
    return [entry.as_dict() for entry in uplift_models_list()]
