"""System events for the operator's other systems (CRM, billing, data warehouse).

A change that other systems must know about (a complaint taken or moved on, a cancellation
request opened or carried out) publishes an event: one signed webhook message written to
the outbox in the transaction of the change, delivered at least once by the relay with the
event's idempotency key, so a consumer that honours the key acts on it once.

Which events go out is ``WANLIU_WEBHOOK_EVENTS``: comma-separated event names, or prefixes
ending in ``.`` (``complaints.``), or ``*`` for all; empty (the default) sends none.

Events (their data is JSON; times ISO 8601 with offset):

- ``complaints.work_order.created``, ``complaints.work_order.status_changed``
- ``retention.request.opened``, ``retention.request.status_changed``
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from wanliu.notify.models import Channel, OutboxMessage
from wanliu.notify.services import message_enqueue


def event_wanted(event: str, selected: Iterable[str] | None = None) -> bool:
    chosen = selected if selected is not None else getattr(settings, "WANLIU_WEBHOOK_EVENTS", ())
    for item in chosen:
        if item == "*" or item == event or (item.endswith(".") and event.startswith(item)):
            return True
    return False


def event_publish(
    *, event: str, key: str, data: dict[str, Any], related: models.Model | None = None
) -> OutboxMessage | None:
    """Publish ``event`` with ``data`` when it is selected; ``key`` names this occurrence
    (the same key twice publishes once). Runs inside the caller's transaction."""
    if not event_wanted(event):
        return None
    return message_enqueue(
        channel=Channel.WEBHOOK,
        recipient=getattr(settings, "WANLIU_WEBHOOK_RECIPIENT", "") or "operator-systems",
        subject=event,
        body=json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True),
        idempotency_key=f"event:{key}"[:200],
        related=related,
        event=event,
    )
