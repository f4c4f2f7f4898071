"""Errors of the campaign services. Each carries a message an analyst or agent can read; the
API maps them to HTTP statuses (``http_status``), the pages show them."""

from __future__ import annotations


class CampaignError(Exception):
    """A business rule refused the action (HTTP 400); ``field`` names the input to fix."""

    http_status = 400

    def __init__(self, message: str, *, field: str = "") -> None:
        self.message = message
        self.field = field
        super().__init__(message)


class CampaignNotAllowed(CampaignError):
    """The caller sees the object but their role or place may not do this (HTTP 403)."""

    http_status = 403


class CampaignIllegalTransition(CampaignError):
    """The campaign's state machine has no such move from its status (HTTP 409)."""

    http_status = 409


class ContactRefused(CampaignError):
    """The contact would break the contact policy (HTTP 409)."""

    http_status = 409


class TargetingFailed(CampaignError):
    """Targeting cannot be done as asked: no uplift model, an offer it does not know (409)."""

    http_status = 409
