"""Template helpers of the retention desk: the section navigation and labels."""

from __future__ import annotations

from typing import Any

from django import template

from wanliu.retention.access import APPROVE_LEVEL_2, can_open, can_supervise, has_authority
from wanliu.retention.models import Reason, ServiceIssue, Status, Step
from wanliu.retention.selectors import approvals_pending

register = template.Library()


@register.inclusion_tag("retention/_nav.html", takes_context=True)
def retention_nav(context: dict[str, Any]) -> dict[str, Any]:
    """Links of the retention desk for the signed-in user's role."""
    request = context.get("request")
    user = getattr(request, "user", None)
    approver = user is not None and has_authority(user, APPROVE_LEVEL_2)
    return {
        "can_open": user is not None and can_open(user),
        "approver": approver,
        "pending": approvals_pending(user=user).count() if approver else 0,
        "supervisor": user is not None and can_supervise(user),
    }


@register.filter
def status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


@register.filter
def reason_label(value: str) -> str:
    return str(Reason(value).label) if value in Reason.values else value


@register.filter
def issue_label(value: str) -> str:
    return str(ServiceIssue(value).label) if value in ServiceIssue.values else value


@register.filter
def step_label(value: int) -> str:
    return str(Step(int(value)).label) if int(value) in Step.values else str(value)


@register.filter
def who(user: Any) -> str:
    """The staff name of a user (their username when they have no staff profile)."""
    if user is None:
        return ""
    staff = getattr(user, "staff", None)
    return staff.name if staff is not None else str(user.get_username())


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None
