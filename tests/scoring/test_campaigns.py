"""Proactive campaigns through their services: targeting by incremental value under the
budget, the control group, the contact policy, the state machine, outcomes and the report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.scoring.campaign_world import World, offers, uplift_model_save, world_create
from wanliu.core.models import AuditEvent
from wanliu.customers.models import Customer, Line
from wanliu.scoring.campaigns import services as s
from wanliu.scoring.campaigns.errors import (
    CampaignIllegalTransition,
    CampaignNotAllowed,
    ContactRefused,
)
from wanliu.scoring.campaigns.selectors import campaign_report
from wanliu.scoring.models import (
    Campaign,
    CampaignTarget,
    OutreachAttempt,
    OutreachTask,
    ProactiveContactPolicy,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english_messages() -> Any:
    """Refusals are translated; these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(tmp_path: Path, roots: Path) -> World:
    uplift_model_save(roots / "uplift-test")
    return world_create(tmp_path)


def _campaign(*, budget: str = "3000", share: str = "0.10", seed: int = 1, **extra) -> Campaign:
    return s.campaign_create(
        actor=None,
        name="December care calls",
        offers=offers(),
        budget=Decimal(budget),
        starts_on=TODAY,
        ends_on=dt.date(2026, 12, 31),
        control_share=Decimal(share),
        seed=seed,
        today=TODAY,
        **extra,
    )


def _target(campaign: Campaign) -> Campaign:
    return s.campaign_target(campaign=campaign, actor=None, now=NOW)


def test_targets_are_ranked_by_incremental_value_not_risk_and_fit_the_budget(world):
    # given customers facing a competitor promotion (an offer keeps them) and customers with
    # unresolved faults (stored scores call them the riskiest, but they leave regardless)
    # when a campaign with a budget of 3,000 yuan is targeted
    campaign = _target(_campaign())

    # then the treated fit in the budget (every allowed attempt and the offer reserved)
    targets = list(campaign.targets.order_by("rank"))
    treated = [t for t in targets if t.arm == CampaignTarget.Arm.TREATMENT]
    assert campaign.status == Campaign.Status.TARGETED and len(treated) > 10
    assert sum(t.reserved_cost for t in treated) == campaign.reserved_cost <= campaign.budget
    assert all(t.reserved_cost == t.offer_cost + 3 * campaign.contact_cost for t in treated)
    # and they are the customers the offer keeps, in order of expected net value
    assert {t.customer_id for t in targets} <= world.promoted_customers
    nets = [t.expected_net_value for t in targets]
    assert nets == sorted(nets, reverse=True) and nets[-1] > 0
    # and the riskiest customers without a competitor promotion are left out
    lost_causes = world.faulty_customers - world.promoted_customers
    assert lost_causes and not lost_causes & {t.customer_id for t in targets}


