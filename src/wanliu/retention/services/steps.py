"""The six steps (拆机挽留六步法): each records its required fields with actor and time.

A step may be recorded again (the record is replaced; the audit trail keeps both). Steps 1
to 4 run while the request is open and move an opened request into the conversation; step
5 (care) follows a retention, step 6 (part well) a cancellation, suspension or cooling off.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.customers.models import CompetitorPromotion
from wanliu.retention.access import can_work
from wanliu.retention.comparison import MAX_HORIZON_MONTHS, ComparisonError
from wanliu.retention.models import (
    OPEN_STATUSES,
    PROCESSED_STATUSES,
    RETAINED_STATUSES,
    CancellationRequest,
    Mood,
    Reason,
    RetentionContact,
    RetentionOffer,
    ServiceIssue,
    Status,
    Step,
    StepRecord,
    WinBackEntry,
)
from wanliu.retention.selectors import (
    offers_eligible,
    request_comparison,
    request_consumption,
    retention_policy_current,
)
from wanliu.retention.services.care import ContactPlan, retention_contact_schedule
from wanliu.retention.services.errors import IllegalTransition, NotAllowed, StepIncomplete
from wanliu.retention.services.requests import conversation_start, status_label

MAX_MONEY = Decimal("1000000")


def _locked(request: CancellationRequest) -> CancellationRequest:
    return (
        CancellationRequest.objects.select_for_update(of=("self",))
        .select_related("store", "unit", "customer", "customer__unit", "subscription__plan")
        .get(pk=request.pk)
    )


def _ensure(actor: Any, req: CancellationRequest, *, statuses: frozenset[str], step: int) -> None:
    if not can_work(actor, req):
        raise NotAllowed(
            _("You may not work on this request: it is handled by another store or team.")
        )
    if req.status not in statuses:
        raise IllegalTransition(
            _("Step %(step)s cannot be recorded on a request that is %(status)s.")
            % {"step": step, "status": status_label(req.status)}
        )


def _record(
    *,
    req: CancellationRequest,
    step: int,
    actor: Any,
    data: dict[str, Any],
    now: dt.datetime,
) -> StepRecord:
    existing = StepRecord.objects.filter(request=req, step=step).first()
    before = None if existing is None else {"data": existing.data, "by": existing.recorded_by_id}
    if existing is None:
        record = StepRecord.objects.create(
            request=req, step=step, recorded_by=actor, recorded_at=now, data=data
        )
    else:
        existing.recorded_by = actor
        existing.recorded_at = now
        existing.data = data
        existing.save(update_fields=["recorded_by", "recorded_at", "data"])
        record = existing
    audit_record(
        actor=actor,
        action=f"retention.step{step}.record",
        obj=req,
        before=before,
        after={"step": step, "data": data},
    )
    return record


@transaction.atomic
def step_calm_record(
    *,
    request: CancellationRequest,
    actor: Any,
    stated_complaint: str,
    mood: str,
    now: dt.datetime | None = None,
) -> StepRecord:
    """Step 1: the customer is calmed; what they say (their complaint) and their mood."""
    now = now or timezone.now()
    req = _locked(request)
    _ensure(actor, req, statuses=OPEN_STATUSES, step=1)
    complaint = stated_complaint.strip()
    if not complaint:
        raise StepIncomplete(_("Write down what the customer says."), field="stated_complaint")
    if mood not in Mood.values:
        raise StepIncomplete(_("Choose the customer's mood."), field="mood")
    req = conversation_start(request=req, actor=actor, now=now)
    req.stated_complaint = complaint
    req.mood = mood
    req.save(update_fields=["stated_complaint", "mood"])
    return _record(
        req=req,
        step=Step.CALM,
        actor=actor,
        data={"stated_complaint": complaint, "mood": mood},
        now=now,
    )


@transaction.atomic
def step_consumption_record(
    *,
    request: CancellationRequest,
    actor: Any,
    reviewed_with_customer: bool,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> StepRecord:
    """Step 2: the consumption was shown to the customer; the snapshot is kept and the
    current monthly fee becomes the comparison's starting point."""
    now = now or timezone.now()
    req = _locked(request)
    _ensure(actor, req, statuses=OPEN_STATUSES, step=2)
    if not reviewed_with_customer:
        raise StepIncomplete(
            _("Go through the consumption with the customer, then confirm."),
            field="reviewed_with_customer",
        )
    consumption = request_consumption(request=req, today=today or timezone.localdate())
    req = conversation_start(request=req, actor=actor, now=now)
    req.current_monthly_fee = consumption.target_monthly_fee
    req.save(update_fields=["current_monthly_fee"])
    return _record(
        req=req,
        step=Step.CONSUMPTION,
        actor=actor,
        data={"reviewed_with_customer": True, **consumption.snapshot()},
        now=now,
    )


