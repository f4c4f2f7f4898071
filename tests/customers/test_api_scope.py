"""Scoping and masking of customer data through the HTTP API."""

from __future__ import annotations

import pytest

from tests.factories import (
    ContactFactory,
    CustomerFactory,
    OrgUnitFactory,
    StoreFactory,
    make_staff,
)
from wanliu.core.models import AuditEvent
from wanliu.org.models import OrgUnit, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_stores():
    branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH)
    grid_a = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, region=branch.region)
    other_branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH, region=branch.region)
    grid_b = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=other_branch, region=branch.region)
    return {
        "branch": branch,
        "other_branch": other_branch,
        "store_a": StoreFactory(unit=grid_a),
        "store_b": StoreFactory(unit=grid_b),
    }


def test_clerk_gets_404_for_another_stores_customer(api_client, two_stores):
    # given a clerk of store A and a customer of store B with a contact
    clerk = make_staff(Role.CLERK, store=two_stores["store_a"])
    theirs = CustomerFactory(store=two_stores["store_b"])
    ContactFactory(customer=theirs, note="secret complaint text")
    ours = CustomerFactory(store=two_stores["store_a"])
    api_client.login_token(clerk.user.username)

    # when the clerk asks for each
    other = api_client.get(f"/api/v1/customers/{theirs.pk}")
    own = api_client.get(f"/api/v1/customers/{ours.pk}")

    # then store B's customer does not exist for them, store A's does
    assert other.status_code == 404
    assert b"secret complaint text" not in other.content
    assert own.status_code == 200
    listing = api_client.get("/api/v1/customers").json()
    assert [c["id"] for c in listing["items"]] == [ours.pk]
    assert listing["count"] == 1


def test_branch_manager_sees_own_branch_only(api_client, two_stores):
    manager = make_staff(Role.BRANCH_MANAGER, unit=two_stores["branch"])
    inside = CustomerFactory(store=two_stores["store_a"])
    outside = CustomerFactory(store=two_stores["store_b"])
    api_client.login_token(manager.user.username)

    assert api_client.get(f"/api/v1/customers/{inside.pk}").status_code == 200
    assert api_client.get(f"/api/v1/customers/{outside.pk}").status_code == 404
    ids = {c["id"] for c in api_client.get("/api/v1/customers").json()["items"]}
    assert ids == {inside.pk}


def test_clerk_sees_masked_id_and_cannot_unmask(api_client, two_stores):
    clerk = make_staff(Role.CLERK, store=two_stores["store_a"])
    customer = CustomerFactory(store=two_stores["store_a"], national_id="330102199001011234")
    api_client.login_token(clerk.user.username)

    body = api_client.get(f"/api/v1/customers/{customer.pk}").json()
    assert body["national_id_masked"] == "3301**********1234"
    assert "330102199001011234" not in str(body)

    denied = api_client.get(f"/api/v1/customers/{customer.pk}/national-id")
    assert denied.status_code == 403
    assert not AuditEvent.objects.filter(action="customer.national_id.read").exists()


def test_each_unmasked_read_writes_an_audit_row(api_client, two_stores):
    supervisor = make_staff(
        Role.SERVICE_SUPERVISOR, unit=OrgUnitFactory(kind=OrgUnit.Kind.SERVICE_DEPARTMENT)
    )
    customer = CustomerFactory(store=two_stores["store_b"], national_id="330102199001011234")
    api_client.login_token(supervisor.user.username)

    for _ in range(2):
        response = api_client.get(f"/api/v1/customers/{customer.pk}/national-id")
        assert response.status_code == 200
        assert response.json()["national_id"] == "330102199001011234"

    rows = AuditEvent.objects.filter(action="customer.national_id.read", object_id=str(customer.pk))
    assert rows.count() == 2
    assert {r.actor_id for r in rows} == {supervisor.user.pk}


def test_search_by_number_and_name(api_client, two_stores):
    from tests.factories import AccountFactory, LineFactory

    supervisor = make_staff(Role.SERVICE_SUPERVISOR, unit=OrgUnitFactory())
    li = CustomerFactory(store=two_stores["store_a"], name="李小龙")
    wang = CustomerFactory(store=two_stores["store_b"], name="王芳")
    LineFactory(number="13912345678", account=AccountFactory(customer=wang))
    api_client.login_token(supervisor.user.username)

    by_name = api_client.get("/api/v1/customers", {"q": "李"}).json()
    assert [c["id"] for c in by_name["items"]] == [li.pk]
    by_number = api_client.get("/api/v1/customers", {"q": "1391234"}).json()
    assert [c["id"] for c in by_number["items"]] == [wang.pk]
    assert by_number["items"][0]["national_id_masked"].count("*") == 10


def test_api_without_credentials_is_401(api_client):
    assert api_client.get("/api/v1/customers").status_code == 401
    api_client.token = "wl_not-a-real-token"
    assert api_client.get("/api/v1/customers").status_code == 401
