"""JSON shapes of the campaign API. Amounts are yuan strings with two decimals (never
floats); shares and rates are numbers between 0 and 1."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field


class CampaignErrorOut(Schema):
    detail: str
    field: str = ""


class CampaignIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    offers: list[str] = Field(min_length=1, description="retention offer codes, e.g. L1-10OFF12")
    budget: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="yuan")
    starts_on: dt.date
    ends_on: dt.date
    unit_id: int | None = Field(None, description="the area; empty: the whole operator")
    control_share: Decimal = Field(
        Decimal("0.10"), ge=Decimal("0.01"), le=Decimal("0.5"), decimal_places=3
    )
    contact_cost: Decimal = Field(
        Decimal("2.00"), ge=0, max_digits=8, decimal_places=2, description="yuan per attempt"
    )
    channel: str = Field("auto", description="auto, hotline or grid")
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="control group seed")


class TargetIn(Schema):
    model: str = Field("", description="uplift model folder; empty: the newest")


class AttemptIn(Schema):
    result: str = Field(description="no_answer, reached, accepted or declined")
    note: str = Field("", max_length=300)
    at: dt.datetime | None = Field(None, description="when the call was made; default now")


class OfferBrief(Schema):
    code: str
    name: str
    name_en: str


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    status_label: str
    unit_id: int | None
    unit: str | None
    offers: list[OfferBrief]
    budget: str
    control_share: float
    contact_cost: str
    starts_on: dt.date
    ends_on: dt.date
    channel: str
    seed: int
    generated: bool
    uplift_model_version: str
    features_as_of: dt.date | None
    max_attempts: int
    reserved_cost: str
    expected_value: str
    targets: int
    control: int
    targeting_requested_at: dt.datetime | None
    targeting_error: str
    created_at: dt.datetime
    targeted_at: dt.datetime | None
    launched_at: dt.datetime | None
    closed_at: dt.datetime | None


class TargetOut(Schema):
    id: int
    rank: int
    stratum: int
    arm: str
    customer_id: int
    line_id: int
    offer: str | None
    uplift: float | None
    churn_probability: float | None
    remaining_value: str
    expected_net_value: str
    offer_cost: str
    reserved_cost: str
    outcome: str
    churned_on: dt.date | None
    task_status: str | None


class AttemptOut(Schema):
    id: int
    at: dt.datetime
    result: str
    note: str
    by: str | None


class TaskOut(Schema):
    id: int
    campaign_id: int
    campaign: str
    queue: str
    unit_id: int
    status: str
    status_label: str
    attempts: int
    max_attempts: int
    customer_id: int
    customer_name: str
    line_id: int
    line_number: str
    offer: str | None
    offer_name: str | None
    offer_cost: str
    contact_cost: str
    starts_on: dt.date
    ends_on: dt.date
    attempt_log: list[AttemptOut] = []


class ComparisonOut(Schema):
    treated: int
    control: int
    treated_retained: int
    control_retained: int
    treated_retention: float | None
    control_retention: float | None
    treated_value: str
    incremental_retention: float | None
    ci_low: float | None
    ci_high: float | None
    incremental_lines: float | None
    value_saved: str | None
    value_saved_low: str | None
    value_saved_high: str | None


class ReportOut(Schema):
    campaign_id: int
    status: str
    outcome_through: dt.date
    final: bool
    overall: ComparisonOut
    offers: dict[str, ComparisonOut]
    budget: str
    reserved: str
    contact_cost: str
    offer_cost: str
    spent: str
    net_value: str | None
    attempts: int
    tasks: dict[str, int]
    results: dict[str, int]
    reached: int


class UpliftModelOut(Schema):
    name: str
    model_version: str | None
    created_at: str | None
    learner: str | None
    offers: list[str]
    rows: int | None
    campaigns: list[int]
    cv_qini: dict[str, Any]
