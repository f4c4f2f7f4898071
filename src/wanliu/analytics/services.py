"""Writes of the analytics app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

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
