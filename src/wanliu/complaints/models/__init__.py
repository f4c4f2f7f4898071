"""Complaint models: calendars and policy as data, work orders, follow-up."""

from wanliu.complaints.models.calendars import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarDay,
    WorkingHours,
)
from wanliu.complaints.models.followup import (
    ContactResolution,
    Escalation,
    Revisit,
    Survey,
)
from wanliu.complaints.models.orders import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    STATUS_TIMESTAMP,
    Attachment,
    HandOver,
    InternalTask,
    OrderMessage,
    Status,
    StatusChange,
    WorkOrder,
)
from wanliu.complaints.models.policy import (
    PRIORITY_RANK,
    CannedReply,
    Category,
    Channel,
    ComplaintSettings,
    EscalationLevel,
    Priority,
    SlaPolicy,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "OPEN_STATUSES",
    "PRIORITY_RANK",
    "STATUS_TIMESTAMP",
    "WEEKDAYS",
    "Attachment",
    "BusinessCalendar",
    "CalendarDay",
    "CannedReply",
    "Category",
    "Channel",
    "ComplaintSettings",
    "ContactResolution",
    "Escalation",
    "EscalationLevel",
    "HandOver",
    "InternalTask",
    "OrderMessage",
    "Priority",
    "Revisit",
    "SlaPolicy",
    "Status",
    "StatusChange",
    "Survey",
    "WorkOrder",
    "WorkingHours",
]
