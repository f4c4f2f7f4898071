"""Notices to the customer and escalation messages to staff, through the notify outbox.

Every notice is written in the transaction of the change that causes it, with an
idempotency key that names the order, the milestone and the channel, so a retried
change or a second worker never sends the same notice twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from wanliu.complaints.models import WorkOrder
from wanliu.notify.events import event_publish
from wanliu.notify.services import message_enqueue, template_render
from wanliu.org.models import Staff

# Template keys (notify.MessageTemplate rows seeded by this app's migrations).
ACCEPTED = "complaints.accepted"
PROGRESS = "complaints.progress"
TASK_DISPATCHED = "complaints.task_dispatched"
RESOLVED = "complaints.resolved"
SURVEY = "complaints.survey"
ESCALATION = "complaints.escalation"


def public_url(path: str) -> str:
    """An absolute link for messages that leave the system (the survey link)."""
    base = getattr(settings, "WANLIU_PUBLIC_BASE_URL", "") or "http://127.0.0.1:8000"
    return base.rstrip("/") + path


def format_local(value: datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def order_context(order: WorkOrder, language: str) -> dict[str, Any]:
    with translation.override(language):
        return {
            "order_no": order.order_no or "",
            "title": order.title,
            "customer_name": order.customer.name,
            "category": order.category.name_en
            if language == "en" and order.category.name_en
            else order.category.name,
            "status": str(order.get_status_display()),
            "deadline": format_local(order.resolution_due_at),
            "resolution": order.resolution,
        }


def customer_channels(order: WorkOrder) -> list[tuple[str, str]]:
    """(channel, recipient) pairs the customer is reached on for this order."""
    pairs = []
    if order.contact_phone:
        pairs.append(("sms", order.contact_phone))
    if order.contact_email:
        pairs.append(("email", order.contact_email))
    return pairs


def customer_notice(
    *,
    order: WorkOrder,
    key: str,
    milestone: str,
    extra: dict[str, Any] | None = None,
    urgent: bool = False,
) -> int:
    """Enqueue one template notice per customer channel; returns how many were written.

    ``milestone`` makes the idempotency key: the same milestone is never sent twice. The
    notices are about the customer's own complaint, so they are service notices
    (``transactional``): a customer who opted out of marketing still gets them, and quiet
    hours still hold them back (unless ``urgent``).
    """
    language = order.notice_language
    context = order_context(order, language) | (extra or {})
    written = 0
    for channel, recipient in customer_channels(order):
        subject, body = template_render(
            key=key, language=language, channel=channel, context=context
        )
        message_enqueue(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            idempotency_key=f"complaints:{order.pk}:{milestone}:{channel}",
            related=order,
            customer=order.customer,
            urgent=urgent,
            transactional=True,
        )
        written += 1
    return written


def progress_text(order: WorkOrder, message: Any, **values: Any) -> str:
    """A (lazily translated) progress sentence in the order's notice language."""
    with translation.override(order.notice_language):
        text = str(message)
        return text % values if values else text


def survey_link(token: str) -> str:
    return public_url(reverse("complaints:survey", args=[token]))


def staff_escalation_notice(
    *, order: WorkOrder, staff: Staff, level_name: str, escalation_id: int, used_share: str
) -> bool:
    """E-mail one staff member about an escalation; False when they have no address."""
    email = staff.user.email
    if not email:
        return False
    language = staff.language
    context = order_context(order, language) | {
        "level": level_name,
        "used_share": used_share,
        "owner_unit": order.owner_unit.name,
        "owner": order.owner_staff.name if order.owner_staff else "",
        "staff_name": staff.name,
    }
    subject, body = template_render(
        key=ESCALATION, language=language, channel="email", context=context
    )
    message_enqueue(
        channel="email",
        recipient=email,
        subject=subject,
        body=body,
        idempotency_key=f"complaints:escalation:{escalation_id}:{staff.pk}",
        related=order,
        urgent=True,
    )
    return True


def order_event_data(order: WorkOrder) -> dict[str, Any]:
    """What other systems are told about a work order (no internal notes)."""
    return {
        "id": order.pk,
        "order_no": order.order_no or "",
        "status": order.status,
        "channel": order.channel,
        "category": order.category.code,
        "priority": order.priority,
        "customer_no": order.customer.customer_no,
        "line": order.line.number if order.line_id and order.line else None,
        "owner_unit": order.owner_unit.name,
        "owner_staff": order.owner_staff.employee_no if order.owner_staff else None,
        "received_at": order.received_at,
        "resolution_due_at": order.resolution_due_at,
        "resolution": order.resolution,
        "reopen_count": order.reopen_count,
    }


def order_created_event(order: WorkOrder) -> None:
    event_publish(
        event="complaints.work_order.created",
        key=f"work_order:{order.pk}:created",
        data=order_event_data(order),
        related=order,
    )


def order_status_event(order: WorkOrder, *, change: Any) -> None:
    event_publish(
        event="complaints.work_order.status_changed",
        key=f"work_order:{order.pk}:status:{change.pk}",
        data={
            **order_event_data(order),
            "from_status": change.from_status,
            "to_status": change.to_status,
            "at": change.at,
        },
        related=order,
    )
