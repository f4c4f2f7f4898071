"""The customer 360 shows the customer's complaints and cancellation requests to whoever
faces the customer, open ones first, with a link only to what the reader may open."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.complaints.helpers import local, new_order
from wanliu.complaints.models import Status
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.retention import services as retention

pytestmark = pytest.mark.django_db


def browser(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def customer_360(staff, customer_id: int) -> dict:
    response = browser(staff).get(f"/api/v1/customers/{customer_id}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_360_lists_complaints_open_first_and_links_only_what_the_reader_may_open(world):
    # given an old complaint, resolved, and a newer one still open and overdue, both taken
    # by the Ningbo hotline for a customer of the Hangzhou store
    old = new_order(
        world, title="上月账单多扣费", received_at=local(2026, 3, 2, 9), now=local(2026, 3, 2, 9)
    )
    work_order_transition(order=old, to_status=Status.ASSIGNED, actor=world.agent_b.user)
    work_order_transition(order=old, to_status=Status.IN_PROGRESS, actor=world.agent_b.user)
    work_order_transition(
        order=old, to_status=Status.RESOLVED, actor=world.agent_b.user, resolution="已退费"
    )
    late = new_order(
        world, title="家里信号差", received_at=local(2026, 4, 1, 9), now=local(2026, 4, 1, 9)
    )
    fresh = new_order(world, title="宽带经常掉线")

    # when the store clerk (who may see the customer, not the hotline's orders) reads the 360
    view = customer_360(world.clerk_a, world.customer.pk)

    # then the open complaints come first, newest first, the overdue one marked; no links
    complaints = view["complaints"]
    assert complaints["open"] == 2
    assert [c["order_no"] for c in complaints["items"]] == [
        fresh.order_no,
        late.order_no,
        old.order_no,
    ]
    assert [c["overdue"] for c in complaints["items"]] == [False, True, False]
    assert {c["url"] for c in complaints["items"]} == {None}
    assert complaints["items"][2]["status"] == "resolved"

    # and the service supervisor, who may open every order, gets the links
    supervised = customer_360(world.supervisor, world.customer.pk)["complaints"]["items"]
    assert supervised[0]["url"] == f"/complaints/{fresh.pk}/"

    # and the page shows the same, in Chinese by default
    page = browser(world.clerk_a).get(f"/customers/{world.customer.pk}/").content.decode()
    assert 'data-test="complaints"' in page and "2 件未结" in page
    assert page.index(fresh.order_no) < page.index(late.order_no) < page.index(old.order_no)
    assert f'href="/complaints/{fresh.pk}/"' not in page
    supervisor_page = browser(world.supervisor).get(f"/customers/{world.customer.pk}/")
    assert f'href="/complaints/{fresh.pk}/"' in supervisor_page.content.decode()


def test_the_360_lists_cancellation_requests_with_the_desk_link_for_their_store(world):
    # given a cancellation request for the customer's line, opened at the clerk's store
    request = retention.cancellation_request_open(
        actor=world.clerk_a.user,
        customer=world.customer,
        kind="cancel",
        target="line",
        line=world.line,
    )
    # when the clerk and a hotline agent of another region read the 360
    mine = customer_360(world.clerk_a, world.customer.pk)["retention_requests"]
    # then the clerk sees it, open, with the desk link
    assert [(r["request_no"], r["status"], r["open"], r["what"]) for r in mine] == [
        (request.request_no, "opened", True, world.line.number)
    ]
    assert mine[0]["url"] == f"/retention/requests/{request.pk}/"
    assert mine[0]["kind"] == "cancel" and mine[0]["target"] == "line"
    page = browser(world.clerk_a).get(f"/customers/{world.customer.pk}/").content.decode()
    assert f'href="/retention/requests/{request.pk}/"' in page


def test_a_customer_without_cases_says_so(world):
    page = browser(world.clerk_a).get(f"/customers/{world.customer.pk}/").content.decode()
    assert "没有投诉。" in page and "没有拆机/停机申请。" in page
    view = customer_360(world.clerk_a, world.customer.pk)
    assert view["complaints"] == {"open": 0, "items": []}
    assert view["retention_requests"] == [] and view["outreach"] == []


def test_the_360_reads_cases_in_a_fixed_number_of_queries(world):
    # given a customer with one complaint, and the queries to show their 360
    new_order(world, title="第一件投诉")
    client = browser(world.supervisor)
    url = f"/customers/{world.customer.pk}/"
    client.get(url)  # session and permission caches warm
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    # when they have eight more
    for n in range(8):
        new_order(world, title=f"投诉 {n}")
    with CaptureQueriesContext(connection) as nine:
        page = client.get(url).content.decode()
    # then showing them takes no more queries
    assert len(nine.captured_queries) == len(one.captured_queries)
    assert len(re.findall(r'href="/complaints/\d+/"', page)) == 9
