"""Admin: the policy and the offer ladder are edited here; requests are read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wanliu.retention.models import (
    CancellationRequest,
    FastLaneTicket,
    OfferGrant,
    RetentionCase,
    RetentionContact,
    RetentionOffer,
    RetentionPolicy,
    StatusChange,
    StepRecord,
    Transfer,
    WinBackEntry,
)


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "business_day_ends_at",
        "refusal_limit_hours",
        "approval_expiry_hours",
        "max_contacts_per_request",
        "max_contacts_per_win_back",
        "quiet_hours_start",
        "quiet_hours_end",
        "updated_at",
    ]


@admin.register(RetentionOffer)
class RetentionOfferAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "level",
        "discount_pct",
        "amount_off",
        "months",
        "free_months",
        "bonus_data_gb",
        "device_subsidy",
        "monthly_budget_per_store",
        "active",
    ]
    list_filter = ["level", "active"]
    search_fields = ["code", "name", "name_en"]


class _ReadOnly(admin.ModelAdmin):
    """Records written by the desk's services only (each with its audit event)."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class StepRecordInline(admin.TabularInline):
    model = StepRecord
    extra = 0
    can_delete = False
    readonly_fields = ["step", "recorded_by", "recorded_at", "data"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "actor", "note"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(CancellationRequest)
class CancellationRequestAdmin(_ReadOnly):
    list_display = [
        "request_no",
        "customer",
        "kind",
        "target",
        "channel",
        "store",
        "status",
        "reason",
        "opened_at",
        "due_at",
        "refusal_flagged_at",
    ]
    list_filter = ["status", "outcome", "channel", "reason", "kind"]
    search_fields = ["request_no", "customer__customer_no", "customer__name"]
    date_hierarchy = "opened_at"
    raw_id_fields = ["customer", "account", "subscription", "line", "store", "origin_store"]
    inlines = [StepRecordInline, StatusChangeInline]


@admin.register(OfferGrant)
class OfferGrantAdmin(_ReadOnly):
    list_display = [
        "request",
        "offer",
        "level",
        "status",
        "store",
        "cost",
        "requested_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "level"]


@admin.register(Transfer)
class TransferAdmin(_ReadOnly):
    list_display = ["request", "kind", "from_store", "to_store", "at", "reason"]
    list_filter = ["kind"]


@admin.register(FastLaneTicket)
class FastLaneTicketAdmin(_ReadOnly):
    list_display = ["ticket_no", "request", "issue", "status", "opened_at", "resolved_at"]
    list_filter = ["status", "issue"]


@admin.register(RetentionContact)
class RetentionContactAdmin(_ReadOnly):
    list_display = ["request", "purpose", "channel", "due_at", "status", "done_at"]
    list_filter = ["purpose", "channel", "status"]


@admin.register(WinBackEntry)
class WinBackEntryAdmin(_ReadOnly):
    list_display = ["customer", "request", "allowed_recontact_on", "period_ends_on", "status"]
    list_filter = ["status"]
    raw_id_fields = ["customer"]


@admin.register(RetentionCase)
class RetentionCaseAdmin(admin.ModelAdmin):
    """Cases may be corrected or withdrawn by an administrator (training material)."""

    list_display = ["title", "reason", "outcome", "published_at"]
    list_filter = ["reason", "outcome"]
    search_fields = ["title", "words_used", "situation"]
    readonly_fields = ["request", "published_by", "published_at"]
