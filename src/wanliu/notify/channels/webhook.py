"""Outbound webhooks: the message as signed JSON to one configured URL.

Settings: ``WANLIU_WEBHOOK_URL`` and ``WANLIU_WEBHOOK_SECRET``. The body is
``{"id", "event", "recipient", "subject", "body", "related", "created_at"}`` where ``id``
is the idempotency key (also sent as the ``Idempotency-Key`` header) and ``recipient`` is
the logical addressee given at enqueue time (e.g. the consuming system's name).
"""

from __future__ import annotations

from django.conf import settings

from wanliu.notify.channels.base import Envelope, HandOver, NotifyChannel, Receipt
from wanliu.notify.channels.http import signed_post

EVENT = "notify.message"


class SignedWebhookChannel(NotifyChannel):
    name = "webhook"
    honours_idempotency_keys = True

    def deliver(self, envelope: Envelope, *, hand_over: HandOver) -> Receipt:
        return signed_post(
            url=getattr(settings, "WANLIU_WEBHOOK_URL", ""),
            secret=getattr(settings, "WANLIU_WEBHOOK_SECRET", ""),
            payload={
                "id": envelope.idempotency_key,
                "event": EVENT,
                "recipient": envelope.recipient,
                "subject": envelope.subject,
                "body": envelope.body,
                "related": envelope.related,
                "created_at": envelope.created_at.isoformat(),
            },
            idempotency_key=envelope.idempotency_key,
            timeout=getattr(settings, "WANLIU_NOTIFY_TIMEOUT_SECONDS", 30),
            hand_over=hand_over,
            what="webhook",
        )
