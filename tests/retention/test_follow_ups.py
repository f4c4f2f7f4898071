"""The follow-up queue (回访任务, step 5 and win-back): ``GET /api/v1/retention/contacts``,
``GET /contacts/{id}`` and the "My follow-ups" page, scoped like the requests they follow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import AccountFactory, CustomerFactory, LineFactory
from tests.retention.conftest import through_step
from tests.retention.world import World
from wanliu.core.models import AuditEvent
from wanliu.retention import services as s
from wanliu.retention.models import RetentionContact, Status

pytestmark = pytest.mark.django_db
API = "/api/v1/retention"
HTMX = {"HTTP_HX_REQUEST": "true"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=SHANGHAI)


@dataclass
class Queue:
    overdue: RetentionContact
    soon: RetentionContact
    later: RetentionContact
    win_back: RetentionContact
    far: RetentionContact


def _retained(world: World, line_index: int) -> Any:
    request = s.cancellation_request_open(
        actor=world.clerk.user,
        customer=world.customer,
        kind="cancel",
        target="line",
        line=world.lines[line_index],
    )
    request = through_step(world, 2, request=request)
    return s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )


@pytest.fixture
def queue(world: World) -> Queue:
    """Care contacts of the clerk's store (one overdue), a win-back contact of the same
    store, and a care contact of a store in another branch."""
    retained = _retained(world, 0)
    later = s.retention_contact_schedule(
        request=retained, actor=world.clerk.user, purpose="care", channel="call", due_at=_at(9)
    )
    soon = s.retention_contact_schedule(
        request=retained, actor=world.clerk.user, purpose="care", channel="wecom", due_at=_at(2)
    )
    overdue = s.retention_contact_schedule(
        request=_retained(world, 2),
        actor=world.clerk.user,
        purpose="care",
        channel="call",
        due_at=_at(1),
        note="确认优惠生效",
    )
    # it was planned for two days ago and nobody has called yet
    RetentionContact.objects.filter(pk=overdue.pk).update(due_at=_at(-2))
    gone = s.cancellation_request_insist(
        request=s.cancellation_request_open(
            actor=world.clerk.user,
            customer=world.customer,
            kind="cancel",
            target="line",
            line=world.lines[1],
        ),
        actor=world.clerk.user,
    )
    s.step_part_well_record(
        request=gone,
        actor=world.clerk.user,
        allowed_recontact_on=timezone.localdate() + dt.timedelta(days=30),
    )
    win_back = s.retention_contact_schedule(
        request=gone,
        actor=world.clerk.user,
        purpose="win_back",
        channel="call",
        due_at=_at(31),
        win_back=gone.win_back,
    )
    far_customer = CustomerFactory(store=world.far_store, name="李四")
    far_line = LineFactory(account=AccountFactory(customer=far_customer), number="13305790001")
    far_request = s.cancellation_request_outcome(
        request=s.cancellation_request_open(
            actor=world.far_clerk.user,
            customer=far_customer,
            kind="cancel",
            target="line",
            line=far_line,
        ),
        outcome=Status.RETAINED_SAME_PLAN,
        actor=world.far_clerk.user,
    )
    far = s.retention_contact_schedule(
        request=far_request,
        actor=world.far_clerk.user,
        purpose="care",
        channel="call",
        due_at=_at(1),
    )
    return Queue(overdue=overdue, soon=soon, later=later, win_back=win_back, far=far)


def _ids(client: Any, query: str = "") -> list[int]:
    response = client.get(f"{API}/contacts{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return [c["id"] for c in body["items"]]


def _api(api_client: Any, username: str) -> Any:
    api_client.login_token(username)
    return api_client


# --- the API ------------------------------------------------------------------------------


def test_the_queue_lists_the_overdue_first_then_by_due_time(api_client, queue):
    # given the clerk's planned contacts: one overdue, care in 2 and 9 days, win-back in 31
    clerk = _api(api_client, "clerk")
    # when the clerk asks for their follow-ups
    body = clerk.get(f"{API}/contacts").json()
    # then the overdue one comes first, then the others by due time; none of another store
    assert [c["id"] for c in body["items"]] == [
        queue.overdue.pk,
        queue.soon.pk,
        queue.later.pk,
        queue.win_back.pk,
    ]
    first = body["items"][0]
    assert first["overdue"] is True and first["note"] == "确认优惠生效"
    assert first["customer_name"] == "王秀英" and first["request_no"].startswith("CR")
    assert first["store_id"] == queue.overdue.request.store_id
    assert [c["overdue"] for c in body["items"][1:]] == [False, False, False]
    assert body["items"][-1]["purpose"] == "win_back"


def test_filters_due_before_status_and_purpose(api_client, queue):
    clerk = _api(api_client, "clerk")
    # due within the next three days (a date alone: the start of that day, Asia/Shanghai)
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert _ids(clerk, f"?due_before={day}") == [queue.overdue.pk, queue.soon.pk]
    assert _ids(clerk, "?purpose=win_back") == [queue.win_back.pk]
    # when one is done, it leaves the planned queue and is listed with status=done
    done = clerk.post(
        f"{API}/contacts/{queue.soon.pk}/complete",
        {"status": "done", "result": "客户满意"},
        content_type="application/json",
    )
    assert done.status_code == 200
    assert queue.soon.pk not in _ids(clerk)
    assert _ids(clerk, "?status=done") == [queue.soon.pk]
    # with every status, the planned ones still come first
    assert _ids(clerk, "?status=") == [
        queue.overdue.pk,
        queue.later.pk,
        queue.win_back.pk,
        queue.soon.pk,
    ]
    page = clerk.get(f"{API}/contacts?limit=2&offset=1").json()
    assert page["count"] == 3
    assert [c["id"] for c in page["items"]] == [queue.later.pk, queue.win_back.pk]


def test_bad_filters_name_the_field(api_client, queue):
    clerk = _api(api_client, "clerk")
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    bad = clerk.get(f"{API}/contacts?status=finished", **english)
    assert bad.status_code == 400 and bad.json()["detail"].startswith("status: one of planned")
    bad = clerk.get(f"{API}/contacts?purpose=sales", **english)
    assert bad.status_code == 400 and bad.json()["detail"].startswith("purpose: one of care")
    # in the caller's language (zh-Hans unless they ask for another)
    bad = clerk.get(f"{API}/contacts?status=finished")
    assert bad.json()["detail"].startswith("status：取值为 planned")


def test_the_queue_is_scoped_like_the_requests(api_client, queue):
    ours = {queue.overdue.pk, queue.soon.pk, queue.later.pk, queue.win_back.pk}
    # a clerk of another store of the same branch, and one of another branch: none of ours
    assert _ids(_api(api_client, "clerk2")) == []
    assert _ids(_api(api_client, "farclerk")) == [queue.far.pk]
    # the grid lead and the branch manager: their subtree
    assert set(_ids(_api(api_client, "gridlead"))) == ours
    assert set(_ids(_api(api_client, "manager"))) == ours
    assert _ids(_api(api_client, "farmanager")) == [queue.far.pk]
    # the operator-wide roles: all of them
    assert set(_ids(_api(api_client, "supervisor"))) == ours | {queue.far.pk}
    assert set(_ids(_api(api_client, "hotline"))) == ours | {queue.far.pk}


def test_another_stores_contact_is_404_to_read_and_to_complete(api_client, queue):
    for outsider in ("clerk2", "farclerk"):
        client = _api(api_client, outsider)
        # when they read or complete a contact of the clerk's store
        read = client.get(f"{API}/contacts/{queue.overdue.pk}")
        done = client.post(
            f"{API}/contacts/{queue.overdue.pk}/complete",
            {"status": "done", "result": "x"},
            content_type="application/json",
        )
        # then it does not exist for them and stays planned
        assert read.status_code == 404 and done.status_code == 404, outsider
    assert RetentionContact.objects.get(pk=queue.overdue.pk).status == "planned"
    clerk = _api(api_client, "clerk")
    mine = clerk.get(f"{API}/contacts/{queue.overdue.pk}")
    assert mine.status_code == 200 and mine.json()["overdue"] is True


# --- the page ------------------------------------------------------------------------------


def test_the_page_in_chinese_lists_the_overdue_first_with_links_to_the_desk(client_as, queue):
    # given the clerk, in the default interface language (zh-Hans)
    client = client_as("clerk")
    # when they open their follow-ups
    response = client.get("/retention/follow-ups/")
    # then the page is in Chinese, the overdue contact first, each row links to its desk
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>回访任务" in html and ">已超时<" in html
    assert 'data-test="nav-follow-ups"' in html
    rows = [html.index(f'data-contact="{c.pk}"') for c in (queue.overdue, queue.soon)]
    rows += [html.index(f'data-contact="{c.pk}"') for c in (queue.later, queue.win_back)]
    assert rows == sorted(rows)
    assert f'href="/retention/requests/{queue.overdue.request_id}/"' in html
    assert f'data-contact="{queue.far.pk}"' not in html
    assert 'data-test="overdue-count">1 项已超时<' in html


def test_the_page_in_english(client_as, queue):
    client = client_as("clerk")
    client.post("/language/", {"language": "en", "next": "/"})
    html = client.get("/retention/follow-ups/").content.decode()
    assert "<title>My follow-ups" in html and ">overdue<" in html
    assert "Contact done" in html and 'data-test="overdue-count">1 overdue<' in html


def test_contact_done_from_the_page(client_as, queue):
    client = client_as("clerk")
    # when the clerk records the overdue call as reached (htmx swaps the row)
    row = client.post(
        f"/retention/follow-ups/{queue.overdue.pk}/done/",
        {"status": "done", "result": "已确认七折生效"},
        **HTMX,
    )
    # then the row shows it done, and it is on record
    assert row.status_code == 200
    html = row.content.decode()
    assert html.lstrip().startswith(f'<tr id="follow-up-{queue.overdue.pk}"')
    assert 'data-contact-status="done"' in html and "已确认七折生效" in html
    assert AuditEvent.objects.filter(
        action="retention.contact.complete", object_id=str(queue.overdue.pk)
    ).exists()
    # a refused one says why in the row (reached needs what the customer said)
    refused = client.post(
        f"/retention/follow-ups/{queue.soon.pk}/done/", {"status": "done"}, **HTMX
    )
    assert 'data-test="follow-up-error"' in refused.content.decode()
    assert RetentionContact.objects.get(pk=queue.soon.pk).status == "planned"
    # a plain post goes back to the queue
    plain = client.post(f"/retention/follow-ups/{queue.soon.pk}/done/", {"status": "no_answer"})
    assert plain.status_code == 302 and plain.url == "/retention/follow-ups/"


def test_the_page_and_its_action_are_scoped(client_as, queue):
    outsider = client_as("clerk2")
    assert 'data-test="follow-ups-empty"' in outsider.get("/retention/follow-ups/").content.decode()
    response = outsider.post(
        f"/retention/follow-ups/{queue.overdue.pk}/done/", {"status": "done", "result": "x"}
    )
    assert response.status_code == 404
    assert RetentionContact.objects.get(pk=queue.overdue.pk).status == "planned"
    # the service department sees every follow-up but does not call for the store
    html = client_as("supervisor").get("/retention/follow-ups/").content.decode()
    assert f'data-contact="{queue.overdue.pk}"' in html
    assert f'hx-post="/retention/follow-ups/{queue.overdue.pk}/done/"' not in html
