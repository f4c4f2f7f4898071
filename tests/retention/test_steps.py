"""The six steps: required fields, records with actor and time, routing by reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import BillFactory
from tests.retention.conftest import open_request, through_step
from wanliu.customers.selectors import add_months, month_start
from wanliu.retention import services as s
from wanliu.retention.models import FastLaneTicket, Route, Status, Step, StepRecord
from wanliu.retention.selectors import (
    competitor_promotion_for,
    missing_steps,
    open_complaints_of,
    request_comparison,
)

pytestmark = pytest.mark.django_db


def test_step_1_needs_what_the_customer_says_and_their_mood(world):
    request = open_request(world)
    with pytest.raises(s.StepIncomplete) as refused:
        s.step_calm_record(
            request=request, actor=world.clerk.user, stated_complaint=" ", mood="angry"
        )
    assert refused.value.field == "stated_complaint"
    with pytest.raises(s.StepIncomplete):
        s.step_calm_record(request=request, actor=world.clerk.user, stated_complaint="贵", mood="")
    record = s.step_calm_record(
        request=request, actor=world.clerk.user, stated_complaint="太贵了", mood="upset"
    )
    # then it is recorded with actor and time, and the conversation has started
    assert record.recorded_by == world.clerk.user and record.recorded_at is not None
    assert record.data == {"stated_complaint": "太贵了", "mood": "upset"}
    request.refresh_from_db()
    assert request.status == Status.IN_CONVERSATION


def test_step_2_keeps_the_consumption_and_the_current_fee(world):
    request = through_step(world, 1)
    with pytest.raises(s.StepIncomplete):
        s.step_consumption_record(
            request=request, actor=world.clerk.user, reviewed_with_customer=False
        )
    record = s.step_consumption_record(
        request=request, actor=world.clerk.user, reviewed_with_customer=True
    )
    request.refresh_from_db()
    assert request.current_monthly_fee == Decimal("129.00")
    assert record.data["tenure_months"] >= 72
    assert [b["total"] for b in record.data["bills"]] == ["129.00", "131.50", "129.00"]
    assert record.data["subscriptions"][0]["mobile_lines"] == 3
    assert record.data["subscriptions"][0]["broadband_mbps"] == 300
    assert record.data["subscriptions"][0]["tv"] is True
    assert len(record.data["usage"]) == 3
    # the snapshot names no person and no number
    assert world.customer.name not in str(record.data)
    assert world.lines[0].number not in str(record.data)


def test_step_2_works_for_a_clerk_whose_store_is_not_the_customers(world):
    # given the request handed over from the partner outlet to the second direct store
    request = s.cancellation_request_open(
        actor=world.grid_lead.user,
        customer=world.customer,
        kind="cancel",
        target="subscription",
        subscription=world.bundle,
    )
    s.cancellation_request_transfer(
        request=request, to_store=world.second_store, actor=world.grid_lead.user, reason="就近"
    )
    # then its clerk reads the consumption through the request
    s.step_consumption_record(
        request=request, actor=world.second_clerk.user, reviewed_with_customer=True
    )
    request.refresh_from_db()
    assert request.current_monthly_fee == Decimal("129.00")


def test_step_3_competitor_offer_needs_its_terms(world):
    request = through_step(world, 2)
    with pytest.raises(s.StepIncomplete) as refused:
        s.step_reason_record(
            request=request,
            actor=world.clerk.user,
            reason="competitor_offer",
            competitor_operator="中国移动",
            competitor_promo_monthly=Decimal("59"),
            competitor_promo_months=12,
        )
    assert refused.value.field == "competitor_regular_monthly"
    with pytest.raises(s.StepIncomplete) as refused:
        s.step_reason_record(request=request, actor=world.clerk.user, reason="service_quality")
    assert refused.value.field == "service_issue"
    with pytest.raises(s.StepIncomplete):
        s.step_reason_record(request=request, actor=world.clerk.user, reason="too_expensive")


def test_step_3_prefill_is_this_months_promotion_of_the_grid_or_branch(world):
    promotion = competitor_promotion_for(customer=world.customer)
    assert promotion is not None and promotion.promo_monthly == Decimal("59.00")
    assert promotion.regular_monthly == Decimal("118.00") and promotion.promo_months == 12
    # a month without promotions has none
    later = add_months(month_start(timezone.localdate()), 2)
    assert competitor_promotion_for(customer=world.customer, today=later) is None
    # a branch promotion counts for the grid's customers when the grid has none
    promotion.unit = world.branch
    promotion.save()
    assert competitor_promotion_for(customer=world.customer) == promotion


def test_step_4_keeps_the_comparison_of_the_worked_example(world):
    # given steps 1-3 of the worked example and the two offers of the ladder
    request = through_step(world, 3)
    record = s.step_compare_record(
        request=request,
        actor=world.clerk.user,
        words_used="新用户价格会结束，118元才是真实价格",
        horizon_months=36,
        offers=[world.level2],
    )
    # then the engine's numbers are on record: 129 x 36, 59 x 12 + 118 x 24, 90.30 x 36
    comparison = record.data["comparison"]
    assert comparison["stay_total"] == "4644.00"
    assert comparison["competitor_total"] == "3540.00"
    assert comparison["offer_total"] == "3250.80"
    assert comparison["break_even_month"] == 26
    assert comparison["monthly"]["offer"][0] == "90.30"
    assert record.data["words_used"].startswith("新用户价格")
    # and a 24-month discount never beats the competitor within 36 months
    world.level2.months = 24
    shorter = request_comparison(request=request, horizon_months=36, offers=[world.level2])
    assert shorter is not None and shorter.break_even_month is None


def test_step_4_needs_the_words_used(world):
    request = through_step(world, 3)
    with pytest.raises(s.StepIncomplete) as refused:
        s.step_compare_record(request=request, actor=world.clerk.user, words_used="")
    assert refused.value.field == "words_used"


def test_step_5_only_after_a_retention_and_step_6_only_after_processing(world):
    request = through_step(world, 2)
    with pytest.raises(s.IllegalTransition):
        s.step_care_record(request=request, actor=world.clerk.user, contacts=[], declined_note="x")
    with pytest.raises(s.IllegalTransition):
        s.step_part_well_record(
            request=request,
            actor=world.clerk.user,
            allowed_recontact_on=timezone.localdate() + dt.timedelta(days=60),
        )


def test_step_6_win_back_date_follows_the_policy(world):
    request = s.cancellation_request_insist(request=through_step(world, 1), actor=world.clerk.user)
    with pytest.raises(s.StepIncomplete) as refused:
        s.step_part_well_record(
            request=request,
            actor=world.clerk.user,
            allowed_recontact_on=timezone.localdate() + dt.timedelta(days=3),
        )
    assert "earliest re-contact" in refused.value.message
    day = timezone.localdate() + dt.timedelta(days=45)
    record = s.step_part_well_record(
        request=request, actor=world.clerk.user, allowed_recontact_on=day, contact_channel="电话"
    )
    assert record.data["allowed_recontact_on"] == day.isoformat()
    assert request.win_back.allowed_recontact_on == day
    assert request.win_back.period_ends_on == day + dt.timedelta(days=90)


def test_service_fault_routes_to_the_fast_lane(world):
    request = through_step(world, 2)
    s.step_reason_record(
        request=request, actor=world.clerk.user, reason="service_quality", service_issue="fault"
    )
    request.refresh_from_db()
    assert request.route == Route.FAST_LANE
    ticket = s.fast_lane_ticket_open(
        request=request, actor=world.clerk.user, issue="fault", description="宽带每晚掉线"
    )
    assert ticket.ticket_no.startswith("GL") and ticket.status == FastLaneTicket.Status.OPEN
    ticket = s.fast_lane_ticket_resolve(
        ticket=ticket, actor=world.clerk.user, resolution="已更换光猫"
    )
    assert ticket.status == FastLaneTicket.Status.RESOLVED


def test_reasons_that_go_straight_to_processing_owe_no_comparison(world):
    request = through_step(world, 2)
    s.step_reason_record(request=request, actor=world.clerk.user, reason="relocation")
    request = s.cancellation_request_outcome(
        request=request, outcome=Status.CANCELLED, actor=world.clerk.user
    )
    recorded = StepRecord.objects.filter(request=request).values_list("step", flat=True)
    assert missing_steps(request, recorded) == [Step.PART_WELL]


def test_skipped_steps_show_as_missing_once_there_is_an_outcome(world):
    request = through_step(world, 1)
    assert missing_steps(request, [1]) == []  # no outcome yet
    request = s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )
    assert missing_steps(request, [1]) == [2, 3, 4, 5]


def test_open_complaints_come_from_the_complaints_app_when_it_is_installed(world):
    pytest.importorskip("wanliu.complaints.models")
    known, complaints = open_complaints_of(world.customer)
    assert known is True and complaints == []


def test_billing_misunderstanding_gets_the_bill_explanation(world, client_as):
    request = through_step(world, 2)
    s.step_reason_record(request=request, actor=world.clerk.user, reason="billing_misunderstanding")
    BillFactory(
        account=world.bundle.account,
        month=add_months(month_start(timezone.localdate()), -4),
        total=Decimal("999.00"),
    )
    page = client_as("clerk").get(f"/retention/requests/{request.pk}/")
    html = page.content.decode()
    assert 'data-test="bill-explanation"' in html
    assert "131.50" in html and "999.00" not in html  # the last three months only
