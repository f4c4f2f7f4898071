"""Background jobs of the notify app: the outbox relay, every 5 seconds in ``wanliu worker``."""

from __future__ import annotations

from dataclasses import asdict

from django.conf import settings
from django_tasks import task

from wanliu.core.scheduler import periodic
from wanliu.notify.relay import notify_relay_batch


@periodic(name="notify.relay", every_seconds=5)
@task()
def notify_relay() -> dict[str, int]:
    """Deliver due outbox messages (one batch); safe to run in several workers at once."""
    limit = int(getattr(settings, "WANLIU_NOTIFY_RELAY_BATCH", 100))
    return asdict(notify_relay_batch(limit=limit))
