"""Small helpers shared by the complaint tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wanliu.complaints.models import WorkOrder
from wanliu.complaints.services.orders import work_order_create
from wanliu.notify.models import OutboxMessage
from wanliu.notify.selectors import messages_for

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def new_order(world: Any, *, by: Any = None, **overrides: Any) -> WorkOrder:
    """A complaint taken by agent B (region B's hotline) unless ``by`` says otherwise."""
    now = overrides.pop("now", None)
    received_at = overrides.pop("received_at", None)
    fields = {
        "customer": world.customer,
        "channel": "hotline",
        "category": world.category("network-coverage"),
        "title": "家里信号差",
        "description": "客户反映在家中手机信号很差，通话经常中断。",
        "contact_phone": "13800000001",
        "contact_email": "wang@example.com",
    } | overrides
    actor = (by or world.agent_b).user
    return work_order_create(actor=actor, now=now, received_at=received_at, **fields)


def notices(order: WorkOrder) -> list[OutboxMessage]:
    return list(messages_for(related=order))


def notice_keys(order: WorkOrder) -> list[str]:
    """The milestone part of each notice's idempotency key, e.g. ``accepted:sms``."""
    return [m.idempotency_key.split(":", 2)[2] for m in notices(order)]
