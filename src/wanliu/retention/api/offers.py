"""The offer ladder: catalogue, eligible offers, grants and level-2 approvals."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from wanliu.retention.access import (
    can_approve,
    can_grant,
    can_work,
    cancellation_request_get_for,
    offer_grant_get_for,
)
from wanliu.retention.api.support import ERRORS, offer_by_code, service_errors
from wanliu.retention.models import OfferLevel, RetentionOffer
from wanliu.retention.presenters import grant_out, money, offer_out
from wanliu.retention.schemas.desk import (
    ApprovalDecisionIn,
    EligibleOfferOut,
    OfferGrantIn,
    OfferGrantOut,
    RetentionOfferOut,
)
from wanliu.retention.selectors import approvals_pending, budget_left, offers_eligible
from wanliu.retention.services import (
    NotAllowed,
    grant_cost,
    offer_approval_decide,
    offer_approval_request,
    offer_grant,
)

router = Router(tags=["retention"])


@router.get("/offers", response=list[RetentionOfferOut], summary="The offer ladder (catalogue)")
def offers_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Active retention offers with level, terms, eligibility and monthly budget per store."""
    return [
        offer_out(o) for o in RetentionOffer.objects.filter(active=True).order_by("level", "code")
    ]


@router.get(
    "/requests/{request_id}/offers",
    response={200: list[EligibleOfferOut], 404: ERRORS[404]},
    summary="Offers this customer is eligible for, priced for them",
)
def requests_offers(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    """With the new monthly fee and concession (from the current fee of step 2), the budget
    left at the handling store this month, and whether the caller may grant it at once."""
    req = cancellation_request_get_for(request.user, request_id)
    month = timezone.localdate()
    out = []
    for offer in offers_eligible(request=req):
        new_fee = cost = None
        if req.current_monthly_fee is not None:
            new_fee, cost = grant_cost(offer=offer, monthly_fee=req.current_monthly_fee)
        out.append(
            {
                **offer_out(offer),
                "new_monthly_fee": money(new_fee),
                "cost": money(cost),
                "budget_left": money(budget_left(offer=offer, store=req.store, month=month)),
                "can_grant": can_grant(request.user, req, level=offer.level),
                "needs_approval": offer.level == OfferLevel.LEVEL_2
                and not can_approve(request.user, req),
            }
        )
    return out


@router.post(
    "/requests/{request_id}/grants",
    response={201: OfferGrantOut, **ERRORS},
    summary="Grant an offer now (level 1; level 2 only by a branch manager of the branch)",
)
@service_errors
def requests_grant(
    request: HttpRequest, request_id: int, payload: OfferGrantIn
) -> Status[dict[str, Any]]:
    """A clerk granting a level-2 offer gets 403: ask for approval with ``/approvals``.
    An exhausted store budget answers 409."""
    req = cancellation_request_get_for(request.user, request_id)
    grant = offer_grant(
        request=req, offer=offer_by_code(payload.offer_code), actor=request.user, note=payload.note
    )
    return Status(201, grant_out(grant))


@router.post(
    "/requests/{request_id}/approvals",
    response={201: OfferGrantOut, **ERRORS},
    summary="Ask the branch to approve a level-2 offer",
)
@service_errors
def requests_approval(
    request: HttpRequest, request_id: int, payload: OfferGrantIn
) -> Status[dict[str, Any]]:
    """The grant waits in the approval queue of the branch's managers (notified) until it is
    approved, rejected or expires (policy hours). ``note`` (why) is required."""
    req = cancellation_request_get_for(request.user, request_id)
    if not can_work(request.user, req):
        raise NotAllowed(_("You may not work on this request."))
    grant = offer_approval_request(
        request=req, offer=offer_by_code(payload.offer_code), actor=request.user, note=payload.note
    )
    return Status(201, grant_out(grant))


@router.get("/approvals", response=list[OfferGrantOut], summary="My approval queue")
def approvals_list(
    request: HttpRequest, store_id: int | None = None, offer_code: str = "", q: str = ""
) -> list[dict[str, Any]]:
    """Level-2 grants waiting for the caller, oldest first: requests of their branch (or the
    units below the caller's unit); empty for roles that do not approve. ``store_id``,
    ``offer_code``: only that store's requests or that offer; ``q``: request numbers or
    customer names starting with it."""
    return [
        grant_out(g)
        for g in approvals_pending(user=request.user, store_id=store_id, offer_code=offer_code, q=q)
    ]


@router.post(
    "/approvals/{grant_id}/approve",
    response={200: OfferGrantOut, **ERRORS},
    summary="Approve a level-2 offer",
)
@service_errors
def approvals_approve(
    request: HttpRequest, grant_id: int, payload: ApprovalDecisionIn
) -> dict[str, Any]:
    """Only a branch manager (or above) of the request's own branch (403 otherwise); an
    expired or already decided approval answers 409."""
    grant = offer_grant_get_for(request.user, grant_id)
    return grant_out(
        offer_approval_decide(grant=grant, actor=request.user, approve=True, note=payload.note)
    )


@router.post(
    "/approvals/{grant_id}/reject",
    response={200: OfferGrantOut, **ERRORS},
    summary="Reject a level-2 offer",
)
@service_errors
def approvals_reject(
    request: HttpRequest, grant_id: int, payload: ApprovalDecisionIn
) -> dict[str, Any]:
    """``note`` (why) is required."""
    grant = offer_grant_get_for(request.user, grant_id)
    return grant_out(
        offer_approval_decide(grant=grant, actor=request.user, approve=False, note=payload.note)
    )
