"""JSON shapes of the retention desk API: requests, steps, offers, approvals, contacts,
win-back and cases. Amounts are yuan strings with two decimals (never floats)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from wanliu.customers.schemas import ChurnOut
from wanliu.retention.comparison import MAX_HORIZON_MONTHS, MAX_MONEY


class RetentionErrorOut(Schema):
    detail: str


# --- inputs -------------------------------------------------------------------------------


class CancellationRequestIn(Schema):
    customer_id: int
    kind: str = Field(description="cancel (拆机/销号) or suspend (停机)")
    target: str = Field(description="line, subscription (a bundle or plan) or account")
    line_id: int | None = None
    subscription_id: int | None = None
    account_id: int | None = None
    channel: str | None = Field(
        None, description="Only for administrators; staff open through their role's channel"
    )
    store_id: int | None = Field(None, description="Only for administrators opening at a store")
    stated_complaint: str = Field("", max_length=2000)


class StepCalmIn(Schema):
    stated_complaint: str = Field(min_length=1, max_length=2000)
    mood: str = Field(description="angry, upset or calm")


class StepConsumptionIn(Schema):
    reviewed_with_customer: bool = Field(
        description="The clerk went through tenure, bundle, bills and use with the customer"
    )


class RequestCompetitorIn(Schema):
    operator: str = Field(min_length=1, max_length=60)
    promo_monthly: Decimal | None = Field(None, ge=0, le=MAX_MONEY, decimal_places=2)
    promo_months: int | None = Field(None, ge=0, le=MAX_HORIZON_MONTHS)
    regular_monthly: Decimal = Field(ge=0, le=MAX_MONEY, decimal_places=2)
    conditions: str = Field("", max_length=200, description="e.g. new switchers only")
    switchers_only: bool = False
    promotion_id: int | None = Field(None, description="The known competitor promotion used")


class StepReasonIn(Schema):
    reason: str = Field(
        description="service_quality, billing_misunderstanding, relocation, "
        "device_lost_stolen, no_longer_needed, competitor_offer or other"
    )
    service_issue: str = Field("", description="network, fault or staff (service quality)")
    pain_point: str = Field("", max_length=2000)
    competitor: RequestCompetitorIn | None = None


class StepCompareIn(Schema):
    words_used: str = Field(min_length=1, max_length=4000)
    horizon_months: int | None = Field(None, ge=1, le=MAX_HORIZON_MONTHS)
    offer_codes: list[str] | None = Field(
        None, description="Offers compared; default: every offer the customer is eligible for"
    )
    bill_explained: bool = False


class CareContactIn(Schema):
    channel: str = Field(description="call or wecom (enterprise WeChat)")
    due_at: dt.datetime
    note: str = Field("", max_length=300)


class StepCareIn(Schema):
    contacts: list[CareContactIn] = Field(default_factory=list, max_length=10)
    declined_note: str = Field("", max_length=500)


class StepPartWellIn(Schema):
    allowed_recontact_on: dt.date
    contact_channel: str = Field("", max_length=100)
    farewell_note: str = Field("", max_length=1000)


class RequestOutcomeIn(Schema):
    outcome: str = Field(
        description="retained_same_plan, retained_with_offer, downgraded, suspended, "
        "cancelled or cooling_off"
    )
    grant_id: int | None = Field(None, description="The accepted offer (retained_with_offer)")
    new_plan_code: str | None = Field(None, description="The cheaper plan (downgraded)")
    note: str = Field("", max_length=1000)


class InsistIn(Schema):
    to_store_id: int | None = Field(
        None, description="A direct-operated store, when the caller's place may not complete"
    )
    note: str = Field("", max_length=500)


class RequestTransferIn(Schema):
    to_store_id: int
    reason: str = Field(min_length=1, max_length=200)


class RequestNoteIn(Schema):
    note: str = Field("", max_length=1000)


class FastLaneIn(Schema):
    issue: str = Field(description="network, fault or staff")
    description: str = Field(min_length=1, max_length=2000)


class FastLaneResolveIn(Schema):
    resolution: str = Field(min_length=1, max_length=2000)


class OfferGrantIn(Schema):
    offer_code: str
    note: str = Field("", max_length=300, description="Why (required when asking approval)")


class ApprovalDecisionIn(Schema):
    note: str = Field("", max_length=300, description="Required when rejecting")


class RetentionContactIn(Schema):
    purpose: str = Field(description="care or win_back")
    channel: str = Field(description="call or wecom")
    due_at: dt.datetime
    note: str = Field("", max_length=300)
    win_back_id: int | None = None


class RetentionContactCompleteIn(Schema):
    status: str = Field(description="done, no_answer or cancelled")
    result: str = Field("", max_length=2000)


class WinBackOutcomeIn(Schema):
    status: str = Field(description="won_back or declined")
    note: str = Field(min_length=1, max_length=2000)


class RetentionCasePublishIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    words_used: str = Field("", max_length=4000, description="Default: the words of step 4")


# --- outputs ------------------------------------------------------------------------------


class RequestStepOut(Schema):
    step: int
    name: str
    recorded_by: str | None
    recorded_at: dt.datetime
    data: dict[str, Any]


class RequestStatusChangeOut(Schema):
    from_status: str
    to_status: str
    at: dt.datetime
    actor: str | None
    note: str


class RequestTransferOut(Schema):
    kind: str
    from_store_id: int | None
    to_store_id: int
    reason: str
    at: dt.datetime


class OfferGrantOut(Schema):
    id: int
    request_id: int
    request_no: str | None
    offer_code: str
    offer_name: str
    level: int
    status: str
    monthly_fee: str
    new_monthly_fee: str
    cost: str
    store_id: int | None
    requested_by: str | None
    requested_at: dt.datetime
    note: str
    expires_at: dt.datetime | None
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class FastLaneOut(Schema):
    id: int
    ticket_no: str | None
    issue: str
    description: str
    status: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str


class RetentionContactOut(Schema):
    id: int
    request_id: int
    win_back_id: int | None
    purpose: str
    channel: str
    due_at: dt.datetime
    status: str
    note: str
    result: str


class RetentionContactItem(RetentionContactOut):
    """A contact of the follow-up queue, with the request and customer it belongs to."""

    request_no: str | None
    customer_id: int
    customer_name: str
    store_id: int | None
    store_name: str | None
    scheduled_at: dt.datetime
    done_at: dt.datetime | None
    overdue: bool = Field(description="planned and its due time has passed")


class RetentionContactPage(Schema):
    count: int
    items: list[RetentionContactItem]


class WinBackEntryOut(Schema):
    id: int
    request_id: int
    request_no: str | None
    customer_id: int
    customer_name: str
    store_id: int | None
    allowed_recontact_on: dt.date
    period_ends_on: dt.date
    contact_channel: str
    status: str
    outcome_note: str
    outcome_at: dt.datetime | None
    contacts: int


class RequestCompetitorOut(Schema):
    operator: str
    promo_monthly: str | None
    promo_months: int | None
    regular_monthly: str | None
    conditions: str
    switchers_only: bool
    promotion_id: int | None


class CancellationRequestItem(Schema):
    id: int
    request_no: str | None
    kind: str
    target: str
    channel: str
    status: str
    outcome: str
    customer_id: int
    customer_name: str
    store_id: int | None
    store_name: str | None
    origin_store_id: int | None
    opened_at: dt.datetime
    due_at: dt.datetime
    insisted_at: dt.datetime | None
    refusal_flagged_at: dt.datetime | None
    reason: str
    steps_recorded: list[int]
    missing_steps: list[int]
    transfers_out: int


class CancellationRequestDetail(CancellationRequestItem):
    account_id: int
    subscription_id: int | None
    line_id: int | None
    unit_id: int
    mood: str
    stated_complaint: str
    current_monthly_fee: str | None
    service_issue: str
    pain_point: str
    route: str
    competitor: RequestCompetitorOut | None
    words_used: str
    accepted_grant_id: int | None
    new_plan_code: str | None
    outcome_note: str
    closed_at: dt.datetime | None
    allowed_transitions: list[str]
    steps: list[RequestStepOut]
    status_changes: list[RequestStatusChangeOut]
    transfers: list[RequestTransferOut]
    grants: list[OfferGrantOut]
    fast_lane: list[FastLaneOut]
    contacts: list[RetentionContactOut]
    win_back: WinBackEntryOut | None


class CancellationRequestPage(Schema):
    count: int
    items: list[CancellationRequestItem]


class RetentionOfferOut(Schema):
    code: str
    name: str
    name_en: str
    level: int
    discount_pct: str
    amount_off: str
    months: int
    free_months: int
    bonus_data_gb: str
    device_subsidy: str
    min_tenure_months: int
    value_tiers: list[str]
    plan_families: list[str]
    monthly_budget_per_store: str | None
    talking_points: str


class EligibleOfferOut(RetentionOfferOut):
    new_monthly_fee: str | None
    cost: str | None
    budget_left: str | None
    can_grant: bool
    needs_approval: bool


class StepConsumptionOut(Schema):
    customer_id: int
    tenure_months: int
    value_tier: str
    monthly_fee: str
    target_monthly_fee: str
    subscriptions: list[dict[str, Any]]
    bills: list[dict[str, Any]]
    usage: list[dict[str, Any]]
    open_complaints: list[dict[str, Any]]
    complaints_known: bool
    churn: ChurnOut | None = Field(
        None, description="risk, reasons and value of the lines to go, from the newest scores"
    )


class ExplainedBillItemOut(Schema):
    code: str
    label: str
    amount: str


class ExplainedBillOut(Schema):
    month: dt.date
    account_no: str
    total: str
    items: list[ExplainedBillItemOut]
    change_from_previous: str | None


class CompetitorPromotionOut(Schema):
    id: int
    competitor: str
    description: str
    month: dt.date
    promo_monthly: str
    promo_months: int
    regular_monthly: str
    switchers_only: bool
    unit_id: int


class StoreSupervisionOut(Schema):
    store_id: int | None
    store_name: str | None
    direct_operated: bool | None
    requests: int
    unprocessed: int
    refusals: int
    transfers_out: int
    retained: int
    cancelled: int
    with_outcome: int
    missing_steps: int
    retention_rate_pct: str | None
    missing_steps_rate_pct: str | None


class RetentionCaseOut(Schema):
    id: int
    title: str
    reason: str
    service_issue: str
    outcome: str
    situation: str
    words_used: str
    offer_summary: str
    customer_profile: str
    comparison: dict[str, Any] | None
    published_at: dt.datetime
