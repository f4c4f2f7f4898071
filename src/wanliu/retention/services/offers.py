"""The offer ladder at work: level-1 grants, level-2 approvals by the branch (一级/二级维挽),
budgets per store and month, approval expiry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.customers.selectors import month_start
from wanliu.org.models import OrgUnit, Role
from wanliu.retention.access import can_approve, can_grant, can_work
from wanliu.retention.comparison import offer_month_amount
from wanliu.retention.models import (
    CancellationRequest,
    OfferGrant,
    OfferLevel,
    RetentionOffer,
    Status,
)
from wanliu.retention.selectors import (
    budget_used,
    customer_plan_families,
    offer_ineligibility,
    offer_terms,
    retention_policy_current,
)
from wanliu.retention.services.errors import (
    ApprovalClosed,
    BudgetExhausted,
    IllegalTransition,
    NotAllowed,
    OfferNotEligible,
    StepIncomplete,
)
from wanliu.retention.services.requests import conversation_start, status_label

ZERO = Decimal("0.00")


def grant_cost(*, offer: RetentionOffer, monthly_fee: Decimal) -> tuple[Decimal, Decimal]:
    """``(new monthly fee, total concession)``: what the offer takes off ``monthly_fee`` over
    its months (the comparison engine's amounts, to the fen) plus the device subsidy."""
    terms = offer_terms(offer)
    months = max(terms.months, terms.free_months)
    concession = sum(
        (
            monthly_fee - offer_month_amount(current_monthly=monthly_fee, offer=terms, month=m)
            for m in range(1, months + 1)
        ),
        ZERO,
    )
    first_paid = terms.free_months + 1 if terms.free_months < months else 1
    new_fee = offer_month_amount(current_monthly=monthly_fee, offer=terms, month=first_paid)
    return new_fee, (concession + offer.device_subsidy).quantize(Decimal("0.01"))


def _prepare(
    *, request: CancellationRequest, offer: RetentionOffer, now: dt.datetime
) -> tuple[CancellationRequest, int, Decimal, Decimal]:
    req = (
        CancellationRequest.objects.select_for_update(of=("self",))
        .select_related("store", "unit", "customer")
        .get(pk=request.pk)
    )
    if req.status not in (Status.OPENED, Status.IN_CONVERSATION, Status.COOLING_OFF):
        raise IllegalTransition(
            _("Offers are made during the conversation; the request is %(status)s.")
            % {"status": status_label(req.status)}
        )
    if req.current_monthly_fee is None:
        raise StepIncomplete(
            _("Record step 2 (the consumption) first: the offer applies to the current fee."),
            field="step2",
        )
    offer = RetentionOffer.objects.select_for_update().get(pk=offer.pk)
    why_not = offer_ineligibility(
        offer,
        customer=req.customer,
        today=timezone.localdate(now),
        families=customer_plan_families(req.customer),
    )
    if why_not:
        raise OfferNotEligible(
            _("%(name)s: %(why_not)s.") % {"name": offer.name, "why_not": why_not}
        )
    new_fee, cost = grant_cost(offer=offer, monthly_fee=req.current_monthly_fee)
    if offer.monthly_budget_per_store is not None:
        month = month_start(timezone.localdate(now))
        used = budget_used(offer=offer, store=req.store, month=month)
        budget = offer.monthly_budget_per_store
        if used + cost > budget:
            where = req.store.name if req.store is not None else "the hotline"
            raise BudgetExhausted(
                _(
                    "The monthly budget of %(name)s at %(where)s is used up: %(used)s of "
                    "%(budget)s yuan granted this month, this grant needs %(cost)s yuan."
                )
                % {"name": offer.name, "where": where, "used": used, "budget": budget, "cost": cost}
            )
    return req, offer.level, new_fee, cost


def _create(
    *,
    req: CancellationRequest,
    offer: RetentionOffer,
    actor: Any,
    status: str,
    new_fee: Decimal,
    cost: Decimal,
    note: str,
    now: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> OfferGrant:
    assert req.current_monthly_fee is not None
    return OfferGrant.objects.create(
        request=req,
        offer=offer,
        level=offer.level,
        status=status,
        store=req.store,
        budget_month=month_start(timezone.localdate(now)),
        monthly_fee=req.current_monthly_fee,
        new_monthly_fee=new_fee,
        cost=cost,
        terms={
            "code": offer.code,
            "name": offer.name,
            "discount_pct": f"{offer.discount_pct:.2f}",
            "amount_off": f"{offer.amount_off:.2f}",
            "months": offer.months,
            "free_months": offer.free_months,
            "bonus_data_gb": f"{offer.bonus_data_gb:.2f}",
            "device_subsidy": f"{offer.device_subsidy:.2f}",
        },
        requested_by=actor,
        requested_at=now,
        note=note.strip()[:300],
        expires_at=expires_at,
        decided_by=actor if status != OfferGrant.Status.PENDING else None,
        decided_at=now if status != OfferGrant.Status.PENDING else None,
    )


def _grant_snapshot(grant: OfferGrant) -> dict[str, Any]:
    return {
        "offer": grant.offer_id,
        "level": grant.level,
        "status": grant.status,
        "cost": f"{grant.cost:.2f}",
        "new_monthly_fee": f"{grant.new_monthly_fee:.2f}",
        "store": grant.store_id,
    }


@transaction.atomic
def offer_grant(
    *,
    request: CancellationRequest,
    offer: RetentionOffer,
    actor: Any,
    note: str = "",
    now: dt.datetime | None = None,
) -> OfferGrant:
    """Grant an offer at once: level 1 by whoever works the request; level 2 only by a
    branch manager (or above) of the request's branch. A clerk asks for a level-2 approval
    with :func:`offer_approval_request` instead."""
    now = now or timezone.now()
    if not can_grant(actor, request, level=offer.level):
        if offer.level == OfferLevel.LEVEL_2 and can_work(actor, request):
            raise NotAllowed(
                _(
                    "A level-2 offer needs the approval of a branch manager of this "
                    "branch: ask for approval."
                )
            )
        raise NotAllowed(_("You may not grant offers on this request."))
    req, level, new_fee, cost = _prepare(request=request, offer=offer, now=now)
    req = conversation_start(request=req, actor=actor, now=now)
    status = (
        OfferGrant.Status.GRANTED if level == OfferLevel.LEVEL_1 else OfferGrant.Status.APPROVED
    )
    grant = _create(
        req=req,
        offer=offer,
        actor=actor,
        status=status,
        new_fee=new_fee,
        cost=cost,
        note=note,
        now=now,
    )
    audit_record(
        actor=actor, action="retention.grant.grant", obj=grant, after=_grant_snapshot(grant)
    )
    return grant


@transaction.atomic
def offer_approval_request(
    *,
    request: CancellationRequest,
    offer: RetentionOffer,
    actor: Any,
    note: str = "",
    now: dt.datetime | None = None,
) -> OfferGrant:
    """Ask the branch to approve a level-2 offer. The grant waits in the approval queue of
    the branch managers of the request's branch (who are notified) until it is approved,
    rejected or expires; its concession is reserved in the store's budget meanwhile."""
    now = now or timezone.now()
    if not can_work(actor, request):
        raise NotAllowed(
            _("You may not work on this request: it is handled by another store or team.")
        )
    if offer.level != OfferLevel.LEVEL_2:
        raise StepIncomplete(_("A level-1 offer needs no approval: grant it."), field="offer")
    if not note.strip():
        raise StepIncomplete(_("Tell the approver why this offer is needed."), field="note")
    pending = OfferGrant.objects.filter(
        request=request, offer=offer, status=OfferGrant.Status.PENDING
    ).first()
    if pending is not None:
        raise ApprovalClosed(_("This offer is already waiting for approval."))
    req, _level, new_fee, cost = _prepare(request=request, offer=offer, now=now)
    req = conversation_start(request=req, actor=actor, now=now)
    policy = retention_policy_current()
    grant = _create(
        req=req,
        offer=offer,
        actor=actor,
        status=OfferGrant.Status.PENDING,
        new_fee=new_fee,
        cost=cost,
        note=note,
        now=now,
        expires_at=now + dt.timedelta(hours=policy.approval_expiry_hours),
    )
    audit_record(
        actor=actor,
        action="retention.grant.request_approval",
        obj=grant,
        after={**_grant_snapshot(grant), "expires_at": grant.expires_at.isoformat()},  # type: ignore[union-attr]
        note=note[:255],
    )
    _approvers_notify(grant=grant, request=req)
    return grant


def approvers_of(request: CancellationRequest) -> list[Any]:
    """Branch managers of the request's branch and of the units above it."""
    ids = [int(part) for part in request.unit.path.strip("/").split("/") if part]
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            is_active=True,
            staff__role=Role.BRANCH_MANAGER,
            staff__unit_id__in=ids,
            staff__unit__kind__in=[OrgUnit.Kind.BRANCH, OrgUnit.Kind.CITY_COMPANY],
        ).select_related("staff")
    )


