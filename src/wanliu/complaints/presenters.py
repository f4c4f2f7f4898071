"""Orders, tasks and hand-overs as plain data, shared by the API and the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from wanliu.complaints.models import (
    OPEN_STATUSES,
    STATUS_TIMESTAMP,
    HandOver,
    InternalTask,
    WorkOrder,
)
from wanliu.notify.selectors import messages_for

OPEN_TASK = (InternalTask.Status.OPEN, InternalTask.Status.IN_PROGRESS)


def order_item(order: WorkOrder, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    due = order.resolution_due_at
    return {
        "id": order.pk,
        "order_no": order.order_no or "",
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "channel": order.channel,
        "category": order.category.code,
        "priority": order.priority,
        "priority_label": str(order.get_priority_display()),
        "title": order.title,
        "customer_id": order.customer_id,
        "customer_name": order.customer.name,
        "owner_unit": order.owner_unit.name,
        "owner_staff": order.owner_staff.name if order.owner_staff else None,
        "received_at": order.received_at,
        "resolution_due_at": due,
        "overdue": bool(order.status in OPEN_STATUSES and due is not None and due < now),
    }


def task_item(task: InternalTask, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "id": task.pk,
        "order_id": task.order_id,
        "order_no": task.order.order_no or "",
        "assignee_unit": task.assignee_unit.name,
        "assignee_staff": task.assignee_staff.name if task.assignee_staff else None,
        "title": task.title,
        "description": task.description,
        "due_at": task.due_at,
        "status": task.status,
        "status_label": str(task.get_status_display()),
        "result": task.result,
        "overdue": task.status in OPEN_TASK and task.due_at < now,
    }


def hand_over_item(hand_over: HandOver) -> dict[str, Any]:
    return {
        "id": hand_over.pk,
        "order_id": hand_over.order_id,
        "from_unit": hand_over.from_unit.name,
        "to_unit": hand_over.to_unit.name,
        "to_staff": hand_over.to_staff.name if hand_over.to_staff else None,
        "reason": hand_over.reason,
        "status": hand_over.status,
        "status_label": str(hand_over.get_status_display()),
        "requested_at": hand_over.requested_at,
        "decided_at": hand_over.decided_at,
        "decision_note": hand_over.decision_note,
    }


def notice_item(message: Any) -> dict[str, Any]:
    """One outbox message about the order (delivered, queued or dead-lettered)."""
    return {
        "id": message.pk,
        "channel": message.channel,
        "recipient": message.recipient,
        "subject": message.subject,
        "body": message.body,
        "status": message.status,
        "status_label": str(message.get_status_display()),
        "attempts": message.attempts,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "dead_at": message.dead_at,
        "last_error": message.last_error,
        "status_reason": message.status_reason,
    }


def _author(user: Any) -> str | None:
    if user is None:
        return None
    staff = getattr(user, "staff", None)
    return staff.name if staff is not None else user.get_username()


def order_detail(order: WorkOrder, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    data = order_item(order, now)
    data |= {
        "description": order.description,
        "value_tier": order.value_tier,
        "line": order.line.number if order.line else None,
        "contact_phone": order.contact_phone,
        "contact_email": order.contact_email,
        "notice_language": order.notice_language,
        "owner_unit_id": order.owner_unit_id,
        "owner_staff_id": order.owner_staff_id,
        "resolution": order.resolution,
        "merged_into": order.merged_into.order_no if order.merged_into else None,
        "repeat_of": order.repeat_of.order_no if order.repeat_of else None,
        "upgrade_reason": order.upgrade_reason,
        "reopen_count": order.reopen_count,
        "sla_policy": order.sla_policy.name if order.sla_policy else None,
        "timestamps": {
            "received_at": order.received_at,
            "first_responded_at": order.first_responded_at,
            **{field: getattr(order, field) for field in STATUS_TIMESTAMP.values()},
        },
        "due": {
            "first_response": order.first_response_due_at,
            "resolution": order.resolution_due_at,
            "statutory": order.statutory_due_at,
            "next_progress_notice": order.progress_due_at,
        },
        "sla_paused": order.sla_paused_since is not None,
        "messages": [
            {
                "id": m.pk,
                "kind": m.kind,
                "kind_label": str(m.get_kind_display()),
                "body": m.body,
                "author": _author(m.author),
                "created_at": m.created_at,
            }
            for m in order.messages.select_related("author__staff")
        ],
        "tasks": [
            task_item(t, now) for t in order.tasks.select_related("assignee_unit", "assignee_staff")
        ],
        "hand_overs": [
            hand_over_item(h)
            for h in order.hand_overs.select_related("from_unit", "to_unit", "to_staff")
        ],
        "status_history": [
            {
                "from": c.from_status,
                "to": c.to_status,
                "from_label": str(c.get_from_status_display()),
                "to_label": str(c.get_to_status_display()),
                "at": c.at,
                "note": c.note,
            }
            for c in order.status_changes.all()
        ],
        "escalations": [
            {
                "level": e.level.code,
                "name": e.level.name,
                "cycle": e.cycle,
                "fired_at": e.fired_at,
                "used_share": str(e.used_share),
                "used_percent": f"{e.used_share:.0%}",
            }
            for e in order.escalations.select_related("level")
        ],
        "attachments": [
            {
                "id": a.pk,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "uploaded_at": a.uploaded_at,
                "url": reverse("api:complaints_attachment_download", args=[order.pk, a.pk]),
            }
            for a in order.attachments.all()
        ],
        "revisits": [
            {
                "id": r.pk,
                "cycle": r.cycle,
                "due_at": r.due_at,
                "outcome": r.outcome,
                "outcome_label": str(r.get_outcome_display()) if r.outcome else "",
                "notes": r.notes,
                "done_at": r.done_at,
            }
            for r in order.revisits.all()
        ],
        "surveys": [
            {
                "cycle": s.cycle,
                "sent_at": s.sent_at,
                "responded_at": s.responded_at,
                "csat": s.csat,
                "solved": s.solved,
                "comment": s.comment,
            }
            for s in order.surveys.all()
        ],
        "notices": [notice_item(m) for m in messages_for(related=order)],
    }
    return data
