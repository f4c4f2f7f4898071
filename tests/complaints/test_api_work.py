"""Tasks, hand-overs, revisits and the public survey through the API, with permission and
scope failures; and the roaming scenario."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.complaints.helpers import new_order
from tests.factories import StoreFactory, make_staff
from wanliu.complaints.models import HandOver, Revisit, Status, Survey
from wanliu.complaints.services.followup import survey_token
from wanliu.core.models import AuditEvent
from wanliu.notify.models import OutboxMessage
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db
API = "/api/v1/complaints"
JSON = "application/json"


def as_user(api_client, staff):
    api_client.token = None
    api_client.login_token(staff.user.username)
    return api_client


def due_in(hours: int) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).isoformat()


def resolve(api_client, order, staff):
    as_user(api_client, staff)
    api_client.post(
        f"{API}/orders/{order.pk}/transition", {"to_status": "in_progress"}, content_type=JSON
    )
    response = api_client.post(
        f"{API}/orders/{order.pk}/transition",
        {"to_status": "resolved", "resolution": "已为客户调整套餐并退还多收费用"},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content


def test_dispatch_and_work_a_task(api_client, world):
    order = new_order(world)
    as_user(api_client, world.agent_b)
    task_in = {
        "assignee_unit_id": world.centre_a.pk,
        "title": "核查归属地基站",
        "due_at": due_in(8),
    }
    created = api_client.post(f"{API}/orders/{order.pk}/tasks", task_in, content_type=JSON)
    assert created.status_code == 201, created.content
    task = created.json()
    assert task["assignee_unit"] == world.centre_a.name and task["status"] == "open"
    # the owner may not work the task; a unit that did not get it may not either
    refused = api_client.post(
        f"{API}/tasks/{task['id']}", {"status": "in_progress"}, content_type=JSON
    )
    assert refused.status_code == 403
    as_user(api_client, world.manager_a)
    assert (
        api_client.post(
            f"{API}/tasks/{task['id']}", {"status": "in_progress"}, content_type=JSON
        ).status_code
        == 404
    )
    # region A's centre sees it in its task list and works it
    as_user(api_client, world.agent_a)
    assert [t["id"] for t in api_client.get(f"{API}/tasks").json()] == [task["id"]]
    started = api_client.post(
        f"{API}/tasks/{task['id']}", {"status": "in_progress"}, content_type=JSON
    )
    assert started.json()["status"] == "in_progress"
    no_result = api_client.post(f"{API}/tasks/{task['id']}", {"status": "done"}, content_type=JSON)
    assert no_result.status_code == 400
    done = api_client.post(
        f"{API}/tasks/{task['id']}", {"status": "done", "result": "基站已恢复"}, content_type=JSON
    )
    assert done.json()["status"] == "done"
    again = api_client.post(
        f"{API}/tasks/{task['id']}", {"status": "in_progress"}, content_type=JSON
    )
    assert again.status_code == 409
    # the owner sees the task's status and result on the order
    as_user(api_client, world.agent_b)
    detail = api_client.get(f"{API}/orders/{order.pk}").json()
    assert detail["tasks"][0]["status"] == "done"
    assert any("基站已恢复" in m["body"] for m in detail["messages"])


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"assignee_unit_id": 999999}, 400),
        ({"due_at": "2020-01-01T00:00:00+08:00"}, 400),
        ({"title": " "}, 400),
        ({"assignee_staff_id": "agent_b"}, 400),
    ],
)
def test_dispatch_rejects_bad_input(api_client, world, change, status):
    order = new_order(world)
    as_user(api_client, world.agent_b)
    if change.get("assignee_staff_id") == "agent_b":
        change = {"assignee_staff_id": world.agent_b.pk}  # not in the assigned unit
    payload = {"assignee_unit_id": world.centre_a.pk, "title": "核查", "due_at": due_in(4)} | change
    assert (
        api_client.post(f"{API}/orders/{order.pk}/tasks", payload, content_type=JSON).status_code
        == status
    )


def test_only_the_owner_dispatches(api_client, world):
    order = new_order(world)
    as_user(api_client, world.agent_a)
    payload = {"assignee_unit_id": world.centre_a.pk, "title": "核查", "due_at": due_in(4)}
    assert (
        api_client.post(f"{API}/orders/{order.pk}/tasks", payload, content_type=JSON).status_code
        == 403
    )
    as_user(api_client, world.clerk_a)
    assert (
        api_client.post(f"{API}/orders/{order.pk}/tasks", payload, content_type=JSON).status_code
        == 404
    )


def test_hand_over_needs_the_receivers_acceptance(api_client, world):
    order = new_order(world)
    as_user(api_client, world.agent_b)
    url = f"{API}/orders/{order.pk}/hand-overs"
    assert (
        api_client.post(
            url, {"to_unit_id": world.centre_a.pk, "reason": ""}, content_type=JSON
        ).status_code
        == 400
    )
    requested = api_client.post(
        url, {"to_unit_id": world.centre_a.pk, "reason": "客户要求归属地处理"}, content_type=JSON
    )
    assert requested.status_code == 201
    hand_over = requested.json()
    assert (
        api_client.post(
            url, {"to_unit_id": world.centre_a.pk, "reason": "再次"}, content_type=JSON
        ).status_code
        == 409
    )
    # nothing changed yet
    order.refresh_from_db()
    assert order.owner_unit == world.centre_b
    # the requester cannot accept their own hand-over; a clerk cannot even see it
    assert (
        api_client.post(
            f"{API}/hand-overs/{hand_over['id']}/accept", {}, content_type=JSON
        ).status_code
        == 403
    )
    as_user(api_client, world.clerk_a)
    assert (
        api_client.post(
            f"{API}/hand-overs/{hand_over['id']}/accept", {}, content_type=JSON
        ).status_code
        == 404
    )
    # the receiving centre accepts: it owns the order now, and the change is audited
    as_user(api_client, world.agent_a)
    accepted = api_client.post(
        f"{API}/hand-overs/{hand_over['id']}/accept", {"note": "接收"}, content_type=JSON
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    order.refresh_from_db()
    assert order.owner_unit == world.centre_a and order.owner_staff == world.agent_a
    audit = AuditEvent.objects.get(action="hand_over.accept", object_id=str(order.pk))
    assert (
        audit.before["owner_unit"] == world.centre_b.pk
        and audit.after["owner_unit"] == world.centre_a.pk
    )
    assert (
        api_client.post(
            f"{API}/hand-overs/{hand_over['id']}/accept", {}, content_type=JSON
        ).status_code
        == 409
    )


def test_declined_hand_over_leaves_the_owner(api_client, world):
    order = new_order(world)
    as_user(api_client, world.agent_b)
    hand_over = api_client.post(
        f"{API}/orders/{order.pk}/hand-overs",
        {"to_unit_id": world.branch_a.pk, "reason": "请分局处理"},
        content_type=JSON,
    ).json()
    # the branch's manager sees the order through the pending hand-over
    as_user(api_client, world.manager_a)
    assert api_client.get(f"{API}/orders/{order.pk}").status_code == 200
    assert (
        api_client.post(
            f"{API}/hand-overs/{hand_over['id']}/decline", {"note": ""}, content_type=JSON
        ).status_code
        == 400
    )
    declined = api_client.post(
        f"{API}/hand-overs/{hand_over['id']}/decline", {"note": "非本分局业务"}, content_type=JSON
    )
    assert declined.json()["status"] == "declined"
    order.refresh_from_db()
    assert order.owner_unit == world.centre_b
    assert HandOver.objects.get().decided_by == world.manager_a.user
    # after the decline the branch no longer sees the order
    assert api_client.get(f"{API}/orders/{order.pk}").status_code == 404


def test_revisit_solved_closes_and_not_solved_reopens_against_the_owner(api_client, world):
    solved = new_order(world)
    unsolved = new_order(world, category=world.category("billing-overcharge"))
    resolve(api_client, solved, world.agent_b)
    resolve(api_client, unsolved, world.agent_b)
    # a clerk (wrong role, and out of scope) cannot record it
    as_user(api_client, world.clerk_a)
    assert (
        api_client.post(
            f"{API}/orders/{solved.pk}/revisit", {"outcome": "solved"}, content_type=JSON
        ).status_code
        == 404
    )
    # region A's branch manager sees neither; a hotline agent of region A may revisit
    as_user(api_client, world.agent_a)
    done = api_client.post(
        f"{API}/orders/{solved.pk}/revisit",
        {"outcome": "solved", "notes": "客户确认"},
        content_type=JSON,
    )
    assert done.status_code == 200 and done.json()["order_status"] == "closed"
    assert (
        api_client.post(
            f"{API}/orders/{solved.pk}/revisit", {"outcome": "solved"}, content_type=JSON
        ).status_code
        == 409
    )
    assert (
        api_client.post(
            f"{API}/orders/{unsolved.pk}/revisit", {"outcome": "maybe"}, content_type=JSON
        ).status_code
        == 400
    )
    assert (
        api_client.post(
            f"{API}/orders/{unsolved.pk}/revisit", {"outcome": "not_solved"}, content_type=JSON
        ).status_code
        == 400
    )
    reopened = api_client.post(
        f"{API}/orders/{unsolved.pk}/revisit",
        {"outcome": "not_solved", "notes": "仍被多收费"},
        content_type=JSON,
    )
    assert reopened.json()["order_status"] == "reopened"
    against = Revisit.objects.get(order=unsolved)
    assert against.counts_against_owner and against.owner_unit == world.centre_b
    unsolved.refresh_from_db()
    assert unsolved.reopen_count == 1 and unsolved.resolution_due_at is not None


def test_revisit_by_a_branch_manager_outside_the_owner_is_refused(api_client, world):
    order = new_order(world, by=world.clerk_a, channel="store")
    resolve(api_client, order, world.clerk_a)
    other_branch_clerk = make_staff(
        Role.CLERK, store=StoreFactory(unit=world.grid_a), username="clerk_a2"
    )
    as_user(api_client, other_branch_clerk)
    # a clerk of another store in the same grid does not see store A's order
    assert (
        api_client.post(
            f"{API}/orders/{order.pk}/revisit", {"outcome": "solved"}, content_type=JSON
        ).status_code
        == 404
    )
    as_user(api_client, world.lead_b)  # unit-scoped, sees only region B's centre
    assert (
        api_client.post(
            f"{API}/orders/{order.pk}/revisit", {"outcome": "solved"}, content_type=JSON
        ).status_code
        == 404
    )
    as_user(api_client, world.manager_a)  # the branch above the store: owner side
    assert (
        api_client.post(
            f"{API}/orders/{order.pk}/revisit", {"outcome": "solved"}, content_type=JSON
        ).status_code
        == 200
    )


def test_survey_is_public_signed_and_single_use(api_client, world):
    order = new_order(world)
    resolve(api_client, order, world.agent_b)
    survey = Survey.objects.get(order=order)
    # the customer uses the link that went to them (a token of this survey, signed)
    sms = OutboxMessage.objects.get(idempotency_key=f"complaints:{order.pk}:survey:0:sms")
    token = sms.body.rstrip("/").rsplit("/", 1)[1]
    assert token.startswith(f"{survey.nonce}:")
    api_client.token = None
    shown = api_client.get(f"{API}/survey/{token}")
    assert shown.status_code == 200
    assert shown.json() == {
        "order_no": order.order_no,
        "title": order.title,
        "expires_at": shown.json()["expires_at"],
        "answered": False,
    }
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert api_client.get(f"{API}/survey/{forged}").status_code == 404
    assert (
        api_client.post(
            f"{API}/survey/{forged}", {"csat": 5, "solved": True}, content_type=JSON
        ).status_code
        == 404
    )
    assert (
        api_client.post(
            f"{API}/survey/{token}", {"csat": 6, "solved": True}, content_type=JSON
        ).status_code
        == 422
    )
    answered = api_client.post(
        f"{API}/survey/{token}",
        {"csat": 4, "solved": True, "comment": "处理及时"},
        content_type=JSON,
    )
    assert answered.status_code == 201
    assert (
        api_client.post(
            f"{API}/survey/{token}", {"csat": 1, "solved": False}, content_type=JSON
        ).status_code
        == 409
    )
    survey.refresh_from_db()
    assert (survey.csat, survey.solved, survey.comment) == (4, True, "处理及时")
    assert survey.agent == world.agent_b and survey.team == world.centre_b


def test_expired_survey_link_is_refused(api_client, world):
    order = new_order(world)
    resolve(api_client, order, world.agent_b)
    survey = Survey.objects.get(order=order)
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    api_client.token = None
    assert api_client.get(f"{API}/survey/{survey_token(survey)}").status_code == 404


def test_roaming_customer_one_owner_tasks_and_notices(api_client, world):
    """A customer of region A (Hangzhou) calls region B's hotline (Ningbo): B owns the
    order, dispatches a task to A's centre, and the customer hears the deadline, the task,
    the progress, the result and the survey; the revisit closes it."""
    assert world.line.home_region == world.region_a
    as_user(api_client, world.agent_b)
    created = api_client.post(
        f"{API}/orders",
        {
            "customer_id": world.customer.pk,
            "line_id": world.line.pk,
            "channel": "hotline",
            "category": "network-coverage",
            "title": "在宁波漫游无法上网",
            "description": "杭州号码在宁波出差，4G 无法上网，已重启手机。",
            "contact_phone": "13800000001",
            "contact_email": "wang@example.com",
        },
        content_type=JSON,
    ).json()
    order_id = created["id"]
    assert created["owner_unit"] == world.centre_b.name
    task = api_client.post(
        f"{API}/orders/{order_id}/tasks",
        {
            "assignee_unit_id": world.centre_a.pk,
            "title": "核查号码在归属地的数据开关",
            "due_at": due_in(4),
        },
        content_type=JSON,
    ).json()
    api_client.post(
        f"{API}/orders/{order_id}/transition", {"to_status": "in_progress"}, content_type=JSON
    )
    # region A works its task; it cannot take over the order by working it
    as_user(api_client, world.agent_a)
    api_client.post(
        f"{API}/tasks/{task['id']}",
        {"status": "done", "result": "归属地已重开数据功能"},
        content_type=JSON,
    )
    assert (
        api_client.post(
            f"{API}/orders/{order_id}/transition",
            {"to_status": "resolved", "resolution": "x"},
            content_type=JSON,
        ).status_code
        == 403
    )
    # B resolves and tells the result
    as_user(api_client, world.agent_b)
    api_client.post(
        f"{API}/orders/{order_id}/messages",
        {"kind": "to_customer", "body": "归属地已处理，请重启手机后再试。"},
        content_type=JSON,
    )
    api_client.post(
        f"{API}/orders/{order_id}/transition",
        {"to_status": "resolved", "resolution": "归属地已重开数据功能，客户可正常上网"},
        content_type=JSON,
    )
    # the revisit closes it
    closed = api_client.post(
        f"{API}/orders/{order_id}/revisit",
        {"outcome": "solved", "notes": "客户确认已恢复"},
        content_type=JSON,
    ).json()
    assert closed["order_status"] == Status.CLOSED
    detail = api_client.get(f"{API}/orders/{order_id}").json()
    assert detail["owner_unit"] == world.centre_b.name  # owned by B from first contact to closure
    milestones = [n["body"] for n in detail["notices"] if n["channel"] == "sms"]
    assert len(milestones) == 6
    accepted, dispatched, started, message, result, survey = milestones
    assert "承诺" in accepted and detail["due"]["resolution"][:10].replace(
        "-", ""
    ) in accepted.replace("-", "")
    assert world.centre_a.name in dispatched and "无需再联系" in dispatched
    assert "处理" in started
    assert "归属地已处理" in message
    assert "归属地已重开数据功能" in result
    assert "/complaints/survey/" in survey
    assert {n["recipient"] for n in detail["notices"]} == {"13800000001", "wang@example.com"}


def test_reports_of_satisfaction_and_reopens_are_scoped(api_client, world):
    order = new_order(world)
    resolve(api_client, order, world.agent_b)
    api_client.token = None
    token = survey_token(Survey.objects.get(order=order))
    api_client.post(f"{API}/survey/{token}", {"csat": 3, "solved": False}, content_type=JSON)
    as_user(api_client, world.agent_b)
    api_client.post(
        f"{API}/orders/{order.pk}/revisit",
        {"outcome": "not_solved", "notes": "未解决"},
        content_type=JSON,
    )
    as_user(api_client, world.supervisor)
    teams = api_client.get(f"{API}/reports/satisfaction", {"by": "team"}).json()
    assert teams == [{"team__name": world.centre_b.name, "answers": 1, "csat": 3.0, "solved": 0}]
    agents = api_client.get(f"{API}/reports/satisfaction", {"by": "agent"}).json()
    assert agents[0]["agent__name"] == world.agent_b.name
    assert api_client.get(f"{API}/reports/reopens").json() == [
        {"owner_unit__name": world.centre_b.name, "count": 1}
    ]
    # a clerk of store A sees neither (the order is region B's hotline's)
    as_user(api_client, world.clerk_a)
    assert api_client.get(f"{API}/reports/satisfaction").json() == []
    assert api_client.get(f"{API}/reports/reopens").json() == []
