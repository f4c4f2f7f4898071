"""Intake and everyday work on an order: create, assign, change, messages, attachments,
merge of duplicates, reopen."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.models import (
    OPEN_STATUSES,
    PRIORITY_RANK,
    Attachment,
    Category,
    Channel,
    ContactResolution,
    InternalTask,
    OrderMessage,
    Priority,
    Status,
    WorkOrder,
)
from wanliu.complaints.permissions import can_work_complaints, staff_of
from wanliu.complaints.services import notices, search, sla
from wanliu.complaints.services.errors import ComplaintError, ConflictError
from wanliu.complaints.services.workflow import progress_notice_record, work_order_transition
from wanliu.core.services import audit_record
from wanliu.customers.models import Contact, Customer, Line
from wanliu.org.models import Role, Staff

ASSIGNABLE_FROM = (Status.NEW, Status.REOPENED)
_PHONE = re.compile(r"^\+?[0-9]{5,20}$")


def _phone(text: str) -> str:
    number = re.sub(r"[\s\-()]", "", text)
    if not _PHONE.match(number):
        raise ComplaintError(_("%(value)s is not a phone number.") % {"value": text})
    return number


def _raised(priority: str, steps: int = 1) -> str:
    values = Priority.values
    return values[min(len(values) - 1, PRIORITY_RANK[priority] + steps)]


@transaction.atomic
def work_order_create(
    *,
    actor: Any,
    customer: Customer,
    channel: str,
    category: Category,
    title: str,
    description: str,
    priority: str = Priority.NORMAL,
    line: Line | None = None,
    source_contact: Contact | None = None,
    contact_phone: str = "",
    contact_email: str = "",
    notice_language: str = "zh-hans",
    received_at: datetime | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Register a complaint; the taker's unit (and store) owns it from now to closure.

    Repeat complaints (same customer and category within the configured window) go up
    one priority step; regulator appeals go to urgent and carry the statutory limit.
    The customer is told the committed deadline. Only roles that work complaints take
    them (``PermissionDenied`` otherwise).
    """
    now = now or timezone.now()
    staff = staff_of(actor)
    if staff is None:
        raise ComplaintError(_("Only staff take complaints: this login has no staff profile."))
    if not can_work_complaints(actor):
        raise PermissionDenied(_("Your role does not take complaints."))
    if channel not in Channel.values:
        raise ComplaintError(_("Unknown channel %(value)s.") % {"value": channel})
    if priority not in Priority.values:
        raise ComplaintError(_("Unknown priority %(value)s.") % {"value": priority})
    if not category.active:
        raise ComplaintError(_("This category is no longer in use."))
    if line is not None and line.account.customer_id != customer.pk:
        raise ComplaintError(_("The line does not belong to this customer."))
    if source_contact is not None and source_contact.customer_id != customer.pk:
        raise ComplaintError(_("The contact does not belong to this customer."))
    contact_phone = _phone(contact_phone.strip()) if contact_phone.strip() else ""
    if contact_phone.strip() == "" and customer.contact_phone:
        try:
            contact_phone = _phone(customer.contact_phone)
        except ComplaintError:
            contact_phone = ""  # the customer's stored number is unusable: no SMS
    contact_email = contact_email.strip()
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            raise ComplaintError(
                _("%(value)s is not an e-mail address.") % {"value": contact_email}
            ) from None
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):
        raise ComplaintError(_("The time received is in the future."))
    settings_row = sla.complaint_settings()
    repeat_of = (
        WorkOrder.objects.filter(
            customer=customer,
            category=category,
            received_at__gte=received_at - timedelta(days=settings_row.repeat_window_days),
            received_at__lte=received_at,
        )
        .exclude(status=Status.MERGED)
        .order_by("-received_at")
        .first()
    )
    reasons = []
    if repeat_of is not None:
        priority = _raised(priority)
        reasons.append(
            f"repeat of {repeat_of.order_no} within {settings_row.repeat_window_days} days"
        )
    if channel == Channel.REGULATOR:
        priority = Priority.URGENT
        reasons.append("regulator appeal")
    order = WorkOrder(
        channel=channel,
        category=category,
        priority=priority,
        value_tier=customer.value_tier,
        customer=customer,
        line=line,
        source_contact=source_contact,
        title=title.strip(),
        description=description.strip(),
        contact_phone=contact_phone,
        contact_email=contact_email,
        notice_language=notice_language,
        owner_unit=staff.unit if staff.role != Role.CLERK else staff.store.unit,  # type: ignore[union-attr]
        owner_store=staff.store if staff.role == Role.CLERK else None,
        owner_staff=staff,
        created_by=actor,
        received_at=received_at,
        sla_started_at=received_at,
        repeat_of=repeat_of,
        upgrade_reason="; ".join(reasons),
    )
    if not order.title or not order.description:
        raise ComplaintError(_("A complaint needs a subject and what the customer says."))
    sla.sla_recompute(order=order, now=now)
    order.save()
    order.order_no = f"GD{timezone.localtime(received_at):%Y%m%d}{order.pk:06d}"
    order.save(update_fields=["order_no"])
    if source_contact is not None:
        ContactResolution.objects.filter(contact=source_contact).update(final=False)
    audit_record(
        actor=actor,
        action="work_order.create",
        obj=order,
        after={
            "order_no": order.order_no,
            "channel": channel,
            "category": category.code,
            "priority": priority,
            "owner_unit": order.owner_unit_id,
        },
        note=order.upgrade_reason,
    )
    notices.order_created_event(order)
    notices.customer_notice(order=order, key=notices.ACCEPTED, milestone="accepted")
    search.search_index_update(order=order)
    return order


