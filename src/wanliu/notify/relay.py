"""The relay: delivers due outbox messages at least once, one committed step at a time.

For each message the relay

1. claims it in a short transaction (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL;
   on SQLite the ``IMMEDIATE`` transaction serialises claims): status ``sending``, a fresh
   claim token and a lease (``WANLIU_NOTIFY_LEASE_SECONDS``);
2. hands it to its channel, which calls back ``hand_over`` right before the point after
   which the far side may have the message; the relay commits ``handed_over_at`` there,
   and refuses when its claim was lost;
3. commits the outcome with a :class:`~wanliu.notify.models.DeliveryAttempt` row: ``sent``,
   ``failed_retrying`` (exponential backoff) or ``dead`` (after the policy's maximum
   number of attempts, or at once on a permanent rejection).

A worker that dies leaves at most the one message it was delivering in ``sending``. Once
its lease has expired, the next batch reconciles it: not yet handed over, or on a channel
that honours idempotency keys, it is delivered again (at least once, deduplicated by the
key); handed over to an SMTP server, it is counted as sent and never sent again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from wanliu.core.services import audit_record
from wanliu.notify.channels import channel_class
from wanliu.notify.channels.base import (
    ChannelError,
    Envelope,
    HandOverRefused,
    NotifyChannel,
    Receipt,
)
from wanliu.notify.models import DeliveryAttempt, NoticePolicy, OutboxMessage
from wanliu.notify.selectors import notice_policy_current
from wanliu.notify.services import PERSON_CHANNELS

log = logging.getLogger(__name__)
Status = OutboxMessage.Status
Outcome = DeliveryAttempt.Outcome

DUE_STATUSES = (Status.PENDING, Status.FAILED_RETRYING)


@dataclass
class RelayResult:
    """What one batch did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    lease_lost: int = 0
    reconciled: int = 0  # messages found stuck in ``sending`` after their lease
    assumed_sent: int = 0  # of those, counted as sent (handed over to SMTP)

    def __str__(self) -> str:
        return (
            f"claimed {self.claimed}, sent {self.sent}, retrying {self.retrying}, "
            f"dead {self.dead}, reconciled {self.reconciled} "
            f"(assumed sent {self.assumed_sent}), lease lost {self.lease_lost}"
        )


def lease_duration() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "WANLIU_NOTIFY_LEASE_SECONDS", 120)))


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _lock_skipping_locked(queryset: QuerySet[OutboxMessage]) -> QuerySet[OutboxMessage]:
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset  # SQLite: the IMMEDIATE transaction already holds the write lock


def _retry_at(message: OutboxMessage, policy: NoticePolicy, at: datetime) -> datetime:
    """``at``, moved past quiet hours for a non-urgent notice to a person."""
    if not message.urgent and message.channel in PERSON_CHANNELS:
        return policy.quiet_hours_over(at)
    return at


def _attempt(
    message: OutboxMessage,
    *,
    outcome: str,
    started_at: datetime,
    worker: str,
    error: str = "",
    response: str = "",
    permanent: bool = False,
) -> DeliveryAttempt:
    return DeliveryAttempt.objects.create(
        message=message,
        number=DeliveryAttempt.objects.filter(message=message).count() + 1,
        started_at=started_at,
        finished_at=timezone.now(),
        outcome=outcome,
        error=error,
        response=response[:255],
        permanent=permanent,
        worker=worker[:64],
    )


def _fail(
    message: OutboxMessage,
    *,
    policy: NoticePolicy,
    error: str,
    permanent: bool,
    now: datetime,
) -> str:
    """Set ``message`` to retrying or dead after a failed attempt (not saved)."""
    message.failed_at = now
    message.last_error = error
    message.lease_until = None
    if permanent or message.attempts >= policy.max_attempts:
        message.status = Status.DEAD
        message.dead_at = now
        message.status_reason = (
            "rejected permanently" if permanent else f"failed {message.attempts} times"
        )
        audit_record(
            actor=None,
            action="notify.message_dead",
            obj=message,
            after={"attempts": message.attempts, "permanent": permanent},
            note=error[:255],
        )
        return Status.DEAD
    message.status = Status.FAILED_RETRYING
    message.next_attempt_at = _retry_at(message, policy, now + policy.backoff(message.attempts))
    message.status_reason = ""
    return Status.FAILED_RETRYING