def _money(value: Decimal | None, field: str, *, required: bool) -> Decimal | None:
    if value is None:
        if required:
            raise StepIncomplete(_("Required for a competitor's offer."), field=field)
        return None
    if value < 0 or value > MAX_MONEY or value != value.quantize(Decimal("0.01")):
        raise StepIncomplete(
            _("Give an amount in yuan (at most two decimals, not negative)."), field=field
        )
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def step_reason_record(
    *,
    request: CancellationRequest,
    actor: Any,
    reason: str,
    service_issue: str = "",
    pain_point: str = "",
    competitor_operator: str = "",
    competitor_promo_monthly: Decimal | None = None,
    competitor_promo_months: int | None = None,
    competitor_regular_monthly: Decimal | None = None,
    competitor_conditions: str = "",
    competitor_switchers_only: bool = False,
    competitor_promotion: CompetitorPromotion | None = None,
    now: dt.datetime | None = None,
) -> StepRecord:
    """Step 3: the real reason from the taxonomy; for a competitor's offer its operator,
    promotional price and months, regular price and conditions."""
    now = now or timezone.now()
    req = _locked(request)
    _ensure(actor, req, statuses=OPEN_STATUSES, step=3)
    if reason not in Reason.values:
        raise StepIncomplete(_("Choose the reason."), field="reason")
    if reason == Reason.SERVICE_QUALITY:
        if service_issue not in ServiceIssue.values:
            raise StepIncomplete(
                _("Choose what is wrong with the service: network, fault or staff."),
                field="service_issue",
            )
    else:
        service_issue = ""
    competitor = reason == Reason.COMPETITOR_OFFER
    operator = competitor_operator.strip()
    if competitor and not operator:
        raise StepIncomplete(_("Which operator made the offer?"), field="competitor_operator")
    promo = _money(competitor_promo_monthly, "competitor_promo_monthly", required=competitor)
    regular = _money(competitor_regular_monthly, "competitor_regular_monthly", required=competitor)
    months = competitor_promo_months
    if competitor and months is None:
        raise StepIncomplete(
            _("How many months does the promotion last?"), field="competitor_promo_months"
        )
    if months is not None and not 0 <= months <= MAX_HORIZON_MONTHS:
        raise StepIncomplete(
            _("Promotion months are 0 to %(MAX_HORIZON_MONTHS)s.")
            % {"MAX_HORIZON_MONTHS": MAX_HORIZON_MONTHS},
            field="competitor_promo_months",
        )
    if not competitor and regular is None:
        operator, promo, months = "", None, None
        competitor_conditions, competitor_switchers_only, competitor_promotion = "", False, None
    req = conversation_start(request=req, actor=actor, now=now)
    req.reason = reason
    req.service_issue = service_issue
    req.pain_point = pain_point.strip()
    req.competitor_operator = operator[:60]
    req.competitor_promo_monthly = promo
    req.competitor_promo_months = months
    req.competitor_regular_monthly = regular
    req.competitor_conditions = competitor_conditions.strip()[:200]
    req.competitor_switchers_only = competitor_switchers_only
    req.competitor_promotion = competitor_promotion
    req.save(
        update_fields=[
            "reason",
            "service_issue",
            "pain_point",
            "competitor_operator",
            "competitor_promo_monthly",
            "competitor_promo_months",
            "competitor_regular_monthly",
            "competitor_conditions",
            "competitor_switchers_only",
            "competitor_promotion",
        ]
    )
    data: dict[str, Any] = {
        "reason": reason,
        "service_issue": service_issue,
        "pain_point": req.pain_point,
        "route": req.route,
    }
    if regular is not None:
        data["competitor"] = {
            "operator": req.competitor_operator,
            "promo_monthly": None if promo is None else f"{promo:.2f}",
            "promo_months": months,
            "regular_monthly": f"{regular:.2f}",
            "conditions": req.competitor_conditions,
            "switchers_only": competitor_switchers_only,
            "promotion": competitor_promotion.pk if competitor_promotion else None,
        }
    return _record(req=req, step=Step.REASON, actor=actor, data=data, now=now)


