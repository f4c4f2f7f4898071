"""Supervision: requests left unprocessed past the policy's limit are flagged as refusals
(拒拆), so that supervisors see them; the periodic job and tests call the same service."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from wanliu.core.services import audit_record
from wanliu.retention.models import UNPROCESSED_STATUSES, CancellationRequest


def refusals_flag(*, now: dt.datetime | None = None) -> int:
    """Flag every request still unprocessed after its ``due_at``; return how many were
    flagged now. Safe to run twice: a flagged request is never flagged again."""
    now = now or timezone.now()
    flagged = 0
    ids = list(
        CancellationRequest.objects.filter(
            status__in=UNPROCESSED_STATUSES, due_at__lt=now, refusal_flagged_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for request_id in ids:
        with transaction.atomic():
            request = (
                CancellationRequest.objects.select_for_update()
                .filter(
                    pk=request_id,
                    status__in=UNPROCESSED_STATUSES,
                    refusal_flagged_at__isnull=True,
                )
                .first()
            )
            if request is None:
                continue
            request.refusal_flagged_at = now
            request.save(update_fields=["refusal_flagged_at"])
            audit_record(
                actor=None,
                action="retention.request.refusal_flag",
                obj=request,
                before={"refusal_flagged_at": None, "status": request.status},
                after={"refusal_flagged_at": now.isoformat(), "status": request.status},
                note=f"unprocessed past {request.due_at.isoformat()}",
            )
            flagged += 1
    return flagged
