"""Models of the analytics app: follow-up tasks, monthly snapshots, supervision policy as
data (compliance checks, ranking targets, report schedule) and the reports sent."""

from wanliu.analytics.models.policy import ComplianceRule, RankingTarget, ReportSchedule
from wanliu.analytics.models.reports import MonthlyReport
from wanliu.analytics.models.snapshots import (
    AgentFcrCell,
    ChurnCell,
    ChurnedCustomerCell,
    FcrCell,
    ReviewSnapshot,
    SegmentFit,
    SurvivalCell,
    ValueCustomerCell,
)
from wanliu.analytics.models.tasks import FollowUpTask

__all__ = [
    "AgentFcrCell",
    "ChurnCell",
    "ChurnedCustomerCell",
    "ComplianceRule",
    "FcrCell",
    "FollowUpTask",
    "MonthlyReport",
    "RankingTarget",
    "ReportSchedule",
    "ReviewSnapshot",
    "SegmentFit",
    "SurvivalCell",
    "ValueCustomerCell",
]
