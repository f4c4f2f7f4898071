"""Who may do what to an order, beyond seeing it (seeing is ``selectors.work_orders_visible_to``).

One owner: only the owner side (the owner unit and units above it, the owner store's
clerks) works the order. Units that received an internal task work that task. The
receiving unit accepts a hand-over. Supervisors of the service department may do all.
"""

from __future__ import annotations

from typing import Any

from wanliu.complaints.models import HandOver, InternalTask, WorkOrder
from wanliu.org.models import OrgUnit, Role, Staff

SUPERVISOR_ROLES = {Role.SERVICE_SUPERVISOR, Role.ADMIN}
REVISIT_ROLES = {Role.HOTLINE_AGENT, Role.SERVICE_SUPERVISOR, Role.ADMIN}
LEAD_ROLES = {Role.GRID_LEAD, Role.BRANCH_MANAGER, Role.SERVICE_SUPERVISOR}


def staff_of(user: Any) -> Staff | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "staff", None)


def is_supervisor(user: Any) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    staff = staff_of(user)
    return staff is not None and staff.role in SUPERVISOR_ROLES


def _covers(staff: Staff, unit: OrgUnit, store_id: int | None) -> bool:
    """Does the staff member's place include this unit (or store)?"""
    if staff.role == Role.CLERK:
        if staff.store_id is None:
            return False
        return store_id == staff.store_id if store_id is not None else unit.pk == staff.unit_id
    return unit.path.startswith(staff.unit.path)


def can_act_as_owner(user: Any, order: WorkOrder) -> bool:
    if is_supervisor(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    return _covers(staff, order.owner_unit, order.owner_store_id)


def can_work_task(user: Any, task: InternalTask) -> bool:
    if is_supervisor(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    return task.assignee_staff_id == staff.pk or _covers(staff, task.assignee_unit, None)


def can_decide_hand_over(user: Any, hand_over: HandOver) -> bool:
    """Only the receiving side accepts or declines (a supervisor may too)."""
    if is_supervisor(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    if hand_over.to_staff_id is not None and hand_over.to_staff_id == staff.pk:
        return True
    return _covers(staff, hand_over.to_unit, hand_over.to_store_id)


def can_revisit(user: Any, order: WorkOrder) -> bool:
    staff = staff_of(user)
    return can_act_as_owner(user, order) or (staff is not None and staff.role in REVISIT_ROLES)
