"""Errors of the retention services. Each carries a message a clerk can read; the API maps
them to HTTP statuses (``http_status``), the pages show them next to the step."""

from __future__ import annotations


class RetentionError(Exception):
    """A business rule refused the action."""

    http_status = 400

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NotAllowed(RetentionError):
    """The caller sees the object but their role or place may not do this (HTTP 403)."""

    http_status = 403


class IllegalTransition(RetentionError):
    """The state machine has no such move from the current status (HTTP 409)."""

    http_status = 409


class StepIncomplete(RetentionError):
    """A required field of a step is missing or wrong (HTTP 400)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field = field
        super().__init__(message)


class OfferNotEligible(RetentionError):
    pass


class BudgetExhausted(RetentionError):
    """The store's monthly budget for the offer cannot pay for this grant (HTTP 409)."""

    http_status = 409


class ApprovalClosed(RetentionError):
    """The approval was already decided or has expired (HTTP 409)."""

    http_status = 409


class ContactPolicyViolation(RetentionError):
    """Scheduling this contact would break the contact policy (HTTP 409)."""

    http_status = 409
