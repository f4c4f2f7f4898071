"""Cancellation requests and the six steps: ``/requests`` and ``/requests/{id}/...``.

Requests outside the caller's scope answer 404; in scope but not the caller's to work on
(another store's, a role without the authority) 403; illegal state moves 409.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from wanliu.customers.models import Account, CompetitorPromotion, Line, Plan, Subscription
from wanliu.customers.selectors import customer_get_for
from wanliu.customers.templatetags.customers_display import bill_item_label
from wanliu.retention.access import (
    cancellation_request_get_for,
    cancellation_requests_visible_to,
    fast_lane_ticket_get_for,
)
from wanliu.retention.api.support import ERRORS, offer_by_code, service_errors, store_by_id
from wanliu.retention.comparison import MAX_HORIZON_MONTHS
from wanliu.retention.models import CancellationRequest, FastLaneTicket, OfferGrant
from wanliu.retention.presenters import request_detail, request_items
from wanliu.retention.schemas.compare import ComparisonOut
from wanliu.retention.schemas.desk import (
    CancellationRequestDetail,
    CancellationRequestIn,
    CancellationRequestPage,
    CompetitorPromotionOut,
    ExplainedBillOut,
    FastLaneIn,
    FastLaneOut,
    FastLaneResolveIn,
    InsistIn,
    RequestNoteIn,
    RequestOutcomeIn,
    RequestTransferIn,
    StepCalmIn,
    StepCareIn,
    StepCompareIn,
    StepConsumptionIn,
    StepConsumptionOut,
    StepPartWellIn,
    StepReasonIn,
)
from wanliu.retention.selectors import (
    bills_explained,
    cancellation_request_list,
    competitor_promotion_for,
    offers_eligible,
    request_comparison,
    request_consumption,
    retention_policy_current,
)
from wanliu.retention.services import (
    ContactPlan,
    cancellation_request_close,
    cancellation_request_insist,
    cancellation_request_open,
    cancellation_request_outcome,
    cancellation_request_transfer,
    fast_lane_ticket_open,
    fast_lane_ticket_resolve,
    step_calm_record,
    step_care_record,
    step_compare_record,
    step_consumption_record,
    step_part_well_record,
    step_reason_record,
)

router = Router(tags=["retention"])


class RequestFilters(Schema):
    status: str = Field("", description="a status, or 'open' (not yet closed or processed)")
    reason: str = ""
    store_id: int | None = None
    flagged: bool | None = Field(None, description="flagged as a refusal (拒拆)")
    insisted: bool | None = None
    transferred: bool | None = Field(None, description="sent to another store (推诿)")
    q: str = Field("", description="request number, customer number or name prefix")
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _detail(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return request_detail(cancellation_request_get_for(request.user, request_id))


@router.get("/requests", response=CancellationRequestPage, summary="Cancellation requests in scope")
def requests_list(request: HttpRequest, filters: Query[RequestFilters]) -> dict[str, Any]:
    """A clerk sees their store's requests, grid leads and branch managers their subtree, the
    hotline and the service department all. Each item lists the steps recorded and, once
    there is an outcome, the required steps missing."""
    requests = cancellation_request_list(
        user=request.user,
        status=filters.status,
        reason=filters.reason,
        store_id=filters.store_id,
        flagged=filters.flagged,
        insisted=filters.insisted,
        transferred=filters.transferred,
        q=filters.q,
        opened_from=filters.opened_from,
        opened_to=filters.opened_to,
    )
    page = list(requests[filters.offset : filters.offset + filters.limit])
    return {"count": requests.count(), "items": request_items(page)}


@router.post(
    "/requests",
    response={201: CancellationRequestDetail, **ERRORS},
    summary="Open a cancellation request (拆机/销号/停机)",
)
@service_errors
def requests_open(request: HttpRequest, payload: CancellationRequestIn) -> Status[dict[str, Any]]:
    """The customer must be in the caller's scope. A clerk opens at their store, a hotline
    agent on the hotline, a grid lead or branch manager as the grid team (they record and
    hand over: only direct-operated stores complete cancellations). The request is due by
    the end of the business day (policy), or it is flagged as a refusal."""
    customer = customer_get_for(user=request.user, customer_id=payload.customer_id)
    line = subscription = account = None
    if payload.line_id is not None:
        line = Line.objects.filter(pk=payload.line_id, account__customer=customer).first()
        if line is None:
            raise HttpError(400, _("line_id: no such line of this customer."))
    if payload.subscription_id is not None:
        subscription = Subscription.objects.filter(
            pk=payload.subscription_id, account__customer=customer
        ).first()
        if subscription is None:
            raise HttpError(400, _("subscription_id: no such bundle of this customer."))
    if payload.account_id is not None:
        account = Account.objects.filter(pk=payload.account_id, customer=customer).first()
        if account is None:
            raise HttpError(400, _("account_id: no such account of this customer."))
    store = store_by_id(payload.store_id) if payload.store_id is not None else None
    created = cancellation_request_open(
        actor=request.user,
        customer=customer,
        kind=payload.kind,
        target=payload.target,
        line=line,
        subscription=subscription,
        account=account,
        channel=payload.channel,
        store=store,
        stated_complaint=payload.stated_complaint,
    )
    return Status(201, _detail(request, created.pk))


@router.get(
    "/requests/{request_id}",
    response={200: CancellationRequestDetail, 404: ERRORS[404]},
    summary="One request with its steps, offers, contacts and history",
)
def requests_detail(request: HttpRequest, request_id: int) -> dict[str, Any]:
    return _detail(request, request_id)


@router.get(
    "/requests/{request_id}/consumption",
    response={200: StepConsumptionOut, 404: ERRORS[404]},
    summary="Step 2: the customer's consumption (tenure, bundle, 3 bills, use, complaints)",
)
def requests_consumption(request: HttpRequest, request_id: int) -> dict[str, Any]:
    req = cancellation_request_get_for(request.user, request_id)
    consumption = request_consumption(request=req)
    snapshot = consumption.snapshot()
    snapshot.pop("open_complaints")
    snapshot.pop("churn")
    return {
        **snapshot,
        "churn": consumption.churn,
        "customer_id": req.customer_id,
        "open_complaints": [
            {**c, "received_at": c["received_at"].isoformat()} for c in consumption.open_complaints
        ],
        "complaints_known": consumption.complaints_known,
    }


@router.get(
    "/requests/{request_id}/bills",
    response={200: list[ExplainedBillOut], 404: ERRORS[404]},
    summary="The bill explanation: last 3 months' bills with their items",
)
def requests_bills(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    req = cancellation_request_get_for(request.user, request_id)
    bills = bills_explained(request=req)
    out = []
    for bill in bills:
        previous = next(
            (b for b in bills if b.account_id == bill.account_id and b.month < bill.month), None
        )
        items = []
        for code, raw in (bill.items or {}).items():
            try:
                amount = Decimal(str(raw))
            except InvalidOperation:
                continue
            items.append({"code": code, "label": bill_item_label(code), "amount": f"{amount:.2f}"})
        out.append(
            {
                "month": bill.month,
                "account_no": bill.account.account_no,
                "total": f"{bill.total:.2f}",
                "items": items,
                "change_from_previous": (
                    None if previous is None else f"{bill.total - previous.total:.2f}"
                ),
            }
        )
    return out


@router.get(
    "/requests/{request_id}/competitor-promotion",
    response={200: CompetitorPromotionOut | None, 404: ERRORS[404]},
    summary="Step 3: this month's competitor promotion in the customer's grid or branch",
)
def requests_competitor_promotion(request: HttpRequest, request_id: int) -> dict[str, Any] | None:
    req = cancellation_request_get_for(request.user, request_id)
    promotion = competitor_promotion_for(customer=req.customer)
    if promotion is None:
        return None
    return {
        "id": promotion.pk,
        "competitor": promotion.competitor,
        "description": promotion.description,
        "month": promotion.month,
        "promo_monthly": f"{promotion.promo_monthly:.2f}",
        "promo_months": promotion.promo_months,
        "regular_monthly": f"{promotion.regular_monthly:.2f}",
        "switchers_only": promotion.switchers_only,
        "unit_id": promotion.unit_id,
    }


class ComparisonParams(Schema):
    horizon_months: int | None = Field(None, ge=1, le=MAX_HORIZON_MONTHS)
    offer_codes: list[str] | None = Field(None, description="default: every eligible offer")


@router.get(
    "/requests/{request_id}/comparison",
    response={200: ComparisonOut, **ERRORS},
    summary="Step 4: the comparison with this request's fee, competitor and offers",
)
@service_errors
def requests_comparison(
    request: HttpRequest, request_id: int, params: Query[ComparisonParams]
) -> Any:
    """409 until step 2 (the current fee) and a competitor's offer (step 3) are recorded."""
    req = cancellation_request_get_for(request.user, request_id)
    if params.offer_codes:
        offers = [offer_by_code(code) for code in params.offer_codes]
    else:
        offers = offers_eligible(request=req)
    horizon = params.horizon_months or retention_policy_current().comparison_horizon_months
    comparison = request_comparison(request=req, horizon_months=horizon, offers=offers)
    if comparison is None:
        raise HttpError(
            409,
            _("Record the consumption (step 2) and the competitor's offer (step 3) first."),
        )
    return comparison.as_dict()


