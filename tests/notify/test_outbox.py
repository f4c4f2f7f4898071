"""The transactional outbox and the contact policy applied when a notice is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone

from tests.factories import CustomerFactory
from wanliu.core.models import AuditEvent
from wanliu.notify.errors import OutboxOutsideTransaction
from wanliu.notify.models import NoticePolicy, OutboxMessage
from wanliu.notify.relay import notify_relay_batch
from wanliu.notify.selectors import messages_for
from wanliu.notify.services import message_enqueue

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class ChangeFailed(Exception):
    pass


def notice(**overrides) -> OutboxMessage:
    fields = {
        "channel": "sms",
        "recipient": "13300001111",
        "subject": "",
        "body": "您的投诉已受理。",
        "idempotency_key": "test:1",
    }
    with transaction.atomic():
        return message_enqueue(**(fields | overrides))


def quiet_hours_around_now(policy: NoticePolicy) -> dt.datetime:
    """Make quiet hours run from an hour ago to an hour ahead; return their end."""
    now = timezone.now().astimezone(SHANGHAI).replace(second=0, microsecond=0)
    policy.quiet_hours_start = (now - dt.timedelta(hours=1)).time()
    policy.quiet_hours_end = (now + dt.timedelta(hours=1)).time()
    policy.save()
    return now + dt.timedelta(hours=1)


def test_the_outbox_row_is_rolled_back_with_the_change(policy):
    customer = CustomerFactory()
    # given a change that writes a notice and then fails
    with pytest.raises(ChangeFailed), transaction.atomic():
        customer.contact_phone = "13300001111"
        customer.save()
        message_enqueue(
            channel="sms",
            recipient="13300001111",
            subject="",
            body="hello",
            idempotency_key="rolled-back",
            related=customer,
            customer=customer,
        )
        raise ChangeFailed
    # then neither the change nor the notice exists
    assert not OutboxMessage.objects.exists()
    customer.refresh_from_db()
    assert customer.contact_phone == ""


def test_a_committed_change_leaves_a_pending_message_linked_to_its_object(policy):
    customer = CustomerFactory()
    message = notice(related=customer, customer=customer)
    assert message.status == OutboxMessage.Status.PENDING
    assert message.next_attempt_at <= timezone.now()
    assert list(messages_for(related=customer)) == [message]
    assert AuditEvent.objects.filter(action="notify.message_enqueue").count() == 1


def test_enqueue_outside_a_transaction_is_refused(policy, monkeypatch):
    # given a connection in autocommit mode (the test itself runs in a transaction)
    with monkeypatch.context() as patched:
        patched.setattr(connections["default"], "in_atomic_block", False)
        with pytest.raises(OutboxOutsideTransaction):
            message_enqueue(
                channel="sms",
                recipient="13300001111",
                subject="",
                body="x",
                idempotency_key="no-transaction",
            )
    assert not OutboxMessage.objects.exists()


def test_the_same_idempotency_key_returns_the_existing_message(policy):
    first = notice(idempotency_key="complaints:7:accepted:sms")
    second = notice(idempotency_key="complaints:7:accepted:sms", body="changed")
    assert second.pk == first.pk
    assert OutboxMessage.objects.get().body == "您的投诉已受理。"


@pytest.mark.parametrize(
    ("channel", "recipient"),
    [("fax", "123"), ("email", "not-an-address"), ("sms", "call me"), ("webhook", "")],
)
def test_bad_channels_and_recipients_are_refused(policy, channel, recipient):
    with pytest.raises(ValidationError):
        notice(channel=channel, recipient=recipient)
    assert not OutboxMessage.objects.exists()


def test_phone_numbers_are_normalised(policy):
    assert notice(recipient="133-0000 1111").recipient == "13300001111"


def test_non_urgent_notice_in_quiet_hours_waits_for_their_end(policy, sms_gateway):
    end = quiet_hours_around_now(policy)
    message = notice()
    assert message.not_before == end
    assert message.next_attempt_at == end
    assert message.status_reason
    # and the relay does not send it before then
    assert notify_relay_batch().claimed == 0
    assert sms_gateway.requests == []


def test_urgent_notice_ignores_quiet_hours(policy, sms_gateway):
    quiet_hours_around_now(policy)
    message = notice(urgent=True)
    assert message.not_before is None
    assert notify_relay_batch().sent == 1
    assert len(sms_gateway.delivered) == 1


def test_webhooks_are_not_held_by_quiet_hours(policy, webhook_receiver):
    quiet_hours_around_now(policy)
    message = notice(channel="webhook", recipient="crm")
    assert message.not_before is None
    assert notify_relay_batch().sent == 1


def test_opted_out_customer_gets_no_non_urgent_notice(policy, sms_gateway):
    customer = CustomerFactory(marketing_opt_out=True)
    message = notice(customer=customer, related=customer)
    # then it is recorded as suppressed and never sent
    assert message.status == OutboxMessage.Status.SUPPRESSED
    assert message.suppressed_at is not None
    assert [m.status for m in messages_for(related=customer)] == ["suppressed"]
    assert notify_relay_batch().claimed == 0
    assert sms_gateway.requests == []


def test_opted_out_customer_gets_service_notices_but_not_marketing(policy, sms_gateway):
    # given a customer who opted out of marketing
    customer = CustomerFactory(marketing_opt_out=True)
    # when a service notice about their own case and a marketing message are written
    service = notice(customer=customer, transactional=True, idempotency_key="service")
    marketing = notice(customer=customer, idempotency_key="marketing", body="流量包五折")
    # then the service notice goes out, the marketing message is suppressed
    assert (service.status, service.transactional) == (OutboxMessage.Status.PENDING, True)
    assert (marketing.status, marketing.transactional) == (OutboxMessage.Status.SUPPRESSED, False)
    assert "marketing" in marketing.status_reason
    assert notify_relay_batch().sent == 1
    assert list(sms_gateway.delivered) == ["service"]
    audit = AuditEvent.objects.filter(action="notify.message_enqueue", object_id=str(service.pk))
    assert audit.get().after["transactional"] is True


def test_service_notices_still_wait_for_the_end_of_quiet_hours(policy, sms_gateway):
    end = quiet_hours_around_now(policy)
    customer = CustomerFactory(marketing_opt_out=True)
    message = notice(customer=customer, transactional=True)
    assert message.status == OutboxMessage.Status.PENDING
    assert message.not_before == end
    assert notify_relay_batch().claimed == 0
    assert sms_gateway.requests == []


def test_opted_out_customer_still_gets_urgent_notices_in_quiet_hours(policy, sms_gateway):
    quiet_hours_around_now(policy)
    customer = CustomerFactory(marketing_opt_out=True)
    message = notice(customer=customer, urgent=True)
    assert message.status == OutboxMessage.Status.PENDING
    assert notify_relay_batch().sent == 1
    assert len(sms_gateway.delivered) == 1


def test_not_before_is_honoured(policy, sms_gateway):
    later = timezone.now() + dt.timedelta(minutes=10)
    message = notice(not_before=later)
    assert message.next_attempt_at == later
    assert notify_relay_batch().claimed == 0


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # quiet hours 21:00-08:00 Asia/Shanghai
        (dt.datetime(2026, 11, 23, 20, 59, tzinfo=SHANGHAI), None),
        (dt.datetime(2026, 11, 23, 21, 0, tzinfo=SHANGHAI), dt.datetime(2026, 11, 24, 8, 0)),
        (dt.datetime(2026, 11, 23, 23, 30, tzinfo=SHANGHAI), dt.datetime(2026, 11, 24, 8, 0)),
        (dt.datetime(2026, 11, 24, 2, 0, tzinfo=SHANGHAI), dt.datetime(2026, 11, 24, 8, 0)),
        (dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI), None),
        # the same instant written in UTC
        (dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 24, 8, 0)),
    ],
)
def test_quiet_hours_end_in_shanghai_time(local, expected):
    policy = NoticePolicy(quiet_hours_start=dt.time(21), quiet_hours_end=dt.time(8))
    over = policy.quiet_hours_over(local)
    if expected is None:
        assert over == local
    else:
        assert over == expected.replace(tzinfo=SHANGHAI)


def test_quiet_hours_within_one_day():
    policy = NoticePolicy(quiet_hours_start=dt.time(12), quiet_hours_end=dt.time(14))
    noon = dt.datetime(2026, 11, 23, 12, 30, tzinfo=SHANGHAI)
    assert policy.quiet_hours_over(noon) == dt.datetime(2026, 11, 23, 14, 0, tzinfo=SHANGHAI)
    evening = dt.datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI)
    assert policy.quiet_hours_over(evening) == evening


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_their_end(policy, sms_gateway):
    # given quiet hours starting within the minute and a retry due in two minutes
    now = timezone.now().astimezone(SHANGHAI)
    start = (now + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    end = (now + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    policy.quiet_hours_start, policy.quiet_hours_end = start.time(), end.time()
    policy.backoff_base_seconds = 120
    policy.save()
    sms_gateway.fail_next = 2
    routine = notice(idempotency_key="routine")
    urgent = notice(idempotency_key="urgent", urgent=True)
    assert routine.not_before is None  # written before quiet hours
    # when both fail once
    assert notify_relay_batch().retrying == 2
    routine.refresh_from_db()
    urgent.refresh_from_db()
    # then the routine notice waits for the end of quiet hours, the urgent one does not
    assert routine.next_attempt_at == end
    assert urgent.next_attempt_at == urgent.failed_at + dt.timedelta(seconds=120)
