"""Escalation levels fire once per order and level, to the right people; periodic
progress notices go out at each interval."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.complaints.helpers import local, new_order, notice_keys
from wanliu.complaints.models import Escalation, Status
from wanliu.complaints.services.escalation import sla_scan
from wanliu.complaints.services.orders import work_order_message_add
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _refused_order(world):
    """拒拆 policy: 240 working minutes; received Monday 2 March 2026 09:00."""
    start = local(2026, 3, 2, 9, 0)
    return new_order(
        world, category=world.category("cancellation-refused"), received_at=start, now=start
    )


def _levels(order):
    return list(
        Escalation.objects.filter(order=order)
        .order_by("fired_at")
        .values_list("level__code", flat=True)
    )


def _emails_to(address):
    return OutboxMessage.objects.filter(
        recipient=address, idempotency_key__startswith="complaints:escalation:"
    ).count()


def test_levels_fire_at_their_share_once_each(world):
    order = _refused_order(world)
    # 75% of 4 working hours = 3 h: due at 12:00, no earlier
    assert order.next_escalation_at == local(2026, 3, 2, 12, 0)
    assert sla_scan(now=local(2026, 3, 2, 11, 59)).escalations == 0
    # at 12:30 (lunch: still 3 h used) the warning fires, once, to the owner
    assert sla_scan(now=local(2026, 3, 2, 12, 30)).escalations == 1
    assert sla_scan(now=local(2026, 3, 2, 12, 31)).escalations == 0
    assert _levels(order) == ["warn-owner"]
    assert _emails_to("agent_b@wanliu.test") == 1
    order.refresh_from_db()
    assert order.next_escalation_at == local(2026, 3, 2, 14, 0)
    # at 14:00 (100%) the team leader of the owner unit; at 16:00 (150%) the department
    assert sla_scan(now=local(2026, 3, 2, 14, 0)).escalations == 1
    assert _emails_to("lead_b@wanliu.test") == 1
    assert sla_scan(now=local(2026, 3, 2, 15, 59)).escalations == 0
    assert sla_scan(now=local(2026, 3, 2, 16, 0)).escalations == 1
    assert _emails_to("supervisor@wanliu.test") == 1
    assert _levels(order) == ["warn-owner", "team-leader", "department"]
    order.refresh_from_db()
    assert order.next_escalation_at is None
    # scanning again much later fires nothing more
    assert sla_scan(now=local(2026, 3, 10, 9, 0)).escalations == 0
    assert Escalation.objects.filter(order=order).count() == 3


def test_a_late_scan_fires_every_level_reached_at_once(world):
    order = _refused_order(world)
    call_command("complaints", "sla-scan", "--at", "2026-03-03T09:00:00+08:00")
    assert sorted(_levels(order)) == ["department", "team-leader", "warn-owner"]


def test_no_escalation_while_waiting_for_the_customer_or_after_resolution(world):
    order = _refused_order(world)
    work_order_transition(
        order=order,
        to_status=Status.IN_PROGRESS,
        actor=world.agent_b.user,
        now=local(2026, 3, 2, 9, 5),
    )
    work_order_transition(
        order=order,
        to_status=Status.WAITING_CUSTOMER,
        actor=world.agent_b.user,
        note="请带身份证来厅",
        now=local(2026, 3, 2, 9, 30),
    )
    assert sla_scan(now=local(2026, 3, 2, 17, 0)).escalations == 0
    work_order_transition(
        order=order,
        to_status=Status.IN_PROGRESS,
        actor=world.agent_b.user,
        now=local(2026, 3, 3, 9, 0),
    )
    order.refresh_from_db()
    # 30 minutes ran before the pause: 75% (180 min) is reached 150 minutes after resuming
    assert order.next_escalation_at == local(2026, 3, 3, 11, 30)
    work_order_transition(
        order=order,
        to_status=Status.RESOLVED,
        actor=world.agent_b.user,
        resolution="已拆机",
        now=local(2026, 3, 3, 10, 0),
    )
    assert sla_scan(now=local(2026, 3, 4, 9, 0)).escalations == 0
    assert Escalation.objects.filter(order=order).count() == 0


def test_reopened_order_escalates_again_in_its_new_cycle(world):
    order = _refused_order(world)
    sla_scan(now=local(2026, 3, 2, 12, 0))
    work_order_transition(
        order=order,
        to_status=Status.IN_PROGRESS,
        actor=world.agent_b.user,
        now=local(2026, 3, 2, 12, 5),
    )
    work_order_transition(
        order=order,
        to_status=Status.RESOLVED,
        actor=world.agent_b.user,
        resolution="已拆机",
        now=local(2026, 3, 2, 13, 0),
    )
    work_order_transition(
        order=order,
        to_status=Status.REOPENED,
        actor=world.agent_b.user,
        note="仍在扣费",
        now=local(2026, 3, 3, 9, 0),
    )
    sla_scan(now=local(2026, 3, 3, 12, 0))
    assert list(Escalation.objects.filter(order=order).values_list("level__code", "cycle")) == [
        ("warn-owner", 0),
        ("warn-owner", 1),
    ]


def test_progress_notices_every_interval_and_a_message_resets_the_clock(world):
    # 拒拆: a progress notice every 2 working hours
    order = _refused_order(world)
    assert order.progress_due_at == local(2026, 3, 2, 11, 0)
    assert sla_scan(now=local(2026, 3, 2, 11, 0)).progress_notices == 1
    assert sla_scan(now=local(2026, 3, 2, 11, 30)).progress_notices == 0
    order.refresh_from_db()
    assert order.progress_due_at == local(2026, 3, 2, 14, 0)  # lunch excluded
    # a message to the customer at 13:30 is a progress notice too: the next is at 15:30
    work_order_message_add(
        order=order,
        kind="to_customer",
        body="已联系营业厅主任，今天办理。",
        actor=world.agent_b.user,
        now=local(2026, 3, 2, 13, 30),
    )
    order.refresh_from_db()
    assert order.progress_due_at == local(2026, 3, 2, 15, 30)
    keys = notice_keys(order)
    assert {"progress:1:sms", "progress:2:sms", "progress:1:email", "progress:2:email"} <= set(keys)
    body = OutboxMessage.objects.get(idempotency_key=f"complaints:{order.pk}:progress:2:sms").body
    assert "已联系营业厅主任" in body
