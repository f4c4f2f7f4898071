"""The relay against real local servers: delivery, retries, dead letter, idempotency."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import CustomerFactory
from wanliu.core.models import AuditEvent
from wanliu.notify.channels.base import Envelope, HandOver, NotifyChannel, Receipt
from wanliu.notify.channels.email import message_id_for
from wanliu.notify.models import DeliveryAttempt, OutboxMessage
from wanliu.notify.relay import notify_relay_batch
from wanliu.notify.selectors import messages_for
from wanliu.notify.services import message_enqueue

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


def enqueue(**overrides) -> OutboxMessage:
    fields = {
        "channel": "sms",
        "recipient": "13300001111",
        "subject": "",
        "body": "您的投诉已受理，承诺处理时限 2026-11-25 18:00。",
        "idempotency_key": "complaints:1:accepted:sms",
    }
    with transaction.atomic():
        return message_enqueue(**(fields | overrides))


def time_passes(message: OutboxMessage) -> None:
    """The message's next attempt comes due."""
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def outcomes(message: OutboxMessage) -> list[str]:
    return list(
        DeliveryAttempt.objects.filter(message=message)
        .order_by("number")
        .values_list("outcome", flat=True)
    )


def test_email_is_delivered_with_a_stable_message_id(policy, smtp_server):
    customer = CustomerFactory()
    message = enqueue(
        channel="email",
        recipient="zhang@example.com",
        subject="投诉受理通知",
        body="您好，您的投诉已受理。",
        idempotency_key="complaints:1:accepted:email",
        related=customer,
    )
    result = notify_relay_batch()
    assert (result.claimed, result.sent) == (1, 1)
    [mail] = smtp_server.received
    assert mail.to == ["zhang@example.com"]
    assert mail.subject == "投诉受理通知"
    assert mail.body == "您好，您的投诉已受理。"
    assert mail.message_id == message_id_for("complaints:1:accepted:email")
    assert mail.idempotency_key == "complaints:1:accepted:email"
    message.refresh_from_db()
    assert message.status == Status.SENT and message.sent_at is not None
    assert not message.delivery_assumed
    [attempt] = message.delivery_attempts.all()
    assert attempt.outcome == "sent" and attempt.response.startswith("250")


def test_sms_goes_to_the_gateway_signed_with_the_idempotency_key(policy, sms_gateway):
    message = enqueue()
    assert notify_relay_batch().sent == 1
    [request] = sms_gateway.requests
    assert request.signature_ok
    assert request.idempotency_key == message.idempotency_key
    assert request.payload == {
        "to": "13300001111",
        "text": message.body,
        "sender": "10000",
        "reference": message.idempotency_key,
    }


def test_webhook_is_signed_and_names_the_related_object(policy, webhook_receiver):
    customer = CustomerFactory()
    message = enqueue(
        channel="webhook",
        recipient="crm",
        subject="accepted",
        body="order accepted",
        idempotency_key="complaints:1:accepted:webhook",
        related=customer,
    )
    assert notify_relay_batch().sent == 1
    [request] = webhook_receiver.requests
    assert request.signature_ok
    assert request.idempotency_key == message.idempotency_key
    assert request.payload["id"] == message.idempotency_key
    assert request.payload["event"] == "notify.message"
    assert request.payload["recipient"] == "crm"
    assert request.payload["related"] == f"customers.customer:{customer.pk}"


def test_a_wrong_secret_is_a_permanent_rejection(policy, sms_gateway, settings):
    settings.WANLIU_SMS_GATEWAY_SECRET = "not-the-gateways-secret"
    message = enqueue()
    assert notify_relay_batch().dead == 1
    assert sms_gateway.requests[0].signature_ok is False
    message.refresh_from_db()
    assert message.status == Status.DEAD
    assert "401" in message.last_error


