"""System events by signed webhook: the operator's other systems hear of a complaint taken
and moved on, and of a cancellation request opened and carried out, once each, only for the
events selected in ``WANLIU_WEBHOOK_EVENTS``."""

from __future__ import annotations

import pytest

from tests.complaints.helpers import new_order
from tests.complaints.world import build_world
from tests.retention.world import world_create
from wanliu.complaints.models import Status
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.notify.models import OutboxMessage
from wanliu.notify.relay import notify_relay_batch
from wanliu.retention import services as retention

pytestmark = pytest.mark.django_db


def events(receiver) -> list[tuple[str, dict]]:
    return [(r.payload["event"], r.payload["data"]) for r in receiver.requests]


def test_a_complaints_life_reaches_the_other_systems_once_per_event(
    policy, webhook_receiver, settings
):
    # given complaint events switched on
    settings.WANLIU_WEBHOOK_EVENTS = ("complaints.",)
    world = build_world()
    # when a complaint is taken, assigned and worked on
    order = new_order(world)
    work_order_transition(order=order, to_status=Status.ASSIGNED, actor=world.agent_b.user)
    work_order_transition(order=order, to_status=Status.IN_PROGRESS, actor=world.agent_b.user)
    notify_relay_batch()
    notify_relay_batch()  # a second pass sends nothing twice
    # then the consumer got one signed event per change, with the order's data
    received = events(webhook_receiver)
    assert [name for name, _ in received] == [
        "complaints.work_order.created",
        "complaints.work_order.status_changed",
        "complaints.work_order.status_changed",
    ]
    assert all(r.signature_ok for r in webhook_receiver.requests)
    created = received[0][1]
    assert created["order_no"] == order.order_no and created["status"] == "new"
    assert created["customer_no"] == world.customer.customer_no
    assert created["category"] == "network-coverage"
    assert [(d["from_status"], d["to_status"]) for _, d in received[1:]] == [
        ("new", "assigned"),
        ("assigned", "in_progress"),
    ]
    assert webhook_receiver.requests[0].payload["related"] == f"complaints.workorder:{order.pk}"
    # and the customer's own notices are not events
    assert "notify.message" not in {r.payload["event"] for r in webhook_receiver.requests}


def test_a_processed_cancellation_tells_billing_which_line_to_cancel(
    policy, webhook_receiver, settings
):
    settings.WANLIU_WEBHOOK_EVENTS = ("retention.request.opened", "retention.request.")
    world = world_create()
    line = world.lines[2]
    request = retention.cancellation_request_open(
        actor=world.clerk.user, customer=world.customer, kind="cancel", target="line", line=line
    )
    retention.cancellation_request_insist(request=request, actor=world.clerk.user, note="坚持")
    notify_relay_batch()
    received = events(webhook_receiver)
    names = [name for name, _ in received]
    assert names[0] == "retention.request.opened"
    assert names[1:] == ["retention.request.status_changed"] * (len(names) - 1)
    done = received[-1][1]
    assert (done["to_status"], done["outcome"], done["line"]) == (
        "cancelled",
        "cancelled",
        line.number,
    )
    assert done["request_no"] == request.request_no
    assert done["customer_no"] == world.customer.customer_no


def test_no_event_leaves_unless_selected(policy, webhook_receiver, settings):
    settings.WANLIU_WEBHOOK_EVENTS = ()
    world = build_world()
    new_order(world)
    assert not OutboxMessage.objects.filter(channel="webhook").exists()
    settings.WANLIU_WEBHOOK_EVENTS = ("retention.",)
    new_order(world, title="第二件")
    assert not OutboxMessage.objects.filter(channel="webhook").exists()
    settings.WANLIU_WEBHOOK_EVENTS = ("*",)
    new_order(world, title="第三件")
    assert OutboxMessage.objects.get(channel="webhook").event == "complaints.work_order.created"