STEP = {**ERRORS, 200: CancellationRequestDetail}


@router.post("/requests/{request_id}/steps/calm", response=STEP, summary="Step 1: calm")
@service_errors
def steps_calm(request: HttpRequest, request_id: int, payload: StepCalmIn) -> dict[str, Any]:
    """What the customer says and their mood. Starts the conversation."""
    req = cancellation_request_get_for(request.user, request_id)
    step_calm_record(
        request=req,
        actor=request.user,
        stated_complaint=payload.stated_complaint,
        mood=payload.mood,
    )
    return _detail(request, request_id)


@router.post(
    "/requests/{request_id}/steps/consumption", response=STEP, summary="Step 2: consumption"
)
@service_errors
def steps_consumption(
    request: HttpRequest, request_id: int, payload: StepConsumptionIn
) -> dict[str, Any]:
    """Confirms the consumption was gone through with the customer; keeps a snapshot and
    takes the current monthly fee for the comparison."""
    req = cancellation_request_get_for(request.user, request_id)
    step_consumption_record(
        request=req, actor=request.user, reviewed_with_customer=payload.reviewed_with_customer
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/steps/reason", response=STEP, summary="Step 3: reason")
@service_errors
def steps_reason(request: HttpRequest, request_id: int, payload: StepReasonIn) -> dict[str, Any]:
    """The reason from the taxonomy; a competitor's offer needs its operator, promotional
    price and months, and regular price."""
    req = cancellation_request_get_for(request.user, request_id)
    c = payload.competitor
    promotion = None
    if c is not None and c.promotion_id is not None:
        promotion = CompetitorPromotion.objects.filter(pk=c.promotion_id).first()
        if promotion is None:
            raise HttpError(400, _("competitor_promotion_id: no such competitor promotion."))
    step_reason_record(
        request=req,
        actor=request.user,
        reason=payload.reason,
        service_issue=payload.service_issue,
        pain_point=payload.pain_point,
        competitor_operator=c.operator if c else "",
        competitor_promo_monthly=c.promo_monthly if c else None,
        competitor_promo_months=c.promo_months if c else None,
        competitor_regular_monthly=c.regular_monthly if c else None,
        competitor_conditions=c.conditions if c else "",
        competitor_switchers_only=c.switchers_only if c else False,
        competitor_promotion=promotion,
    )
    return _detail(request, request_id)


@router.post(
    "/requests/{request_id}/steps/compare", response=STEP, summary="Step 4: compare and offer"
)
@service_errors
def steps_compare(request: HttpRequest, request_id: int, payload: StepCompareIn) -> dict[str, Any]:
    """Keeps the comparison shown (when the competitor's offer is known) and the words used."""
    req = cancellation_request_get_for(request.user, request_id)
    offers = (
        [offer_by_code(code) for code in payload.offer_codes]
        if payload.offer_codes is not None
        else None
    )
    step_compare_record(
        request=req,
        actor=request.user,
        words_used=payload.words_used,
        horizon_months=payload.horizon_months,
        offers=offers,
        bill_explained=payload.bill_explained,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/steps/care", response=STEP, summary="Step 5: care")
@service_errors
def steps_care(request: HttpRequest, request_id: int, payload: StepCareIn) -> dict[str, Any]:
    """After a retention: follow-up contacts within the contact policy (409 beyond it), or
    why there is none."""
    req = cancellation_request_get_for(request.user, request_id)
    step_care_record(
        request=req,
        actor=request.user,
        contacts=[
            ContactPlan(channel=c.channel, due_at=c.due_at, note=c.note) for c in payload.contacts
        ],
        declined_note=payload.declined_note,
    )
    return _detail(request, request_id)


@router.post("/requests/{request_id}/steps/part-well", response=STEP, summary="Step 6: part well")
@service_errors
def steps_part_well(
    request: HttpRequest, request_id: int, payload: StepPartWellIn
) -> dict[str, Any]:
    """After the cancellation (or cooling off): the win-back entry with the earliest day
    the policy allows a new contact."""
    req = cancellation_request_get_for(request.user, request_id)
    step_part_well_record(
        request=req,
        actor=request.user,
        allowed_recontact_on=payload.allowed_recontact_on,
        contact_channel=payload.contact_channel,
        farewell_note=payload.farewell_note,
    )
    return _detail(request, request_id)


@router.post(
    "/requests/{request_id}/outcome", response=STEP, summary="Record the conversation's outcome"
)
@service_errors
def requests_outcome(
    request: HttpRequest, request_id: int, payload: RequestOutcomeIn
) -> dict[str, Any]:
    """retained_with_offer needs a granted or approved offer (``grant_id``); downgraded a
    cheaper plan (``new_plan_code``), which the customer's subscription moves to (a plan
    change); suspended and cancelled only in a direct-operated store (else 403), and they
    suspend or cancel the line, the bundle's lines or the account's lines at once."""
    req = cancellation_request_get_for(request.user, request_id)
    grant = None
    if payload.grant_id is not None:
        grant = OfferGrant.objects.filter(pk=payload.grant_id, request=req).first()
        if grant is None:
            raise HttpError(400, _("grant_id: no such offer grant on this request."))
    plan = None
    if payload.outcome == "downgraded" and not payload.new_plan_code:
        raise HttpError(
            400,
            _(
                "new_plan_code: a downgrade needs the code of the cheaper plan the customer "
                "moves to."
            ),
        )
    if payload.new_plan_code:
        plan = Plan.objects.filter(code=payload.new_plan_code).first()
        if plan is None:
            raise HttpError(
                400,
                _("new_plan_code: no plan has the code %(code)s.")
                % {"code": payload.new_plan_code},
            )
    cancellation_request_outcome(
        request=req,
        outcome=payload.outcome,
        actor=request.user,
        grant=grant,
        new_plan=plan,
        note=payload.note,
    )
    return _detail(request, request_id)


@router.post(
    "/requests/{request_id}/insist",
    response=STEP,
    summary="The customer insists: process now, from any step",
)
@service_errors
def requests_insist(request: HttpRequest, request_id: int, payload: InsistIn) -> dict[str, Any]:
    """In a direct-operated store the cancellation is processed at once (same visit).
    Elsewhere give ``to_store_id`` (a direct-operated store) to hand it over; without it 403."""
    req = cancellation_request_get_for(request.user, request_id)
    to_store = store_by_id(payload.to_store_id) if payload.to_store_id is not None else None
    cancellation_request_insist(
        request=req, actor=request.user, to_store=to_store, note=payload.note
    )
    return _detail(request, request_id)


@router.post(
    "/requests/{request_id}/transfer",
    response=STEP,
    summary="Hand over or transfer the request to another store",
)
@service_errors
def requests_transfer(
    request: HttpRequest, request_id: int, payload: RequestTransferIn
) -> dict[str, Any]:
    """From an outlet that may not complete cancellations: a hand-over to a direct-operated
    store. From a direct-operated store: recorded as a transfer (推诿) for supervision."""
    req = cancellation_request_get_for(request.user, request_id)
    cancellation_request_transfer(
        request=req,
        to_store=store_by_id(payload.to_store_id),
        actor=request.user,
        reason=payload.reason,
    )
    if req.store_id is not None and not _still_visible(request, request_id):
        return _detail_unscoped(req.pk)
    return _detail(request, request_id)


def _still_visible(request: HttpRequest, request_id: int) -> bool:
    return cancellation_requests_visible_to(request.user).filter(pk=request_id).exists()


def _detail_unscoped(request_id: int) -> dict[str, Any]:
    """The request as it left the caller's hands (a transfer they just made)."""
    return request_detail(
        CancellationRequest.objects.select_related("customer", "store").get(pk=request_id)
    )


@router.post("/requests/{request_id}/close", response=STEP, summary="Close the work order")
@service_errors
def requests_close(request: HttpRequest, request_id: int, payload: RequestNoteIn) -> dict[str, Any]:
    """Needs step 5 (care) after a retention, step 6 (part well) otherwise."""
    req = cancellation_request_get_for(request.user, request_id)
    cancellation_request_close(request=req, actor=request.user, note=payload.note)
    return _detail(request, request_id)


@router.post(
    "/requests/{request_id}/fast-lane",
    response={201: FastLaneOut, **ERRORS},
    summary="Fix a service problem through the fast lane (绿色通道)",
)
@service_errors
def requests_fast_lane(
    request: HttpRequest, request_id: int, payload: FastLaneIn
) -> Status[dict[str, Any]]:
    req = cancellation_request_get_for(request.user, request_id)
    ticket = fast_lane_ticket_open(
        request=req, actor=request.user, issue=payload.issue, description=payload.description
    )
    return Status(201, _ticket(ticket))


@router.post(
    "/fast-lane/{ticket_id}/resolve",
    response={200: FastLaneOut, **ERRORS},
    summary="Record that the fast-lane problem is fixed",
)
@service_errors
def fast_lane_resolve(
    request: HttpRequest, ticket_id: int, payload: FastLaneResolveIn
) -> dict[str, Any]:
    ticket = fast_lane_ticket_get_for(request.user, ticket_id)
    ticket = fast_lane_ticket_resolve(
        ticket=ticket, actor=request.user, resolution=payload.resolution
    )
    return _ticket(ticket)


def _ticket(ticket: FastLaneTicket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "ticket_no": ticket.ticket_no,
        "issue": ticket.issue,
        "description": ticket.description,
        "status": ticket.status,
        "opened_at": ticket.opened_at,
        "resolved_at": ticket.resolved_at,
        "resolution": ticket.resolution,
    }
