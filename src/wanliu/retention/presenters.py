"""Plain dicts of retention objects for the API (amounts as yuan strings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from wanliu.retention.models import (
    ALLOWED_TRANSITIONS,
    CancellationRequest,
    OfferGrant,
    RetentionCase,
    RetentionContact,
    RetentionOffer,
    Step,
    Transfer,
    WinBackEntry,
)
from wanliu.retention.selectors import missing_steps, recorded_steps_by_request


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def user_label(user: Any) -> str | None:
    if user is None:
        return None
    staff = getattr(user, "staff", None)
    return staff.name if staff is not None else user.get_username()


def grant_out(grant: OfferGrant) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "request_id": grant.request_id,
        "request_no": grant.request.request_no,
        "offer_code": grant.offer.code,
        "offer_name": grant.offer.name,
        "level": grant.level,
        "status": grant.status,
        "monthly_fee": money(grant.monthly_fee),
        "new_monthly_fee": money(grant.new_monthly_fee),
        "cost": money(grant.cost),
        "store_id": grant.store_id,
        "requested_by": user_label(grant.requested_by),
        "requested_at": grant.requested_at,
        "note": grant.note,
        "expires_at": grant.expires_at,
        "decided_by": user_label(grant.decided_by),
        "decided_at": grant.decided_at,
        "decision_note": grant.decision_note,
    }


def contact_out(contact: RetentionContact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "request_id": contact.request_id,
        "win_back_id": contact.win_back_id,
        "purpose": contact.purpose,
        "channel": contact.channel,
        "due_at": contact.due_at,
        "status": contact.status,
        "note": contact.note,
        "result": contact.result,
    }


def contact_item(contact: RetentionContact, *, now: dt.datetime) -> dict[str, Any]:
    """A contact of the follow-up queue (its request, customer and store loaded)."""
    request = contact.request
    return {
        **contact_out(contact),
        "request_no": request.request_no,
        "customer_id": request.customer_id,
        "customer_name": request.customer.name,
        "store_id": request.store_id,
        "store_name": request.store.name if request.store is not None else None,
        "scheduled_at": contact.scheduled_at,
        "done_at": contact.done_at,
        "overdue": contact.status == RetentionContact.Status.PLANNED and contact.due_at < now,
    }


def win_back_out(entry: WinBackEntry, *, contacts: int | None = None) -> dict[str, Any]:
    if contacts is None:
        contacts = getattr(entry, "contacts_made", None)
    if contacts is None:
        contacts = entry.contacts.count()
    return {
        "id": entry.pk,
        "request_id": entry.request_id,
        "request_no": entry.request.request_no,
        "customer_id": entry.customer_id,
        "customer_name": entry.customer.name,
        "store_id": entry.request.store_id,
        "allowed_recontact_on": entry.allowed_recontact_on,
        "period_ends_on": entry.period_ends_on,
        "contact_channel": entry.contact_channel,
        "status": entry.status,
        "outcome_note": entry.outcome_note,
        "outcome_at": entry.outcome_at,
        "contacts": contacts,
    }


def request_item(
    request: CancellationRequest, *, recorded: set[int], transfers_out: int
) -> dict[str, Any]:
    return {
        "id": request.pk,
        "request_no": request.request_no,
        "kind": request.kind,
        "target": request.target,
        "channel": request.channel,
        "status": request.status,
        "outcome": request.outcome,
        "customer_id": request.customer_id,
        "customer_name": request.customer.name,
        "store_id": request.store_id,
        "store_name": request.store.name if request.store is not None else None,
        "origin_store_id": request.origin_store_id,
        "opened_at": request.opened_at,
        "due_at": request.due_at,
        "insisted_at": request.insisted_at,
        "refusal_flagged_at": request.refusal_flagged_at,
        "reason": request.reason,
        "steps_recorded": sorted(recorded),
        "missing_steps": missing_steps(request, recorded),
        "transfers_out": transfers_out,
    }


def request_items(requests: list[CancellationRequest]) -> list[dict[str, Any]]:
    ids = [r.pk for r in requests]
    recorded = recorded_steps_by_request(ids)
    pushed = dict(
        Transfer.objects.filter(request_id__in=ids)
        .values("request_id")
        .annotate(n=Count("id", filter=Q(kind=Transfer.Kind.TRANSFER)))
        .values_list("request_id", "n")
    )
    return [
        request_item(r, recorded=recorded[r.pk], transfers_out=pushed.get(r.pk, 0))
        for r in requests
    ]


def request_detail(request: CancellationRequest) -> dict[str, Any]:
    steps = list(request.step_records.select_related("recorded_by__staff").order_by("step"))
    transfers = list(request.transfers.all())
    out = request_item(
        request,
        recorded={s.step for s in steps},
        transfers_out=sum(1 for t in transfers if t.kind == Transfer.Kind.TRANSFER),
    )
    entry = (
        WinBackEntry.objects.filter(request=request).select_related("customer", "request").first()
    )
    out.update(
        {
            "account_id": request.account_id,
            "subscription_id": request.subscription_id,
            "line_id": request.line_id,
            "unit_id": request.unit_id,
            "mood": request.mood,
            "stated_complaint": request.stated_complaint,
            "current_monthly_fee": money(request.current_monthly_fee),
            "service_issue": request.service_issue,
            "pain_point": request.pain_point,
            "route": request.route,
            "competitor": (
                {
                    "operator": request.competitor_operator,
                    "promo_monthly": money(request.competitor_promo_monthly),
                    "promo_months": request.competitor_promo_months,
                    "regular_monthly": money(request.competitor_regular_monthly),
                    "conditions": request.competitor_conditions,
                    "switchers_only": request.competitor_switchers_only,
                    "promotion_id": request.competitor_promotion_id,
                }
                if request.has_competitor_offer
                else None
            ),
            "words_used": request.words_used,
            "accepted_grant_id": request.accepted_grant_id,
            "new_plan_code": request.new_plan.code
            if request.new_plan_id and request.new_plan
            else None,
            "outcome_note": request.outcome_note,
            "closed_at": request.closed_at,
            "allowed_transitions": sorted(ALLOWED_TRANSITIONS[request.status]),
            "steps": [
                {
                    "step": s.step,
                    "name": str(Step(s.step).label),
                    "recorded_by": user_label(s.recorded_by),
                    "recorded_at": s.recorded_at,
                    "data": s.data,
                }
                for s in steps
            ],
            "status_changes": [
                {
                    "from_status": c.from_status,
                    "to_status": c.to_status,
                    "at": c.at,
                    "actor": user_label(c.actor),
                    "note": c.note,
                }
                for c in request.status_changes.select_related("actor__staff")
            ],
            "transfers": [
                {
                    "kind": t.kind,
                    "from_store_id": t.from_store_id,
                    "to_store_id": t.to_store_id,
                    "reason": t.reason,
                    "at": t.at,
                }
                for t in transfers
            ],
            "grants": [
                grant_out(g)
                for g in request.grants.select_related(
                    "offer", "request", "requested_by__staff", "decided_by__staff"
                )
            ],
            "fast_lane": [
                {
                    "id": t.pk,
                    "ticket_no": t.ticket_no,
                    "issue": t.issue,
                    "description": t.description,
                    "status": t.status,
                    "opened_at": t.opened_at,
                    "resolved_at": t.resolved_at,
                    "resolution": t.resolution,
                }
                for t in request.fast_lane_tickets.all()
            ],
            "contacts": [contact_out(c) for c in request.contacts.all()],
            "win_back": None if entry is None else win_back_out(entry),
        }
    )
    return out


def offer_out(offer: RetentionOffer) -> dict[str, Any]:
    return {
        "code": offer.code,
        "name": offer.name,
        "name_en": offer.name_en,
        "level": offer.level,
        "discount_pct": money(offer.discount_pct),
        "amount_off": money(offer.amount_off),
        "months": offer.months,
        "free_months": offer.free_months,
        "bonus_data_gb": money(offer.bonus_data_gb),
        "device_subsidy": money(offer.device_subsidy),
        "min_tenure_months": offer.min_tenure_months,
        "value_tiers": offer.value_tier_list,
        "plan_families": offer.plan_family_list,
        "monthly_budget_per_store": money(offer.monthly_budget_per_store),
        "talking_points": offer.talking_points,
    }


def case_out(case: RetentionCase) -> dict[str, Any]:
    return {
        "id": case.pk,
        "title": case.title,
        "reason": case.reason,
        "service_issue": case.service_issue,
        "outcome": case.outcome,
        "situation": case.situation,
        "words_used": case.words_used,
        "offer_summary": case.offer_summary,
        "customer_profile": case.customer_profile,
        "comparison": case.comparison,
        "published_at": case.published_at,
    }
