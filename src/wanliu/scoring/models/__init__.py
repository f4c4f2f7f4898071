"""Models of the churn and value engine: stored scores, scoring runs, lifetime-value fits."""

from wanliu.scoring.models.campaigns import (  # noqa: F401  (proactive campaigns)
    Campaign,
    CampaignTarget,
    OutreachAttempt,
    OutreachTask,
    ProactiveContactPolicy,
)
from wanliu.scoring.models.scores import ChurnScore, LifetimeValueFit, ScoringRun, ValuePolicy

__all__ = ["ChurnScore", "LifetimeValueFit", "ScoringRun", "ValuePolicy"]
