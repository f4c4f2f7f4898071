"""The offer ladder: level-1 grants, level-2 approvals by the same branch, budgets, expiry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.retention.conftest import through_step
from wanliu.core.models import AuditEvent
from wanliu.retention import services as s
from wanliu.retention.models import CancellationRequest, OfferGrant, RetentionOffer, Status
from wanliu.retention.selectors import approvals_pending, budget_used, offers_eligible

pytestmark = pytest.mark.django_db


def test_a_clerk_grants_a_level1_offer_at_once(world):
    request = through_step(world, 2)
    grant = s.offer_grant(request=request, offer=world.level1, actor=world.clerk.user)
    assert grant.status == OfferGrant.Status.GRANTED and grant.is_effective
    assert grant.new_monthly_fee == Decimal("116.10")  # 129 x 90 %
    assert grant.cost == Decimal("154.80")  # 12.90 x 12 months
    assert grant.store == world.store
    assert AuditEvent.objects.filter(
        action="retention.grant.grant", object_id=str(grant.pk)
    ).exists()


def test_a_clerk_cannot_grant_a_level2_offer(world):
    request = through_step(world, 2)
    with pytest.raises(s.NotAllowed) as refused:
        s.offer_grant(request=request, offer=world.level2, actor=world.clerk.user)
    assert "approval" in refused.value.message
    assert not OfferGrant.objects.exists()


def test_a_level2_offer_is_approved_by_a_manager_of_the_same_branch(world):
    # given a clerk asking approval for 30 % off for 36 months
    request = through_step(world, 2)
    pending = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    assert pending.status == OfferGrant.Status.PENDING
    assert pending.new_monthly_fee == Decimal("90.30") and pending.cost == Decimal("1393.20")
    assert pending.expires_at == pending.requested_at + dt.timedelta(hours=8)
    # then it is in the queue of the branch's manager, not of another branch's
    assert list(approvals_pending(user=world.manager.user)) == [pending]
    assert list(approvals_pending(user=world.far_manager.user)) == []
    assert list(approvals_pending(user=world.clerk.user)) == []
    # and only a manager of the branch decides
    for outsider in (world.far_manager, world.grid_lead, world.clerk, world.supervisor):
        with pytest.raises(s.NotAllowed):
            s.offer_approval_decide(grant=pending, actor=outsider.user, approve=True)
    approved = s.offer_approval_decide(grant=pending, actor=world.manager.user, approve=True)
    assert (
        approved.status == OfferGrant.Status.APPROVED and approved.decided_by == world.manager.user
    )
    with pytest.raises(s.ApprovalClosed):
        s.offer_approval_decide(grant=approved, actor=world.manager.user, approve=False, note="x")
    # and the customer accepts: retained with 30 % off, 90.30 a month
    request = s.cancellation_request_outcome(
        request=request,
        outcome=Status.RETAINED_WITH_OFFER,
        actor=world.clerk.user,
        grant=approved,
    )
    assert request.accepted_grant.new_monthly_fee == Decimal("90.30")


def test_a_rejection_needs_a_reason_and_is_recorded(world):
    request = through_step(world, 2)
    pending = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    with pytest.raises(s.StepIncomplete):
        s.offer_approval_decide(grant=pending, actor=world.manager.user, approve=False)
    rejected = s.offer_approval_decide(
        grant=pending, actor=world.manager.user, approve=False, note="先用一级政策"
    )
    assert rejected.status == OfferGrant.Status.REJECTED
    assert AuditEvent.objects.filter(
        action="retention.grant.reject", object_id=str(rejected.pk)
    ).exists()


def test_a_branch_manager_grants_level2_directly_on_a_request_of_the_branch(world):
    request = through_step(world, 2)
    grant = s.offer_grant(request=request, offer=world.level2, actor=world.manager.user)
    assert grant.status == OfferGrant.Status.APPROVED and grant.decided_by == world.manager.user


def test_approvals_expire_after_the_policy_hours(world):
    request = through_step(world, 2)
    pending = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    assert s.offer_approvals_expire(now=pending.expires_at - dt.timedelta(minutes=1)) == 0
    later = pending.expires_at + dt.timedelta(minutes=1)
    assert s.offer_approvals_expire(now=later) == 1
    assert s.offer_approvals_expire(now=later) == 0
    pending.refresh_from_db()
    assert pending.status == OfferGrant.Status.EXPIRED
    assert list(approvals_pending(user=world.manager.user, now=later)) == []


def test_deciding_after_the_expiry_records_the_expiry(world):
    request = through_step(world, 2)
    pending = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    with pytest.raises(s.ApprovalClosed):
        s.offer_approval_decide(
            grant=pending,
            actor=world.manager.user,
            approve=True,
            now=pending.expires_at + dt.timedelta(seconds=1),
        )
    pending.refresh_from_db()
    assert pending.status == OfferGrant.Status.EXPIRED


def test_an_outcome_ends_the_wait_for_approval(world):
    request = through_step(world, 2)
    pending = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )
    pending.refresh_from_db()
    assert pending.status == OfferGrant.Status.EXPIRED


def test_an_exhausted_budget_is_a_clear_error(world):
    # given a store budget that pays for one 30 %-off grant (1393.20) but not two
    world.level2.monthly_budget_per_store = Decimal("2000.00")
    world.level2.save()
    first = through_step(world, 2)
    s.offer_grant(request=first, offer=world.level2, actor=world.manager.user)
    assert budget_used(
        offer=world.level2, store=world.store, month=timezone.localdate()
    ) == Decimal("1393.20")
    s.cancellation_request_outcome(
        request=first, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )
    second = s.cancellation_request_open(
        actor=world.clerk.user,
        customer=world.customer,
        kind="cancel",
        target="line",
        line=world.lines[0],
    )
    s.step_consumption_record(request=second, actor=world.clerk.user, reviewed_with_customer=True)
    # when a second grant would exceed it
    with pytest.raises(s.BudgetExhausted) as refused:
        s.offer_approval_request(
            request=second, offer=world.level2, actor=world.clerk.user, note="竞对低价"
        )
    # then the message says how much is used of how much
    assert "1393.20 of 2000.00" in refused.value.message


def test_eligibility_by_tenure_tier_and_plan_family(world):
    request = through_step(world, 2)
    assert set(offers_eligible(request=request)) == {world.level1, world.level2}
    world.customer.value_tier = "C"
    world.customer.save()
    request = CancellationRequest.objects.get(pk=request.pk)
    assert world.level2 not in offers_eligible(request=request)
    with pytest.raises(s.OfferNotEligible) as refused:
        s.offer_grant(request=request, offer=world.level2, actor=world.manager.user)
    assert "tier" in refused.value.message
    RetentionOffer.objects.filter(pk=world.level1.pk).update(min_tenure_months=240)
    assert world.level1.code not in [o.code for o in offers_eligible(request=request)]


def test_offers_need_the_current_fee_of_step_2(world):
    request = through_step(world, 1)
    with pytest.raises(s.StepIncomplete) as refused:
        s.offer_grant(request=request, offer=world.level1, actor=world.clerk.user)
    assert refused.value.field == "step2"


def test_approvers_with_an_email_are_notified_through_the_outbox(world):
    notify = pytest.importorskip("wanliu.notify.models")
    world.manager.user.email = "manager@example.com"
    world.manager.user.save()
    request = through_step(world, 2)
    pending = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    message = notify.OutboxMessage.objects.get(
        idempotency_key=f"retention.approval.{pending.pk}.{world.manager.user.pk}"
    )
    assert message.recipient == "manager@example.com"
    assert request.request_no in message.subject
