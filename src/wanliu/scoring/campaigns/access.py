"""Who may see and do what with proactive campaigns: decided here and nowhere else.

Seeing follows ``wanliu.org.scoping``: a campaign over a unit is seen by users whose scope
covers that unit (a campaign over the whole operator, by operator-wide users only); an
outreach task by users whose scope covers the customer's unit. Objects out of scope answer
404. Campaign pages are for roles that manage campaigns or supervise retention.

Doing follows the permissions of the user's role group (``wanliu.org.roles``): managing
campaigns (``scoring.manage_campaign``: analysts, administrators) and working outreach
tasks (``scoring.work_outreach``): hotline agents work the hotline queue, grid leads and
branch managers the grid queue of their subtree, administrators everything.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from wanliu.org.models import Role, Staff
from wanliu.org.scoping import first_or_404, scope_for
from wanliu.scoring.models import Campaign, OutreachTask

MANAGE = "scoring.manage_campaign"
WORK_OUTREACH = "scoring.work_outreach"
SUPERVISE = "retention.supervise_retention"
GRID_ROLES = {Role.GRID_LEAD, Role.BRANCH_MANAGER}


def _active(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def staff_of(user: Any) -> Staff | None:
    return getattr(user, "staff", None) if _active(user) else None


def _is_admin(user: Any) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    staff = staff_of(user)
    return staff is not None and staff.role == Role.ADMIN


def can_manage_campaigns(user: Any) -> bool:
    return _active(user) and bool(user.has_perm(MANAGE))


def can_view_campaigns(user: Any) -> bool:
    return _active(user) and (bool(user.has_perm(MANAGE)) or bool(user.has_perm(SUPERVISE)))


def can_work_outreach(user: Any) -> bool:
    return _active(user) and bool(user.has_perm(WORK_OUTREACH))


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    if not can_view_campaigns(user):
        return Campaign.objects.none()
    scope = scope_for(user)
    if scope.everything:
        return Campaign.objects.all()
    if scope.unit_path is not None:
        return Campaign.objects.filter(unit__path__startswith=scope.unit_path)
    return Campaign.objects.none()


def campaign_get_for(user: Any, campaign_id: int) -> Campaign:
    """The campaign if the user may see it; 404 otherwise (never says it exists)."""
    return first_or_404(
        campaigns_visible_to(user).select_related("unit").filter(pk=campaign_id), "campaign"
    )


def unit_allowed(user: Any, unit: Any) -> bool:
    """May the user run a campaign over ``unit`` (None: the whole operator)?"""
    scope = scope_for(user)
    if scope.everything:
        return True
    if unit is None or scope.unit_path is None:
        return False
    return bool(unit.path.startswith(scope.unit_path))


def outreach_tasks_visible_to(user: Any) -> QuerySet[OutreachTask]:
    """Tasks of the user's queue in their scope (hotline agents: the hotline queue; grid
    leads and branch managers: the grid queue), all in scope for administrators and for
    those who view campaigns."""
    if not (can_work_outreach(user) or can_view_campaigns(user)):
        return OutreachTask.objects.none()
    scope = scope_for(user)
    tasks = OutreachTask.objects.filter(
        scope.q(unit_path_field="unit__path", store_field="target__customer__store_id")
    )
    if _is_admin(user) or can_view_campaigns(user):
        return tasks
    staff = staff_of(user)
    if staff is None:
        return OutreachTask.objects.none()
    if staff.role == Role.HOTLINE_AGENT:
        return tasks.filter(queue=OutreachTask.Queue.HOTLINE)
    if staff.role in GRID_ROLES:
        return tasks.filter(queue=OutreachTask.Queue.GRID)
    return OutreachTask.objects.none()


def outreach_task_get_for(user: Any, task_id: int) -> OutreachTask:
    return first_or_404(
        outreach_tasks_visible_to(user)
        .select_related(
            "campaign",
            "unit",
            "target",
            "target__offer",
            "target__customer",
            "target__line",
            "target__line__subscription__plan",
        )
        .filter(pk=task_id),
        "outreach task",
    )


def can_work_task(user: Any, task: OutreachTask) -> bool:
    """May the user record contact attempts on this task?"""
    if not can_work_outreach(user):
        return False
    if _is_admin(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    if staff.role == Role.HOTLINE_AGENT:
        return task.queue == OutreachTask.Queue.HOTLINE
    if staff.role in GRID_ROLES:
        return task.queue == OutreachTask.Queue.GRID and task.unit.path.startswith(staff.unit.path)
    return False
