"""Roles are Django groups with permissions; this keeps them in step with the code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from wanliu.org.models import Role

# Permission codenames ("app_label.codename") each role holds.
_WORK = "retention.work_cancellationrequest"
_COMPLETE = "retention.complete_cancellation"
_GRANT_1 = "retention.grant_level1_offer"
_APPROVE_2 = "retention.approve_level2_offer"
_SUPERVISE = "retention.supervise_retention"
_PUBLISH = "retention.publish_retentioncase"
_CAMPAIGNS = "scoring.manage_campaign"
_OUTREACH = "scoring.work_outreach"
# Complaints: take and work orders; revisit any order in scope; act on every order.
_COMPLAINTS = "complaints.work_workorder"
_REVISIT = "complaints.revisit_workorder"
_COMPLAINTS_SUPERVISE = "complaints.supervise_workorder"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CLERK: ["customers.view_customer", _WORK, _COMPLETE, _GRANT_1, _COMPLAINTS],
    Role.GRID_LEAD: ["customers.view_customer", _WORK, _GRANT_1, _OUTREACH, _COMPLAINTS],
    Role.BRANCH_MANAGER: [
        "customers.view_customer",
        _WORK,
        _GRANT_1,
        _APPROVE_2,
        _SUPERVISE,
        _PUBLISH,
        _OUTREACH,
        _COMPLAINTS,
    ],
    Role.HOTLINE_AGENT: [
        "customers.view_customer",
        _WORK,
        _GRANT_1,
        _OUTREACH,
        _COMPLAINTS,
        _REVISIT,
    ],
    Role.SERVICE_SUPERVISOR: [
        "customers.view_customer",
        "customers.view_national_id",
        _SUPERVISE,
        _PUBLISH,
        _COMPLAINTS,
        _REVISIT,
        _COMPLAINTS_SUPERVISE,
    ],
    Role.ANALYST: ["customers.view_customer", _SUPERVISE, _CAMPAIGNS],
    Role.WORKFORCE_PLANNER: [],
    Role.ADMIN: [
        "customers.view_customer",
        "customers.view_national_id",
        _WORK,
        _COMPLETE,
        _GRANT_1,
        _APPROVE_2,
        _SUPERVISE,
        _PUBLISH,
        _CAMPAIGNS,
        _OUTREACH,
        _COMPLAINTS,
        _REVISIT,
        _COMPLAINTS_SUPERVISE,
    ],
}


def roles_sync(**_: Any) -> None:
    """Create one group per role and give it exactly its permissions (post_migrate)."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in ROLE_PERMISSIONS.get(role, []):
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