_FAIL_FIELDS = [
    "status",
    "status_reason",
    "failed_at",
    "last_error",
    "lease_until",
    "dead_at",
    "next_attempt_at",
]


def _reconcile_expired(*, policy: NoticePolicy, worker: str, result: RelayResult) -> None:
    """Settle messages left in ``sending`` by a worker that stopped (its lease expired)."""
    with transaction.atomic():
        now = timezone.now()
        stuck = _lock_skipping_locked(
            OutboxMessage.objects.filter(status=Status.SENDING, lease_until__lt=now)
        )
        for message in stuck:
            result.reconciled += 1
            started = message.sending_at or now
            keyed = channel_class(message.channel).honours_idempotency_keys
            if message.handed_over_at is not None and not keyed:
                message.status = Status.SENT
                message.sent_at = message.handed_over_at
                message.delivery_assumed = True
                message.lease_until = None
                message.status_reason = "worker stopped after hand-over; not sent again"
                message.save(
                    update_fields=[
                        "status",
                        "sent_at",
                        "delivery_assumed",
                        "lease_until",
                        "status_reason",
                    ]
                )
                _attempt(
                    message,
                    outcome=Outcome.ASSUMED_SENT,
                    started_at=started,
                    worker=worker,
                    error="the worker stopped after handing the message to the server",
                )
                result.assumed_sent += 1
                continue
            error = (
                "the worker stopped after hand-over; sending again with the same key"
                if message.handed_over_at is not None
                else "the worker stopped before hand-over"
            )
            _attempt(
                message, outcome=Outcome.INTERRUPTED, started_at=started, worker=worker, error=error
            )
            if _fail(message, policy=policy, error=error, permanent=False, now=now) == Status.DEAD:
                result.dead += 1
            else:
                # Interrupted, not refused by the far side: due again at once.
                message.next_attempt_at = _retry_at(message, policy, now)
            message.save(update_fields=_FAIL_FIELDS)


def _claim_next(*, worker: str) -> OutboxMessage | None:
    with transaction.atomic():
        now = timezone.now()
        message = (
            _lock_skipping_locked(
                OutboxMessage.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
            )
            .order_by("-urgent", "next_attempt_at", "id")
            .first()
        )
        if message is None:
            return None
        message.status = Status.SENDING
        message.claim_token = secrets.token_hex(16)
        message.lease_until = now + lease_duration()
        message.sending_at = now
        message.handed_over_at = None
        message.attempts += 1
        message.save(
            update_fields=[
                "status",
                "claim_token",
                "lease_until",
                "sending_at",
                "handed_over_at",
                "attempts",
            ]
        )
    return message


def _envelope(message: OutboxMessage) -> Envelope:
    related = ""
    if message.related_type_id is not None:
        content_type = message.related_type
        assert content_type is not None
        related = f"{content_type.app_label}.{content_type.model}:{message.related_id}"
    return Envelope(
        message_id=message.pk,
        channel=message.channel,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        idempotency_key=message.idempotency_key,
        created_at=message.created_at,
        related=related,
        event=message.event,
    )


def _still_claimed(message: OutboxMessage) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        pk=message.pk, status=Status.SENDING, claim_token=message.claim_token
    )


