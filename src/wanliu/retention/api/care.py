"""Follow-up contacts within the contact policy, the follow-up queue, and the win-back
list."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from wanliu.retention.access import (
    cancellation_request_get_for,
    retention_contact_get_for,
    win_back_entry_get_for,
)
from wanliu.retention.api.support import ERRORS, service_errors
from wanliu.retention.models import RetentionContact, WinBackEntry
from wanliu.retention.presenters import contact_item, contact_out, win_back_out
from wanliu.retention.schemas.desk import (
    RetentionContactCompleteIn,
    RetentionContactIn,
    RetentionContactItem,
    RetentionContactOut,
    RetentionContactPage,
    WinBackEntryOut,
    WinBackOutcomeIn,
)
from wanliu.retention.selectors import retention_contact_queue, win_back_list
from wanliu.retention.services import (
    retention_contact_complete,
    retention_contact_schedule,
    win_back_outcome_record,
)

router = Router(tags=["retention"])


@router.post(
    "/requests/{request_id}/contacts",
    response={201: RetentionContactOut, **ERRORS},
    summary="Plan a care or win-back contact (within the contact policy)",
)
@service_errors
def contacts_schedule(
    request: HttpRequest, request_id: int, payload: RetentionContactIn
) -> Status[dict[str, Any]]:
    """409 when the contact would break the policy: more attempts than allowed per request
    or win-back period, quiet hours (Asia/Shanghai), a customer who opted out, a win-back
    contact outside its period."""
    req = cancellation_request_get_for(request.user, request_id)
    entry = None
    if payload.win_back_id is not None:
        entry = WinBackEntry.objects.filter(pk=payload.win_back_id, request=req).first()
        if entry is None:
            raise HttpError(400, _("win_back_id: no such win-back entry on this request."))
    contact = retention_contact_schedule(
        request=req,
        actor=request.user,
        purpose=payload.purpose,
        channel=payload.channel,
        due_at=payload.due_at,
        note=payload.note,
        win_back=entry,
    )
    return Status(201, contact_out(contact))


class ContactFilters(Schema):
    status: str = Field(
        RetentionContact.Status.PLANNED,
        description="planned (default), done, no_answer, cancelled, or '' for all",
    )
    purpose: str = Field("", description="care or win_back; '' for both")
    due_before: dt.datetime | None = Field(
        None,
        description="only contacts due before this time (ISO 8601; without a time zone, "
        "Asia/Shanghai; a date alone means the start of that day)",
    )
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get(
    "/contacts",
    response={200: RetentionContactPage, 400: ERRORS[400]},
    summary="My follow-ups (回访任务): care and win-back contacts in scope, due first",
)
def contacts_list(request: HttpRequest, filters: Query[ContactFilters]) -> dict[str, Any]:
    """A clerk sees the contacts of their store's requests, grid leads and branch managers
    those of their subtree, the operator-wide roles all. Planned contacts come first, the
    most overdue at the top."""
    if filters.status and filters.status not in RetentionContact.Status.values:
        raise HttpError(
            400,
            _("status: one of %(values)s, or empty for all.")
            % {"values": ", ".join(RetentionContact.Status.values)},
        )
    if filters.purpose and filters.purpose not in RetentionContact.Purpose.values:
        raise HttpError(
            400,
            _("purpose: one of %(values)s, or empty for both.")
            % {"values": ", ".join(RetentionContact.Purpose.values)},
        )
    due_before = filters.due_before
    if due_before is not None and timezone.is_naive(due_before):
        due_before = timezone.make_aware(due_before)
    contacts = retention_contact_queue(
        user=request.user, status=filters.status, purpose=filters.purpose, due_before=due_before
    )
    now = timezone.now()
    page = contacts[filters.offset : filters.offset + filters.limit]
    return {"count": contacts.count(), "items": [contact_item(c, now=now) for c in page]}


@router.get(
    "/contacts/{contact_id}",
    response={200: RetentionContactItem, 404: ERRORS[404]},
    summary="One care or win-back contact",
)
def contacts_detail(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    return contact_item(retention_contact_get_for(request.user, contact_id), now=timezone.now())


@router.post(
    "/contacts/{contact_id}/complete",
    response={200: RetentionContactOut, **ERRORS},
    summary="Record how a planned contact went",
)
@service_errors
def contacts_complete(
    request: HttpRequest, contact_id: int, payload: RetentionContactCompleteIn
) -> dict[str, Any]:
    contact = retention_contact_get_for(request.user, contact_id)
    return contact_out(
        retention_contact_complete(
            contact=contact, actor=request.user, status=payload.status, result=payload.result
        )
    )


class WinBackFilters(Schema):
    status: str = Field("open", description="a status, 'open' (default) or '' for all")
    due_on: dt.date | None = Field(None, description="entries that may be contacted that day")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


@router.get("/win-back", response=list[WinBackEntryOut], summary="The win-back list (回流名单)")
def win_back_entries(request: HttpRequest, filters: Query[WinBackFilters]) -> list[dict[str, Any]]:
    entries = win_back_list(user=request.user, status=filters.status, due_on=filters.due_on)
    return [win_back_out(e) for e in entries[filters.offset : filters.offset + filters.limit]]


@router.post(
    "/win-back/{entry_id}/outcome",
    response={200: WinBackEntryOut, **ERRORS},
    summary="Record a win-back outcome (won back or declined)",
)
@service_errors
def win_back_outcome(
    request: HttpRequest, entry_id: int, payload: WinBackOutcomeIn
) -> dict[str, Any]:
    entry = win_back_entry_get_for(request.user, entry_id)
    return win_back_out(
        win_back_outcome_record(
            entry=entry, actor=request.user, status=payload.status, note=payload.note
        )
    )