def test_the_control_group_is_random_stratified_recorded_and_never_contacted(world):
    # given a campaign keeping 20% aside
    campaign = _target(_campaign(budget="20000", share="0.20", seed=7))
    targets = list(campaign.targets.order_by("rank"))
    control = [t for t in targets if t.arm == CampaignTarget.Arm.CONTROL]

    # then exactly round(20% x targets) are in the control group, in every stratum of 20
    assert len(targets) >= 40
    assert len(control) == int(0.2 * len(targets) + 0.5)
    for stratum in {t.stratum for t in targets[: len(targets) // 20 * 20]}:
        members = [t for t in targets if t.stratum == stratum]
        assert sum(t.arm == CampaignTarget.Arm.CONTROL for t in members) == 4
    # and each control member keeps the offer it would have had, and costs nothing
    assert all(t.offer_id is not None and t.reserved_cost == 0 for t in control)

    # when the campaign is launched, only the treated get an outreach task
    s.campaign_launch(campaign=campaign, actor=None, now=NOW)
    assert OutreachTask.objects.filter(campaign=campaign).count() == len(targets) - len(control)
    assert not OutreachTask.objects.filter(target__arm=CampaignTarget.Arm.CONTROL).exists()

    # and the same seed draws the same control group; another seed another one
    drawn = {t.customer_id for t in control}
    again = _campaign(budget="20000", share="0.20", seed=7)
    campaign.delete()
    assert {
        t.customer_id for t in _target(again).targets.filter(arm=CampaignTarget.Arm.CONTROL)
    } == drawn
    s.campaign_targets_discard(campaign=again, actor=None, now=NOW)
    again.seed = 8
    again.save(update_fields=["seed"])
    again = _target(again)
    redrawn = {t.customer_id for t in again.targets.filter(arm=CampaignTarget.Arm.CONTROL)}
    assert redrawn != drawn
    assert len(redrawn) == int(0.2 * again.targets.count() + 0.5)


def _task(campaign: Campaign) -> OutreachTask:
    return OutreachTask.objects.filter(campaign=campaign).order_by("id").first()


def test_the_budget_holds_when_every_offer_is_accepted(world):
    # given a launched campaign with a small budget
    campaign = _target(_campaign(budget="800"))
    s.campaign_launch(campaign=campaign, actor=None, now=NOW)

    # when every customer accepts at the first call
    for task in OutreachTask.objects.filter(campaign=campaign):
        s.outreach_attempt_record(
            task=task,
            actor=world.admin.user,
            result=OutreachAttempt.Result.ACCEPTED,
            at=NOW,
            now=NOW,
        )

    # then the spending (calls and concessions) stays within the budget
    report = campaign_report(campaign, today=TODAY)
    assert report["tasks"][OutreachTask.Status.ACCEPTED] == campaign.tasks.count() > 0
    assert report["spent"] == report["contact_cost"] + report["offer_cost"]
    assert report["spent"] <= campaign.budget


def test_the_contact_policy_refuses_opt_outs_quiet_hours_and_extra_attempts(world):
    # given two customers who opted out, and a policy of at most two attempts
    ProactiveContactPolicy.objects.create(max_attempts_per_target=2)
    opted = list(Customer.objects.filter(pk__in=world.promoted_customers).order_by("pk")[:2])
    Customer.objects.filter(pk__in=[c.pk for c in opted]).update(marketing_opt_out=True)

    # when the campaign is targeted and launched, they are not in it at all
    campaign = _target(_campaign())
    assert not campaign.targets.filter(customer__in=opted).exists()
    assert campaign.max_attempts == 2
    s.campaign_launch(campaign=campaign, actor=None, now=NOW)
    first, second, third = OutreachTask.objects.filter(campaign=campaign).order_by("id")[:3]

    # then a call in the quiet hours is refused
    late = dt.datetime(2026, 12, 2, 22, 30, tzinfo=SHANGHAI)
    with pytest.raises(ContactRefused, match="quiet hours"):
        s.outreach_attempt_record(
            task=first, actor=world.admin.user, result="no_answer", at=late, now=late
        )
    # and a call before the campaign starts
    early = dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    with pytest.raises(ContactRefused, match="2026-12-01"):
        s.outreach_attempt_record(
            task=first, actor=world.admin.user, result="no_answer", at=early, now=NOW
        )
    # and a third attempt: two unanswered calls close the task as not reached
    for _ in range(2):
        s.outreach_attempt_record(
            task=first, actor=world.admin.user, result="no_answer", at=NOW, now=NOW
        )
    first.refresh_from_db()
    assert first.status == OutreachTask.Status.NO_ANSWER and first.attempts == 2
    s.outreach_attempt_record(
        task=second, actor=world.admin.user, result="reached", at=NOW, now=NOW
    )
    s.outreach_attempt_record(
        task=second, actor=world.admin.user, result="no_answer", at=NOW, now=NOW
    )
    with pytest.raises(CampaignIllegalTransition, match="already done"):
        s.outreach_attempt_record(
            task=second, actor=world.admin.user, result="accepted", at=NOW, now=NOW
        )
    # and a customer who opts out during the campaign is not called again
    Customer.objects.filter(pk=third.target.customer_id).update(marketing_opt_out=True)
    with pytest.raises(ContactRefused, match="opted out"):
        s.outreach_attempt_record(
            task=third, actor=world.admin.user, result="no_answer", at=NOW, now=NOW
        )
    assert OutreachAttempt.objects.filter(task=third).count() == 0


def test_the_state_machine_refuses_illegal_moves(world):
    # given a draft
    campaign = _campaign()
    # then it cannot be launched or closed before it has targets
    for move in (s.campaign_launch, s.campaign_close, s.campaign_targets_discard):
        with pytest.raises(CampaignIllegalTransition, match="draft"):
            move(campaign=campaign, actor=None, now=NOW)
    # when targeted, it cannot be targeted again or closed
    campaign = _target(campaign)
    assert campaign.targeted_at == NOW
    with pytest.raises(CampaignIllegalTransition):
        _target(campaign)
    with pytest.raises(CampaignIllegalTransition, match="can only become"):
        s.campaign_close(campaign=campaign, actor=None, now=NOW)
    # when running, its targets cannot be discarded
    campaign = s.campaign_launch(campaign=campaign, actor=None, now=NOW)
    assert campaign.status == Campaign.Status.RUNNING and campaign.launched_at == NOW
    with pytest.raises(CampaignIllegalTransition):
        s.campaign_targets_discard(campaign=campaign, actor=None, now=NOW)
    # when closed, nothing moves any more and nobody is called
    campaign = s.campaign_close(campaign=campaign, actor=None, now=NOW)
    assert campaign.closed_at == NOW and campaign.report is not None
    for move in (s.campaign_launch, s.campaign_close, s.campaign_targets_discard):
        with pytest.raises(CampaignIllegalTransition, match="closed"):
            move(campaign=campaign, actor=None, now=NOW)
    with pytest.raises(CampaignIllegalTransition, match="closed"):
        s.outreach_attempt_record(
            task=OutreachTask.objects.filter(campaign=campaign).first(),
            actor=world.admin.user,
            result="no_answer",
            at=NOW,
            now=NOW,
        )
    moves = AuditEvent.objects.filter(action="scoring.campaign.transition", object_id=campaign.pk)
    assert [e.after["status"] for e in moves.order_by("id")] == ["targeted", "running", "closed"]


def test_closing_records_outcomes_from_the_lines_and_the_report_has_an_interval(world):
    # given a running campaign where some treated and some control customers leave
    campaign = _target(_campaign(budget="20000", share="0.20"))
    s.campaign_launch(campaign=campaign, actor=None, now=NOW)
    treated = list(campaign.targets.filter(arm=CampaignTarget.Arm.TREATMENT).order_by("rank"))
    control = list(campaign.targets.filter(arm=CampaignTarget.Arm.CONTROL).order_by("rank"))
    leavers = treated[:2] + control[:3]
    Line.objects.filter(pk__in=[t.line_id for t in leavers]).update(
        status=Line.Status.CANCELLED, cancelled_on=dt.date(2026, 12, 10)
    )

    # when the campaign is closed after its end
    closing = dt.datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)
    campaign = s.campaign_close(campaign=campaign, actor=None, now=closing)

    # then every target has its outcome, as the line data says
    churned = set(
        campaign.targets.filter(outcome=CampaignTarget.Outcome.CHURNED).values_list("pk", flat=True)
    )
    assert churned == {t.pk for t in leavers}
    assert not campaign.targets.filter(outcome="").exists()
    # and the report compares the retention of both groups with a 95% interval
    overall = campaign.report["overall"]
    n_t, n_c = len(treated), len(control)
    assert overall["treated_retention"] == pytest.approx((n_t - 2) / n_t)
    assert overall["control_retention"] == pytest.approx((n_c - 3) / n_c)
    diff = overall["incremental_retention"]
    assert diff == pytest.approx(3 / n_c - 2 / n_t)
    assert overall["ci_low"] < diff < overall["ci_high"]
    value = Decimal(overall["treated_value"])
    assert Decimal(overall["value_saved"]) == (Decimal(repr(diff)) * value).quantize(
        Decimal("0.01")
    )
    assert campaign.report["outcome_through"] == "2026-12-31"


def test_an_agent_may_not_create_or_run_a_campaign(world):
    with pytest.raises(CampaignNotAllowed):
        s.campaign_create(
            actor=world.hotline_agent.user,
            name="mine",
            offers=offers(),
            budget=Decimal("100"),
            starts_on=TODAY,
            ends_on=dt.date(2026, 12, 31),
            today=TODAY,
        )
    campaign = _campaign()
    with pytest.raises(CampaignNotAllowed):
        s.campaign_target(campaign=campaign, actor=world.grid_lead.user, now=NOW)