@transaction.atomic
def step_compare_record(
    *,
    request: CancellationRequest,
    actor: Any,
    words_used: str,
    horizon_months: int | None = None,
    offers: list[RetentionOffer] | None = None,
    bill_explained: bool = False,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> StepRecord:
    """Step 4: compare and calculate (with the competitor's offer when there is one) and
    explain; the comparison shown and the words used are kept."""
    now = now or timezone.now()
    req = _locked(request)
    _ensure(actor, req, statuses=OPEN_STATUSES, step=4)
    words = words_used.strip()
    if not words:
        raise StepIncomplete(_("Write down what you told the customer."), field="words_used")
    policy = retention_policy_current()
    horizon = horizon_months or policy.comparison_horizon_months
    if not 1 <= horizon <= MAX_HORIZON_MONTHS:
        raise StepIncomplete(
            _("Compare over 1 to %(MAX_HORIZON_MONTHS)s months.")
            % {"MAX_HORIZON_MONTHS": MAX_HORIZON_MONTHS},
            field="horizon_months",
        )
    if offers is None:
        offers = offers_eligible(request=req, today=today)
    try:
        comparison = request_comparison(request=req, horizon_months=horizon, offers=offers)
    except ComparisonError as exc:
        raise StepIncomplete(exc.message, field=exc.field) from exc
    req = conversation_start(request=req, actor=actor, now=now)
    req.words_used = words
    req.save(update_fields=["words_used"])
    data: dict[str, Any] = {
        "words_used": words,
        "horizon_months": horizon,
        "offers": [o.code for o in offers],
        "bill_explained": bool(bill_explained),
        "comparison": comparison.as_dict() if comparison is not None else None,
    }
    return _record(req=req, step=Step.COMPARE, actor=actor, data=data, now=now)


@transaction.atomic
def step_care_record(
    *,
    request: CancellationRequest,
    actor: Any,
    contacts: list[ContactPlan],
    declined_note: str = "",
    now: dt.datetime | None = None,
) -> StepRecord:
    """Step 5: after a retention, the follow-up contacts (call or enterprise WeChat, with
    due times, within the contact policy); or why there is none (the customer declined or
    opted out)."""
    now = now or timezone.now()
    req = _locked(request)
    _ensure(actor, req, statuses=RETAINED_STATUSES, step=5)
    declined = declined_note.strip()
    if not contacts and not declined:
        raise StepIncomplete(
            _("Plan at least one follow-up contact, or say why there is none."), field="contacts"
        )
    scheduled = [
        retention_contact_schedule(
            request=req,
            actor=actor,
            purpose=RetentionContact.Purpose.CARE,
            channel=plan.channel,
            due_at=plan.due_at,
            note=plan.note,
            now=now,
        )
        for plan in contacts
    ]
    return _record(
        req=req,
        step=Step.CARE,
        actor=actor,
        data={
            "contacts": [
                {"id": c.pk, "channel": c.channel, "due_at": c.due_at.isoformat()}
                for c in scheduled
            ],
            "declined_note": declined,
        },
        now=now,
    )


@transaction.atomic
def step_part_well_record(
    *,
    request: CancellationRequest,
    actor: Any,
    allowed_recontact_on: dt.date,
    contact_channel: str = "",
    farewell_note: str = "",
    now: dt.datetime | None = None,
) -> StepRecord:
    """Step 6: the cancellation was processed (or the customer is cooling off); the door
    stays open: a win-back entry with the earliest day we may contact them again."""
    now = now or timezone.now()
    req = _locked(request)
    _ensure(actor, req, statuses=PROCESSED_STATUSES | {Status.COOLING_OFF}, step=6)
    policy = retention_policy_current()
    today = timezone.localdate(now)
    earliest = today + dt.timedelta(days=policy.win_back_min_days)
    if allowed_recontact_on < earliest:
        raise StepIncomplete(
            _(
                "The earliest re-contact date the policy allows is %(earliest)s "
                "(%(win_back_min_days)s days from today)."
            )
            % {"earliest": f"{earliest:%Y-%m-%d}", "win_back_min_days": policy.win_back_min_days},
            field="allowed_recontact_on",
        )
    opted_out = req.customer.marketing_opt_out
    status = WinBackEntry.Status.DO_NOT_CONTACT if opted_out else WinBackEntry.Status.WAITING
    period_ends_on = allowed_recontact_on + dt.timedelta(days=policy.win_back_period_days)
    entry, created = WinBackEntry.objects.update_or_create(
        request=req,
        defaults={
            "customer": req.customer,
            "allowed_recontact_on": allowed_recontact_on,
            "period_ends_on": period_ends_on,
            "contact_channel": contact_channel.strip()[:100],
            "status": status,
            "created_at": now,
        },
    )
    audit_record(
        actor=actor,
        action="retention.win_back.create" if created else "retention.win_back.update",
        obj=entry,
        after={
            "allowed_recontact_on": allowed_recontact_on.isoformat(),
            "period_ends_on": period_ends_on.isoformat(),
            "status": status,
        },
    )
    return _record(
        req=req,
        step=Step.PART_WELL,
        actor=actor,
        data={
            "processed": req.status in PROCESSED_STATUSES,
            "outcome": req.status,
            "win_back": entry.pk,
            "allowed_recontact_on": allowed_recontact_on.isoformat(),
            "opted_out": opted_out,
            "farewell_note": farewell_note.strip(),
        },
        now=now,
    )
