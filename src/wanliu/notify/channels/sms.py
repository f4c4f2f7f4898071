"""SMS through an HTTP gateway: signed JSON POST, one request per message.

Settings: ``WANLIU_SMS_GATEWAY_URL``, ``WANLIU_SMS_GATEWAY_SECRET`` (shared HMAC secret),
``WANLIU_SMS_SENDER_ID`` (optional sender name or number). The request body is
``{"to", "text", "sender", "reference"}``; ``reference`` and the ``Idempotency-Key``
header are the message's idempotency key, which the gateway must honour.
"""

from __future__ import annotations

from django.conf import settings

from wanliu.notify.channels.base import Envelope, HandOver, NotifyChannel, Receipt
from wanliu.notify.channels.http import signed_post


class HttpSmsGatewayChannel(NotifyChannel):
    name = "sms"
    honours_idempotency_keys = True

    def deliver(self, envelope: Envelope, *, hand_over: HandOver) -> Receipt:
        text = envelope.body
        if envelope.subject and not text.startswith(envelope.subject):
            text = f"{envelope.subject}\n{text}"
        return signed_post(
            url=getattr(settings, "WANLIU_SMS_GATEWAY_URL", ""),
            secret=getattr(settings, "WANLIU_SMS_GATEWAY_SECRET", ""),
            payload={
                "to": envelope.recipient,
                "text": text,
                "sender": getattr(settings, "WANLIU_SMS_SENDER_ID", ""),
                "reference": envelope.idempotency_key,
            },
            idempotency_key=envelope.idempotency_key,
            timeout=getattr(settings, "WANLIU_NOTIFY_TIMEOUT_SECONDS", 30),
            hand_over=hand_over,
            what="SMS gateway",
        )