def _deliver(
    message: OutboxMessage,
    *,
    channel: NotifyChannel,
    policy: NoticePolicy,
    worker: str,
    result: RelayResult,
) -> None:
    started = message.sending_at or timezone.now()

    def hand_over() -> None:
        with transaction.atomic():
            now = timezone.now()
            if not _still_claimed(message).update(handed_over_at=now):
                raise HandOverRefused(f"message {message.pk}: claim lost before hand-over")
        message.handed_over_at = now

    try:
        receipt: Receipt = channel.deliver(_envelope(message), hand_over=hand_over)
    except HandOverRefused:
        result.lease_lost += 1
        log.warning("message %s: lease lost, left to its new owner", message.pk)
        return
    except ChannelError as error:
        _record_failure(
            message, error=error, policy=policy, worker=worker, started=started, result=result
        )
        return
    _record_sent(message, response=receipt.response, worker=worker, started=started, assumed=False)
    result.sent += 1


def _record_sent(
    message: OutboxMessage, *, response: str, worker: str, started: datetime, assumed: bool
) -> None:
    with transaction.atomic():
        now = timezone.now()
        OutboxMessage.objects.filter(pk=message.pk, claim_token=message.claim_token).update(
            status=Status.SENT,
            sent_at=now,
            lease_until=None,
            last_error="",
            delivery_assumed=assumed,
            status_reason=("no confirmation after hand-over; not sent again" if assumed else ""),
        )
        _attempt(
            message,
            outcome=Outcome.ASSUMED_SENT if assumed else Outcome.SENT,
            started_at=started,
            worker=worker,
            response=response,
        )


def _record_failure(
    message: OutboxMessage,
    *,
    error: ChannelError,
    policy: NoticePolicy,
    worker: str,
    started: datetime,
    result: RelayResult,
) -> None:
    keyed = channel_class(message.channel).honours_idempotency_keys
    if error.outcome_unknown and not keyed:
        # Handed to a server without idempotency keys and no answer: it may have the
        # message; sending again could duplicate it, so it counts as sent.
        _record_sent(message, response=str(error), worker=worker, started=started, assumed=True)
        result.sent += 1
        return
    with transaction.atomic():
        now = timezone.now()
        current = _lock_skipping_locked(_still_claimed(message)).first()
        if current is None:
            result.lease_lost += 1
            return
        outcome = _fail(
            current, policy=policy, error=str(error), permanent=error.permanent, now=now
        )
        current.save(update_fields=_FAIL_FIELDS)
        _attempt(
            current,
            outcome=Outcome.FAILED,
            started_at=started,
            worker=worker,
            error=str(error),
            response=error.response,
            permanent=error.permanent,
        )
    if outcome == Status.DEAD:
        result.dead += 1
    else:
        result.retrying += 1


def notify_relay_batch(
    *, limit: int = 50, progress: Callable[[], None] | None = None
) -> RelayResult:
    """Deliver up to ``limit`` due messages, committing after each; safe to run in several
    workers at once. ``progress`` is called after each message.

    Call it outside any transaction: inside one, its per-message commits become savepoints
    and nothing is durable until the outer transaction commits.
    """
    worker = _worker_name()
    policy = notice_policy_current()
    result = RelayResult()
    _reconcile_expired(policy=policy, worker=worker, result=result)
    channels: dict[str, NotifyChannel] = {}
    try:
        for _ in range(limit):
            message = _claim_next(worker=worker)
            if message is None:
                break
            result.claimed += 1
            if message.channel not in channels:
                channels[message.channel] = channel_class(message.channel)()
                channels[message.channel].open()
            _deliver(
                message,
                channel=channels[message.channel],
                policy=policy,
                worker=worker,
                result=result,
            )
            if progress is not None:
                progress()
    finally:
        for channel in channels.values():
            channel.close()
    if result.claimed or result.reconciled:
        log.info("notify relay: %s", result)
    return result


def notify_due_count() -> int:
    """How many messages are due now (for progress bars)."""
    return OutboxMessage.objects.filter(
        status__in=DUE_STATUSES, next_attempt_at__lte=timezone.now()
    ).count()
