"""Roles decide who works complaints: analysts and workforce planners posted at a hotline
centre see the centre's orders (their scope) but neither take nor work them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.complaints.helpers import new_order
from tests.factories import make_staff
from wanliu.complaints.models import HandOver, InternalTask, Revisit, Status, WorkOrder
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.core.models import AuditEvent
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db
API = "/api/v1/complaints"
JSON = "application/json"
NON_WORKING_ROLES = [Role.ANALYST, Role.WORKFORCE_PLANNER]


def as_user(api_client, staff):
    api_client.token = None
    api_client.login_token(staff.user.username)
    return api_client


def create_payload(world):
    return {
        "customer_id": world.customer.pk,
        "channel": "hotline",
        "category": "network-coverage",
        "title": "漫游时无信号",
        "description": "客户在宁波出差，手机无信号。",
        "contact_phone": "13800000001",
    }


@pytest.fixture(params=NON_WORKING_ROLES)
def reader(request, world):
    """An analyst or a workforce planner posted at region B's hotline centre."""
    return make_staff(request.param, unit=world.centre_b, username=f"{request.param}_b")


def test_a_reader_may_not_register_a_complaint(api_client, world, reader):
    # given an analyst or workforce planner of region B's hotline centre
    as_user(api_client, reader)
    # when they register a complaint for a customer in their scope
    response = api_client.post(f"{API}/orders", create_payload(world), content_type=JSON)
    # then it is refused and nothing was written
    assert response.status_code == 403, response.content
    assert "does not take complaints" in response.json()["detail"]
    assert not WorkOrder.objects.exists()
    assert not AuditEvent.objects.filter(action="work_order.create").exists()


def test_a_reader_sees_the_centres_orders_but_may_not_work_them(api_client, world, reader):
    # given an order taken by region B's hotline centre, with a revisit waiting
    order = new_order(world)
    as_user(api_client, reader)
    # then the reader sees it (their scope)
    assert api_client.get(f"{API}/orders/{order.pk}").status_code == 200
    assert order.pk in {o["id"] for o in api_client.get(f"{API}/orders").json()["items"]}
    # when they try each kind of work on it, then each is refused
    attempts = [
        ("post", f"/orders/{order.pk}/transition", {"to_status": "in_progress"}),
        ("patch", f"/orders/{order.pk}", {"priority": "urgent"}),
        ("post", f"/orders/{order.pk}/assign", {"staff_id": reader.pk}),
        ("post", f"/orders/{order.pk}/messages", {"kind": "note", "body": "看看"}),
        (
            "post",
            f"/orders/{order.pk}/tasks",
            {
                "assignee_unit_id": world.centre_a.pk,
                "title": "核查",
                "due_at": (timezone.now() + dt.timedelta(hours=4)).isoformat(),
            },
        ),
        (
            "post",
            f"/orders/{order.pk}/hand-overs",
            {"to_unit_id": world.centre_a.pk, "reason": "转给杭州"},
        ),
        ("post", f"/orders/{order.pk}/reopen", {"reason": "还没好"}),
    ]
    for method, path, body in attempts:
        response = getattr(api_client, method)(f"{API}{path}", body, content_type=JSON)
        assert response.status_code == 403, (path, response.content)
        assert "does not work complaints" in response.json()["detail"], path
    # and the order is as it was
    order.refresh_from_db()
    assert order.status == Status.NEW and order.owner_staff == world.agent_b
    assert not order.messages.exists() and not order.tasks.exists()


