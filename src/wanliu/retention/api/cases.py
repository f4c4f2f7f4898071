"""The case library and supervision by store."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from wanliu.retention.access import can_supervise, cancellation_request_get_for
from wanliu.retention.api.support import ERRORS, service_errors
from wanliu.retention.models import RetentionCase
from wanliu.retention.presenters import case_out
from wanliu.retention.schemas.desk import (
    RetentionCaseOut,
    RetentionCasePublishIn,
    StoreSupervisionOut,
)
from wanliu.retention.selectors import cases_search, store_supervision
from wanliu.retention.services import retention_case_publish

router = Router(tags=["retention"])


class CaseFilters(Schema):
    reason: str = ""
    q: str = Field("", description="words in the title, situation, words used or offer")
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get("/cases", response=list[RetentionCaseOut], summary="Search the case library")
def cases_list(request: HttpRequest, filters: Query[CaseFilters]) -> list[dict[str, Any]]:
    """Anonymised successful retentions, for training; every signed-in member of staff."""
    cases = cases_search(reason=filters.reason, q=filters.q)
    return [case_out(c) for c in cases[filters.offset : filters.offset + filters.limit]]


@router.get(
    "/cases/{case_id}", response={200: RetentionCaseOut, 404: ERRORS[404]}, summary="One case"
)
def cases_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = RetentionCase.objects.filter(pk=case_id).first()
    if case is None:
        raise Http404("no such case")
    return case_out(case)


@router.post(
    "/requests/{request_id}/case",
    response={201: RetentionCaseOut, **ERRORS},
    summary="Publish a successful retention to the case library (anonymised)",
)
@service_errors
def cases_publish(
    request: HttpRequest, request_id: int, payload: RetentionCasePublishIn
) -> Status[dict[str, Any]]:
    """Branch managers and the service department publish; names and numbers are removed."""
    req = cancellation_request_get_for(request.user, request_id)
    case = retention_case_publish(
        request=req, actor=request.user, title=payload.title, words_used=payload.words_used
    )
    return Status(201, case_out(case))


class SupervisionFilters(Schema):
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None


@router.get(
    "/supervision/stores",
    response={200: list[StoreSupervisionOut], 403: ERRORS[403]},
    summary="Supervision by store: refusals (拒拆), transfers (推诿), missing steps",
)
def supervision_stores(
    request: HttpRequest, filters: Query[SupervisionFilters]
) -> list[dict[str, Any]]:
    """Branch managers see their branch, the service department everyone; 403 for others."""
    if not can_supervise(request.user):
        raise HttpError(403, _("Your role does not supervise retention."))
    rows = store_supervision(
        user=request.user, opened_from=filters.opened_from, opened_to=filters.opened_to
    )
    return [
        {
            "store_id": row.store.pk if row.store else None,
            "store_name": row.store.name if row.store else None,
            "direct_operated": row.store.direct_operated if row.store else None,
            "requests": row.requests,
            "unprocessed": row.unprocessed,
            "refusals": row.refusals,
            "transfers_out": row.transfers_out,
            "retained": row.retained,
            "cancelled": row.cancelled,
            "with_outcome": row.with_outcome,
            "missing_steps": row.missing_steps,
            "retention_rate_pct": None if row.retention_rate is None else str(row.retention_rate),
            "missing_steps_rate_pct": (
                None if row.missing_steps_rate is None else str(row.missing_steps_rate)
            ),
        }
        for row in rows
    ]
