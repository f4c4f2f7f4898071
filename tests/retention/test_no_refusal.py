"""No refusal (拒拆), no pushing elsewhere (推诿): a customer who insists is processed in the
same visit, an unprocessed request is flagged, transfers show in supervision."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.retention.conftest import open_request, through_step
from wanliu.core.models import AuditEvent
from wanliu.core.scheduler import PERIODIC_JOBS, scheduler_tick, tasks_autodiscover
from wanliu.retention import services as s
from wanliu.retention.models import CancellationRequest, RetentionPolicy, Status, Transfer
from wanliu.retention.selectors import retention_policy_current, store_supervision
from wanliu.retention.services.requests import processing_due_at

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_customer_who_insists_is_cancelled_in_the_same_visit(world):
    # given a request in conversation at the direct-operated store, after step 1 only
    request = through_step(world, 1)
    # when the customer insists
    request = s.cancellation_request_insist(request=request, actor=world.clerk.user)
    # then the cancellation is processed at once, and the insistence is on record
    assert request.status == Status.CANCELLED
    assert request.insisted_at is not None and request.cancelled_at is not None
    assert request.cancelled_at - request.opened_at < dt.timedelta(hours=1)
    assert AuditEvent.objects.filter(
        action="retention.request.insist", object_id=str(request.pk)
    ).exists()


def test_insisting_is_allowed_from_any_step_even_the_first(world):
    request = open_request(world)
    request = s.cancellation_request_insist(request=request, actor=world.clerk.user)
    assert request.status == Status.CANCELLED


def test_insisting_at_an_outlet_hands_over_to_a_direct_store(world):
    # given a request at the partner outlet (which may not complete cancellations)
    request = s.cancellation_request_open(
        actor=world.partner_clerk.user,
        customer=world.customer,
        kind="cancel",
        target="subscription",
        subscription=world.bundle,
    )
    # when the customer insists without a store to hand over to, it is refused
    with pytest.raises(s.NotAllowed):
        s.cancellation_request_insist(request=request, actor=world.partner_clerk.user)
    # when the partner clerk hands it over to the direct-operated store
    request = s.cancellation_request_insist(
        request=request, actor=world.partner_clerk.user, to_store=world.store
    )
    # then it is a hand-over (not a transfer), and the direct store completes it
    transfer = Transfer.objects.get(request=request)
    assert transfer.kind == Transfer.Kind.HANDOVER and transfer.to_store == world.store
    assert request.store == world.store and request.status == Status.OPENED
    request = s.cancellation_request_insist(request=request, actor=world.clerk.user)
    assert request.status == Status.CANCELLED


def test_a_grid_team_records_and_hands_over_only_to_a_direct_store(world):
    request = s.cancellation_request_open(
        actor=world.grid_lead.user,
        customer=world.customer,
        kind="cancel",
        target="subscription",
        subscription=world.bundle,
    )
    assert request.channel == "grid" and request.store is None
    with pytest.raises(s.StepIncomplete):
        s.cancellation_request_transfer(
            request=request, to_store=world.partner, actor=world.grid_lead.user, reason="就近"
        )
    with pytest.raises(s.NotAllowed):
        s.cancellation_request_outcome(
            request=request, outcome=Status.CANCELLED, actor=world.grid_lead.user
        )
    request = s.cancellation_request_transfer(
        request=request, to_store=world.store, actor=world.grid_lead.user, reason="客户坚持销户"
    )
    assert Transfer.objects.get(request=request).kind == Transfer.Kind.HANDOVER


def test_a_direct_store_sending_the_customer_away_is_a_transfer_in_supervision(world):
    # given a request at a direct-operated store that could process it
    request = through_step(world, 1)
    # when the clerk sends the customer to another store
    s.cancellation_request_transfer(
        request=request, to_store=world.second_store, actor=world.clerk.user, reason="系统忙"
    )
    # then it is recorded as a transfer (推诿), and the branch's supervision shows it
    assert Transfer.objects.get(request=request).kind == Transfer.Kind.TRANSFER
    rows = {row.store.pk: row for row in store_supervision(user=world.manager.user) if row.store}
    assert rows[world.store.pk].transfers_out == 1


def test_the_deadline_is_the_end_of_the_same_business_day():
    policy = RetentionPolicy()  # closing time 21:00 Asia/Shanghai, no hour limit
    morning = dt.datetime(2026, 11, 23, 10, 15, tzinfo=SHANGHAI)
    late = dt.datetime(2026, 11, 23, 21, 30, tzinfo=SHANGHAI)
    assert processing_due_at(opened_at=morning, policy=policy) == dt.datetime(
        2026, 11, 23, 21, 0, tzinfo=SHANGHAI
    )
    assert processing_due_at(opened_at=late, policy=policy) == dt.datetime(
        2026, 11, 24, 21, 0, tzinfo=SHANGHAI
    )
    policy.refusal_limit_hours = 4
    assert processing_due_at(opened_at=morning, policy=policy) == morning + dt.timedelta(hours=4)


def test_an_unprocessed_request_becomes_a_flagged_refusal(world):
    # given a request opened this morning and left in conversation
    request = through_step(world, 1)
    # when the scan runs before the deadline, nothing is flagged
    assert s.refusals_flag(now=request.due_at - dt.timedelta(minutes=1)) == 0
    # when it runs after the deadline
    flagged = s.refusals_flag(now=request.due_at + dt.timedelta(minutes=1))
    # then the request is flagged, once, with an audit event, and supervision shows it
    assert flagged == 1
    assert s.refusals_flag(now=request.due_at + dt.timedelta(hours=1)) == 0
    request.refresh_from_db()
    assert request.refusal_flagged_at == request.due_at + dt.timedelta(minutes=1)
    assert (
        AuditEvent.objects.filter(
            action="retention.request.refusal_flag", object_id=str(request.pk)
        ).count()
        == 1
    )
    rows = {row.store.pk: row for row in store_supervision(user=world.supervisor.user) if row.store}
    assert rows[world.store.pk].refusals == 1


def test_a_processed_or_retained_request_is_never_flagged(world):
    cancelled = s.cancellation_request_insist(request=open_request(world), actor=world.clerk.user)
    assert s.refusals_flag(now=cancelled.due_at + dt.timedelta(days=2)) == 0


def test_the_policy_limit_is_data(world):
    policy = retention_policy_current()
    policy.refusal_limit_hours = 2
    policy.save()
    now = timezone.now()
    request = s.cancellation_request_open(
        actor=world.clerk.user,
        customer=world.customer,
        kind="cancel",
        target="subscription",
        subscription=world.bundle,
        now=now,
    )
    assert request.due_at == now + dt.timedelta(hours=2)


def test_the_periodic_job_flags_refusals(world):
    # given an overdue request and the registered retention jobs
    request = through_step(world, 1)
    CancellationRequest.objects.filter(pk=request.pk).update(
        due_at=timezone.now() - dt.timedelta(minutes=5)
    )
    tasks_autodiscover()
    assert {"retention.refusal_scan", "retention.approvals_expire"} <= set(PERIODIC_JOBS)
    # when the scheduler ticks, the job is enqueued once per slot
    assert "retention.refusal_scan" in scheduler_tick()
    assert DBTaskResult.objects.filter(task_path__endswith="refusal_scan").count() == 1
    # and when the job runs, the request is flagged
    assert PERIODIC_JOBS["retention.refusal_scan"].task.call() == 1
    request.refresh_from_db()
    assert request.refusal_flagged_at is not None
