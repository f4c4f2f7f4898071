"""Reads of the analytics app that decide access: which unit subtree, store or member of
staff a user may review (everything else out of scope answers 404)."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from wanliu.analytics.models import FollowUpTask
from wanliu.org.models import OrgUnit, Staff, Store
from wanliu.org.scoping import first_or_404, scope_for


def review_unit_for(*, user: Any, unit_id: int | None) -> OrgUnit | None:
    """The unit to review: the requested one if in the user's scope, else the user's own.

    ``None`` means the whole operator (operator-wide roles only). Units out of scope and
    store-only scopes (clerks) answer 404.
    """
    scope = scope_for(user)
    if scope.everything:
        if unit_id is None:
            return None
        return first_or_404(OrgUnit.objects.filter(pk=unit_id))
    if scope.unit_path is None:
        raise Http404
    if unit_id is None:
        return first_or_404(OrgUnit.objects.filter(path=scope.unit_path))
    return first_or_404(OrgUnit.objects.filter(pk=unit_id, path__startswith=scope.unit_path))


def viewer_path(user: Any) -> str | None:
    """The subtree the user reviews: ``None`` for the whole operator (404 for clerks)."""
    scope = scope_for(user)
    if scope.everything:
        return None
    if scope.unit_path is None:
        raise Http404
    return scope.unit_path


def review_store_for(*, user: Any, store_id: int) -> Store:
    """A store whose unit lies in the user's review scope; 404 otherwise."""
    path = viewer_path(user)
    stores = Store.objects.select_related("unit")
    if path is not None:
        stores = stores.filter(unit__path__startswith=path)
    return first_or_404(stores.filter(pk=store_id))


def review_staff_for(*, user: Any, staff_id: int) -> Staff:
    """A member of staff whose unit lies in the user's review scope; 404 otherwise."""
    path = viewer_path(user)
    staff = Staff.objects.select_related("unit", "store", "user")
    if path is not None:
        staff = staff.filter(unit__path__startswith=path)
    return first_or_404(staff.filter(pk=staff_id))


def follow_up_tasks_for(*, user: Any, status: str = "") -> Any:
    """Follow-up tasks of customers in the user's review scope, newest first."""
    path = viewer_path(user)
    tasks = FollowUpTask.objects.select_related("customer", "customer__unit")
    if path is not None:
        tasks = tasks.filter(customer__unit__path__startswith=path)
    if status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("status", "-month", "kind", "customer_id")


def follow_up_task_get_for(*, user: Any, task_id: int) -> FollowUpTask:
    return first_or_404(follow_up_tasks_for(user=user).filter(pk=task_id))
