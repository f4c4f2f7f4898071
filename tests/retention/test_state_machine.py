"""The cancellation request's state machine is data, enforced by one transition service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.retention.conftest import open_request, through_step
from wanliu.core.models import AuditEvent
from wanliu.retention import services as s
from wanliu.retention.models import (
    ALLOWED_TRANSITIONS,
    OUTCOME_STATUSES,
    STATUS_TIMESTAMP,
    CancellationRequest,
    Status,
    StatusChange,
)

pytestmark = pytest.mark.django_db


def test_the_table_is_the_documented_path():
    # opened → in conversation → an outcome → closed; closed is final
    assert ALLOWED_TRANSITIONS[Status.OPENED] == {
        Status.IN_CONVERSATION,
        Status.CANCELLED,
        Status.SUSPENDED,
    }
    assert ALLOWED_TRANSITIONS[Status.IN_CONVERSATION] == OUTCOME_STATUSES
    for outcome in OUTCOME_STATUSES - {Status.COOLING_OFF}:
        assert ALLOWED_TRANSITIONS[outcome] == {Status.CLOSED}
    assert ALLOWED_TRANSITIONS[Status.CLOSED] == frozenset()
    # every status but opened has its own timestamp field
    assert set(STATUS_TIMESTAMP) == set(Status.values) - {Status.OPENED}
    for field in STATUS_TIMESTAMP.values():
        CancellationRequest._meta.get_field(field)


def test_an_illegal_move_is_refused_with_the_allowed_ones(world):
    # given an opened request
    request = open_request(world)
    # when someone tries to close it straight away
    with pytest.raises(s.IllegalTransition) as refused:
        s.cancellation_request_transition(
            request=request, to_status=Status.CLOSED, actor=world.clerk.user
        )
    # then the message names the move and what is allowed, and nothing changed
    assert "cannot become closed" in refused.value.message
    assert "in conversation" in refused.value.message
    request.refresh_from_db()
    assert request.status == Status.OPENED
    assert not StatusChange.objects.filter(request=request).exists()


def test_each_status_stamps_its_time_and_is_audited(world):
    # given a request in conversation
    request = through_step(world, 1)
    assert request.status == Status.IN_CONVERSATION and request.in_conversation_at is not None
    # when the outcome is recorded at a known time
    at = timezone.now() + dt.timedelta(minutes=5)
    request = s.cancellation_request_outcome(
        request=request, outcome=Status.COOLING_OFF, actor=world.clerk.user, now=at
    )
    # then the status's own timestamp is stamped, and the change has a history row and an
    # audit event with before and after
    assert request.cooling_off_at == at and request.outcome == Status.COOLING_OFF
    change = StatusChange.objects.get(request=request, to_status=Status.COOLING_OFF)
    assert change.from_status == Status.IN_CONVERSATION and change.actor == world.clerk.user
    event = AuditEvent.objects.filter(
        action="retention.request.transition", object_id=str(request.pk)
    ).latest("id")
    assert event.before["status"] == Status.IN_CONVERSATION
    assert event.after["status"] == Status.COOLING_OFF


def test_cooling_off_can_come_back_to_the_conversation(world):
    request = through_step(world, 1)
    request = s.cancellation_request_outcome(
        request=request, outcome=Status.COOLING_OFF, actor=world.clerk.user
    )
    request = s.cancellation_request_transition(
        request=request, to_status=Status.IN_CONVERSATION, actor=world.clerk.user
    )
    assert request.status == Status.IN_CONVERSATION


def test_only_a_direct_operated_store_completes_a_cancellation(world):
    # given a request opened at the partner outlet
    request = s.cancellation_request_open(
        actor=world.partner_clerk.user,
        customer=world.customer,
        kind="cancel",
        target="subscription",
        subscription=world.bundle,
    )
    # when its clerk tries to process the cancellation
    with pytest.raises(s.NotAllowed) as refused:
        s.cancellation_request_outcome(
            request=request, outcome=Status.CANCELLED, actor=world.partner_clerk.user
        )
    # then it is refused with the reason: hand it over to a direct-operated store
    assert "direct-operated" in refused.value.message
    assert CancellationRequest.objects.get(pk=request.pk).status == Status.OPENED


def test_a_suspension_request_is_not_cancelled(world):
    request = open_request(world, kind="suspend")
    with pytest.raises(s.IllegalTransition):
        s.cancellation_request_outcome(
            request=request, outcome=Status.CANCELLED, actor=world.clerk.user
        )
    request = s.cancellation_request_outcome(
        request=request, outcome=Status.SUSPENDED, actor=world.clerk.user
    )
    assert request.status == Status.SUSPENDED and request.suspended_at is not None


def test_retained_with_offer_needs_an_effective_grant(world):
    request = through_step(world, 2)
    with pytest.raises(s.StepIncomplete):
        s.cancellation_request_outcome(
            request=request, outcome=Status.RETAINED_WITH_OFFER, actor=world.clerk.user
        )
    pending = s.offer_approval_request(
        request=request, offer=world.level2, actor=world.clerk.user, note="竞对低价"
    )
    with pytest.raises(s.StepIncomplete) as refused:
        s.cancellation_request_outcome(
            request=request,
            outcome=Status.RETAINED_WITH_OFFER,
            actor=world.clerk.user,
            grant=pending,
        )
    assert "waiting for approval" in refused.value.message


def test_a_downgrade_goes_to_a_cheaper_plan(world):
    request = through_step(world, 2)
    request = s.cancellation_request_outcome(
        request=request,
        outcome=Status.DOWNGRADED,
        actor=world.clerk.user,
        new_plan=world.small_plan,
    )
    assert request.status == Status.DOWNGRADED and request.new_plan == world.small_plan


def test_closing_needs_the_follow_up_or_the_win_back_entry(world):
    # given a retained request without step 5
    request = through_step(world, 2)
    request = s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )
    # then it cannot be closed until the care step is recorded
    with pytest.raises(s.StepIncomplete) as refused:
        s.cancellation_request_close(request=request, actor=world.clerk.user)
    assert "step 5" in refused.value.message
    s.step_care_record(
        request=request, actor=world.clerk.user, contacts=[], declined_note="客户不希望被回访"
    )
    request = s.cancellation_request_close(request=request, actor=world.clerk.user)
    assert request.status == Status.CLOSED and request.closed_at is not None
    assert request.outcome == Status.RETAINED_SAME_PLAN


def test_a_clerk_of_another_store_may_not_move_the_request(world):
    request = through_step(world, 1)
    with pytest.raises(s.NotAllowed):
        s.cancellation_request_outcome(
            request=request, outcome=Status.RETAINED_SAME_PLAN, actor=world.second_clerk.user
        )
