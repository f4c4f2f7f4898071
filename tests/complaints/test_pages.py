"""The agent workspace pages and the public survey page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.complaints.helpers import local, new_order
from wanliu.complaints.models import InternalTask, Status, Survey
from wanliu.complaints.services.followup import survey_token
from wanliu.complaints.services.workflow import work_order_transition

pytestmark = pytest.mark.django_db


def browser(staff=None) -> Client:
    client = Client()
    if staff is not None:
        client.force_login(staff.user)
    return client


def test_queue_pages_list_overdue_first(world):
    late = new_order(
        world,
        title="早就超时的投诉",
        received_at=local(2026, 1, 5, 9, 0),
        now=local(2026, 1, 5, 9, 0),
    )
    fresh = new_order(world, by=world.agent_b2, title="刚刚受理的投诉")
    page = browser(world.agent_b).get("/complaints/?queue=team").content.decode()
    assert page.index("早就超时的投诉") < page.index("刚刚受理的投诉")
    assert 'class="overdue"' in page
    mine = browser(world.agent_b).get("/complaints/").content.decode()
    assert late.order_no in mine and fresh.order_no not in mine
    assert browser().get("/complaints/").status_code == 302  # login first


def test_search_as_you_type_returns_the_results_fragment(world):
    new_order(world, title="宽带经常掉线", category=world.category("broadband-fault"))
    new_order(world, title="话费多扣", category=world.category("billing-overcharge"))
    response = browser(world.agent_b).get(
        "/complaints/", {"queue": "all", "q": "掉线"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "宽带经常掉线" in html and "话费多扣" not in html


def test_order_page_shows_the_customer_360_beside_the_order(world):
    order = new_order(world)
    html = browser(world.agent_b).get(f"/complaints/{order.pk}/").content.decode()
    assert order.order_no in html
    assert 'data-test="customer-360"' in html
    assert world.customer.customer_no in html and world.line.number in html
    assert world.region_a.name in html  # the line's home region
    assert 'data-test="transition-form"' in html


def test_order_page_is_404_out_of_scope_and_read_only_for_task_units(world):
    order = new_order(world)
    assert browser(world.clerk_a).get(f"/complaints/{order.pk}/").status_code == 404
    InternalTask.objects.create(
        order=order,
        assignee_unit=world.branch_a,
        title="上门测试信号",
        due_at=timezone.now() + dt.timedelta(hours=4),
    )
    html = browser(world.manager_a).get(f"/complaints/{order.pk}/").content.decode()
    assert "上门测试信号" in html
    assert 'data-test="transition-form"' not in html
    denied = browser(world.manager_a).post(
        f"/complaints/{order.pk}/transition/", {"to_status": "in_progress"}
    )
    assert denied.status_code == 403


def test_actions_post_and_come_back(world):
    order = new_order(world)
    agent = browser(world.agent_b)
    response = agent.post(f"/complaints/{order.pk}/transition/", {"to_status": "in_progress"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS
    # an illegal move shows the error on the page instead of failing
    agent.post(f"/complaints/{order.pk}/transition/", {"to_status": "closed"})
    html = agent.get(f"/complaints/{order.pk}/").content.decode()
    assert "不能将工单从" in html  # the refusal, in the agent's language
    agent.post(
        f"/complaints/{order.pk}/message/", {"kind": "to_customer", "body": "工程师明天上午上门"}
    )
    agent.post(
        f"/complaints/{order.pk}/task/",
        {
            "unit_id": world.centre_a.pk,
            "title": "归属地核查",
            "due_at": (timezone.localtime() + dt.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    agent.post(
        f"/complaints/{order.pk}/hand-over/", {"unit_id": world.centre_a.pk, "reason": "客户要求"}
    )
    html = agent.get(f"/complaints/{order.pk}/").content.decode()
    assert "工程师明天上午上门" in html and "归属地核查" in html and "客户要求" in html
    # region A's agent accepts the hand-over from the page
    other = browser(world.agent_a)
    page = other.get(f"/complaints/{order.pk}/").content.decode()
    assert 'data-test="hand-over-accept"' in page
    hand_over_id = order.hand_overs.get().pk
    other.post(f"/complaints/hand-overs/{hand_over_id}/accept/", {"note": ""})
    order.refresh_from_db()
    assert order.owner_unit == world.centre_a
    assert other.post(f"/complaints/hand-overs/{hand_over_id}/maybe/").status_code == 404


def test_canned_reply_fills_the_message_box(world):
    order = new_order(world)
    agent = browser(world.agent_b)
    from wanliu.complaints.models import CannedReply

    reply = CannedReply.objects.get(title="致歉与承诺时限")
    html = agent.get(
        f"/complaints/{order.pk}/canned/", {"reply": reply.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert html.startswith("<textarea")
    assert order.order_no in html and world.customer.name in html


def test_new_complaint_form(world):
    agent = browser(world.agent_b)
    form = agent.get("/complaints/new/", {"customer": world.customer.pk})
    assert form.status_code == 200 and "network-coverage" in form.content.decode()
    bad = agent.post(
        "/complaints/new/",
        {
            "customer": world.customer.pk,
            "channel": "hotline",
            "category": "network-coverage",
            "title": "",
            "description": "",
        },
    )
    assert bad.status_code == 400
    created = agent.post(
        "/complaints/new/",
        {
            "customer": world.customer.pk,
            "channel": "hotline",
            "category": "network-coverage",
            "title": "信号差",
            "description": "家中无信号",
            "contact_phone": "13800000001",
            "notice_language": "zh-hans",
        },
    )
    assert created.status_code == 302
    assert browser(world.agent_b).get("/complaints/new/").status_code == 404


def test_survey_page_without_login(world):
    order = new_order(world)
    work_order_transition(order=order, to_status=Status.IN_PROGRESS, actor=world.agent_b.user)
    work_order_transition(
        order=order, to_status=Status.RESOLVED, actor=world.agent_b.user, resolution="已修复"
    )
    token = survey_token(Survey.objects.get(order=order))
    public = Client()
    page = public.get(f"/complaints/survey/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="viewport"' in html and order.order_no in html
    assert public.post(f"/complaints/survey/{token}/", {"csat": "9"}).status_code == 400
    done = public.post(
        f"/complaints/survey/{token}/", {"csat": "5", "solved": "yes", "comment": "很好"}
    )
    assert done.status_code == 200 and 'data-test="survey-done"' in done.content.decode()
    assert public.get(f"/complaints/survey/{token}/").status_code == 409
    assert public.get("/complaints/survey/not-a-token/").status_code == 404
    survey = Survey.objects.get(order=order)
    assert survey.csat == 5 and survey.solved is True