def _approvers_notify(*, grant: OfferGrant, request: CancellationRequest) -> int:
    """The approval queue page is the in-app notice; approvers with an e-mail address also
    get one through the notify outbox when that app is installed."""
    if find_spec("wanliu.notify.services") is None:
        return 0
    message_enqueue = getattr(import_module("wanliu.notify.services"), "message_enqueue", None)
    if message_enqueue is None:
        return 0
    sent = 0
    for approver in approvers_of(request):
        if not approver.email:
            continue
        message_enqueue(
            channel="email",
            recipient=approver.email,
            subject=_("Level-2 retention offer waiting for your approval: %(request)s")
            % {"request": request.request_no},
            body=_(
                "%(offer)s for request %(request)s (new monthly fee %(fee)s yuan, concession "
                "%(cost)s yuan). Why: %(note)s. Decide before %(expires)s in the approval "
                "queue of the retention desk."
            )
            % {
                "offer": grant.offer.name,
                "request": request.request_no,
                "fee": grant.new_monthly_fee,
                "cost": grant.cost,
                "note": grant.note,
                "expires": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M")
                if grant.expires_at
                else "",
            },
            idempotency_key=f"retention.approval.{grant.pk}.{approver.pk}",
            related=grant,
            urgent=True,
        )
        sent += 1
    return sent


