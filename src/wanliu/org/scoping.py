"""What part of the operator a user may see. Every selector applies this, in one way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from wanliu.org.models import Role, Staff

M = TypeVar("M", bound=Model)

# Roles that work across the whole operator (the hotline takes calls from everywhere;
# the service department supervises everyone).
OPERATOR_WIDE_ROLES = {
    Role.HOTLINE_AGENT,
    Role.SERVICE_SUPERVISOR,
    Role.ANALYST,
    Role.WORKFORCE_PLANNER,
    Role.ADMIN,
}


@dataclass(frozen=True)
class Scope:
    """Either everything, one unit subtree (by path prefix), one store, or nothing."""

    everything: bool = False
    unit_path: str | None = None
    store_id: int | None = None

    def q(self, *, unit_path_field: str, store_field: str) -> Q:
        """A filter for a model whose unit path and store id are reached by these lookups.

        ``unit_path_field`` e.g. ``"unit__path"``; ``store_field`` e.g. ``"store_id"``.
        """
        if self.everything:
            return Q()
        if self.store_id is not None:
            return Q(**{store_field: self.store_id})
        if self.unit_path is not None:
            return Q(**{f"{unit_path_field}__startswith": self.unit_path})
        return Q(pk__in=[])

    def apply(
        self, queryset: QuerySet[M], *, unit_path_field: str, store_field: str
    ) -> QuerySet[M]:
        return queryset.filter(self.q(unit_path_field=unit_path_field, store_field=store_field))

    @property
    def label(self) -> str:
        if self.everything:
            return "operator"
        if self.store_id is not None:
            return f"store:{self.store_id}"
        if self.unit_path is not None:
            return f"unit:{self.unit_path}"
        return "none"


NOTHING = Scope()


def scope_for(user: Any) -> Scope:
    """The scope of a signed-in user: decided here and nowhere else."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Scope(everything=True)
    staff: Staff | None = getattr(user, "staff", None)
    if staff is None:
        return NOTHING
    if staff.role in OPERATOR_WIDE_ROLES:
        return Scope(everything=True)
    if staff.role == Role.CLERK:
        if staff.store_id is None:
            return NOTHING
        return Scope(store_id=staff.store_id)
    return Scope(unit_path=staff.unit.path)


def ids_within(visible: QuerySet[Any], ids: list[int]) -> set[int]:
    """Which of ``ids`` the scoped queryset ``visible`` holds (no query for none): for lists
    that show every row of an in-scope parent but link only to what the reader may open."""
    if not ids:
        return set()
    if not visible.query.has_filters():  # a reader who sees everything of the kind
        return set(ids)
    return set(visible.filter(pk__in=ids).values_list("pk", flat=True))


def first_or_404(found: QuerySet[M], what: str = "") -> M:
    """The one row of the already scoped, filtered ``found``; 404 when it holds none.

    The 404 never says whether the row exists outside the reader's scope; ``what`` names
    the kind for the message ("no such work order")."""
    row = found.first()
    if row is None:
        raise Http404(f"no such {what}" if what else "not found")
    return row
