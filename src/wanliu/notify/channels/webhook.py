"""Outbound webhooks: the message as signed JSON to one configured URL.

Settings: ``WANLIU_WEBHOOK_URL`` and ``WANLIU_WEBHOOK_SECRET``. A message's body is
``{"id", "event": "notify.message", "recipient", "subject", "body", "related",
"created_at"}``; a system event's (``wanliu.notify.events``) is ``{"id", "event": its name,
"recipient", "data": its JSON data, "related", "created_at"}``. ``id`` is the idempotency
key (also sent as the ``Idempotency-Key`` header) and ``recipient`` the logical addressee
given at enqueue time (e.g. the consuming system's name).
"""

from __future__ import annotations

import json
from typing import Any

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
            payload=payload_of(envelope),
            idempotency_key=envelope.idempotency_key,
            timeout=getattr(settings, "WANLIU_NOTIFY_TIMEOUT_SECONDS", 30),
            hand_over=hand_over,
            what="webhook",
        )


def payload_of(envelope: Envelope) -> dict[str, Any]:
    common = {
        "id": envelope.idempotency_key,
        "recipient": envelope.recipient,
        "related": envelope.related,
        "created_at": envelope.created_at.isoformat(),
    }
    if envelope.event:
        return {**common, "event": envelope.event, "data": json.loads(envelope.body)}
    return {**common, "event": EVENT, "subject": envelope.subject, "body": envelope.body}
