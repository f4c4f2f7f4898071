"""Changing the owner: an explicit hand-over with a reason, effective when the receiving
unit accepts it. Until then the current owner stays responsible."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.complaints.models import HandOver, WorkOrder
from wanliu.complaints.permissions import can_work_complaints, staff_of
from wanliu.complaints.services.errors import ComplaintError, ConflictError
from wanliu.core.services import audit_record
from wanliu.org.models import OrgUnit, Role, Staff, Store


@transaction.atomic
def hand_over_request(
    *,
    order: WorkOrder,
    to_unit: OrgUnit,
    reason: str,
    actor: Any,
    to_staff: Staff | None = None,
    to_store: Store | None = None,
) -> HandOver:
    if not order.is_open:
        raise ConflictError(_("Only open orders change owner."))
    if not reason.strip():
        raise ComplaintError(_("A hand-over needs a reason."))
    if to_store is not None and to_store.unit_id != to_unit.pk:
        raise ComplaintError(_("The store is not in the receiving unit."))
    if to_staff is not None and not to_staff.unit.path.startswith(to_unit.path):
        raise ComplaintError(_("The receiver does not work in the receiving unit."))
    if to_staff is not None and not can_work_complaints(to_staff.user):
        raise ComplaintError(
            _("%(name)s's role does not work complaints.") % {"name": to_staff.name}
        )
    if to_unit.pk == order.owner_unit_id and to_store is None and to_staff is None:
        raise ComplaintError(_("The order is already owned by this unit."))
    staff = staff_of(actor)
    try:
        with transaction.atomic():
            hand_over = HandOver.objects.create(
                order=order,
                from_unit=order.owner_unit,
                from_staff=order.owner_staff,
                to_unit=to_unit,
                to_store=to_store,
                to_staff=to_staff,
                reason=reason.strip(),
                requested_by=actor,
            )
    except IntegrityError:
        raise ConflictError(
            _("A hand-over of this order is already waiting for acceptance.")
        ) from None
    audit_record(
        actor=actor,
        action="hand_over.request",
        obj=order,
        after={"hand_over": hand_over.pk, "to_unit": to_unit.pk, "by": getattr(staff, "pk", None)},
        note=reason,
    )
    return hand_over


def _pending(hand_over: HandOver) -> HandOver:
    locked = HandOver.objects.select_for_update().get(pk=hand_over.pk)
    if locked.status != HandOver.Status.PENDING:
        raise ConflictError(
            _("This hand-over is already %(status)s.") % {"status": locked.get_status_display()}
        )
    return locked


@transaction.atomic
def hand_over_accept(
    *, hand_over: HandOver, actor: Any, note: str = "", now: datetime | None = None
) -> HandOver:
    """The receiver takes the order: the owner unit (and store, and person) change."""
    now = now or timezone.now()
    locked = _pending(hand_over)
    order = WorkOrder.objects.select_for_update().get(pk=locked.order_id)
    receiver = staff_of(actor)
    new_owner = locked.to_staff
    if new_owner is None and receiver is not None:
        new_owner = receiver
    before = {
        "owner_unit": order.owner_unit_id,
        "owner_store": order.owner_store_id,
        "owner_staff": order.owner_staff_id,
    }
    order.owner_unit = locked.to_unit
    order.owner_store = locked.to_store
    if order.owner_store is None and new_owner is not None and new_owner.role == Role.CLERK:
        order.owner_store = new_owner.store
    order.owner_staff = new_owner
    order.save(update_fields=["owner_unit", "owner_store", "owner_staff"])
    locked.status = HandOver.Status.ACCEPTED
    locked.decided_by = actor
    locked.decided_at = now
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action="hand_over.accept",
        obj=order,
        before=before,
        after={
            "owner_unit": order.owner_unit_id,
            "owner_store": order.owner_store_id,
            "owner_staff": order.owner_staff_id,
        },
        note=locked.reason,
    )
    hand_over.refresh_from_db()
    return hand_over


@transaction.atomic
def hand_over_decline(
    *, hand_over: HandOver, actor: Any, note: str, now: datetime | None = None
) -> HandOver:
    """The receiver refuses, with a reason; the current owner keeps the order."""
    if not note.strip():
        raise ComplaintError(_("Say why the hand-over is declined."))
    locked = _pending(hand_over)
    locked.status = HandOver.Status.DECLINED
    locked.decided_by = actor
    locked.decided_at = now or timezone.now()
    locked.decision_note = note.strip()
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(actor=actor, action="hand_over.decline", obj=locked.order, note=note)
    hand_over.refresh_from_db()
    return hand_over
