"""Notifications in the admin: templates and the policy are edited here; the outbox is
read-only apart from requeueing dead letters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wanliu.notify.models import DeliveryAttempt, MessageTemplate, NoticePolicy, OutboxMessage
from wanliu.notify.services import message_requeue


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "language", "channel", "subject", "updated_at"]
    list_filter = ["language", "channel"]
    search_fields = ["key", "subject", "body", "description"]


@admin.register(NoticePolicy)
class NoticePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "quiet_hours_start",
        "quiet_hours_end",
        "time_zone",
        "max_attempts",
        "backoff_base_seconds",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One policy is in force (the first row); more rows would only confuse.
        return not NoticePolicy.objects.exists() and super().has_add_permission(request)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("number", "outcome", "started_at", "finished_at", "response", "error", "worker")
    readonly_fields = (
        "number",
        "outcome",
        "started_at",
        "finished_at",
        "response",
        "error",
        "worker",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "recipient",
        "subject",
        "status",
        "urgent",
        "transactional",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "urgent", "transactional", "delivery_assumed"]
    search_fields = ["recipient", "subject", "idempotency_key"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["requeue"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in OutboxMessage._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages are written by services, in the transaction of their cause

    @admin.action(description=_("Requeue the selected dead or retrying messages"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        done = 0
        for message in queryset:
            try:
                message_requeue(message=message, actor=request.user)  # type: ignore[arg-type]
            except ValidationError as error:
                self.message_user(request, f"{message}: {error.messages[0]}", messages.WARNING)
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d message requeued.", "%(count)d messages requeued.", done)
            % {"count": done},
        )