def test_failures_are_retried_with_exponential_backoff(policy, sms_gateway):
    policy.backoff_base_seconds = 30
    policy.save()
    sms_gateway.fail_next = 2
    message = enqueue()

    # first try fails: retry in 30 s
    assert notify_relay_batch().retrying == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED_RETRYING
    assert message.attempts == 1
    assert "503" in message.last_error
    assert message.next_attempt_at - message.failed_at == dt.timedelta(seconds=30)
    # not before it is due
    assert notify_relay_batch().claimed == 0

    # second try fails: retry in 60 s
    time_passes(message)
    assert notify_relay_batch().retrying == 1
    message.refresh_from_db()
    assert message.next_attempt_at - message.failed_at == dt.timedelta(seconds=60)

    # third try goes through
    time_passes(message)
    assert notify_relay_batch().sent == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert outcomes(message) == ["failed", "failed", "sent"]
    assert len(sms_gateway.delivered) == 1


def test_a_message_that_keeps_failing_lands_in_dead_letter(policy, sms_gateway):
    policy.max_attempts = 3
    policy.save()
    sms_gateway.fail_next = 100
    customer = CustomerFactory()
    message = enqueue(related=customer, customer=customer)
    for _ in range(3):
        notify_relay_batch()
        time_passes(message)
    message.refresh_from_db()
    assert message.status == Status.DEAD
    assert message.dead_at is not None
    assert message.attempts == 3
    assert outcomes(message) == ["failed", "failed", "failed"]
    # it shows on the object it is about, and is not tried again
    [shown] = messages_for(related=customer)
    assert shown.status == Status.DEAD
    assert notify_relay_batch().claimed == 0
    assert len(sms_gateway.requests) == 3
    assert AuditEvent.objects.filter(action="notify.message_dead").count() == 1


def test_a_permanent_rejection_goes_to_dead_letter_at_once(policy, sms_gateway):
    sms_gateway.fail_next, sms_gateway.fail_status = 1, 400
    message = enqueue()
    assert notify_relay_batch().dead == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DEAD, 1)
    assert DeliveryAttempt.objects.get(message=message).permanent


def test_a_retry_carries_the_same_key_so_the_gateway_sends_once(policy, sms_gateway):
    # given a gateway that sends the SMS but whose answer is lost
    sms_gateway.lose_next = 1
    message = enqueue()
    assert notify_relay_batch().retrying == 1
    # when the relay retries
    time_passes(message)
    assert notify_relay_batch().sent == 1
    # then both requests had the message's key and the gateway acted once
    assert [r.idempotency_key for r in sms_gateway.requests] == [message.idempotency_key] * 2
    assert list(sms_gateway.delivered) == [message.idempotency_key]


def test_an_email_retry_keeps_its_message_id(policy, smtp_server):
    smtp_server.recorder.replies_to_data.append("451 4.3.0 try again later")
    message = enqueue(channel="email", recipient="li@example.com", subject="s", body="b")
    assert notify_relay_batch().retrying == 1
    time_passes(message)
    assert notify_relay_batch().sent == 1
    expected = message_id_for(message.idempotency_key)
    assert smtp_server.recorder.data_message_ids == [expected, expected]
    assert len(smtp_server.received) == 1


def test_a_rejected_email_recipient_is_dead_at_once(policy, smtp_server):
    smtp_server.recorder.replies_to_data.append("550 5.1.1 no such mailbox")
    message = enqueue(channel="email", recipient="nobody@example.com", subject="s", body="b")
    assert notify_relay_batch().dead == 1
    message.refresh_from_db()
    assert "550" in message.last_error


def test_an_email_without_confirmation_after_hand_over_is_not_sent_again(
    policy, smtp_server, settings
):
    # given a server that takes the message but answers after the client gave up
    settings.EMAIL_TIMEOUT = 0.5
    smtp_server.recorder.reply_delay = 2
    message = enqueue(channel="email", recipient="wang@example.com", subject="s", body="b")
    assert notify_relay_batch().sent == 1
    message.refresh_from_db()
    # then it counts as sent (assumed) and is never sent again
    assert message.status == Status.SENT
    assert message.delivery_assumed
    assert outcomes(message) == ["assumed_sent"]
    assert notify_relay_batch().claimed == 0
    assert len(smtp_server.received) == 1


