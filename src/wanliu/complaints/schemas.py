"""JSON shapes of the complaints API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class OrderIn(Schema):
    customer_id: int
    channel: str = Field(description="hotline, store, online, app or regulator")
    category: str = Field(description="category code, e.g. network-coverage")
    title: str = Field(max_length=200)
    description: str
    priority: str = "normal"
    line_id: int | None = None
    contact_id: int | None = Field(None, description="the customer contact it came from")
    contact_phone: str = Field("", max_length=20, description="call-back number for SMS")
    contact_email: str = Field("", max_length=254)
    notice_language: str = Field("zh-hans", pattern="^(zh-hans|en)$")
    received_at: dt.datetime | None = None


class OrderListItem(Schema):
    id: int
    order_no: str
    status: str
    channel: str
    category: str
    priority: str
    title: str
    customer_id: int
    customer_name: str
    owner_unit: str
    owner_staff: str | None
    received_at: dt.datetime
    resolution_due_at: dt.datetime | None
    overdue: bool


class OrderPage(Schema):
    items: list[OrderListItem]
    count: int
    limit: int
    offset: int


class TransitionIn(Schema):
    to_status: str
    note: str = ""
    resolution: str = ""


class AssignIn(Schema):
    staff_id: int


class OrderUpdateIn(Schema):
    priority: str | None = None
    category: str | None = None


class TaskIn(Schema):
    assignee_unit_id: int
    assignee_staff_id: int | None = None
    title: str = Field(max_length=200)
    description: str = ""
    due_at: dt.datetime


class TaskUpdateIn(Schema):
    status: str
    result: str = ""


class HandOverIn(Schema):
    to_unit_id: int
    to_store_id: int | None = None
    to_staff_id: int | None = None
    reason: str


class DecisionIn(Schema):
    note: str = ""


class MessageIn(Schema):
    kind: str = Field(description="note, to_customer or from_customer")
    body: str


class MergeIn(Schema):
    into_order_id: int


class ReopenIn(Schema):
    reason: str


class RevisitIn(Schema):
    outcome: str = Field(description="solved or not_solved")
    notes: str = ""


class SurveyIn(Schema):
    csat: int = Field(ge=1, le=5)
    solved: bool
    comment: str = Field("", max_length=2000)


class SurveyOut(Schema):
    order_no: str
    title: str
    expires_at: dt.datetime
    answered: bool


class TaskOut(Schema):
    id: int
    order_id: int
    order_no: str
    assignee_unit: str
    assignee_staff: str | None
    title: str
    description: str
    due_at: dt.datetime
    status: str
    result: str
    overdue: bool


class HandOverOut(Schema):
    id: int
    order_id: int
    from_unit: str
    to_unit: str
    to_staff: str | None
    reason: str
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str


class MessageOut(Schema):
    id: int
    kind: str
    body: str
    author: str | None
    created_at: dt.datetime


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    url: str


class CannedReplyOut(Schema):
    id: int
    title: str
    text: str


class OrderDetail(OrderListItem):
    description: str
    value_tier: str
    line: str | None
    contact_phone: str
    contact_email: str
    notice_language: str
    owner_unit_id: int
    owner_staff_id: int | None
    resolution: str
    merged_into: str | None
    repeat_of: str | None
    upgrade_reason: str
    reopen_count: int
    sla_policy: str | None
    timestamps: dict[str, dt.datetime | None]
    due: dict[str, dt.datetime | None]
    sla_paused: bool
    messages: list[MessageOut]
    tasks: list[TaskOut]
    hand_overs: list[HandOverOut]
    status_history: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    attachments: list[AttachmentOut]
    revisits: list[dict[str, Any]]
    surveys: list[dict[str, Any]]
    notices: list[dict[str, Any]]


class ErrorOut(Schema):
    detail: str
