"""Who may see and do what on the retention desk: decided here and nowhere else.

Seeing follows ``wanliu.org.scoping``: a clerk sees the requests of their store (the one
handling it or the one it was opened at), grid leads and branch managers their subtree, the
hotline and the service department everything. Objects out of scope answer 404.

Doing follows the permissions of the user's role group (``wanliu.org.roles``; the
codenames are those of ``CancellationRequest``) and the place:
a clerk works the requests of their own store, only a direct-operated store completes a
cancellation, and only a branch manager of the request's own branch (or a unit above it)
approves a level-2 offer.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from wanliu.org.models import OrgUnit, Role, Staff
from wanliu.org.scoping import first_or_404, scope_for
from wanliu.retention.models import (
    CancellationRequest,
    Channel,
    FastLaneTicket,
    OfferGrant,
    RetentionContact,
    WinBackEntry,
)

WORK = "work_cancellationrequest"
COMPLETE = "complete_cancellation"
GRANT_LEVEL_1 = "grant_level1_offer"
APPROVE_LEVEL_2 = "approve_level2_offer"
SUPERVISE = "supervise_retention"
PUBLISH_CASE = "publish_retentioncase"

APPROVER_UNIT_KINDS = {OrgUnit.Kind.BRANCH, OrgUnit.Kind.CITY_COMPANY}


def staff_of(user: Any) -> Staff | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "staff", None)


def _is_admin(user: Any) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    staff = staff_of(user)
    return staff is not None and staff.role == Role.ADMIN


def has_authority(user: Any, codename: str) -> bool:
    """Does a permission of the user's role groups allow ``codename``?

    The role → permission table is ``wanliu.org.roles.ROLE_PERMISSIONS``.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.has_perm(f"retention.{codename}"))


# --- seeing -----------------------------------------------------------------------------


def cancellation_requests_visible_to(user: Any) -> QuerySet[CancellationRequest]:
    """Every request the user may see: handled or opened in their store, or in their subtree."""
    scope = scope_for(user)
    q = scope.q(unit_path_field="unit__path", store_field="store_id") | scope.q(
        unit_path_field="unit__path", store_field="origin_store_id"
    )
    return CancellationRequest.objects.filter(q)


def cancellation_request_get_for(user: Any, request_id: int) -> CancellationRequest:
    """The request if the user may see it; 404 otherwise (never says it exists)."""
    return first_or_404(
        cancellation_requests_visible_to(user)
        .select_related(
            "customer",
            "customer__store",
            "customer__unit",
            "account",
            "subscription__plan",
            "line__subscription__plan",
            "store",
            "origin_store",
            "unit",
            "opened_by__staff",
            "accepted_grant__offer",
            "new_plan",
        )
        .filter(pk=request_id),
        "cancellation request",
    )


def offer_grants_visible_to(user: Any) -> QuerySet[OfferGrant]:
    return OfferGrant.objects.filter(request__in=cancellation_requests_visible_to(user))


def offer_grant_get_for(user: Any, grant_id: int) -> OfferGrant:
    return first_or_404(
        offer_grants_visible_to(user)
        .select_related("request", "request__unit", "request__store", "offer", "store")
        .filter(pk=grant_id),
        "offer grant",
    )


def fast_lane_ticket_get_for(user: Any, ticket_id: int) -> FastLaneTicket:
    return first_or_404(
        FastLaneTicket.objects.filter(request__in=cancellation_requests_visible_to(user))
        .select_related("request", "request__store", "request__unit")
        .filter(pk=ticket_id),
        "fast-lane ticket",
    )


def win_back_entries_visible_to(user: Any) -> QuerySet[WinBackEntry]:
    return WinBackEntry.objects.filter(request__in=cancellation_requests_visible_to(user))


def win_back_entry_get_for(user: Any, entry_id: int) -> WinBackEntry:
    return first_or_404(
        win_back_entries_visible_to(user)
        .select_related("request", "request__store", "request__unit", "customer")
        .filter(pk=entry_id),
        "win-back entry",
    )


def retention_contacts_visible_to(user: Any) -> QuerySet[RetentionContact]:
    """Care and win-back contacts of the requests the user may see: a clerk's store, a grid
    lead's or branch manager's subtree, everything for the operator-wide roles."""
    return RetentionContact.objects.filter(request__in=cancellation_requests_visible_to(user))


def retention_contact_get_for(user: Any, contact_id: int) -> RetentionContact:
    return first_or_404(
        retention_contacts_visible_to(user)
        .select_related(
            "request", "request__customer", "request__store", "request__unit", "win_back"
        )
        .filter(pk=contact_id),
        "retention contact",
    )


# --- doing ------------------------------------------------------------------------------


def can_work(user: Any, request: CancellationRequest) -> bool:
    """May the user run the conversation on this request (record steps, offer, outcome)?"""
    if not has_authority(user, WORK):
        return False
    if _is_admin(user):
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    if staff.role == Role.CLERK:
        return staff.store_id is not None and staff.store_id == request.store_id
    if staff.role == Role.HOTLINE_AGENT:
        return request.channel == Channel.HOTLINE and request.store_id is None
    return request.unit.path.startswith(staff.unit.path)


def can_complete(user: Any, request: CancellationRequest) -> bool:
    """Only a direct-operated store completes a cancellation or suspension."""
    if not has_authority(user, COMPLETE):
        return False
    store = request.store
    if store is None or not store.direct_operated:
        return False
    if _is_admin(user):
        return True
    staff = staff_of(user)
    return staff is not None and staff.store_id == store.pk


def can_approve(user: Any, request: CancellationRequest) -> bool:
    """A branch manager of the request's own branch (or of a unit above it) approves."""
    if not has_authority(user, APPROVE_LEVEL_2):
        return False
    if _is_admin(user):
        return True
    staff = staff_of(user)
    if staff is None or staff.unit.kind not in APPROVER_UNIT_KINDS:
        return False
    return request.unit.path.startswith(staff.unit.path)


def can_grant(user: Any, request: CancellationRequest, *, level: int) -> bool:
    if not can_work(user, request) or not has_authority(user, GRANT_LEVEL_1):
        return False
    return level == 1 or can_approve(user, request)


def can_supervise(user: Any) -> bool:
    return has_authority(user, SUPERVISE)


def can_publish_case(user: Any) -> bool:
    return has_authority(user, PUBLISH_CASE)


def can_open(user: Any) -> bool:
    return has_authority(user, WORK)


def approvals_pending_filter(user: Any) -> Q:
    """Pending grants the user may decide: those of requests in their branch subtree."""
    if _is_admin(user):
        return Q(status=OfferGrant.Status.PENDING)
    staff = staff_of(user)
    if (
        staff is None
        or not has_authority(user, APPROVE_LEVEL_2)
        or staff.unit.kind not in APPROVER_UNIT_KINDS
    ):
        return Q(pk__in=[])
    return Q(status=OfferGrant.Status.PENDING, request__unit__path__startswith=staff.unit.path)
