"""Who may do what to an order, beyond seeing it (seeing is ``selectors.work_orders_visible_to``).

Doing needs a permission of the user's role groups (``wanliu.org.roles.ROLE_PERMISSIONS``;
the codenames are those of ``WorkOrder``): ``work_workorder`` to take and work complaints
(hotline agents, clerks, grid leads, branch managers, supervisors, admins; analysts and
workforce planners read what their scope shows and do not work orders),
``revisit_workorder`` to record the revisit of any order in scope, and
``supervise_workorder`` to act on every order in scope.

And the place: one owner, so only the owner side (the owner unit and units above it, the
owner store's clerks) works the order. Units that received an internal task work that
task. The receiving unit accepts a hand-over.
"""

from __future__ import annotations

from typing import Any

from wanliu.complaints.models import HandOver, InternalTask, WorkOrder
from wanliu.org.models import OrgUnit, Role, Staff

WORK = "complaints.work_workorder"
REVISIT = "complaints.revisit_workorder"
SUPERVISE = "complaints.supervise_workorder"
LEAD_ROLES = {Role.GRID_LEAD, Role.BRANCH_MANAGER, Role.SERVICE_SUPERVISOR}


def staff_of(user: Any) -> Staff | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "staff", None)


def has_authority(user: Any, permission: str) -> bool:
    """Does a permission of the user's role groups (or superuser status) allow this?"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.has_perm(permission))


def can_work_complaints(user: Any) -> bool:
    """May the user take complaints and work orders at all (wherever they are)?"""
    return has_authority(user, WORK)


def can_take_complaint(user: Any) -> bool:
    """May the user register a complaint? Staff whose role works complaints."""
    return staff_of(user) is not None and can_work_complaints(user)


def is_supervisor(user: Any) -> bool:
    return can_work_complaints(user) and has_authority(user, SUPERVISE)


def _covers(staff: Staff, unit: OrgUnit, store_id: int | None) -> bool:
    """Does the staff member's place include this unit (or store)?"""
    if staff.role == Role.CLERK:
        if staff.store_id is None:
            return False
        return store_id == staff.store_id if store_id is not None else unit.pk == staff.unit_id
    return unit.path.startswith(staff.unit.path)


def can_act_as_owner(user: Any, order: WorkOrder) -> bool:
    if not can_work_complaints(user):
        return False
    if is_supervisor(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    return _covers(staff, order.owner_unit, order.owner_store_id)


def can_work_task(user: Any, task: InternalTask) -> bool:
    if not can_work_complaints(user):
        return False
    if is_supervisor(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    return task.assignee_staff_id == staff.pk or _covers(staff, task.assignee_unit, None)


def can_decide_hand_over(user: Any, hand_over: HandOver) -> bool:
    """Only the receiving side accepts or declines (a supervisor may too)."""
    if not can_work_complaints(user):
        return False
    if is_supervisor(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    if hand_over.to_staff_id is not None and hand_over.to_staff_id == staff.pk:
        return True
    return _covers(staff, hand_over.to_unit, hand_over.to_store_id)


def can_revisit(user: Any, order: WorkOrder) -> bool:
    """The owner side records the revisit; so do roles that revisit any order in scope."""
    if not can_work_complaints(user):
        return False
    return has_authority(user, REVISIT) or can_act_as_owner(user, order)
