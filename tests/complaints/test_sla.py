"""SLA policies as data on business calendars: matching, due times, pause, statutory
limit, repeat upgrades, recomputation."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.complaints.helpers import local, new_order
from wanliu.complaints.models import Priority, SlaPolicy, Status
from wanliu.complaints.services.orders import work_order_update
from wanliu.complaints.services.sla import sla_policy_match
from wanliu.complaints.services.workflow import work_order_transition

pytestmark = pytest.mark.django_db


def test_most_specific_policy_wins(world):
    refused = world.category("cancellation-refused")
    coverage = world.category("network-coverage")
    # a category policy beats the default; a deeper category beats its parent
    assert sla_policy_match(
        category=coverage, priority="normal", channel="hotline", value_tier="B"
    ).name.startswith("网络故障")
    assert sla_policy_match(
        category=refused, priority="normal", channel="store", value_tier="B"
    ).name.startswith("拒拆")
    other = world.category("other")
    assert sla_policy_match(
        category=other, priority="normal", channel="hotline", value_tier="B"
    ).name.startswith("默认")
    # two dimensions beat one
    both = SlaPolicy.objects.create(
        name="network urgent",
        category=world.category("network"),
        priority="urgent",
        first_response_minutes=10,
        resolution_minutes=60,
    )
    assert (
        sla_policy_match(category=coverage, priority="urgent", channel="hotline", value_tier="B")
        == both
    )
    # an inactive policy does not match
    both.active = False
    both.save()
    assert (
        sla_policy_match(category=coverage, priority="urgent", channel="hotline", value_tier="B")
        != both
    )


def test_friday_1755_before_qingming_with_a_four_hour_target(world):
    # given the seeded office calendar (2026 holidays) and the 4-working-hour 拒拆 policy
    received = local(2026, 4, 3, 17, 55)
    # when a cancellation-refused complaint comes in at 17:55 on Friday before Qingming
    order = new_order(
        world, category=world.category("cancellation-refused"), received_at=received, now=received
    )
    # then it is due at 13:55 on Tuesday after the holiday (lunch 12-13 excluded)
    assert order.sla_policy.resolution_minutes == 240
    assert order.resolution_due_at == local(2026, 4, 7, 13, 55)
    # and the first response (30 working minutes) is due at 09:25 on Tuesday
    assert order.first_response_due_at == local(2026, 4, 7, 9, 25)


def test_friday_1755_before_spring_festival_counts_the_make_up_saturday(world):
    received = local(2026, 2, 13, 17, 55)
    order = new_order(
        world, category=world.category("cancellation-refused"), received_at=received, now=received
    )
    assert order.resolution_due_at == local(2026, 2, 14, 13, 55)


def test_the_clock_pauses_while_waiting_for_the_customer(world):
    # given a network order received Monday 2 March 2026 09:00: 2 working days, due Tuesday
    # at closing time
    start = local(2026, 3, 2, 9, 0)
    order = new_order(world, received_at=start, now=start)
    due_before = order.resolution_due_at
    assert due_before == local(2026, 3, 3, 18, 0)  # 16 working hours, lunch excluded
    work_order_transition(
        order=order,
        to_status=Status.IN_PROGRESS,
        actor=world.agent_b.user,
        now=local(2026, 3, 2, 9, 30),
    )
    # when it waits for the customer from 10:00 to 15:00 (4 working hours, lunch excluded)
    work_order_transition(
        order=order,
        to_status=Status.WAITING_CUSTOMER,
        actor=world.agent_b.user,
        note="请提供测速截图",
        now=local(2026, 3, 2, 10, 0),
    )
    order.refresh_from_db()
    assert order.sla_paused_since == local(2026, 3, 2, 10, 0)
    assert order.next_escalation_at is None
    work_order_transition(
        order=order,
        to_status=Status.IN_PROGRESS,
        actor=world.agent_b.user,
        now=local(2026, 3, 2, 15, 0),
    )
    order.refresh_from_db()
    # then the deadline moved by exactly those 4 working hours
    assert order.sla_paused_since is None
    assert order.sla_paused_seconds == 4 * 3600
    assert order.resolution_due_at == local(2026, 3, 4, 14, 0)


def test_regulator_appeal_is_urgent_and_carries_the_statutory_limit(world):
    received = local(2026, 3, 2, 9, 0)
    order = new_order(world, channel="regulator", received_at=received, now=received)
    assert order.priority == Priority.URGENT
    assert "regulator" in order.upgrade_reason
    assert order.statutory_due_at == received + dt.timedelta(days=15)
    # the regulator policy (7 days, 24x7) comes before the statutory limit
    assert order.resolution_due_at == received + dt.timedelta(days=7)


def test_statutory_limit_caps_a_longer_policy(world):
    SlaPolicy.objects.filter(channel="regulator").update(resolution_minutes=20 * 24 * 60)
    received = local(2026, 3, 2, 9, 0)
    order = new_order(world, channel="regulator", received_at=received, now=received)
    assert order.resolution_due_at == received + dt.timedelta(days=15)


def test_repeat_complaint_within_30_days_goes_up_one_priority(world):
    first = new_order(world, received_at=local(2026, 3, 2, 9, 0), now=local(2026, 3, 2, 9, 0))
    again = new_order(world, received_at=local(2026, 3, 20, 9, 0), now=local(2026, 3, 20, 9, 0))
    assert again.repeat_of == first
    assert again.priority == Priority.HIGH
    assert first.order_no in again.upgrade_reason
    # a different category is not a repeat; nor is the same one after 30 days
    other = new_order(
        world,
        category=world.category("billing-overcharge"),
        received_at=local(2026, 3, 21, 9, 0),
        now=local(2026, 3, 21, 9, 0),
    )
    assert other.repeat_of is None and other.priority == Priority.NORMAL
    late = new_order(
        world,
        category=world.category("billing-overcharge"),
        received_at=local(2026, 4, 25, 9, 0),
        now=local(2026, 4, 25, 9, 0),
    )
    assert late.repeat_of is None


def test_changing_priority_recomputes_the_due_times(world):
    start = local(2026, 3, 2, 9, 0)
    order = new_order(world, category=world.category("other"), received_at=start, now=start)
    assert order.resolution_due_at == local(2026, 3, 4, 18, 0)  # default: 3 working days
    work_order_update(
        order=order, actor=world.agent_b.user, priority="urgent", now=local(2026, 3, 2, 10, 0)
    )
    order.refresh_from_db()
    assert order.sla_policy.name.startswith("紧急")
    assert order.resolution_due_at == local(2026, 3, 2, 18, 0)  # urgent: 1 working day


def test_reopen_starts_a_new_cycle(world):
    start = local(2026, 3, 2, 9, 0)
    order = new_order(
        world, category=world.category("cancellation-refused"), received_at=start, now=start
    )
    work_order_transition(
        order=order,
        to_status=Status.IN_PROGRESS,
        actor=world.agent_b.user,
        now=local(2026, 3, 2, 9, 10),
    )
    work_order_transition(
        order=order,
        to_status=Status.RESOLVED,
        actor=world.agent_b.user,
        resolution="已办理拆机",
        now=local(2026, 3, 2, 11, 0),
    )
    work_order_transition(
        order=order,
        to_status=Status.REOPENED,
        actor=world.agent_b.user,
        note="仍未拆机",
        now=local(2026, 3, 5, 16, 0),
    )
    order.refresh_from_db()
    assert order.sla_started_at == local(2026, 3, 5, 16, 0)
    assert order.resolution_due_at == local(2026, 3, 6, 11, 0)  # 2 h Thu + 2 h Fri morning
