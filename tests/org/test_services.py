"""The org services on their own: moving a unit to the top of the tree, and a role change
that leaves the other role's permissions behind."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import OrgUnitFactory, StoreFactory, make_staff
from wanliu.core.models import AuditEvent
from wanliu.org.models import OrgUnit, Role
from wanliu.org.scoping import scope_for
from wanliu.org.services import org_unit_move, staff_role_change

pytestmark = pytest.mark.django_db


def test_a_unit_moved_to_the_top_takes_its_subtree():
    # given city → branch → grid → grid of a grid, and a grid lead posted in the grid
    city = OrgUnitFactory(kind=OrgUnit.Kind.CITY_COMPANY)
    branch = OrgUnitFactory(parent=city)
    grid = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch)
    inner = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=grid)
    lead = make_staff(Role.GRID_LEAD, unit=grid)
    # when the branch becomes a top unit
    moved = org_unit_move(unit=branch, parent=None, actor=None)
    # then the branch is a root, and every unit below it was rewritten under its new path
    assert moved.parent is None and moved.path == f"/{branch.pk}/"
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    assert paths[grid.pk] == f"/{branch.pk}/{grid.pk}/"
    assert paths[inner.pk] == f"/{branch.pk}/{grid.pk}/{inner.pk}/"
    assert paths[city.pk] == f"/{city.pk}/"
    # and the grid lead's scope is the new prefix
    lead.refresh_from_db()
    assert scope_for(lead.user).unit_path == f"/{branch.pk}/{grid.pk}/"
    assert AuditEvent.objects.get(action="org_unit.move").after["units_moved"] == 3


def test_a_unit_cannot_move_under_itself():
    branch = OrgUnitFactory()
    grid = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch)
    with pytest.raises(ValidationError):
        org_unit_move(unit=branch, parent=grid, actor=None)
    with pytest.raises(ValidationError):
        org_unit_move(unit=branch, parent=branch, actor=None)
    grid.refresh_from_db()
    assert grid.path == f"/{branch.pk}/{grid.pk}/"


def test_a_role_change_leaves_the_old_roles_permissions_behind():
    # given a branch manager, who approves level-2 offers
    manager = make_staff(Role.BRANCH_MANAGER)
    assert manager.user.has_perm("retention.approve_level2_offer")
    # when they become a grid lead
    staff_role_change(staff=manager, role=Role.GRID_LEAD, actor=None)
    # then a fresh login of theirs holds the grid lead's authority and not the manager's
    user = type(manager.user).objects.get(pk=manager.user.pk)
    assert not user.has_perm("retention.approve_level2_offer")
    assert user.has_perm("retention.grant_level1_offer")
    assert list(user.groups.values_list("name", flat=True)) == [Role.GRID_LEAD]
    # and a clerk needs a store
    with translation.override("en"), pytest.raises(ValueError, match="choose the store"):
        staff_role_change(staff=manager, role=Role.CLERK, actor=None)
    clerk = make_staff(Role.CLERK, store=StoreFactory())
    staff_role_change(staff=clerk, role=Role.CLERK, actor=None)
    assert not AuditEvent.objects.filter(action="staff.role", object_id=str(clerk.pk)).exists()
