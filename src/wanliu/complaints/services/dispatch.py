"""Internal tasks (内部派单): the owner asks another unit (the home region, a network team,
billing) for work, with its own assignee and due time; the owner keeps the order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.models import InternalTask, OrderMessage, WorkOrder
from wanliu.complaints.permissions import can_work_complaints
from wanliu.complaints.services import notices, search
from wanliu.complaints.services.errors import ComplaintError, ConflictError
from wanliu.core.services import audit_record
from wanliu.org.models import OrgUnit, Staff

CUSTOMER_TASK_TEXT = _("We have asked %(unit)s to help: %(task)s. Expected by %(due)s.")


@transaction.atomic
def internal_task_dispatch(
    *,
    order: WorkOrder,
    assignee_unit: OrgUnit,
    title: str,
    due_at: datetime,
    actor: Any,
    description: str = "",
    assignee_staff: Staff | None = None,
    now: datetime | None = None,
) -> InternalTask:
    now = now or timezone.now()
    if not order.is_open:
        raise ConflictError(_("Tasks are dispatched from open orders only."))
    if not title.strip():
        raise ComplaintError(_("A task needs a title."))
    if due_at <= now:
        raise ComplaintError(_("The task's due time must be in the future."))
    if assignee_staff is not None and not assignee_staff.unit.path.startswith(assignee_unit.path):
        raise ComplaintError(_("The assignee does not work in the assigned unit."))
    if assignee_staff is not None and not can_work_complaints(assignee_staff.user):
        raise ComplaintError(
            _("%(name)s's role does not work complaints.") % {"name": assignee_staff.name}
        )
    task = InternalTask.objects.create(
        order=order,
        assignee_unit=assignee_unit,
        assignee_staff=assignee_staff,
        title=title.strip(),
        description=description.strip(),
        due_at=due_at,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="internal_task.dispatch",
        obj=task,
        after={"order": order.pk, "unit": assignee_unit.pk, "due_at": due_at.isoformat()},
    )
    notices.customer_notice(
        order=order,
        key=notices.TASK_DISPATCHED,
        milestone=f"task:{task.pk}",
        extra={
            "progress": notices.progress_text(
                order,
                CUSTOMER_TASK_TEXT,
                unit=assignee_unit.name,
                task=task.title,
                due=notices.format_local(due_at),
            ),
            "task": task.title,
            "task_unit": assignee_unit.name,
            "task_due": notices.format_local(due_at),
        },
    )
    return task


@transaction.atomic
def internal_task_update(
    *,
    task: InternalTask,
    status: str,
    actor: Any,
    result: str = "",
    now: datetime | None = None,
) -> InternalTask:
    """Move a task (open → in progress → done, or returned to the owner with a reason);
    the result lands on the order as an internal note the owner sees."""
    now = now or timezone.now()
    locked = InternalTask.objects.select_for_update().get(pk=task.pk)
    before = locked.status
    if status not in InternalTask.Status.values or status not in InternalTask.ALLOWED[before]:
        allowed = ", ".join(sorted(InternalTask.ALLOWED[before])) or "none: the task is final"
        raise ConflictError(
            _("Cannot move a task from %(from)s to %(to)s; allowed: %(allowed)s.")
            % {"from": before, "to": status, "allowed": allowed}
        )
    if status in (InternalTask.Status.DONE, InternalTask.Status.RETURNED) and not result.strip():
        raise ComplaintError(_("Say what was done, or why the task goes back."))
    task.status = status
    if status == InternalTask.Status.IN_PROGRESS:
        task.started_at = now
    else:
        task.finished_at = now
    task.result = result.strip() or task.result
    task.save(update_fields=["status", "started_at", "finished_at", "result"])
    if result.strip():
        OrderMessage.objects.create(
            order=task.order,
            kind=OrderMessage.Kind.NOTE,
            body=f"[{task.assignee_unit.name}] {task.title}: {task.get_status_display()} · "
            f"{result.strip()}",
            author=actor,
        )
        search.search_index_update(order=task.order)
    audit_record(
        actor=actor,
        action="internal_task.update",
        obj=task,
        before={"status": before},
        after={"status": status},
        note=result[:200],
    )
    return task
