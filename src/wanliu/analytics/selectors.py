"""Reads of the analytics app: which unit subtree a user may review."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from wanliu.org.models import OrgUnit
from wanliu.org.scoping import scope_for


def review_unit_for(*, user: Any, unit_id: int | None) -> OrgUnit | None:
    """The unit to review: the requested one if in the user's scope, else the user's own.

    ``None`` means the whole operator (operator-wide roles only). Units out of scope and
    store-only scopes (clerks) answer 404.
    """
    scope = scope_for(user)
    if scope.everything:
        if unit_id is None:
            return None
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise Http404
        return unit
    if scope.unit_path is None:
        raise Http404
    if unit_id is None:
        unit = OrgUnit.objects.filter(path=scope.unit_path).first()
    else:
        unit = OrgUnit.objects.filter(pk=unit_id, path__startswith=scope.unit_path).first()
    if unit is None:
        raise Http404
    return unit