def test_a_reader_may_not_work_a_task_decide_a_hand_over_or_revisit(api_client, world, reader):
    # given an order of region A's centre with a task and a pending hand-over to region B's
    # centre, and a resolved order of region B's centre waiting for its revisit
    order = new_order(world, by=world.agent_a)
    task = InternalTask.objects.create(
        order=order,
        assignee_unit=world.centre_b,
        title="核查宁波基站",
        due_at=timezone.now() + dt.timedelta(hours=4),
    )
    hand_over = HandOver.objects.create(
        order=order,
        from_unit=world.centre_a,
        to_unit=world.centre_b,
        reason="客户常驻宁波",
    )
    resolved = new_order(world, title="已解决的投诉")
    work_order_transition(order=resolved, to_status="in_progress", actor=world.agent_b.user)
    work_order_transition(
        order=resolved, to_status="resolved", actor=world.agent_b.user, resolution="已处理"
    )
    assert Revisit.objects.filter(order=resolved, outcome="").exists()
    as_user(api_client, reader)
    # when the reader works the task, accepts the hand-over or records the revisit
    task_update = api_client.post(
        f"{API}/tasks/{task.pk}", {"status": "in_progress"}, content_type=JSON
    )
    accept = api_client.post(f"{API}/hand-overs/{hand_over.pk}/accept", {}, content_type=JSON)
    revisit = api_client.post(
        f"{API}/orders/{resolved.pk}/revisit", {"outcome": "solved"}, content_type=JSON
    )
    # then each is refused and nothing changed
    assert (task_update.status_code, accept.status_code, revisit.status_code) == (403, 403, 403)
    task.refresh_from_db()
    hand_over.refresh_from_db()
    resolved.refresh_from_db()
    assert task.status == InternalTask.Status.OPEN
    assert hand_over.status == HandOver.Status.PENDING
    assert resolved.status == Status.RESOLVED


def test_an_order_cannot_be_assigned_to_a_reader(api_client, world, reader):
    # given an order of region B's centre, where the reader is posted
    order = new_order(world)
    as_user(api_client, world.agent_b)
    # when the owner assigns it to the reader
    response = api_client.post(
        f"{API}/orders/{order.pk}/assign", {"staff_id": reader.pk}, content_type=JSON
    )
    # then it is refused: their role does not work complaints
    assert response.status_code == 400
    assert "does not work complaints" in response.json()["detail"]
    # and the order page offers only colleagues who do
    client = Client()
    client.force_login(world.agent_b.user)
    html = client.get(f"/complaints/{order.pk}/").content.decode()
    assert world.agent_b2.name in html and reader.name not in html


def test_the_pages_refuse_a_reader_too(world, reader):
    # given an order of the reader's centre
    order = new_order(world)
    client = Client()
    client.force_login(reader.user)
    # then the order page shows no work forms, and the queue no "take a call"
    html = client.get(f"/complaints/{order.pk}/").content.decode()
    assert order.order_no in html and 'data-test="transition-form"' not in html
    assert 'data-test="take-call"' not in client.get("/complaints/").content.decode()
    # and taking a call, the new-complaint form and a status change are refused
    assert client.get("/complaints/caller/", {"q": "139"}).status_code == 403
    assert client.get("/complaints/new/", {"customer": world.customer.pk}).status_code == 403
    moved = client.post(f"/complaints/{order.pk}/transition/", {"to_status": "in_progress"})
    assert moved.status_code == 403
    order.refresh_from_db()
    assert order.status == Status.NEW


@pytest.mark.parametrize(
    "role",
    [
        Role.HOTLINE_AGENT,
        Role.CLERK,
        Role.GRID_LEAD,
        Role.BRANCH_MANAGER,
        Role.SERVICE_SUPERVISOR,
        Role.ADMIN,
    ],
)
def test_the_roles_that_handle_complaints_take_them(api_client, world, role):
    # given a staff member of a role that takes complaints, whose scope holds the customer
    place = {
        Role.CLERK: {"store": world.store_a},
        Role.GRID_LEAD: {"unit": world.grid_a},
        Role.BRANCH_MANAGER: {"unit": world.branch_a},
    }.get(role, {"unit": world.centre_b})
    staff = make_staff(role, username=f"{role}_taker", **place)
    as_user(api_client, staff)
    # when they register a complaint
    response = api_client.post(f"{API}/orders", create_payload(world), content_type=JSON)
    # then they own it and may move it on
    assert response.status_code == 201, response.content
    moved = api_client.post(
        f"{API}/orders/{response.json()['id']}/transition",
        {"to_status": "in_progress"},
        content_type=JSON,
    )
    assert moved.status_code == 200, moved.content
