"""Shared pieces of the complaints API: error mapping and permission guards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from wanliu.complaints.models import Category
from wanliu.complaints.permissions import can_work_complaints
from wanliu.complaints.services.errors import ComplaintError, ConflictError


@contextmanager
def service_errors() -> Iterator[None]:
    """Map service errors to HTTP: 400 bad request, 409 conflict, 403 not allowed."""
    try:
        yield
    except ConflictError as exc:
        raise HttpError(409, str(exc)) from exc
    except ComplaintError as exc:
        raise HttpError(400, str(exc)) from exc
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or _("Not allowed.")) from exc


def ensure(user: Any, allowed: bool, message: Any) -> None:
    """403 with ``message`` unless ``allowed``; a user whose role does not work complaints
    at all is told that instead."""
    if not allowed:
        if not can_work_complaints(user):
            message = _("Your role does not work complaints: you may read them only.")
        raise HttpError(403, str(message))


def category_by_code(code: str) -> Category:
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise HttpError(400, _("Unknown category %(value)s.") % {"value": code})
    return category


def get_or_400(model: Any, message: Any, **lookup: Any) -> Any:
    """A referenced object (not the object of the URL): a bad reference is a 400."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        raise HttpError(400, str(message))
    return obj


__all__ = [
    "category_by_code",
    "ensure",
    "get_object_or_404",
    "get_or_400",
    "service_errors",
]