@transaction.atomic
def work_order_assign(*, order: WorkOrder, staff: Staff, actor: Any) -> WorkOrder:
    """Give the order to a person of the owner unit (the unit stays the owner)."""
    if not order.is_open:
        raise ConflictError(_("Only open orders can be assigned."))
    if not staff.unit.path.startswith(order.owner_unit.path):
        raise ComplaintError(
            _("Assign within the owner unit; to move the order elsewhere, request a hand-over.")
        )
    if not can_work_complaints(staff.user):
        raise ComplaintError(_("%(name)s's role does not work complaints.") % {"name": staff.name})
    before = order.owner_staff_id
    order.owner_staff = staff
    order.save(update_fields=["owner_staff"])
    audit_record(
        actor=actor,
        action="work_order.assign",
        obj=order,
        before={"owner_staff": before},
        after={"owner_staff": staff.pk},
    )
    if order.status in ASSIGNABLE_FROM:
        work_order_transition(order=order, to_status=Status.ASSIGNED, actor=actor)
    return order


@transaction.atomic
def work_order_update(
    *,
    order: WorkOrder,
    actor: Any,
    priority: str | None = None,
    category: Category | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Change priority or category; the SLA policy and every due time are recomputed."""
    now = now or timezone.now()
    if not order.is_open:
        raise ConflictError(_("Only open orders can be changed."))
    before = {"priority": order.priority, "category": order.category.code}
    if priority is not None:
        if priority not in Priority.values:
            raise ComplaintError(_("Unknown priority %(value)s.") % {"value": priority})
        order.priority = priority
    if category is not None:
        order.category = category
    fields = sla.sla_recompute(order=order, now=now)
    order.save(update_fields=[*fields, "priority", "category"])
    audit_record(
        actor=actor,
        action="work_order.update",
        obj=order,
        before=before,
        after={"priority": order.priority, "category": order.category.code},
    )
    search.search_index_update(order=order)
    return order


@transaction.atomic
def work_order_message_add(
    *, order: WorkOrder, kind: str, body: str, actor: Any, now: datetime | None = None
) -> OrderMessage:
    """An internal note, a message to the customer (sent as a progress notice, and it
    counts as the first response), or what the customer said."""
    now = now or timezone.now()
    if kind not in OrderMessage.Kind.values:
        raise ComplaintError(_("Unknown message kind %(value)s.") % {"value": kind})
    if not body.strip():
        raise ComplaintError(_("The message is empty."))
    if order.status == Status.MERGED:
        raise ConflictError(_("This order was merged: write on the order it was merged into."))
    message = OrderMessage.objects.create(order=order, kind=kind, body=body.strip(), author=actor)
    audit_record(actor=actor, action=f"work_order.message.{kind}", obj=order, note=body[:200])
    if kind == OrderMessage.Kind.TO_CUSTOMER:
        if order.first_responded_at is None:
            order.first_responded_at = now
            order.save(update_fields=["first_responded_at"])
            fields = sla.sla_recompute(order=order, now=now, rematch=False)
            order.save(update_fields=fields)
        progress_notice_record(order=order, text=message.body, now=now)
    search.search_index_update(order=order)
    return message


@transaction.atomic
def work_order_attachment_add(*, order: WorkOrder, upload: UploadedFile, actor: Any) -> Attachment:
    limit = sla.complaint_settings().attachment_max_mb * 1024 * 1024
    size = upload.size or 0
    if size == 0:
        raise ComplaintError(_("The file is empty."))
    if size > limit:
        raise ComplaintError(
            _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
        )
    name = (upload.name or "attachment").rsplit("/", 1)[-1][:200]
    attachment = Attachment(
        order=order,
        name=name,
        content_type=(upload.content_type or "application/octet-stream")[:100],
        size=size,
        uploaded_by=actor,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    audit_record(actor=actor, action="work_order.attachment", obj=order, note=name)
    return attachment


@transaction.atomic
def work_order_merge(
    *, duplicate: WorkOrder, into: WorkOrder, actor: Any, now: datetime | None = None
) -> WorkOrder:
    """Merge a duplicate complaint into another order of the same customer: the duplicate
    ends as ``merged``, its open tasks move to the surviving order."""
    now = now or timezone.now()
    if duplicate.pk == into.pk:
        raise ComplaintError(_("An order cannot be merged into itself."))
    if duplicate.customer_id != into.customer_id:
        raise ComplaintError(_("Only orders of the same customer can be merged."))
    if into.status not in OPEN_STATUSES:
        raise ConflictError(_("Merge into an open order."))
    duplicate.merged_into = into
    duplicate.save(update_fields=["merged_into"])
    moved = InternalTask.objects.filter(
        order=duplicate,
        status__in=[InternalTask.Status.OPEN, InternalTask.Status.IN_PROGRESS],
    ).update(order=into)
    work_order_transition(
        order=duplicate,
        to_status=Status.MERGED,
        actor=actor,
        note=f"merged into {into.order_no}",
        now=now,
    )
    OrderMessage.objects.create(
        order=into,
        kind=OrderMessage.Kind.NOTE,
        body=str(_("Merged duplicate %(order_no)s: %(title)s"))
        % {"order_no": duplicate.order_no, "title": duplicate.title},
        author=actor,
    )
    audit_record(
        actor=actor,
        action="work_order.merge",
        obj=into,
        after={"merged": duplicate.pk, "tasks_moved": moved},
    )
    search.search_index_update(order=into)
    return into


def work_order_reopen(
    *, order: WorkOrder, reason: str, actor: Any, now: datetime | None = None
) -> WorkOrder:
    """Reopen a resolved or closed order: a new SLA cycle starts."""
    return work_order_transition(
        order=order, to_status=Status.REOPENED, actor=actor, note=reason, now=now
    )
