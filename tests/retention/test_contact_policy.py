"""No harassment (死缠硬拽): the system refuses contacts beyond the policy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.retention.conftest import through_step
from wanliu.retention import services as s
from wanliu.retention.models import RetentionContact, Status, WinBackEntry
from wanliu.retention.selectors import retention_policy_current

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(days: int, hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=SHANGHAI)


def _retained(world):
    request = through_step(world, 2)
    return s.cancellation_request_outcome(
        request=request, outcome=Status.RETAINED_SAME_PLAN, actor=world.clerk.user
    )


def _care(world, request, due):
    return s.retention_contact_schedule(
        request=request, actor=world.clerk.user, purpose="care", channel="wecom", due_at=due
    )


def test_at_most_n_contact_attempts_per_request(world):
    request = _retained(world)
    for day in (3, 10, 20):  # the default policy allows three
        _care(world, request, _at(day, 10))
    with pytest.raises(s.ContactPolicyViolation) as refused:
        _care(world, request, _at(30, 10))
    assert "At most 3 contact attempts per request" in refused.value.message
    assert RetentionContact.objects.filter(request=request).count() == 3


def test_a_cancelled_contact_frees_its_attempt(world):
    request = _retained(world)
    contacts = [_care(world, request, _at(day, 10)) for day in (3, 10, 20)]
    s.retention_contact_complete(contact=contacts[2], actor=world.clerk.user, status="cancelled")
    _care(world, request, _at(30, 10))


def test_no_contact_in_quiet_hours(world):
    request = _retained(world)
    for hour in (22, 7):
        with pytest.raises(s.ContactPolicyViolation) as refused:
            _care(world, request, _at(3, hour))
        assert "quiet hours" in refused.value.message
    _care(world, request, _at(3, 9))


def test_quiet_hours_are_policy_data(world):
    policy = retention_policy_current()
    policy.quiet_hours_start = dt.time(18, 0)
    policy.save()
    request = _retained(world)
    with pytest.raises(s.ContactPolicyViolation):
        _care(world, request, _at(3, 19))


def test_an_opted_out_customer_is_not_contacted(world):
    world.customer.marketing_opt_out = True
    world.customer.save()
    request = _retained(world)
    with pytest.raises(s.ContactPolicyViolation) as refused:
        _care(world, request, _at(3, 10))
    assert "opted out" in refused.value.message
    # step 5 is recorded with the reason instead
    record = s.step_care_record(
        request=request, actor=world.clerk.user, contacts=[], declined_note="客户已退订营销联系"
    )
    assert record.data["contacts"] == []


def test_step_5_refuses_a_plan_beyond_the_policy(world):
    request = _retained(world)
    plans = [s.ContactPlan(channel="call", due_at=_at(d, 10)) for d in (2, 4, 6, 8)]
    with pytest.raises(s.ContactPolicyViolation):
        s.step_care_record(request=request, actor=world.clerk.user, contacts=plans)
    assert not RetentionContact.objects.filter(request=request).exists()  # all or nothing


def test_win_back_contacts_stay_in_their_period_and_limit(world):
    # given a cancelled customer whose win-back entry allows contact from day 40
    request = s.cancellation_request_insist(request=through_step(world, 1), actor=world.clerk.user)
    s.step_part_well_record(
        request=request,
        actor=world.clerk.user,
        allowed_recontact_on=timezone.localdate() + dt.timedelta(days=40),
    )
    entry = WinBackEntry.objects.get(request=request)

    def win_back(days: int) -> RetentionContact:
        return s.retention_contact_schedule(
            request=request,
            actor=world.clerk.user,
            purpose="win_back",
            channel="call",
            due_at=_at(days, 10),
            win_back=entry,
        )

    # then no contact before the allowed day nor after the period
    with pytest.raises(s.ContactPolicyViolation):
        win_back(10)
    with pytest.raises(s.ContactPolicyViolation):
        win_back(40 + 91)
    # and at most two attempts in the period (the default policy)
    win_back(41)
    win_back(50)
    with pytest.raises(s.ContactPolicyViolation) as refused:
        win_back(60)
    assert "per win-back period" in refused.value.message
    entry.refresh_from_db()
    assert entry.status == WinBackEntry.Status.CONTACTING


def test_a_contact_in_the_past_is_refused(world):
    request = _retained(world)
    with pytest.raises(s.StepIncomplete):
        _care(world, request, timezone.now() - dt.timedelta(hours=1))
