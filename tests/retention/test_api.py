"""The retention API (/api/v1/retention/): every endpoint, with permission (403) and scope
(404) failures. Objects outside the caller's scope answer 404, never 403."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_staff
from tests.retention.conftest import through_step
from wanliu.retention import services as s
from wanliu.retention.models import (
    CancellationRequest,
    FastLaneTicket,
    OfferGrant,
    RetentionCase,
    RetentionContact,
    Status,
    WinBackEntry,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/retention"


def _due(days: int = 5, hour: int = 10) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0)).isoformat() + "+08:00"


def post(
    client: Any, path: str, body: dict[str, Any] | None = None, *, language: str = "en"
) -> Any:
    return client.post(
        f"{API}{path}",
        body or {},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def get(client: Any, path: str, *, language: str = "en") -> Any:
    return client.get(f"{API}{path}", HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def clerk(api_client, world):
    api_client.login_token("clerk")
    return api_client


def as_user(api_client: Any, username: str) -> Any:
    api_client.login_token(username)
    return api_client


# --- the documentation ----------------------------------------------------------------------

EXPECTED_PATHS = {
    "/compare",
    "/requests",
    "/requests/{request_id}",
    "/requests/{request_id}/consumption",
    "/requests/{request_id}/bills",
    "/requests/{request_id}/competitor-promotion",
    "/requests/{request_id}/comparison",
    "/requests/{request_id}/steps/calm",
    "/requests/{request_id}/steps/consumption",
    "/requests/{request_id}/steps/reason",
    "/requests/{request_id}/steps/compare",
    "/requests/{request_id}/steps/care",
    "/requests/{request_id}/steps/part-well",
    "/requests/{request_id}/outcome",
    "/requests/{request_id}/insist",
    "/requests/{request_id}/transfer",
    "/requests/{request_id}/close",
    "/requests/{request_id}/fast-lane",
    "/fast-lane/{ticket_id}/resolve",
    "/offers",
    "/requests/{request_id}/offers",
    "/requests/{request_id}/grants",
    "/requests/{request_id}/approvals",
    "/approvals",
    "/approvals/{grant_id}/approve",
    "/approvals/{grant_id}/reject",
    "/requests/{request_id}/contacts",
    "/contacts",
    "/contacts/{contact_id}",
    "/contacts/{contact_id}/complete",
    "/win-back",
    "/win-back/{entry_id}/outcome",
    "/cases",
    "/cases/{case_id}",
    "/requests/{request_id}/case",
    "/supervision/stores",
}


def test_every_operation_is_in_the_openapi_description():
    schema = Client().get("/api/v1/openapi.json").json()
    paths = {p[len(API) :]: ops for p, ops in schema["paths"].items() if p.startswith(API)}
    assert set(paths) == EXPECTED_PATHS
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"


def test_anonymous_callers_are_refused(world):
    assert Client().get(f"{API}/requests").status_code == 401
    assert Client().post(f"{API}/requests", {}, content_type="application/json").status_code == 401


# --- requests and the six steps ---------------------------------------------------------------


def test_the_worked_example_through_the_api(api_client, world):
    clerk = as_user(api_client, "clerk")
    # open
    response = post(
        clerk,
        "/requests",
        {
            "customer_id": world.customer.pk,
            "kind": "cancel",
            "target": "subscription",
            "subscription_id": world.bundle.pk,
        },
    )
    assert response.status_code == 201, response.content
    request = response.json()
    rid = request["id"]
    assert request["status"] == "opened" and request["channel"] == "store"
    assert request["store_id"] == world.store.pk
    # steps 1-3
    assert (
        post(
            clerk, f"/requests/{rid}/steps/calm", {"stated_complaint": "太贵", "mood": "angry"}
        ).status_code
        == 200
    )
    assert (
        post(
            clerk, f"/requests/{rid}/steps/consumption", {"reviewed_with_customer": True}
        ).status_code
        == 200
    )
    promotion = get(clerk, f"/requests/{rid}/competitor-promotion").json()
    assert promotion["promo_monthly"] == "59.00" and promotion["regular_monthly"] == "118.00"
    body = {
        "reason": "competitor_offer",
        "competitor": {
            "operator": promotion["competitor"],
            "promo_monthly": promotion["promo_monthly"],
            "promo_months": promotion["promo_months"],
            "regular_monthly": promotion["regular_monthly"],
            "conditions": "携转新用户",
            "switchers_only": True,
            "promotion_id": promotion["id"],
        },
    }
    detail = post(clerk, f"/requests/{rid}/steps/reason", body).json()
    assert detail["competitor"]["promotion_id"] == promotion["id"]
    assert detail["route"] == "compare"
    # the comparison with the level-2 offer over 36 months
    comparison = get(
        clerk, f"/requests/{rid}/comparison?horizon_months=36&offer_codes=T-L2-30OFF36"
    ).json()
    assert comparison["stay_total"] == "4644.00"
    assert comparison["offer_total"] == "3250.80"
    assert comparison["competitor_total"] == "3540.00"
    assert comparison["break_even_month"] == 26
    # step 4
    detail = post(
        clerk,
        f"/requests/{rid}/steps/compare",
        {"words_used": "118才是真实价格", "horizon_months": 36, "offer_codes": ["T-L2-30OFF36"]},
    ).json()
    assert detail["steps"][-1]["data"]["comparison"]["break_even_month"] == 26
    # eligible offers priced for the customer; the clerk may grant level 1 only
    offers = {o["code"]: o for o in get(clerk, f"/requests/{rid}/offers").json()}
    assert offers["T-L2-30OFF36"]["new_monthly_fee"] == "90.30"
    assert offers["T-L2-30OFF36"]["needs_approval"] is True
    assert offers["T-L2-30OFF36"]["can_grant"] is False
    assert offers["T-L1-10OFF12"]["can_grant"] is True
    # a level-2 grant by the clerk is refused: 403
    refused = post(clerk, f"/requests/{rid}/grants", {"offer_code": "T-L2-30OFF36"})
    assert refused.status_code == 403
    assert "approval" in refused.json()["detail"]
    # the clerk asks approval; the branch manager approves it
    pending = post(
        clerk, f"/requests/{rid}/approvals", {"offer_code": "T-L2-30OFF36", "note": "竞对低价"}
    )
    assert pending.status_code == 201 and pending.json()["status"] == "pending"
    manager = as_user(api_client, "manager")
    queue = get(manager, "/approvals").json()
    assert [g["id"] for g in queue] == [pending.json()["id"]]
    approved = post(manager, f"/approvals/{queue[0]['id']}/approve", {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # the customer accepts
    clerk = as_user(api_client, "clerk")
    detail = post(
        clerk,
        f"/requests/{rid}/outcome",
        {"outcome": "retained_with_offer", "grant_id": approved.json()["id"]},
    ).json()
    assert detail["status"] == "retained_with_offer"
    assert detail["grants"][0]["new_monthly_fee"] == "90.30"
    # step 5 and close
    detail = post(
        clerk,
        f"/requests/{rid}/steps/care",
        {"contacts": [{"channel": "wecom", "due_at": _due(), "note": "企业微信回访"}]},
    ).json()
    assert detail["contacts"][0]["channel"] == "wecom"
    detail = post(clerk, f"/requests/{rid}/close", {}).json()
    assert detail["status"] == "closed" and detail["outcome"] == "retained_with_offer"
    assert detail["missing_steps"] == []
    assert [c["to_status"] for c in detail["status_changes"]] == [
        "in_conversation",
        "retained_with_offer",
        "closed",
    ]


def test_list_filters_and_detail(clerk, world):
    request = through_step(world, 1)
    items = get(clerk, "/requests?status=open").json()
    assert items["count"] == 1 and items["items"][0]["request_no"] == request.request_no
    assert items["items"][0]["steps_recorded"] == [1]
    assert get(clerk, "/requests?status=closed").json()["count"] == 0
    assert get(clerk, f"/requests?q={request.request_no}").json()["count"] == 1
    assert get(clerk, "/requests?flagged=true").json()["count"] == 0
    detail = get(clerk, f"/requests/{request.pk}").json()
    assert detail["stated_complaint"] and detail["allowed_transitions"]


def test_open_validation_and_duplicates(clerk, world):
    body = {"customer_id": world.customer.pk, "kind": "cancel", "target": "subscription"}
    assert post(clerk, "/requests", body).status_code == 400  # which bundle?
    body["subscription_id"] = world.bundle.pk
    assert post(clerk, "/requests", body).status_code == 201
    again = post(clerk, "/requests", body)
    assert again.status_code == 400 and "already open" in again.json()["detail"]
    body["kind"] = "vanish"
    assert post(clerk, "/requests", body).status_code == 400


def test_consumption_and_bills(clerk, world):
    request = through_step(world, 1)
    consumption = get(clerk, f"/requests/{request.pk}/consumption").json()
    assert consumption["target_monthly_fee"] == "129.00"
    assert consumption["subscriptions"][0]["mobile_lines"] == 3
    assert len(consumption["bills"]) == 3
    bills = get(clerk, f"/requests/{request.pk}/bills").json()
    assert [b["total"] for b in bills] == ["129.00", "131.50", "129.00"]
    assert bills[0]["items"][0]["label"]
    assert bills[1]["change_from_previous"] == "2.50"


def test_refusals_speak_the_callers_language(clerk, world):
    request = through_step(world, 2)
    body = {"offer_code": "T-L2-30OFF36"}
    english = post(clerk, f"/requests/{request.pk}/grants", body)
    chinese = post(clerk, f"/requests/{request.pk}/grants", body, language="zh-hans")
    assert english.status_code == chinese.status_code == 403
    assert english.json()["detail"].startswith("A level-2 offer needs the approval")
    assert chinese.json()["detail"] == "二级维挽需本分局经理审批：请提交审批申请。"


def test_comparison_waits_for_steps_2_and_3(clerk, world):
    request = through_step(world, 1)
    assert get(clerk, f"/requests/{request.pk}/comparison").status_code == 409


def test_step_errors_are_400_and_illegal_moves_409(clerk, world):
    request = through_step(world, 1)
    bad = post(clerk, f"/requests/{request.pk}/steps/reason", {"reason": "service_quality"})
    assert bad.status_code == 400 and "network, fault or staff" in bad.json()["detail"]
    assert post(clerk, f"/requests/{request.pk}/close", {}).status_code == 409
    part = post(
        clerk,
        f"/requests/{request.pk}/steps/part-well",
        {"allowed_recontact_on": (timezone.localdate() + dt.timedelta(days=60)).isoformat()},
    )
    assert part.status_code == 409


def test_insist_processes_in_the_same_visit(clerk, world):
    request = through_step(world, 1)
    detail = post(clerk, f"/requests/{request.pk}/insist", {}).json()
    assert detail["status"] == "cancelled" and detail["insisted_at"]
    detail = post(
        clerk,
        f"/requests/{request.pk}/steps/part-well",
        {"allowed_recontact_on": (timezone.localdate() + dt.timedelta(days=40)).isoformat()},
    ).json()
    assert detail["win_back"]["status"] == "waiting"
    assert post(clerk, f"/requests/{request.pk}/close", {}).json()["status"] == "closed"


def test_insist_at_an_outlet_without_a_direct_store_is_403(api_client, world):
    request = s.cancellation_request_open(
        actor=world.partner_clerk.user,
        customer=world.customer,
        kind="cancel",
        target="subscription",
        subscription=world.bundle,
    )
    partner = as_user(api_client, "partner")
    assert post(partner, f"/requests/{request.pk}/insist", {}).status_code == 403
    handed = post(partner, f"/requests/{request.pk}/insist", {"to_store_id": world.store.pk})
    assert handed.status_code == 200 and handed.json()["transfers"][0]["kind"] == "handover"


def test_transfer_is_recorded_as_such(clerk, world):
    request = through_step(world, 1)
    detail = post(
        clerk,
        f"/requests/{request.pk}/transfer",
        {"to_store_id": world.second_store.pk, "reason": "本厅忙"},
    ).json()
    assert detail["transfers"][0]["kind"] == "transfer"
    assert detail["transfers_out"] == 1
    assert get(clerk, "/requests?transferred=true").json()["count"] == 1


def test_outcome_errors(clerk, world):
    request = through_step(world, 2)
    assert (
        post(
            clerk, f"/requests/{request.pk}/outcome", {"outcome": "retained_with_offer"}
        ).status_code
        == 400
    )
    assert post(clerk, f"/requests/{request.pk}/outcome", {"outcome": "closed"}).status_code == 409
    down = post(
        clerk,
        f"/requests/{request.pk}/outcome",
        {"outcome": "downgraded", "new_plan_code": world.small_plan.code},
    )
    assert down.status_code == 200 and down.json()["new_plan_code"] == "FAM99"


def test_fast_lane(clerk, world):
    request = through_step(world, 1)
    created = post(
        clerk, f"/requests/{request.pk}/fast-lane", {"issue": "network", "description": "无信号"}
    )
    assert created.status_code == 201
    ticket = created.json()
    resolved = post(clerk, f"/fast-lane/{ticket['id']}/resolve", {"resolution": "已调整基站"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert post(clerk, "/fast-lane/999999/resolve", {"resolution": "x"}).status_code == 404


def test_offers_catalogue(clerk, world):
    codes = [o["code"] for o in get(clerk, "/offers").json()]
    assert codes == ["T-L1-10OFF12", "T-L2-30OFF36"]


def test_level1_grant_and_budget_exhaustion(clerk, world):
    world.level1.monthly_budget_per_store = "100.00"
    world.level1.save()
    request = through_step(world, 2)
    refused = post(clerk, f"/requests/{request.pk}/grants", {"offer_code": "T-L1-10OFF12"})
    assert refused.status_code == 409 and "budget" in refused.json()["detail"]
    world.level1.monthly_budget_per_store = None
    world.level1.save()
    granted = post(clerk, f"/requests/{request.pk}/grants", {"offer_code": "T-L1-10OFF12"})
    assert granted.status_code == 201 and granted.json()["status"] == "granted"
    assert post(clerk, f"/requests/{request.pk}/grants", {"offer_code": "NOPE"}).status_code == 400


def test_reject_needs_a_reason_and_expired_is_409(api_client, world):
    request = through_step(world, 2)
    grant = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对"
    )
    manager = as_user(api_client, "manager")
    assert post(manager, f"/approvals/{grant.pk}/reject", {}).status_code == 400
    rejected = post(manager, f"/approvals/{grant.pk}/reject", {"note": "先用一级"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert post(manager, f"/approvals/{grant.pk}/approve", {}).status_code == 409
    late = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="再申请"
    )
    OfferGrant.objects.filter(pk=late.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    assert post(manager, f"/approvals/{late.pk}/approve", {}).status_code == 409
    assert OfferGrant.objects.get(pk=late.pk).status == "expired"


def test_approval_by_a_grid_lead_of_the_branch_is_403(api_client, world):
    request = through_step(world, 2)
    grant = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对"
    )
    lead = as_user(api_client, "gridlead")
    assert get(lead, "/approvals").json() == []
    assert post(lead, f"/approvals/{grant.pk}/approve", {}).status_code == 403


def test_contacts_and_the_contact_policy(clerk, world):
    request = through_step(world, 2)
    s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )
    ids = []
    for day in (2, 4, 6):
        created = post(
            clerk,
            f"/requests/{request.pk}/contacts",
            {"purpose": "care", "channel": "call", "due_at": _due(day)},
        )
        assert created.status_code == 201
        ids.append(created.json()["id"])
    beyond = post(
        clerk,
        f"/requests/{request.pk}/contacts",
        {"purpose": "care", "channel": "call", "due_at": _due(8)},
    )
    assert beyond.status_code == 409 and "At most 3" in beyond.json()["detail"]
    quiet = post(
        clerk,
        f"/requests/{request.pk}/contacts",
        {"purpose": "care", "channel": "call", "due_at": _due(8, hour=23)},
    )
    assert quiet.status_code == 409
    done = post(clerk, f"/contacts/{ids[0]}/complete", {"status": "done", "result": "满意"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert post(clerk, f"/contacts/{ids[0]}/complete", {"status": "done"}).status_code == 409


def test_win_back_list_and_outcome(clerk, world):
    request = s.cancellation_request_insist(request=through_step(world, 1), actor=world.clerk.user)
    s.step_part_well_record(
        request=request,
        actor=world.clerk.user,
        allowed_recontact_on=timezone.localdate() + dt.timedelta(days=30),
    )
    entries = get(clerk, "/win-back").json()
    assert len(entries) == 1 and entries[0]["status"] == "waiting"
    day = (timezone.localdate() + dt.timedelta(days=31)).isoformat()
    assert len(get(clerk, f"/win-back?due_on={day}").json()) == 1
    outcome = post(
        clerk, f"/win-back/{entries[0]['id']}/outcome", {"status": "declined", "note": "不考虑"}
    )
    assert outcome.status_code == 200 and outcome.json()["status"] == "declined"
    assert get(clerk, "/win-back").json() == []


def test_cases_publish_search_and_read(api_client, world):
    request = through_step(world, 4)
    grant = s.offer_grant(request=request, offer=world.level2, actor=world.manager.user)
    s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_WITH_OFFER, actor=world.clerk.user, grant=grant
    )
    clerk = as_user(api_client, "clerk")
    assert post(clerk, f"/requests/{request.pk}/case", {"title": "x"}).status_code == 403
    manager = as_user(api_client, "manager")
    created = post(manager, f"/requests/{request.pk}/case", {"title": "七折挽留"})
    assert created.status_code == 201
    case = created.json()
    assert world.customer.name not in str(case)
    clerk = as_user(api_client, "clerk")
    assert [c["id"] for c in get(clerk, "/cases?reason=competitor_offer").json()] == [case["id"]]
    assert get(clerk, "/cases?reason=relocation").json() == []
    assert get(clerk, f"/cases/{case['id']}").json()["comparison"]["break_even_month"] == 26
    assert get(clerk, "/cases/999999").status_code == 404


def test_supervision_by_store(api_client, world):
    request = through_step(world, 1)
    s.refusals_flag(now=request.due_at + dt.timedelta(minutes=1))
    assert get(as_user(api_client, "clerk"), "/supervision/stores").status_code == 403
    rows = get(as_user(api_client, "manager"), "/supervision/stores").json()
    row = next(r for r in rows if r["store_id"] == world.store.pk)
    assert row["refusals"] == 1 and row["unprocessed"] == 1
    assert get(as_user(api_client, "farmanager"), "/supervision/stores").json() == []
    assert len(get(as_user(api_client, "supervisor"), "/supervision/stores").json()) == 1


# --- scope (404) and permission (403) over every request-scoped operation ---------------------


@pytest.fixture
def objects(world) -> dict[str, int]:
    """A request of the clerk's store with one of everything hanging off it."""
    request = through_step(world, 2)
    ticket = s.fast_lane_ticket_open(
        request=request, actor=world.clerk.user, issue="fault", description="掉线"
    )
    grant = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对"
    )
    retained = through_step(
        world,
        2,
        request=s.cancellation_request_open(
            actor=world.clerk.user,
            customer=world.customer,
            kind="cancel",
            target="line",
            line=world.lines[0],
        ),
    )
    s.cancellation_request_outcome(
        request=retained, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )
    contact = s.retention_contact_schedule(
        request=retained,
        actor=world.clerk.user,
        purpose="care",
        channel="call",
        due_at=dt.datetime.fromisoformat(_due()),
    )
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
    return {
        "request": request.pk,
        "retained": retained.pk,
        "ticket": ticket.pk,
        "grant": grant.pk,
        "contact": contact.pk,
        "entry": WinBackEntry.objects.get(request=gone).pk,
        "store": world.second_store.pk,
    }


