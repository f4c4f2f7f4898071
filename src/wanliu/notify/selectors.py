"""Reads of the notify app."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from wanliu.notify.models import NoticePolicy, OutboxMessage


def messages_for(*, related: models.Model) -> QuerySet[OutboxMessage]:
    """Every message written about ``related`` (e.g. a work order), oldest first, with its
    delivery attempts prefetched; dead letters and suppressed notices included."""
    content_type = ContentType.objects.get_for_model(related)
    return (
        OutboxMessage.objects.filter(related_type=content_type, related_id=str(related.pk))
        .prefetch_related("delivery_attempts")
        .order_by("created_at", "id")
    )


def notice_policy_current() -> NoticePolicy:
    """The policy in force: the first row, or the built-in defaults when there is none."""
    return NoticePolicy.objects.order_by("id").first() or NoticePolicy()
