"""Writes of the analytics app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from wanliu.analytics.models import FollowUpTask
from wanliu.core.services import audit_record
from wanliu.customers.models import Customer


@transaction.atomic
def follow_up_tasks_create(
    *,
    kind: str,
    customers: Iterable[Customer],
    month: dt.date,
    actor: User | None,
    reason: str = "",
) -> list[FollowUpTask]:
    """Open one task of ``kind`` per customer for the month; a customer who has one keeps it.

    Returns only the tasks made now, each with an audit row.
    """
    if kind not in FollowUpTask.Kind.values:
        raise ValueError(f"unknown task kind {kind!r}")
    month = month.replace(day=1)
    made = []
    for customer in customers:
        task, created = FollowUpTask.objects.get_or_create(
            kind=kind,
            customer=customer,
            month=month,
            defaults={"reason": reason[:200], "created_by": actor},
        )
        if created:
            audit_record(
                actor=actor,
                action=f"analytics.task.{kind}",
                obj=task,
                after={"customer": customer.pk, "month": month.isoformat(), "reason": task.reason},
            )
            made.append(task)
    return made


@transaction.atomic
def follow_up_task_complete(
    *, task: FollowUpTask, actor: User | None, reason_given: str = "", notes: str = ""
) -> FollowUpTask:
    """Record a follow-up call as done, with what the customer said (a churn interview's
    reason from the retention desk's taxonomy); a done task stays done."""
    from wanliu.retention.models import Reason

    task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
    if task.status == FollowUpTask.Status.DONE:
        raise ValueError("this task is done already")
    if reason_given and reason_given not in Reason.values:
        raise ValueError(f"unknown reason {reason_given!r}; use one of {', '.join(Reason.values)}")
    before = {"status": task.status}
    task.status = FollowUpTask.Status.DONE
    task.reason_given = reason_given if task.kind == FollowUpTask.Kind.CHURN_INTERVIEW else ""
    task.notes = notes.strip()
    task.done_at = timezone.now()
    task.done_by = actor
    task.save(update_fields=["status", "reason_given", "notes", "done_at", "done_by"])
    audit_record(
        actor=actor,
        action=f"analytics.task.{task.kind}.done",
        obj=task,
        before=before,
        after={"status": task.status, "reason_given": task.reason_given},
    )
    return task