def _body(body: dict[str, Any] | None, objects: dict[str, int]) -> dict[str, Any] | None:
    """Fill placeholders such as ``"{store}"`` with the ids of ``objects``."""
    if body is None:
        return None
    return {
        key: objects[value[1:-1]] if isinstance(value, str) and value[:1] == "{" else value
        for key, value in body.items()
    }


SCOPED = [
    ("get", "/requests/{request}", None),
    ("get", "/requests/{request}/consumption", None),
    ("get", "/requests/{request}/bills", None),
    ("get", "/requests/{request}/competitor-promotion", None),
    ("get", "/requests/{request}/comparison", None),
    ("get", "/requests/{request}/offers", None),
    ("post", "/requests/{request}/steps/calm", {"stated_complaint": "x", "mood": "calm"}),
    ("post", "/requests/{request}/steps/consumption", {"reviewed_with_customer": True}),
    ("post", "/requests/{request}/steps/reason", {"reason": "relocation"}),
    ("post", "/requests/{request}/steps/compare", {"words_used": "x"}),
    ("post", "/requests/{retained}/steps/care", {"declined_note": "x"}),
    ("post", "/requests/{request}/steps/part-well", {"allowed_recontact_on": "2099-01-01"}),
    ("post", "/requests/{request}/outcome", {"outcome": "retained_same_plan"}),
    ("post", "/requests/{request}/insist", {}),
    ("post", "/requests/{request}/transfer", {"to_store_id": "{store}", "reason": "x"}),
    ("post", "/requests/{retained}/close", {}),
    ("post", "/requests/{request}/fast-lane", {"issue": "fault", "description": "x"}),
    ("post", "/fast-lane/{ticket}/resolve", {"resolution": "x"}),
    ("post", "/requests/{request}/grants", {"offer_code": "T-L1-10OFF12"}),
    ("post", "/requests/{request}/approvals", {"offer_code": "T-L2-30OFF36", "note": "x"}),
    ("post", "/approvals/{grant}/approve", {}),
    ("post", "/approvals/{grant}/reject", {"note": "x"}),
    (
        "post",
        "/requests/{retained}/contacts",
        {"purpose": "care", "channel": "call", "due_at": "2099-01-05T10:00:00+08:00"},
    ),
    ("get", "/contacts/{contact}", None),
    ("post", "/contacts/{contact}/complete", {"status": "done", "result": "x"}),
    ("post", "/win-back/{entry}/outcome", {"status": "declined", "note": "x"}),
    ("post", "/requests/{retained}/case", {"title": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), SCOPED, ids=[f"{m} {p}" for m, p, _ in SCOPED])
def test_outside_the_scope_is_404(api_client, objects, method, path, body):
    # a clerk of a store in another branch, and a clerk of another store of the same branch
    for outsider in ("farclerk", "clerk2"):
        client = as_user(api_client, outsider)
        url = path.format(**objects)
        response = post(client, url, _body(body, objects)) if method == "post" else get(client, url)
        assert response.status_code == 404, (outsider, response.content)


WRITES = [(m, p, b) for m, p, b in SCOPED if m == "post" and "/case" not in p]


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_in_scope_without_the_authority_is_403(api_client, objects, method, path, body):
    # the service department sees every request but does not work them
    client = as_user(api_client, "supervisor")
    response = post(client, path.format(**objects), _body(body, objects))
    assert response.status_code == 403, response.content
    assert CancellationRequest.objects.filter(refusal_flagged_at__isnull=False).count() == 0


def test_the_lists_show_nothing_of_another_store_or_branch(api_client, objects):
    # given requests of the clerk's store with a pending level-2 approval, a planned care
    # contact and a win-back entry (the objects), seen by the clerk and their manager
    clerk = as_user(api_client, "clerk")
    assert get(clerk, "/requests").json()["count"] == 3
    assert len(get(clerk, "/win-back?status=").json()) == 1
    manager = as_user(api_client, "manager")
    assert [g["id"] for g in get(manager, "/approvals").json()] == [objects["grant"]]
    assert get(manager, "/requests").json()["count"] == 3

    # when a clerk of another store of the branch, a clerk and a manager of another branch
    # ask for the lists
    for outsider in ("clerk2", "farclerk", "farmanager"):
        client = as_user(api_client, outsider)
        requests = get(client, "/requests?status=").json()
        # then none of the other store's or branch's objects is in them
        assert requests == {"count": 0, "items": []}, outsider
        assert get(client, "/requests?flagged=false").json()["count"] == 0, outsider
        assert get(client, f"/requests?store_id={objects['store']}").json()["count"] == 0
        assert get(client, "/win-back?status=").json() == [], outsider
        assert get(client, "/approvals").json() == [], outsider
        assert get(client, "/contacts?status=").json() == {"count": 0, "items": []}, outsider


def test_approve_or_reject_by_a_manager_of_another_branch_is_404(api_client, objects):
    # given a level-2 approval waiting in the clerk's branch
    far = as_user(api_client, "farmanager")
    # when the manager of another branch approves or rejects it
    approve = post(far, f"/approvals/{objects['grant']}/approve", {"note": "同意"})
    reject = post(far, f"/approvals/{objects['grant']}/reject", {"note": "不同意"})
    # then it does not exist for them, and it still waits for its own branch
    assert approve.status_code == 404 and reject.status_code == 404
    grant = OfferGrant.objects.get(pk=objects["grant"])
    assert grant.status == OfferGrant.Status.PENDING and grant.decided_by is None
    manager = as_user(api_client, "manager")
    assert post(manager, f"/approvals/{objects['grant']}/approve", {}).status_code == 200


def test_the_hotline_reads_store_requests_but_does_not_work_them(api_client, objects):
    hotline = as_user(api_client, "hotline")
    assert get(hotline, f"/requests/{objects['request']}").status_code == 200
    assert (
        post(
            hotline,
            f"/requests/{objects['request']}/steps/calm",
            {"stated_complaint": "x", "mood": "calm"},
        ).status_code
        == 403
    )


def test_roles_without_work_authority_may_not_open(api_client, world):
    body = {
        "customer_id": world.customer.pk,
        "kind": "cancel",
        "target": "subscription",
        "subscription_id": world.bundle.pk,
    }
    assert post(as_user(api_client, "supervisor"), "/requests", body).status_code == 403
    assert post(as_user(api_client, "farclerk"), "/requests", body).status_code == 404


def test_records_are_left_untouched_by_refused_calls(api_client, objects):
    before = (
        FastLaneTicket.objects.filter(status="open").count(),
        OfferGrant.objects.filter(status="pending").count(),
        RetentionContact.objects.filter(status="planned").count(),
        RetentionCase.objects.count(),
    )
    client = as_user(api_client, "farclerk")
    for method, path, body in SCOPED:
        if method == "post":
            post(client, path.format(**objects), _body(body, objects))
    after = (
        FastLaneTicket.objects.filter(status="open").count(),
        OfferGrant.objects.filter(status="pending").count(),
        RetentionContact.objects.filter(status="planned").count(),
        RetentionCase.objects.count(),
    )
    assert before == after


def test_an_administrator_opens_at_a_given_store_or_on_the_hotline(api_client, world):
    make_staff("admin", username="root")
    admin = as_user(api_client, "root")
    body = {
        "customer_id": world.customer.pk,
        "kind": "suspend",
        "target": "line",
        "line_id": world.lines[2].pk,
    }
    hotline = post(admin, "/requests", body).json()
    assert hotline["channel"] == "hotline" and hotline["store_id"] is None
    body["line_id"] = world.lines[1].pk
    body["store_id"] = world.store.pk
    at_store = post(admin, "/requests", body).json()
    assert at_store["channel"] == "store" and at_store["store_id"] == world.store.pk
    done = post(admin, f"/requests/{at_store['id']}/insist", {}).json()
    assert done["status"] == "suspended"
