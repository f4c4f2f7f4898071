"""Admin: the supervision policy (compliance checks, ranking targets, report schedule) is
edited here; snapshots, reports and tasks are records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wanliu.analytics.models import (
    ComplianceRule,
    FollowUpTask,
    MonthlyReport,
    RankingTarget,
    ReportSchedule,
    ReviewSnapshot,
)


@admin.register(ComplianceRule)
class ComplianceRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "active", "threshold", "note"]
    list_editable = ["active", "threshold"]
    readonly_fields = ["code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row per check, seeded

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a check off instead


@admin.register(RankingTarget)
class RankingTargetAdmin(admin.ModelAdmin):
    list_display = ["ranking", "role", "metric", "target", "weight", "active"]
    list_filter = ["ranking", "role", "active"]
    list_editable = ["target", "weight", "active"]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "active", "calendar", "send_from"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReportSchedule.objects.exists()


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReviewSnapshot)
class ReviewSnapshotAdmin(_ReadOnly):
    list_display = ["month", "status", "lines", "seconds", "finished_at", "error"]


@admin.register(MonthlyReport)
class MonthlyReportAdmin(_ReadOnly):
    list_display = ["month", "scope_key", "recipients", "without_address", "created_at"]


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(_ReadOnly):
    list_display = ["month", "kind", "customer", "status", "reason_given", "created_at"]
    list_filter = ["kind", "status", "month"]
