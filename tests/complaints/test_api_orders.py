"""The orders API: create, list and search, detail, change, transition, assign, messages,
attachments, merge, reopen, canned replies; with scope (404) and permission (403) failures."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.complaints.helpers import new_order
from tests.factories import CustomerFactory, StoreFactory, make_staff
from wanliu.complaints.models import CannedReply, Status, WorkOrder
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.core.models import AuditEvent
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db
API = "/api/v1/complaints"


def create_payload(world, **overrides):
    return {
        "customer_id": world.customer.pk,
        "channel": "hotline",
        "category": "network-coverage",
        "title": "漫游时无信号",
        "description": "客户在宁波出差，手机无信号。",
        "contact_phone": "13800000001",
        "contact_email": "wang@example.com",
    } | overrides


def login(api_client, staff):
    api_client.login_token(staff.user.username)
    return api_client


def test_create_makes_the_taker_the_owner_and_tells_the_deadline(api_client, world):
    login(api_client, world.agent_b)
    response = api_client.post(
        f"{API}/orders", create_payload(world), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["order_no"].startswith("GD")
    assert body["status"] == "new"
    assert body["owner_unit"] == world.centre_b.name
    assert body["owner_staff"] == world.agent_b.name
    assert body["due"]["resolution"] is not None
    assert body["value_tier"] == "B"
    # the customer was told the committed deadline on both channels
    accepted = [n for n in body["notices"] if "受理" in n["body"] or "受理" in n["subject"]]
    assert {n["channel"] for n in accepted} == {"sms", "email"}
    order = WorkOrder.objects.get(pk=body["id"])
    deadline = timezone.localtime(order.resolution_due_at).strftime("%Y-%m-%d %H:%M")
    assert all(deadline in n["body"] for n in accepted)
    assert AuditEvent.objects.filter(action="work_order.create", object_id=str(order.pk)).exists()


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"category": "no-such"}, 400, "Unknown category"),
        ({"channel": "fax"}, 400, "Unknown channel"),
        ({"priority": "whenever"}, 400, "Unknown priority"),
        ({"contact_phone": "call me"}, 400, "not a phone number"),
        ({"contact_email": "nope"}, 400, "e-mail"),
        ({"title": "  "}, 400, "subject"),
        ({"line_id": 999999}, 400, "Unknown line"),
        ({"contact_id": 999999}, 400, "Unknown contact"),
    ],
)
def test_create_rejects_bad_input(api_client, world, change, status, fragment):
    login(api_client, world.agent_b)
    response = api_client.post(
        f"{API}/orders", create_payload(world, **change), content_type="application/json"
    )
    assert response.status_code == status
    assert fragment in response.json()["detail"]


def test_create_for_a_customer_outside_scope_is_404(api_client, world):
    other_clerk = make_staff(Role.CLERK, store=StoreFactory(), username="clerk_other")
    login(api_client, other_clerk)
    response = api_client.post(
        f"{API}/orders", create_payload(world), content_type="application/json"
    )
    assert response.status_code == 404
    assert not WorkOrder.objects.exists()


def test_without_credentials_is_401(api_client, world):
    assert api_client.get(f"{API}/orders").status_code == 401
    assert (
        api_client.post(
            f"{API}/orders", create_payload(world), content_type="application/json"
        ).status_code
        == 401
    )


def test_list_is_scoped(api_client, world):
    # given an order owned by region B's hotline and one by store A
    by_hotline = new_order(world)
    by_store = new_order(
        world, by=world.clerk_a, channel="store", category=world.category("billing-overcharge")
    )
    # then the hotline agent and the supervisor see both, the clerk only the store's,
    # region A's branch manager only the one owned in the branch's subtree (the store)
    expectations = {
        world.agent_a: {by_hotline.pk, by_store.pk},
        world.supervisor: {by_hotline.pk, by_store.pk},
        world.clerk_a: {by_store.pk},
        world.manager_a: {by_store.pk},
        world.lead_b: {by_hotline.pk},
    }
    for staff, expected in expectations.items():
        api_client.token = None
        login(api_client, staff)
        ids = {o["id"] for o in api_client.get(f"{API}/orders").json()["items"]}
        assert ids == expected, staff.user.username
    # and out-of-scope details are 404, in-scope 200
    api_client.token = None
    login(api_client, world.clerk_a)
    assert api_client.get(f"{API}/orders/{by_hotline.pk}").status_code == 404
    assert api_client.get(f"{API}/orders/{by_store.pk}").status_code == 200


def test_queues_and_overdue_first(api_client, world):
    from tests.complaints.helpers import local

    late = new_order(
        world, title="早就超时", received_at=local(2026, 1, 5, 9, 0), now=local(2026, 1, 5, 9, 0)
    )
    fresh = new_order(world, by=world.agent_b2, title="刚受理")
    login(api_client, world.agent_b)
    mine = api_client.get(f"{API}/orders", {"queue": "mine"}).json()
    assert [o["id"] for o in mine["items"]] == [late.pk]
    team = api_client.get(f"{API}/orders", {"queue": "team"}).json()["items"]
    assert [o["id"] for o in team] == [late.pk, fresh.pk]
    assert team[0]["overdue"] is True and team[1]["overdue"] is False
    overdue = api_client.get(f"{API}/orders", {"overdue": "true"}).json()
    assert [o["id"] for o in overdue["items"]] == [late.pk]
    assert api_client.get(f"{API}/orders", {"queue": "bogus"}).status_code == 422


def test_full_text_search(api_client, world):
    coverage = new_order(world, title="家里信号差", description="小区里手机信号很弱")
    billing = new_order(
        world,
        category=world.category("billing-overcharge"),
        title="多扣了流量费",
        description="上月账单多收 30 元",
    )
    login(api_client, world.agent_b)

    def found(q):
        return {o["id"] for o in api_client.get(f"{API}/orders", {"q": q}).json()["items"]}

    assert found("信号") == {coverage.pk}
    assert found("信号很弱") == {coverage.pk}
    assert found("账单 30") == {billing.pk}
    assert found("流") == {billing.pk}
    assert found(billing.order_no) == {billing.pk}
    assert found("13900") == set()
    assert found(world.customer.name) == {coverage.pk, billing.pk}
    # notes are searchable too
    api_client.post(
        f"{API}/orders/{coverage.pk}/messages",
        {"kind": "note", "body": "基站 HZ-0451 告警"},
        content_type="application/json",
    )
    assert found("hz 0451") == {coverage.pk}
    assert found("不存在的词") == set()


def test_update_recomputes_and_needs_the_owner(api_client, world):
    order = new_order(world)
    login(api_client, world.agent_a)  # sees it (operator-wide) but does not own it
    denied = api_client.patch(
        f"{API}/orders/{order.pk}", {"priority": "urgent"}, content_type="application/json"
    )
    assert denied.status_code == 403
    api_client.token = None
    login(api_client, world.agent_b)
    before = order.resolution_due_at
    changed = api_client.patch(
        f"{API}/orders/{order.pk}",
        {"priority": "urgent", "category": "other"},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json()["sla_policy"].startswith("紧急")
    order.refresh_from_db()
    assert order.resolution_due_at != before


def test_transition_endpoint(api_client, world):
    order = new_order(world)
    login(api_client, world.agent_b)
    url = f"{API}/orders/{order.pk}/transition"
    illegal = api_client.post(url, {"to_status": "closed"}, content_type="application/json")
    assert illegal.status_code == 409
    assert "allowed from 'new'" in illegal.json()["detail"]
    ok = api_client.post(url, {"to_status": "in_progress"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"
    missing = api_client.post(url, {"to_status": "resolved"}, content_type="application/json")
    assert missing.status_code == 400
    resolved = api_client.post(
        url, {"to_status": "resolved", "resolution": "基站已扩容"}, content_type="application/json"
    )
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["timestamps"]["resolved_at"] is not None
    api_client.token = None
    login(api_client, world.agent_a)
    assert (
        api_client.post(url, {"to_status": "closed"}, content_type="application/json").status_code
        == 403
    )
    api_client.token = None
    login(api_client, world.clerk_a)
    assert (
        api_client.post(url, {"to_status": "closed"}, content_type="application/json").status_code
        == 404
    )


def test_assign_within_the_owner_unit_only(api_client, world):
    order = new_order(world)
    login(api_client, world.agent_b)
    url = f"{API}/orders/{order.pk}/assign"
    outside = api_client.post(url, {"staff_id": world.agent_a.pk}, content_type="application/json")
    assert outside.status_code == 400
    assert "hand-over" in outside.json()["detail"]
    assert (
        api_client.post(url, {"staff_id": 999999}, content_type="application/json").status_code
        == 400
    )
    ok = api_client.post(url, {"staff_id": world.agent_b2.pk}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["owner_staff"] == world.agent_b2.name
    assert ok.json()["status"] == "assigned"
    api_client.token = None
    login(api_client, world.agent_a)
    assert (
        api_client.post(
            url, {"staff_id": world.agent_a.pk}, content_type="application/json"
        ).status_code
        == 403
    )


def test_notes_stay_inside_messages_go_to_the_customer(api_client, world):
    order = new_order(world)
    login(api_client, world.agent_b)
    url = f"{API}/orders/{order.pk}/messages"
    note = api_client.post(
        url, {"kind": "note", "body": "内部：联系网络部"}, content_type="application/json"
    )
    assert note.status_code == 201
    message = api_client.post(
        url,
        {"kind": "to_customer", "body": "已安排工程师明天上门"},
        content_type="application/json",
    )
    assert message.status_code == 201
    detail = api_client.get(f"{API}/orders/{order.pk}").json()
    bodies = [n["body"] for n in detail["notices"]]
    assert any("已安排工程师明天上门" in b for b in bodies)
    assert not any("内部：联系网络部" in b for b in bodies)
    assert detail["timestamps"]["first_responded_at"] is not None
    assert [m["kind"] for m in detail["messages"]] == ["note", "to_customer"]
    assert (
        api_client.post(
            url, {"kind": "shout", "body": "x"}, content_type="application/json"
        ).status_code
        == 400
    )
    api_client.token = None
    login(api_client, world.agent_a)
    assert (
        api_client.post(
            url, {"kind": "note", "body": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_attachments_upload_and_download_in_scope(api_client, world, media):
    order = new_order(world)
    login(api_client, world.agent_b)
    upload = SimpleUploadedFile(
        "speedtest.png", b"\x89PNG fake image bytes", content_type="image/png"
    )
    response = api_client.post(f"{API}/orders/{order.pk}/attachments", {"file": upload})
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert attachment["name"] == "speedtest.png" and attachment["size"] == 21
    download = api_client.get(attachment["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG fake image bytes"
    detail = api_client.get(f"{API}/orders/{order.pk}").json()
    assert [a["name"] for a in detail["attachments"]] == ["speedtest.png"]
    empty = SimpleUploadedFile("empty.txt", b"", content_type="text/plain")
    assert (
        api_client.post(f"{API}/orders/{order.pk}/attachments", {"file": empty}).status_code == 400
    )
    api_client.token = None
    login(api_client, world.clerk_a)
    assert api_client.get(attachment["url"]).status_code == 404


def test_merge_duplicates_of_the_same_customer(api_client, world):
    primary = new_order(world)
    duplicate = new_order(world, category=world.category("billing-overcharge"), title="重复来电")
    stranger = new_order(world, customer=CustomerFactory(store=world.store_a))
    login(api_client, world.agent_b)
    other = api_client.post(
        f"{API}/orders/{duplicate.pk}/merge",
        {"into_order_id": stranger.pk},
        content_type="application/json",
    )
    assert other.status_code == 400
    merged = api_client.post(
        f"{API}/orders/{duplicate.pk}/merge",
        {"into_order_id": primary.pk},
        content_type="application/json",
    )
    assert merged.status_code == 200
    assert merged.json()["id"] == primary.pk
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.merged_into == primary
    again = api_client.post(
        f"{API}/orders/{duplicate.pk}/merge",
        {"into_order_id": primary.pk},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert (
        api_client.post(
            f"{API}/orders/{primary.pk}/merge",
            {"into_order_id": 999999},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_reopen_endpoint(api_client, world):
    order = new_order(world)
    login(api_client, world.agent_b)
    url = f"{API}/orders/{order.pk}/reopen"
    assert (
        api_client.post(url, {"reason": "还是没信号"}, content_type="application/json").status_code
        == 409
    )
    api_client.post(
        f"{API}/orders/{order.pk}/transition",
        {"to_status": "in_progress"},
        content_type="application/json",
    )
    api_client.post(
        f"{API}/orders/{order.pk}/transition",
        {"to_status": "resolved", "resolution": "已处理"},
        content_type="application/json",
    )
    reopened = api_client.post(url, {"reason": "还是没信号"}, content_type="application/json")
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "reopened" and reopened.json()["reopen_count"] == 1


def test_canned_replies_are_filled_in(api_client, world):
    order = new_order(world)
    CannedReply.objects.create(
        title="未知变量", language="zh-hans", body="{{ nonsense }} {{ order_no }}"
    )
    login(api_client, world.agent_b)
    replies = api_client.get(f"{API}/orders/{order.pk}/canned-replies").json()
    texts = {r["title"]: r["text"] for r in replies}
    assert order.order_no in texts["致歉与承诺时限"]
    assert world.customer.name in texts["致歉与承诺时限"]
    assert world.agent_b.name in texts["致歉与承诺时限"]
    assert texts["未知变量"] == "{{ nonsense }} " + order.order_no
    assert "Apology and committed deadline" not in texts  # English replies for English orders
    api_client.token = None
    api_client.login_token(world.clerk_a.user.username)
    assert api_client.get(f"{API}/orders/{order.pk}/canned-replies").status_code == 404


def test_categories(api_client, world):
    assert api_client.get(f"{API}/categories").status_code == 401
    login(api_client, world.clerk_a)
    tree = {c["code"]: c["parent"] for c in api_client.get(f"{API}/categories").json()}
    assert tree["cancellation-refused"] == "cancellation"
    assert tree["network"] is None


def test_writes_to_an_order_outside_scope_answer_404(api_client, world, media):
    # given an order of region B's hotline centre, and an order of store A
    order = new_order(world)
    mine = new_order(world, by=world.clerk_a, channel="store", title="营业厅受理")
    work_order_transition(order=order, to_status="in_progress", actor=world.agent_b.user)
    work_order_transition(
        order=order, to_status="resolved", actor=world.agent_b.user, resolution="已处理"
    )
    # when store A's clerk, who cannot see the hotline's order, tries to work on it
    login(api_client, world.clerk_a)
    upload = SimpleUploadedFile("x.png", b"\x89PNG bytes", content_type="image/png")
    attempts = {
        "PATCH": api_client.patch(
            f"{API}/orders/{order.pk}", {"priority": "urgent"}, content_type="application/json"
        ),
        "assign": api_client.post(
            f"{API}/orders/{order.pk}/assign",
            {"staff_id": world.clerk_a.pk},
            content_type="application/json",
        ),
        "messages": api_client.post(
            f"{API}/orders/{order.pk}/messages",
            {"kind": "note", "body": "看看"},
            content_type="application/json",
        ),
        "merge": api_client.post(
            f"{API}/orders/{order.pk}/merge",
            {"into_order_id": mine.pk},
            content_type="application/json",
        ),
        "merge into": api_client.post(
            f"{API}/orders/{mine.pk}/merge",
            {"into_order_id": order.pk},
            content_type="application/json",
        ),
        "reopen": api_client.post(
            f"{API}/orders/{order.pk}/reopen",
            {"reason": "还是不行"},
            content_type="application/json",
        ),
        "attachment": api_client.post(f"{API}/orders/{order.pk}/attachments", {"file": upload}),
    }
    # then each answers 404, as if the order did not exist, and nothing changed
    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 404)
    assert all(r.json()["detail"] == "Not Found" for r in attempts.values())
    order.refresh_from_db()
    mine.refresh_from_db()
    assert (order.status, order.priority, order.owner_staff) == (
        Status.RESOLVED,
        "normal",
        world.agent_b,
    )
    assert mine.status == Status.NEW and mine.merged_into is None
    assert not order.messages.exists() and not order.attachments.exists()


def test_merge_reopen_and_attachments_need_the_owner_side(api_client, world, media):
    # given a resolved order of region B's centre, and an open one of region A's centre
    order = new_order(world)
    work_order_transition(order=order, to_status="in_progress", actor=world.agent_b.user)
    work_order_transition(
        order=order, to_status="resolved", actor=world.agent_b.user, resolution="已处理"
    )
    duplicate = new_order(world, by=world.agent_a, title="重复来电")
    primary = new_order(world, title="原工单")
    # when region A's agent, who sees region B's orders but does not own them, works them
    login(api_client, world.agent_a)
    upload = SimpleUploadedFile("x.png", b"\x89PNG bytes", content_type="image/png")
    reopen = api_client.post(
        f"{API}/orders/{order.pk}/reopen", {"reason": "还是不行"}, content_type="application/json"
    )
    attachment = api_client.post(f"{API}/orders/{order.pk}/attachments", {"file": upload})
    merge_theirs = api_client.post(
        f"{API}/orders/{primary.pk}/merge",
        {"into_order_id": duplicate.pk},
        content_type="application/json",
    )
    merge_into_theirs = api_client.post(
        f"{API}/orders/{duplicate.pk}/merge",
        {"into_order_id": primary.pk},
        content_type="application/json",
    )
    # then each answers 403 naming the owner rule, and nothing changed
    for response in (reopen, attachment, merge_theirs, merge_into_theirs):
        assert response.status_code == 403, response.content
        assert "owner unit" in response.json()["detail"]
    order.refresh_from_db()
    duplicate.refresh_from_db()
    assert order.status == Status.RESOLVED and order.reopen_count == 0
    assert not order.attachments.exists()
    assert duplicate.status == Status.NEW and duplicate.merged_into is None
