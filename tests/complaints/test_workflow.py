"""The state machine as data: legal moves, refused moves, timestamps, notices."""

from __future__ import annotations

import pytest

from tests.complaints.helpers import local, new_order, notice_keys
from wanliu.complaints.models import ALLOWED_TRANSITIONS, STATUS_TIMESTAMP, Status, StatusChange
from wanliu.complaints.services.errors import ComplaintError, TransitionNotAllowed
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_every_status_has_a_row_in_the_table():
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)
    for targets in ALLOWED_TRANSITIONS.values():
        assert targets <= set(Status.values)
    assert set(STATUS_TIMESTAMP) == set(Status.values) - {Status.NEW}


def test_lifecycle_stamps_each_status_and_records_history(world):
    # given a new order taken by region B's hotline
    order = new_order(world, received_at=local(2026, 3, 2, 9, 0), now=local(2026, 3, 2, 9, 0))
    actor = world.agent_b.user
    steps = [
        (Status.ASSIGNED, local(2026, 3, 2, 9, 5)),
        (Status.IN_PROGRESS, local(2026, 3, 2, 9, 10)),
        (Status.WAITING_CUSTOMER, local(2026, 3, 2, 10, 0)),
        (Status.IN_PROGRESS, local(2026, 3, 2, 11, 0)),
        (Status.RESOLVED, local(2026, 3, 2, 15, 0)),
        (Status.CLOSED, local(2026, 3, 3, 10, 0)),
        (Status.REOPENED, local(2026, 3, 4, 10, 0)),
    ]
    # when it walks the lifecycle
    for status, at in steps:
        work_order_transition(
            order=order,
            to_status=status,
            actor=actor,
            note="客户仍有问题" if status == Status.REOPENED else "",
            resolution="已调整基站参数，信号恢复" if status == Status.RESOLVED else "",
            now=at,
        )
    # then each status stamped its time, the history has every move, audit rows exist
    order.refresh_from_db()
    assert order.status == Status.REOPENED
    assert order.assigned_at == local(2026, 3, 2, 9, 5)
    assert order.in_progress_at == local(2026, 3, 2, 11, 0)  # the latest entry
    assert order.first_responded_at == local(2026, 3, 2, 9, 10)
    assert order.waiting_customer_at == local(2026, 3, 2, 10, 0)
    assert order.resolved_at == local(2026, 3, 2, 15, 0)
    assert order.closed_at == local(2026, 3, 3, 10, 0)
    assert order.reopened_at == local(2026, 3, 4, 10, 0)
    assert order.reopen_count == 1
    history = list(StatusChange.objects.filter(order=order).values_list("from_status", "to_status"))
    assert history[0] == (Status.NEW, Status.ASSIGNED)
    assert history[-1] == (Status.CLOSED, Status.REOPENED)
    assert (
        AuditEvent.objects.filter(action="work_order.transition", object_id=str(order.pk)).count()
        == 7
    )


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], Status.RESOLVED),
        ([], Status.CLOSED),
        ([Status.IN_PROGRESS], Status.CLOSED),
        ([Status.IN_PROGRESS], Status.NEW),
        ([Status.ASSIGNED], Status.WAITING_CUSTOMER),
        ([], "nonsense"),
    ],
)
def test_illegal_moves_are_refused_with_the_allowed_ones(world, path, illegal):
    order = new_order(world)
    for status in path:
        work_order_transition(order=order, to_status=status, actor=world.agent_b.user)
    before = str(order.status)
    with pytest.raises(TransitionNotAllowed) as refused:
        work_order_transition(order=order, to_status=illegal, actor=world.agent_b.user)
    message = str(refused.value)
    assert repr(before) in message and repr(str(illegal)) in message
    assert (refused.value.from_status, refused.value.to_status) == (before, str(illegal))
    for allowed in ALLOWED_TRANSITIONS[before]:
        assert allowed in message
    order.refresh_from_db()
    assert order.status == before


def test_resolving_needs_a_result_and_reopening_a_reason(world):
    order = new_order(world)
    work_order_transition(order=order, to_status=Status.IN_PROGRESS, actor=world.agent_b.user)
    with pytest.raises(ComplaintError, match=r"result|结果"):
        work_order_transition(order=order, to_status=Status.RESOLVED, actor=world.agent_b.user)
    work_order_transition(
        order=order, to_status=Status.RESOLVED, actor=world.agent_b.user, resolution="已修复"
    )
    with pytest.raises(ComplaintError, match=r"reason|原因"):
        work_order_transition(order=order, to_status=Status.REOPENED, actor=world.agent_b.user)


def test_milestones_send_notices_once_per_channel(world):
    # given an order with SMS and e-mail
    order = new_order(world)
    # when it is worked and resolved
    work_order_transition(order=order, to_status=Status.IN_PROGRESS, actor=world.agent_b.user)
    work_order_transition(
        order=order, to_status=Status.RESOLVED, actor=world.agent_b.user, resolution="已修复"
    )
    # then the customer got: accepted (deadline), progress, result, survey, on both channels
    keys = notice_keys(order)
    for milestone in ("accepted", "progress:1", "resolved:0", "survey:0"):
        assert f"{milestone}:sms" in keys
        assert f"{milestone}:email" in keys
    assert len(keys) == len(set(keys)) == 8


def test_every_notice_template_renders_in_english_too(world):
    # given an order whose customer wants English notices, and an English-speaking owner
    from tests.complaints.helpers import notices
    from wanliu.complaints.services.dispatch import internal_task_dispatch
    from wanliu.complaints.services.escalation import sla_scan

    world.agent_b.language = "en"
    world.agent_b.save(update_fields=["language"])
    start = local(2026, 3, 2, 9, 0)
    order = new_order(
        world,
        category=world.category("cancellation-refused"),
        notice_language="en",
        received_at=start,
        now=start,
    )
    # when every kind of notice is sent
    internal_task_dispatch(
        order=order,
        assignee_unit=world.centre_a,
        title="check the home-region line",
        due_at=local(2026, 3, 2, 12, 0),
        actor=world.agent_b.user,
        now=start,
    )
    sla_scan(now=local(2026, 3, 2, 12, 30))  # a progress notice and the 75% warning
    work_order_transition(order=order, to_status=Status.IN_PROGRESS, actor=world.agent_b.user)
    work_order_transition(
        order=order, to_status=Status.RESOLVED, actor=world.agent_b.user, resolution="Line closed"
    )
    # then each was rendered from the English templates, on both channels
    sent = {m.idempotency_key: m for m in notices(order)}
    prefix = f"complaints:{order.pk}:"
    assert "We commit to an answer by" in sent[prefix + "accepted:sms"].body
    task_notice = next(m for k, m in sent.items() if k.startswith(prefix + "task:"))
    assert "check the home-region line" in task_notice.body
    assert "Line closed" in sent[prefix + "resolved:0:email"].body
    assert "/complaints/survey/" in sent[prefix + "survey:0:sms"].body
    assert "still being handled" in sent[prefix + "progress:1:sms"].body
    escalation = [m for k, m in sent.items() if k.startswith("complaints:escalation:")]
    assert len(escalation) == 1 and escalation[0].subject.startswith("[Escalation")
