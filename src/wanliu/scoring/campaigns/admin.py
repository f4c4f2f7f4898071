"""Admin of proactive campaigns: the contact policy (business policy as data), campaigns
with their targets, outreach tasks and attempts (read-mostly: the services write them)."""

from __future__ import annotations

from django.contrib import admin

from wanliu.scoring.models import (
    Campaign,
    CampaignTarget,
    OutreachAttempt,
    OutreachTask,
    ProactiveContactPolicy,
)


@admin.register(ProactiveContactPolicy)
class ProactiveContactPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "max_attempts_per_target", "rest_days", "updated_at")


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "unit", "starts_on", "ends_on", "budget", "generated")
    list_filter = ("status", "generated", "channel")
    search_fields = ("name",)
    filter_horizontal = ("offers",)
    readonly_fields = (
        "status",
        "seed",
        "uplift_model_version",
        "features_as_of",
        "max_attempts",
        "reserved_cost",
        "expected_value",
        "targeting_requested_at",
        "targeting_error",
        "report",
        "created_by",
        "created_at",
        "targeted_at",
        "launched_at",
        "closed_at",
        "generated",
    )


@admin.register(CampaignTarget)
class CampaignTargetAdmin(admin.ModelAdmin):
    list_display = ("campaign", "rank", "customer", "arm", "offer", "uplift", "outcome")
    list_filter = ("arm", "outcome", "campaign")
    raw_id_fields = ("campaign", "line", "customer")
    readonly_fields = tuple(f.name for f in CampaignTarget._meta.fields if f.name not in ("id",))


class OutreachAttemptInline(admin.TabularInline):
    model = OutreachAttempt
    extra = 0
    readonly_fields = ("at", "result", "note", "by")
    can_delete = False


@admin.register(OutreachTask)
class OutreachTaskAdmin(admin.ModelAdmin):
    list_display = ("campaign", "target", "queue", "unit", "status", "attempts")
    list_filter = ("queue", "status", "campaign")
    raw_id_fields = ("target", "campaign", "unit", "closed_by")
    readonly_fields = ("attempts", "contact_cost", "offer_cost", "created_at", "closed_at")
    inlines = [OutreachAttemptInline]
