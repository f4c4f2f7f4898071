"""The organisation admin goes through the org services: a new role moves the login to the
new role's group (authority follows at once), a moved unit takes its subtree with it
(scoping follows at once), and both are audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.complaints.world import seed_policy
from tests.factories import CustomerFactory, OrgUnitFactory, StoreFactory, make_staff
from wanliu.core.models import AuditEvent
from wanliu.org.models import OrgUnit, Role, Staff

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client():
    """An administrator who reads the admin in English."""
    admin = make_staff(Role.ADMIN, username="org_admin")
    Staff.objects.filter(pk=admin.pk).update(language="en")
    client = Client()
    client.force_login(admin.user)
    return client


def staff_form(staff: Staff, **changes) -> dict:
    """The admin's change form of a staff member, as the browser posts it."""
    fields = {
        "employee_no": staff.employee_no,
        "name": staff.name,
        "role": staff.role,
        "unit": staff.unit_id,
        "store": staff.store_id or "",
        "language": staff.language,
    }
    return fields | changes


def unit_form(unit: OrgUnit, **changes) -> dict:
    fields = {
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent_id or "",
        "region": unit.region_id,
    }
    return fields | changes


def role_groups(staff: Staff) -> set[str]:
    staff.user.refresh_from_db()
    return set(staff.user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def takes_a_complaint(staff: Staff, customer) -> int:
    """The status of registering a complaint for ``customer`` as ``staff`` through the API."""
    api = Client()
    token = api.post(
        "/api/v1/auth/token",
        {"username": staff.user.username, "password": "test-pass-123"},
        content_type=JSON,
    ).json()["token"]
    return api.post(
        "/api/v1/complaints/orders",
        {
            "customer_id": customer.pk,
            "channel": "hotline",
            "category": "network-coverage",
            "title": "信号差",
            "description": "客户反映家中信号差。",
        },
        content_type=JSON,
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).status_code


def test_a_new_role_moves_the_login_to_the_new_group_and_authority_follows(admin_client):
    # given a hotline agent, who takes complaints
    seed_policy()
    customer = CustomerFactory()
    agent = make_staff(Role.HOTLINE_AGENT, username="agent_to_analyst")
    assert role_groups(agent) == {Role.HOTLINE_AGENT}
    assert takes_a_complaint(agent, customer) == 201
    # when the admin makes them an analyst
    response = admin_client.post(
        f"/admin/org/staff/{agent.pk}/change/", staff_form(agent, role=Role.ANALYST)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # then the login is in the analyst group only, and may no longer take complaints
    agent.refresh_from_db()
    assert agent.role == Role.ANALYST
    assert role_groups(agent) == {Role.ANALYST}
    assert takes_a_complaint(agent, customer) == 403
    # and the change is audited with the admin as actor
    event = AuditEvent.objects.get(action="staff.role", object_id=str(agent.pk))
    assert (event.before, event.after) == ({"role": "hotline_agent"}, {"role": "analyst"})
    assert event.actor.username == "org_admin"


def test_an_administrator_who_gets_another_role_is_no_longer_a_superuser(admin_client):
    # given a second administrator
    other = make_staff(Role.ADMIN, username="second_admin")
    assert other.user.is_superuser and other.user.is_staff
    store = StoreFactory()
    # when the admin makes them a clerk of a store
    response = admin_client.post(
        f"/admin/org/staff/{other.pk}/change/",
        staff_form(other, role=Role.CLERK, unit=store.unit_id, store=store.pk),
    )
    assert response.status_code == 302
    # then they keep only the clerk's group and lose the superuser status
    other.refresh_from_db()
    assert role_groups(other) == {Role.CLERK}
    assert not other.user.is_superuser and not other.user.is_staff
    assert other.store == store
    update = AuditEvent.objects.get(action="staff.update", object_id=str(other.pk))
    assert update.after == {"unit": store.unit_id, "store": store.pk}


def test_a_clerk_without_a_store_is_refused_and_nothing_changes(admin_client):
    # given a grid lead
    lead = make_staff(Role.GRID_LEAD, username="lead_no_store")
    # when the admin makes them a clerk without a store
    response = admin_client.post(
        f"/admin/org/staff/{lead.pk}/change/", staff_form(lead, role=Role.CLERK)
    )
    # then the form says why, and the role, groups and audit trail are unchanged
    assert response.status_code == 200
    assert "A clerk works in a store" in response.content.decode()
    lead.refresh_from_db()
    assert lead.role == Role.GRID_LEAD and role_groups(lead) == {Role.GRID_LEAD}
    assert not AuditEvent.objects.filter(action="staff.role").exists()


def test_a_profile_added_in_the_admin_puts_the_login_in_its_role_group(admin_client):
    # given a login made in the admin, without a profile (and in a stray role group)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="new_agent", password="x")
    user.groups.add(Group.objects.get(name=Role.ANALYST))
    unit = OrgUnitFactory(kind=OrgUnit.Kind.HOTLINE_CENTRE)
    # when the admin adds the staff profile as a hotline agent
    response = admin_client.post(
        "/admin/org/staff/add/",
        {
            "user": user.pk,
            "employee_no": "E90001",
            "name": "新客服",
            "role": Role.HOTLINE_AGENT,
            "unit": unit.pk,
            "store": "",
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # then the login holds the agent's group only, and the creation is audited
    staff = Staff.objects.get(user=user)
    assert role_groups(staff) == {Role.HOTLINE_AGENT}
    assert staff.user.has_perm("complaints.work_workorder")
    assert AuditEvent.objects.filter(action="staff.create", object_id=str(staff.pk)).exists()


def test_moving_a_unit_moves_its_subtree_and_scoping_follows(admin_client):
    # given two city companies; a branch of the first with a grid, a store and a customer
    city_a = OrgUnitFactory(kind=OrgUnit.Kind.CITY_COMPANY, name="杭州分公司")
    city_b = OrgUnitFactory(kind=OrgUnit.Kind.CITY_COMPANY, name="宁波分公司")
    branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH, parent=city_a, name="西湖分局")
    grid = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, name="文三网格")
    store = StoreFactory(unit=grid)
    customer = CustomerFactory(store=store)
    manager_a = make_staff(Role.BRANCH_MANAGER, unit=city_a, username="manager_city_a")
    manager_b = make_staff(Role.BRANCH_MANAGER, unit=city_b, username="manager_city_b")

    def sees_customer(staff: Staff) -> bool:
        client = Client()
        client.force_login(staff.user)
        return client.get(f"/api/v1/customers/{customer.pk}").status_code == 200

    assert sees_customer(manager_a) and not sees_customer(manager_b)
    old_grid_path = grid.path
    # when the admin moves the branch to the second city company
    response = admin_client.post(
        f"/admin/org/orgunit/{branch.pk}/change/", unit_form(branch, parent=city_b.pk)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # then the branch and everything under it carry the new prefix
    branch.refresh_from_db()
    grid.refresh_from_db()
    assert branch.parent == city_b
    assert branch.path == f"{city_b.path}{branch.pk}/"
    assert grid.path == f"{branch.path}{grid.pk}/" != old_grid_path
    assert not OrgUnit.objects.filter(path__startswith=city_a.path).exclude(pk=city_a.pk).exists()
    # and scoping follows: the second company's manager sees the customer, the first's not
    assert sees_customer(manager_b) and not sees_customer(manager_a)
    # and the move is audited
    event = AuditEvent.objects.get(action="org_unit.move", object_id=str(branch.pk))
    assert event.before["parent"] == city_a.pk and event.after["parent"] == city_b.pk
    assert event.after["units_moved"] == 2


def test_a_unit_cannot_move_under_its_own_subtree(admin_client):
    # given a branch with a grid
    branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH)
    grid = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch)
    # when the admin tries to put the branch under its own grid
    response = admin_client.post(
        f"/admin/org/orgunit/{branch.pk}/change/", unit_form(branch, parent=grid.pk)
    )
    # then the form refuses it and nothing moved
    assert response.status_code == 200
    assert "cannot move under itself" in response.content.decode()
    branch.refresh_from_db()
    assert branch.parent is None and branch.path == f"/{branch.pk}/"
    assert not AuditEvent.objects.filter(action="org_unit.move").exists()


def test_renaming_a_unit_is_audited_and_adding_one_sets_its_path(admin_client):
    # given a city company
    city = OrgUnitFactory(kind=OrgUnit.Kind.CITY_COMPANY, name="旧名")
    # when the admin renames it and adds a branch under it
    renamed = admin_client.post(
        f"/admin/org/orgunit/{city.pk}/change/", unit_form(city, name="新名")
    )
    added = admin_client.post(
        "/admin/org/orgunit/add/",
        {
            "name": "新分局",
            "kind": OrgUnit.Kind.BRANCH,
            "parent": city.pk,
            "region": city.region_id,
        },
    )
    # then both are saved through the services: audited, and the branch has its path
    assert (renamed.status_code, added.status_code) == (302, 302)
    city.refresh_from_db()
    assert city.name == "新名" and city.path == f"/{city.pk}/"
    branch = OrgUnit.objects.get(name="新分局")
    assert branch.path == f"{city.path}{branch.pk}/"
    assert AuditEvent.objects.filter(action="org_unit.update", object_id=str(city.pk)).exists()
    assert AuditEvent.objects.filter(action="org_unit.create", object_id=str(branch.pk)).exists()


def test_a_logins_groups_and_superuser_status_follow_the_role_not_the_user_form(admin_client):
    # given a clerk's login
    clerk = make_staff(Role.CLERK, username="plain_clerk")
    page = admin_client.get(f"/admin/auth/user/{clerk.user.pk}/change/").content.decode()
    # then its change form says where the role is changed, and offers no group picker
    assert "Follows the role on the staff record" in page
    assert 'name="groups"' not in page and 'name="is_superuser"' not in page
    # when the form is posted with a group and superuser status anyway
    manager_group = Group.objects.get(name=Role.BRANCH_MANAGER)
    response = admin_client.post(
        f"/admin/auth/user/{clerk.user.pk}/change/",
        {
            "username": "plain_clerk",
            "first_name": "",
            "last_name": "",
            "email": "clerk@example.com",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [manager_group.pk],
        },
    )
    # then the e-mail is saved and what the login may do is unchanged
    assert response.status_code == 302, response.content.decode()[:2000]
    clerk.user.refresh_from_db()
    assert clerk.user.email == "clerk@example.com"
    assert role_groups(clerk) == {Role.CLERK}
    assert not clerk.user.is_superuser and not clerk.user.is_staff
