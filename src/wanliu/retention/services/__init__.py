"""Writes of the retention desk. Each function is one atomic service call that appends
audit events (``wanliu.core.services.audit_record``)."""

from wanliu.retention.services.care import (
    ContactPlan,
    retention_contact_complete,
    retention_contact_schedule,
    win_back_outcome_record,
)
from wanliu.retention.services.cases import anonymise, retention_case_publish
from wanliu.retention.services.errors import (
    ApprovalClosed,
    BudgetExhausted,
    ContactPolicyViolation,
    IllegalTransition,
    NotAllowed,
    OfferNotEligible,
    RetentionError,
    StepIncomplete,
)
from wanliu.retention.services.offers import (
    grant_cost,
    offer_approval_decide,
    offer_approval_request,
    offer_approvals_expire,
    offer_grant,
)
from wanliu.retention.services.requests import (
    cancellation_request_close,
    cancellation_request_insist,
    cancellation_request_open,
    cancellation_request_outcome,
    cancellation_request_transfer,
    cancellation_request_transition,
    fast_lane_ticket_open,
    fast_lane_ticket_resolve,
    processing_due_at,
)
from wanliu.retention.services.steps import (
    step_calm_record,
    step_care_record,
    step_compare_record,
    step_consumption_record,
    step_part_well_record,
    step_reason_record,
)
from wanliu.retention.services.supervision import refusals_flag

__all__ = [
    "ApprovalClosed",
    "BudgetExhausted",
    "ContactPlan",
    "ContactPolicyViolation",
    "IllegalTransition",
    "NotAllowed",
    "OfferNotEligible",
    "RetentionError",
    "StepIncomplete",
    "anonymise",
    "cancellation_request_close",
    "cancellation_request_insist",
    "cancellation_request_open",
    "cancellation_request_outcome",
    "cancellation_request_transfer",
    "cancellation_request_transition",
    "fast_lane_ticket_open",
    "fast_lane_ticket_resolve",
    "grant_cost",
    "offer_approval_decide",
    "offer_approval_request",
    "offer_approvals_expire",
    "offer_grant",
    "processing_due_at",
    "refusals_flag",
    "retention_case_publish",
    "retention_contact_complete",
    "retention_contact_schedule",
    "step_calm_record",
    "step_care_record",
    "step_compare_record",
    "step_consumption_record",
    "step_part_well_record",
    "step_reason_record",
    "win_back_outcome_record",
]