def test_an_unreachable_smtp_server_is_retried(policy, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", probe.getsockname()[1]
    message = enqueue(channel="email", recipient="wang@example.com", subject="s", body="b")
    assert notify_relay_batch().retrying == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED_RETRYING
    assert message.handed_over_at is None


def _left_in_sending(message: OutboxMessage, *, handed_over: bool) -> None:
    """As a worker killed mid-delivery leaves it, with the lease already expired."""
    past = timezone.now() - dt.timedelta(minutes=5)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING,
        attempts=1,
        claim_token="dead-worker",
        sending_at=past,
        lease_until=past,
        handed_over_at=past if handed_over else None,
    )


def test_a_stuck_sms_is_sent_again_with_its_key(policy, sms_gateway):
    message = enqueue()
    _left_in_sending(message, handed_over=True)
    result = notify_relay_batch()
    assert (result.reconciled, result.sent) == (1, 1)
    assert outcomes(message) == ["interrupted", "sent"]
    assert [r.idempotency_key for r in sms_gateway.requests] == [message.idempotency_key]


def test_a_stuck_email_handed_over_counts_as_sent(policy, smtp_server):
    message = enqueue(channel="email", recipient="zhao@example.com", subject="s", body="b")
    _left_in_sending(message, handed_over=True)
    result = notify_relay_batch()
    assert (result.reconciled, result.assumed_sent, result.claimed) == (1, 1, 0)
    message.refresh_from_db()
    assert message.status == Status.SENT and message.delivery_assumed
    assert smtp_server.received == []


def test_a_stuck_email_not_handed_over_is_sent_again(policy, smtp_server):
    message = enqueue(channel="email", recipient="zhao@example.com", subject="s", body="b")
    _left_in_sending(message, handed_over=False)
    result = notify_relay_batch()
    assert (result.reconciled, result.sent) == (1, 1)
    assert outcomes(message) == ["interrupted", "sent"]
    assert len(smtp_server.received) == 1


def test_a_message_within_its_lease_is_left_alone(policy, sms_gateway):
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, lease_until=timezone.now() + dt.timedelta(minutes=1)
    )
    result = notify_relay_batch()
    assert (result.reconciled, result.claimed) == (0, 0)
    assert sms_gateway.requests == []


class ClaimTakenChannel(NotifyChannel):
    """Another relay takes the message over (its lease ran out) while this one delivers it."""

    name = "sms"
    honours_idempotency_keys = True
    delivered: list[str] = []

    def deliver(self, envelope: Envelope, *, hand_over: HandOver) -> Receipt:
        OutboxMessage.objects.filter(pk=envelope.message_id).update(
            status=Status.SENDING,
            claim_token="another-relay",
            lease_until=timezone.now() + dt.timedelta(minutes=1),
        )
        hand_over()
        self.delivered.append(envelope.idempotency_key)
        return Receipt(response="should not get here")


def test_a_relay_that_lost_its_claim_does_not_send(policy, settings):
    # given channels chosen by settings: a channel whose claim is taken mid-delivery
    settings.WANLIU_NOTIFY_CHANNELS = {"sms": f"{__name__}.ClaimTakenChannel"}
    enqueue()
    result = notify_relay_batch()
    assert (result.claimed, result.sent, result.lease_lost) == (1, 0, 1)
    assert ClaimTakenChannel.delivered == []


def test_urgent_messages_go_first(policy, sms_gateway):
    enqueue(idempotency_key="routine")
    enqueue(idempotency_key="urgent", urgent=True)
    notify_relay_batch(limit=1)
    assert list(sms_gateway.delivered) == ["urgent"]
