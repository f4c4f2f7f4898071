"""Policy as data is edited here: categories, calendars, SLA policies, escalation levels,
settings and canned replies. Orders and their records are read-only here: they change
only through the services (the workspace and the API)."""

from typing import Any

from django.contrib import admin

from wanliu.complaints.models import (
    BusinessCalendar,
    CalendarDay,
    CannedReply,
    Category,
    ComplaintSettings,
    ContactResolution,
    Escalation,
    EscalationLevel,
    Revisit,
    SlaPolicy,
    Survey,
    WorkingHours,
    WorkOrder,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "parent", "active"]
    list_filter = ["active", "parent"]
    search_fields = ["code", "name", "name_en"]


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "always_open"]
    inlines = [WorkingHoursInline, CalendarDayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        "priority",
        "channel",
        "value_tier",
        "calendar",
        "first_response_minutes",
        "progress_interval_minutes",
        "resolution_minutes",
        "active",
    ]
    list_filter = ["active", "channel", "priority", "value_tier"]


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "share", "recipient", "active"]


@admin.register(ComplaintSettings)
class ComplaintSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "repeat_window_days",
        "fcr_window_days",
        "revisit_due_hours",
        "survey_valid_days",
        "regulator_reply_days",
    ]

    def has_add_permission(self, request: Any) -> bool:
        return not ComplaintSettings.objects.exists()


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "category", "active"]
    list_filter = ["language", "active"]


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = [
        "order_no",
        "status",
        "channel",
        "category",
        "priority",
        "owner_unit",
        "received_at",
        "resolution_due_at",
    ]
    list_filter = ["status", "channel", "priority"]
    search_fields = ["order_no", "title"]
    date_hierarchy = "received_at"


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["order", "level", "cycle", "fired_at", "used_share"]


@admin.register(Revisit)
class RevisitAdmin(ReadOnlyAdmin):
    list_display = ["order", "cycle", "due_at", "outcome", "owner_unit", "done_at"]
    list_filter = ["outcome"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ["order", "cycle", "sent_at", "responded_at", "csat", "solved", "agent", "team"]
    exclude = ["nonce"]


@admin.register(ContactResolution)
class ContactResolutionAdmin(ReadOnlyAdmin):
    list_display = ["contact", "first_contact_resolved", "reason", "final", "computed_at"]
    list_filter = ["first_contact_resolved", "reason", "final"]
