"""The demo's logins: one per role, placed in a generated operator's real units."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from wanliu.org.models import OrgUnit, Role, Staff, Store
from wanliu.org.services import staff_create

DEMO_PASSWORD = "wanliu-demo"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


class DemoDataMissing(Exception):
    """The database has no generated operator to place the demo logins in."""


def _unit_of_kind(kind: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(kind=kind).order_by("path").first()
    if unit is None:
        raise DemoDataMissing(f"no organisation unit of kind {kind!r}: run `wanliu generate` first")
    return unit


@transaction.atomic
def demo_logins_ensure() -> list[DemoLogin]:
    """Create (once) a login per role named after the role, password ``wanliu-demo``."""
    store = (
        Store.objects.filter(direct_operated=True)
        .annotate(n=Count("customers"))
        .order_by("-n", "code")
        .select_related("unit", "unit__parent")
        .first()
    )
    if store is None:
        raise DemoDataMissing("no direct-operated store: run `wanliu generate` first")
    grid = store.unit
    branch = grid.parent or grid
    hotline = _unit_of_kind(OrgUnit.Kind.HOTLINE_CENTRE)
    service = _unit_of_kind(OrgUnit.Kind.SERVICE_DEPARTMENT)
    placement: dict[str, tuple[OrgUnit, Store | None, str]] = {
        Role.CLERK: (grid, store, str(store)),
        Role.GRID_LEAD: (grid, None, str(grid)),
        Role.BRANCH_MANAGER: (branch, None, str(branch)),
        Role.HOTLINE_AGENT: (hotline, None, str(hotline)),
        Role.SERVICE_SUPERVISOR: (service, None, str(service)),
        Role.ANALYST: (service, None, str(service)),
        Role.WORKFORCE_PLANNER: (hotline, None, str(hotline)),
        Role.ADMIN: (service, None, str(service)),
    }
    users = get_user_model().objects
    logins = []
    for role, (unit, role_store, where) in placement.items():
        existing = Staff.objects.filter(user__username=role).select_related("unit", "store").first()
        if existing is None:
            if users.filter(username=role).exists():
                raise DemoDataMissing(f"a login named {role!r} exists without a staff profile")
            existing = staff_create(
                username=role,
                password=DEMO_PASSWORD,
                name=f"演示{Role(role).label.split(' (')[0]}",
                role=role,
                unit=unit,
                store=role_store,
                employee_no=f"DEMO-{role}",
            )
            where_now = where
        else:
            where_now = str(existing.store or existing.unit)
        logins.append(DemoLogin(username=role, role=str(Role(role).label), where=where_now))
    return logins
