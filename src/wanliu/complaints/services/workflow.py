"""The one transition service of the work-order state machine (``ALLOWED_TRANSITIONS``).

It refuses illegal moves with a clear error, stamps the per-status timestamp, writes the
status history and the audit row, moves the SLA clock (pause while waiting for the
customer, new cycle on reopen) and sends the milestone notices.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.businesstime import add_working
from wanliu.complaints.models import (
    ALLOWED_TRANSITIONS,
    STATUS_TIMESTAMP,
    InternalTask,
    Status,
    StatusChange,
    WorkOrder,
)
from wanliu.complaints.services import notices, sla
from wanliu.complaints.services.errors import ComplaintError, TransitionNotAllowed
from wanliu.core.services import audit_record

PROGRESS_MESSAGES: dict[str, Any] = {
    Status.IN_PROGRESS: _("We are working on your complaint."),
    Status.WAITING_CUSTOMER: _("We need information from you to continue: %(note)s"),
    Status.REOPENED: _("Your complaint has been reopened: %(note)s"),
}


def work_order_transition(
    *,
    order: WorkOrder,
    to_status: str,
    actor: Any,
    note: str = "",
    resolution: str = "",
    now: datetime | None = None,
) -> WorkOrder:
    """Move ``order`` to ``to_status`` or raise ``TransitionNotAllowed``.

    Resolving needs ``resolution`` (the result told to the customer); reopening needs a
    ``note`` (the reason). Merging is done by ``work_order_merge``.
    """
    now = now or timezone.now()
    to_status = str(to_status)
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=order.pk)
        _refresh(order, locked)
        from_status = order.status
        allowed = ALLOWED_TRANSITIONS.get(from_status, frozenset())
        if to_status not in Status.values or to_status not in allowed:
            raise TransitionNotAllowed(from_status, to_status, sorted(allowed))
        if to_status == Status.RESOLVED and not resolution.strip():
            raise ComplaintError(_("Resolving needs the result told to the customer."))
        if to_status == Status.REOPENED and not note.strip():
            raise ComplaintError(_("Reopening needs a reason."))
        if to_status == Status.MERGED and order.merged_into_id is None:
            raise ComplaintError(
                _("Merge the order instead: a merge names the order it goes into.")
            )
        fields = {"status"}
        if from_status == Status.WAITING_CUSTOMER:
            fields.update(sla.sla_resume(order=order, now=now))
        order.status = to_status
        stamp = STATUS_TIMESTAMP.get(to_status)
        if stamp:
            setattr(order, stamp, now)
            fields.add(stamp)
        if to_status == Status.IN_PROGRESS and order.first_responded_at is None:
            order.first_responded_at = now
            fields.add("first_responded_at")
        if to_status == Status.WAITING_CUSTOMER:
            fields.update(sla.sla_pause(order=order, now=now))
        if to_status == Status.RESOLVED:
            order.resolution = resolution.strip()
            fields.add("resolution")
        if to_status == Status.REOPENED:
            order.reopen_count += 1
            fields.add("reopen_count")
            fields.update(sla.sla_cycle_restart(order=order, now=now))
        fields.update(sla.sla_recompute(order=order, now=now, rematch=False))
        order.save(update_fields=sorted(fields))
        change = StatusChange.objects.create(
            order=order,
            from_status=from_status,
            to_status=to_status,
            at=now,
            actor=actor,
            note=note,
        )
        audit_record(
            actor=actor,
            action="work_order.transition",
            obj=order,
            before={"status": from_status},
            after={"status": to_status},
            note=note,
        )
        _after_transition(order=order, to_status=to_status, actor=actor, note=note, now=now)
        notices.order_status_event(order, change=change)
    return order


def _refresh(order: WorkOrder, locked: WorkOrder) -> None:
    """Copy the locked row's field values onto the caller's instance."""
    for field in WorkOrder._meta.concrete_fields:
        setattr(order, field.attname, getattr(locked, field.attname))


def _after_transition(
    *, order: WorkOrder, to_status: str, actor: Any, note: str, now: datetime
) -> None:
    from wanliu.complaints.services import followup, search

    if to_status in PROGRESS_MESSAGES:
        text = notices.progress_text(order, PROGRESS_MESSAGES[to_status], note=note)
        progress_notice_record(order=order, text=text, now=now)
    if to_status == Status.RESOLVED:
        notices.customer_notice(
            order=order, key=notices.RESOLVED, milestone=f"resolved:{order.reopen_count}"
        )
        followup.revisit_schedule(order=order, now=now)
        followup.survey_send(order=order, now=now)
    if to_status in (Status.CLOSED, Status.MERGED):
        InternalTask.objects.filter(
            order=order, status__in=[InternalTask.Status.OPEN, InternalTask.Status.IN_PROGRESS]
        ).update(status=InternalTask.Status.RETURNED, finished_at=now)
    search.search_index_update(order=order)


def progress_notice_record(*, order: WorkOrder, text: str, now: datetime) -> None:
    """Send a progress notice now and restart the progress-interval clock."""
    order.progress_notices_sent += 1
    sequence = order.progress_notices_sent
    interval = order.sla_policy.progress_interval_minutes if order.sla_policy else None
    running = order.is_open and order.sla_paused_since is None
    if interval and running:
        calendar = sla.work_calendar_of(order.sla_calendar)
        order.progress_due_at = add_working(calendar, now, timedelta(minutes=interval))
    else:
        order.progress_due_at = None
    order.save(update_fields=["progress_notices_sent", "progress_due_at"])
    notices.customer_notice(
        order=order,
        key=notices.PROGRESS,
        milestone=f"progress:{sequence}",
        extra={"progress": text},
    )