def offer_approval_decide(
    *,
    grant: OfferGrant,
    actor: Any,
    approve: bool,
    note: str = "",
    now: dt.datetime | None = None,
) -> OfferGrant:
    """Approve or reject a pending level-2 grant. Only a branch manager (or above) of the
    request's own branch decides; a grant past its expiry is recorded as expired instead."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            OfferGrant.objects.select_for_update(of=("self",))
            .select_related("request", "request__unit")
            .get(pk=grant.pk)
        )
        expired = (
            locked.status == OfferGrant.Status.PENDING
            and locked.expires_at is not None
            and locked.expires_at <= now
            and can_approve(actor, locked.request)
        )
        if expired:
            _expire(locked, now=now, actor=actor)  # kept: the refusal below is outside
    if expired:
        raise ApprovalClosed(_("The approval expired before the decision."))
    return _decide(grant=grant, actor=actor, approve=approve, note=note, now=now)


@transaction.atomic
def _decide(
    *, grant: OfferGrant, actor: Any, approve: bool, note: str, now: dt.datetime
) -> OfferGrant:
    grant = (
        OfferGrant.objects.select_for_update(of=("self",))
        .select_related("request", "request__unit", "request__store", "offer")
        .get(pk=grant.pk)
    )
    if not can_approve(actor, grant.request):
        raise NotAllowed(_("Only a branch manager of this request's branch may decide."))
    if grant.status != OfferGrant.Status.PENDING:
        raise ApprovalClosed(
            _("The approval is already %(get_status_display)s.")
            % {"get_status_display": grant.get_status_display()}
        )
    if not approve and not note.strip():
        raise StepIncomplete(_("Say why the offer is rejected."), field="note")
    grant.status = OfferGrant.Status.APPROVED if approve else OfferGrant.Status.REJECTED
    grant.decided_by = actor
    grant.decided_at = now
    grant.decision_note = note.strip()[:300]
    grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action="retention.grant.approve" if approve else "retention.grant.reject",
        obj=grant,
        before={"status": OfferGrant.Status.PENDING},
        after=_grant_snapshot(grant),
        note=note[:255],
    )
    return grant


def _expire(grant: OfferGrant, *, now: dt.datetime, actor: Any = None) -> None:
    grant.status = OfferGrant.Status.EXPIRED
    grant.decided_at = now
    grant.decision_note = "not decided within the approval time"
    grant.save(update_fields=["status", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action="retention.grant.expire",
        obj=grant,
        before={"status": OfferGrant.Status.PENDING},
        after={"status": grant.status},
        note=grant.decision_note,
    )


def offer_approvals_expire(*, now: dt.datetime | None = None) -> int:
    """Record every pending approval past its expiry as expired (safe to run twice)."""
    now = now or timezone.now()
    expired = 0
    ids = list(
        OfferGrant.objects.filter(
            status=OfferGrant.Status.PENDING, expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    for grant_id in ids:
        with transaction.atomic():
            grant = (
                OfferGrant.objects.select_for_update()
                .filter(pk=grant_id, status=OfferGrant.Status.PENDING)
                .first()
            )
            if grant is None:
                continue
            _expire(grant, now=now)
            expired += 1
    return expired
