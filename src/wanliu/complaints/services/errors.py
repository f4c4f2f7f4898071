"""Errors of complaint services; the API maps them to 400, 403 and 409."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


class ComplaintError(Exception):
    """A request that cannot be carried out as asked (400)."""


class ConflictError(ComplaintError):
    """The order's state does not allow this now (409)."""


class TransitionNotAllowed(ConflictError):
    def __init__(self, from_status: str, to_status: str, allowed: list[str]) -> None:
        from_status, to_status = str(from_status), str(to_status)
        self.from_status, self.to_status, self.allowed = from_status, to_status, allowed
        choices = ", ".join(str(a) for a in allowed) if allowed else _("none, the order is final")
        super().__init__(
            _(
                "Cannot move a work order from %(from)s to %(to)s; "
                "allowed from %(from)s: %(allowed)s."
            )
            % {"from": repr(from_status), "to": repr(to_status), "allowed": choices}
        )


class NotAllowed(PermissionDenied):
    """The user sees the order but may not do this to it (403)."""
