"""Admin: the value policy is edited here; scoring runs, scores and fits are read-only
records written by the scoring service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wanliu.scoring.models import ChurnScore, LifetimeValueFit, ScoringRun, ValuePolicy


@admin.register(ValuePolicy)
class ValuePolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "margin_share", "annual_discount_rate", "horizon_months"]


class _ReadOnly(admin.ModelAdmin):
    """Records of what the engine did: viewable, never edited by hand."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(_ReadOnly):
    list_display = ["as_of", "model_version", "status", "lines_scored", "started_at", "finished_at"]
    list_filter = ["status", "as_of"]


@admin.register(ChurnScore)
class ChurnScoreAdmin(_ReadOnly):
    list_display = [
        "line",
        "as_of",
        "model_version",
        "probability",
        "risk_band",
        "remaining_value",
        "value_at_risk",
    ]
    list_filter = ["as_of", "risk_band"]
    search_fields = ["line__number"]
    raw_id_fields = ["line", "run"]
    list_select_related = ["line"]


@admin.register(LifetimeValueFit)
class LifetimeValueFitAdmin(_ReadOnly):
    list_display = [
        "as_of",
        "plan_family",
        "value_tier",
        "cohort",
        "alpha",
        "beta",
        "lines",
        "churned",
    ]
    list_filter = ["as_of", "plan_family", "value_tier"]


# Proactive campaigns register theirs in their own module.
from wanliu.scoring.campaigns import admin as campaigns_admin  # noqa: E402, F401
