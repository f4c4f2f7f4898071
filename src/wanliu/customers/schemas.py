"""JSON shapes of the customers API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema


class CustomerListItem(Schema):
    id: int
    customer_no: str
    name: str
    national_id_masked: str
    value_tier: str
    store: str
    joined_on: dt.date


class CustomerPage(Schema):
    items: list[CustomerListItem]
    count: int
    limit: int
    offset: int


class PlanOut(Schema):
    code: str
    name: str
    name_en: str
    family: str
    monthly_fee: Decimal
    included_data_gb: Decimal
    included_voice_minutes: int
    broadband_mbps: int
    mobile_lines: int
    has_tv: bool
    contract_months: int


class SubscriptionOut(Schema):
    id: int
    account_no: str
    plan: PlanOut
    started_on: dt.date
    contract_end_on: dt.date | None
    ended_on: dt.date | None


class LineOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    activated_on: dt.date
    suspended_on: dt.date | None
    cancelled_on: dt.date | None
    home_region: str
    plan_code: str | None


class BillOut(Schema):
    account_no: str
    month: str
    total: Decimal
    items: dict[str, str]


class UsageOut(Schema):
    month: str
    data_gb: Decimal
    voice_minutes: int
    sms: int
    roaming_minutes: int
    overage_charge: Decimal


class LineUsageOut(Schema):
    line_id: int
    number: str
    kind: str
    months: list[UsageOut]


class ContactOut(Schema):
    id: int
    channel: str
    topic: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    agent: str | None
    line: str | None
    transferred: bool
    resolved_at_contact: bool
    note: str


class PlanChangeOut(Schema):
    changed_on: dt.date
    from_plan: str
    to_plan: str
    reason: str


class ChurnReasonOut(Schema):
    feature: str
    label: str
    value: str | None
    text: str
    contribution: float
    raises_risk: bool


class LineRiskOut(Schema):
    line_id: int
    as_of: str
    model_version: str
    probability: float
    risk_band: str
    risk_band_label: str
    remaining_value: Decimal | None
    value_at_risk: Decimal | None
    reasons_exact: bool
    reasons: list[ChurnReasonOut]


class ChurnOut(Schema):
    """The newest stored churn scores of the customer's lines (None: never scored)."""

    as_of: str
    model_version: str
    highest: LineRiskOut
    value_at_risk_total: Decimal
    remaining_value_total: Decimal
    lines: list[LineRiskOut]


class CustomerComplaintOut(Schema):
    """One of the customer's work orders; ``url`` is null when the reader may not open it."""

    id: int
    order_no: str
    status: str
    status_label: str
    channel: str
    category: str
    priority: str
    priority_label: str
    title: str
    owner_unit: str
    owner_staff: str | None
    received_at: dt.datetime
    resolution_due_at: dt.datetime | None
    overdue: bool
    url: str | None


class CustomerComplaintsOut(Schema):
    open: int
    items: list[CustomerComplaintOut]


class CustomerRequestOut(Schema):
    """One cancellation or suspension request; ``url`` null when not the reader's to open."""

    id: int
    request_no: str
    kind: str
    kind_label: str
    target: str
    target_label: str
    what: str | None
    status: str
    status_label: str
    open: bool
    opened_at: dt.datetime
    store: str | None
    url: str | None


class OfferRefOut(Schema):
    code: str
    name: str
    name_en: str


class CustomerOutreachOut(Schema):
    """One proactive-campaign task that called (or is to call) the customer."""

    id: int
    campaign: str
    offer: OfferRefOut | None
    status: str
    status_label: str
    attempts: int
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    url: str | None


class Customer360Out(Schema):
    id: int
    customer_no: str
    name: str
    national_id_masked: str
    value_tier: str
    store: str
    grid: str
    joined_on: dt.date
    tenure_months: int
    monthly_fee: Decimal
    marketing_opt_out: bool
    subscriptions: list[SubscriptionOut]
    lines: list[LineOut]
    bills: list[BillOut]
    usage: list[LineUsageOut]
    contacts: list[ContactOut]
    plan_changes: list[PlanChangeOut]
    churn: ChurnOut | None
    complaints: CustomerComplaintsOut
    retention_requests: list[CustomerRequestOut]
    outreach: list[CustomerOutreachOut]


class NationalIdOut(Schema):
    customer_id: int
    national_id: str
