"""A processed outcome changes what the customer has, in the same transaction: a
cancellation cancels the line(s) (and ends the bundle, closes the account), a suspension
suspends them, a downgrade changes the plan with a plan change. Seen where the counter
sees it: the customer 360 (``GET /api/v1/customers/{id}``) and the desk page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.factories import PlanFactory, SubscriptionFactory
from tests.retention.conftest import through_step
from tests.retention.world import World
from wanliu.core.models import AuditEvent
from wanliu.customers.models import Account, Line
from wanliu.retention import services as s
from wanliu.retention.models import CancellationRequest, Status

pytestmark = pytest.mark.django_db
API = "/api/v1/retention"


@pytest.fixture
def clerk(api_client, world):
    api_client.login_token("clerk")
    return api_client


def post(client: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        f"{API}{path}", body or {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )


def customer_360(client: Any, world: World) -> dict[str, Any]:
    response = client.get(f"/api/v1/customers/{world.customer.pk}")
    assert response.status_code == 200, response.content
    return response.json()


def lines_by_number(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {ln["number"]: ln for ln in view["lines"]}


def open_for(client: Any, world: World, *, target: str, kind: str = "cancel", **ids: int) -> int:
    body = {"customer_id": world.customer.pk, "kind": kind, "target": target, **ids}
    response = post(client, "/requests", body)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def audit_actions(obj_type: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj_type)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- through the API ------------------------------------------------------------------------


def test_insist_cancels_the_line_and_the_360_shows_it_with_todays_date(clerk, world):
    # given a request to cancel one mobile line of the bundle, after step 1
    line = world.lines[2]
    rid = open_for(clerk, world, target="line", line_id=line.pk)
    post(clerk, f"/requests/{rid}/steps/calm", {"stated_complaint": "副卡不用了", "mood": "calm"})
    # when the customer insists
    detail = post(clerk, f"/requests/{rid}/insist", {"note": "客户坚持"}).json()
    # then the request is cancelled and so is the line, today; the rest of the bundle stays
    assert detail["status"] == "cancelled"
    lines = lines_by_number(customer_360(clerk, world))
    today = timezone.localdate().isoformat()
    assert lines[line.number]["status"] == "cancelled"
    assert lines[line.number]["cancelled_on"] == today
    others = [ln for number, ln in lines.items() if number != line.number]
    assert {ln["status"] for ln in others} == {"active"}
    view = customer_360(clerk, world)
    assert view["subscriptions"][0]["ended_on"] is None
    # and the change is on record, by the clerk
    event = AuditEvent.objects.get(action="customer.line.cancel", object_id=str(line.pk))
    assert event.actor == world.clerk.user
    assert event.before["status"] == "active" and event.after["cancelled_on"] == today
    # a cancelled line no longer counts among the bundle's lines (step 2 of a new request)
    rid2 = open_for(clerk, world, target="subscription", subscription_id=world.bundle.pk)
    consumption = clerk.get(f"{API}/requests/{rid2}/consumption").json()
    assert consumption["subscriptions"][0]["lines"] == 4


def test_a_request_for_the_bundle_cancels_every_line_of_it(clerk, world):
    # given the bundle of 3 mobile lines, broadband and TV
    rid = open_for(clerk, world, target="subscription", subscription_id=world.bundle.pk)
    # when the customer insists
    assert post(clerk, f"/requests/{rid}/insist", {}).json()["status"] == "cancelled"
    # then every line of it is cancelled today, the bundle ends today, and with nothing left
    # in service the account is closed
    view = customer_360(clerk, world)
    today = timezone.localdate().isoformat()
    assert [(ln["status"], ln["cancelled_on"]) for ln in view["lines"]] == [
        ("cancelled", today)
    ] * 5
    assert view["subscriptions"][0]["ended_on"] == today
    assert view["monthly_fee"] == "0"
    assert Account.objects.get(pk=world.bundle.account_id).status == Account.Status.CLOSED
    assert audit_actions("customers.line") == ["customer.line.cancel"] * 5
    assert audit_actions("customers.subscription") == ["customer.subscription.end"]
    assert audit_actions("customers.account") == ["customer.account.close"]


def test_a_request_for_the_account_cancels_its_lines_still_in_service(clerk, world):
    # given one line of the account cancelled last year, and another running plan
    old = world.lines[4]
    last_year = timezone.localdate() - dt.timedelta(days=300)
    Line.objects.filter(pk=old.pk).update(status="cancelled", cancelled_on=last_year)
    extra = SubscriptionFactory(
        account=world.bundle.account, plan=PlanFactory(code="TV10", monthly_fee="10.00")
    )
    # when a request for the whole account is processed
    rid = open_for(clerk, world, target="account", account_id=world.bundle.account_id)
    post(clerk, f"/requests/{rid}/insist", {})
    # then the lines still in service are cancelled today, the old one keeps its date,
    # both plans end and the account is closed
    lines = lines_by_number(customer_360(clerk, world))
    today = timezone.localdate().isoformat()
    assert lines[old.number]["cancelled_on"] == last_year.isoformat()
    assert {lines[ln.number]["cancelled_on"] for ln in world.lines[:4]} == {today}
    ended = {sub["id"]: sub["ended_on"] for sub in customer_360(clerk, world)["subscriptions"]}
    assert ended == {world.bundle.pk: today, extra.pk: today}
    assert Account.objects.get(pk=world.bundle.account_id).status == Account.Status.CLOSED
    # and a closed account cannot be asked for again
    again = post(
        clerk,
        "/requests",
        {
            "customer_id": world.customer.pk,
            "kind": "cancel",
            "target": "account",
            "account_id": world.bundle.account_id,
        },
    )
    assert again.status_code == 400 and "already closed" in again.json()["detail"]


def test_suspend_suspends_the_line_and_keeps_the_number(clerk, world):
    # given a request to suspend the first mobile line (停机保号)
    line = world.lines[0]
    rid = open_for(clerk, world, target="line", kind="suspend", line_id=line.pk)
    # when the customer insists
    assert post(clerk, f"/requests/{rid}/insist", {}).json()["status"] == "suspended"
    # then the line is suspended today (not cancelled); the others stay active
    lines = lines_by_number(customer_360(clerk, world))
    assert lines[line.number]["status"] == "suspended"
    assert lines[line.number]["suspended_on"] == timezone.localdate().isoformat()
    assert lines[line.number]["cancelled_on"] is None
    assert [ln["status"] for n, ln in lines.items() if n != line.number] == ["active"] * 4
    assert audit_actions("customers.line") == ["customer.line.suspend"]
    # and a suspended line is not suspended twice
    again = post(
        clerk,
        "/requests",
        {"customer_id": world.customer.pk, "kind": "suspend", "target": "line", "line_id": line.pk},
    )
    assert again.status_code == 400 and "already suspended" in again.json()["detail"]


def test_suspending_a_bundle_suspends_its_active_lines(clerk, world):
    rid = open_for(clerk, world, target="subscription", subscription_id=world.bundle.pk)
    through_step(world, 2, request=CancellationRequest.objects.get(pk=rid))
    # when the customer chooses to suspend instead of cancelling
    detail = post(clerk, f"/requests/{rid}/outcome", {"outcome": "suspended"}).json()
    # then every line of the bundle is suspended and the bundle keeps running
    assert detail["status"] == "suspended"
    view = customer_360(clerk, world)
    assert {ln["status"] for ln in view["lines"]} == {"suspended"}
    assert view["subscriptions"][0]["ended_on"] is None


def test_downgrade_moves_the_bundle_to_the_new_plan_with_a_plan_change(clerk, world):
    # given a request in conversation with the consumption recorded (129 yuan)
    request = through_step(world, 2)
    # when the outcome is a downgrade to the 99-yuan bundle
    detail = post(
        clerk,
        f"/requests/{request.pk}/outcome",
        {"outcome": "downgraded", "new_plan_code": world.small_plan.code},
    ).json()
    # then the bundle is on the new plan from today, with its plan change, lines untouched
    assert detail["status"] == "downgraded" and detail["new_plan_code"] == "FAM99"
    view = customer_360(clerk, world)
    assert view["subscriptions"][0]["plan"]["code"] == "FAM99"
    assert view["monthly_fee"] == "99.00"
    assert view["plan_changes"] == [
        {
            "changed_on": timezone.localdate().isoformat(),
            "from_plan": "FAM129",
            "to_plan": "FAM99",
            "reason": f"{request.request_no} downgraded",
        }
    ]
    assert {ln["status"] for ln in view["lines"]} == {"active"}
    event = AuditEvent.objects.get(action="customer.subscription.plan_change")
    assert event.before == {"plan": "FAM129"} and event.after["plan"] == "FAM99"


def test_a_downgrade_without_a_plan_or_to_a_dearer_one_is_refused(clerk, world):
    request = through_step(world, 2)
    missing = post(clerk, f"/requests/{request.pk}/outcome", {"outcome": "downgraded"})
    assert missing.status_code == 400
    assert missing.json()["detail"].startswith("new_plan_code: a downgrade needs")
    PlanFactory(code="FAM199", monthly_fee="199.00")
    dearer = post(
        clerk,
        f"/requests/{request.pk}/outcome",
        {"outcome": "downgraded", "new_plan_code": "FAM199"},
    )
    assert dearer.status_code == 400 and "cheaper plan" in dearer.json()["detail"]
    # nothing changed
    assert CancellationRequest.objects.get(pk=request.pk).status == Status.IN_CONVERSATION
    assert customer_360(clerk, world)["plan_changes"] == []


def test_a_downgrade_to_a_plan_that_cannot_carry_the_lines_is_refused(clerk, world):
    # given the 3-line bundle with broadband and TV, and two cheaper bundles: one with two
    # mobile lines, one without TV
    request = through_step(world, 2)
    PlanFactory(code="FAM89", monthly_fee="89.00", mobile_lines=2)
    PlanFactory(code="FAM79", monthly_fee="79.00", has_tv=False)
    # when the clerk chooses either
    two = post(
        clerk,
        f"/requests/{request.pk}/outcome",
        {"outcome": "downgraded", "new_plan_code": "FAM89"},
    )
    no_tv = post(
        clerk,
        f"/requests/{request.pk}/outcome",
        {"outcome": "downgraded", "new_plan_code": "FAM79"},
    )
    # then both are refused with what stands in the way and the way out; nothing changed
    assert two.status_code == 400
    assert two.json()["detail"] == (
        "FAM89 holds 2 mobile line(s); the bundle has 3 in service. Choose a plan "
        "that holds them, or cancel the extra lines first (a request for each line)."
    )
    assert no_tv.status_code == 400
    assert "FAM79 includes no TV" in no_tv.json()["detail"]
    assert CancellationRequest.objects.get(pk=request.pk).status == Status.IN_CONVERSATION
    assert customer_360(clerk, world)["plan_changes"] == []


def test_once_the_extra_line_is_cancelled_the_smaller_bundle_is_allowed(clerk, world):
    PlanFactory(code="FAM89", monthly_fee="89.00", mobile_lines=2)
    # given the customer first gives up the third card (its own request, processed)
    rid = open_for(clerk, world, target="line", line_id=world.lines[2].pk)
    post(clerk, f"/requests/{rid}/steps/calm", {"stated_complaint": "副卡不用了", "mood": "calm"})
    assert post(clerk, f"/requests/{rid}/insist", {"note": "客户坚持"}).json()["status"] == (
        "cancelled"
    )
    # when the bundle request then downgrades to the 2-line bundle
    request = through_step(world, 2)
    detail = post(
        clerk,
        f"/requests/{request.pk}/outcome",
        {"outcome": "downgraded", "new_plan_code": "FAM89"},
    )
    # then it goes through
    assert detail.status_code == 200, detail.content
    assert customer_360(clerk, world)["subscriptions"][0]["plan"]["code"] == "FAM89"


def test_a_refused_customer_change_leaves_the_request_as_it_was(clerk, world):
    # given an account request whose account has two running family bundles
    SubscriptionFactory(account=world.bundle.account, plan=PlanFactory(code="FAM159"))
    rid = open_for(clerk, world, target="account", account_id=world.bundle.account_id)
    through_step(world, 2, request=CancellationRequest.objects.get(pk=rid))
    # when a downgrade cannot tell which bundle is to change
    response = post(
        clerk, f"/requests/{rid}/outcome", {"outcome": "downgraded", "new_plan_code": "FAM99"}
    )
    # then it is refused with the way out, and neither the request nor the plans moved
    assert response.status_code == 400
    assert "open the request for the bundle or the line" in response.json()["detail"]
    request = CancellationRequest.objects.get(pk=rid)
    assert request.status == Status.IN_CONVERSATION and request.new_plan is None
    assert not request.status_changes.filter(to_status=Status.DOWNGRADED).exists()
    assert customer_360(clerk, world)["plan_changes"] == []


# --- through the desk page ------------------------------------------------------------------


def test_insist_on_the_desk_page_cancels_the_bundle(client_as, api_client, world):
    # given the clerk at the desk of a bundle request
    request = through_step(world, 1)
    page = client_as("clerk")
    # when they press "customer insists: process now"
    response = page.post(f"/retention/requests/{request.pk}/do/insist/", {})
    # then the desk shows it cancelled and the 360 shows every line cancelled today
    assert response.status_code == 302
    desk = page.get(f"/retention/requests/{request.pk}/").content.decode()
    assert 'data-status="cancelled"' in desk
    api_client.login_token("clerk")
    view = customer_360(api_client, world)
    today = timezone.localdate().isoformat()
    assert {(ln["status"], ln["cancelled_on"]) for ln in view["lines"]} == {("cancelled", today)}
    html = page.get(f"/customers/{world.customer.pk}/").content.decode()
    assert html.count("badge cancelled") >= 5


def test_downgrade_and_suspend_on_the_desk_page(client_as, api_client, world):
    page = client_as("clerk")
    api_client.login_token("clerk")
    # a downgrade chosen from the desk's list of cheaper plans
    request = through_step(world, 2)
    PlanFactory(code="FAM89", monthly_fee="89.00", mobile_lines=2)
    desk = page.get(f"/retention/requests/{request.pk}/").content.decode()
    assert 'data-test="outcome-downgrade"' in desk and 'value="FAM99"' in desk
    # a bundle too small for the customer's three cards is not offered
    assert 'value="FAM89"' not in desk
    page.post(
        f"/retention/requests/{request.pk}/do/outcome/",
        {"outcome": "downgraded", "new_plan": "FAM99"},
    )
    assert customer_360(api_client, world)["subscriptions"][0]["plan"]["code"] == "FAM99"
    # without a plan the desk says what is missing
    line_request = through_step(
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
    refused = page.post(
        f"/retention/requests/{line_request.pk}/do/outcome/", {"outcome": "downgraded"}
    )
    assert refused.status_code == 400
    assert "请选择客户改用的更低档套餐。" in refused.content.decode()
    # "suspend instead" on the desk suspends the line
    page.post(f"/retention/requests/{line_request.pk}/do/outcome/", {"outcome": "suspended"})
    lines = lines_by_number(customer_360(api_client, world))
    assert lines[world.lines[0].number]["status"] == "suspended"
