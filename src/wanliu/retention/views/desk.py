"""The retention desk: one request, its six steps, offers and outcome on one page.

Every action is a POST that parses a form, calls one service and re-renders the desk (the
``#desk`` fragment for htmx, the page after a redirect otherwise). A refused action shows
its reason next to the step it belongs to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wanliu.customers.models import CompetitorPromotion, Plan
from wanliu.customers.services import lines_in_service_by_kind, plan_shortfall
from wanliu.customers.templatetags.customers_display import bill_item_label
from wanliu.org.models import Store
from wanliu.retention.access import (
    can_approve,
    can_complete,
    can_grant,
    can_publish_case,
    can_work,
    cancellation_request_get_for,
)
from wanliu.retention.comparison import ComparisonError
from wanliu.retention.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    PROCESSED_STATUSES,
    RETAINED_STATUSES,
    CancellationRequest,
    FastLaneTicket,
    OfferGrant,
    OfferLevel,
    RetentionContact,
    Route,
    Status,
    Step,
    WinBackEntry,
)
from wanliu.retention.selectors import (
    bills_explained,
    budget_left,
    competitor_promotion_for,
    missing_steps,
    offers_eligible,
    request_comparison,
    request_consumption,
    retention_policy_current,
    stores_for_handover,
)
from wanliu.retention.services import (
    RetentionError,
    cancellation_request_close,
    cancellation_request_insist,
    cancellation_request_outcome,
    cancellation_request_transfer,
    fast_lane_ticket_open,
    fast_lane_ticket_resolve,
    grant_cost,
    offer_approval_request,
    offer_grant,
    retention_case_publish,
    retention_contact_complete,
    retention_contact_schedule,
    step_calm_record,
    step_care_record,
    step_compare_record,
    step_consumption_record,
    step_part_well_record,
    step_reason_record,
)
from wanliu.retention.views import forms as f
from wanliu.retention.views.compare import _result_context


def _language_en() -> bool:
    return (translation.get_language() or "").startswith("en")


def _horizon(request: HttpRequest, req: CancellationRequest, recorded: dict[int, Any]) -> int:
    raw = request.POST.get("horizon_months") or request.GET.get("horizon_months")
    if raw and raw.isdigit() and 1 <= int(raw) <= 120:
        return int(raw)
    if Step.COMPARE in recorded:
        return int(recorded[Step.COMPARE].data.get("horizon_months") or 24)
    return retention_policy_current().comparison_horizon_months


def _chosen_offer_codes(request: HttpRequest, recorded: dict[int, Any]) -> list[str] | None:
    source = request.POST if request.method == "POST" else request.GET
    if "offers" in source or source.get("offers_sent"):
        return source.getlist("offers")
    if Step.COMPARE in recorded:
        return list(recorded[Step.COMPARE].data.get("offers") or [])
    return None


def desk_context(
    request: HttpRequest,
    req: CancellationRequest,
    *,
    errors: dict[str, str] | None = None,
    forms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the desk shows for ``req`` (the caller already may see it)."""
    user = request.user
    now = timezone.now()
    records = {
        r.step: r for r in req.step_records.select_related("recorded_by__staff").order_by("step")
    }
    consumption = request_consumption(request=req)
    eligible = offers_eligible(request=req)
    codes = _chosen_offer_codes(request, records)
    compared = eligible if codes is None else [o for o in eligible if o.code in codes]
    horizon = _horizon(request, req, records)
    comparison_ctx: dict[str, Any] = {}
    comparison_error = ""
    try:
        comparison = request_comparison(
            request=req, horizon_months=horizon, offers=compared, language_en=_language_en()
        )
    except ComparisonError as exc:
        comparison, comparison_error = None, exc.message
    if comparison is not None:
        comparison_ctx = _result_context(comparison)
    month = timezone.localdate()
    offers = []
    for offer in eligible:
        new_fee = cost = None
        if req.current_monthly_fee is not None:
            new_fee, cost = grant_cost(offer=offer, monthly_fee=req.current_monthly_fee)
        offers.append(
            {
                "offer": offer,
                "name": (offer.name_en or offer.name) if _language_en() else offer.name,
                "new_fee": new_fee,
                "cost": cost,
                "budget_left": budget_left(offer=offer, store=req.store, month=month),
                "can_grant": can_grant(user, req, level=offer.level),
                "needs_approval": offer.level == OfferLevel.LEVEL_2 and not can_approve(user, req),
                "compared": offer in compared,
            }
        )
    grants = list(
        req.grants.select_related("offer", "requested_by__staff", "decided_by__staff").order_by(
            "requested_at", "id"
        )
    )
    promotion = competitor_promotion_for(customer=req.customer)
    reason_initial: dict[str, Any] = {
        "reason": req.reason,
        "service_issue": req.service_issue,
        "pain_point": req.pain_point,
        "competitor_operator": req.competitor_operator,
        "competitor_promo_monthly": req.competitor_promo_monthly,
        "competitor_promo_months": req.competitor_promo_months,
        "competitor_regular_monthly": req.competitor_regular_monthly,
        "competitor_conditions": req.competitor_conditions,
        "competitor_switchers_only": req.competitor_switchers_only,
        "competitor_promotion": req.competitor_promotion_id,
    }
    if not req.has_competitor_offer and promotion is not None:
        reason_initial.update(
            {
                "competitor_operator": promotion.competitor,
                "competitor_promo_monthly": promotion.promo_monthly,
                "competitor_promo_months": promotion.promo_months,
                "competitor_regular_monthly": promotion.regular_monthly,
                "competitor_conditions": promotion.description,
                "competitor_switchers_only": promotion.switchers_only,
                "competitor_promotion": promotion.pk,
            }
        )
    forms = forms or {}
    offer_choices = [(o.code, o.name) for o in eligible]
    today = timezone.localdate()
    policy = retention_policy_current()
    context = {
        "req": req,
        "now": now,
        "policy": policy,
        "records": records,
        "steps": [
            {"number": s.value, "label": s.label, "record": records.get(s.value)} for s in Step
        ],
        "missing": missing_steps(req, records.keys()),
        "consumption": consumption,
        "view": consumption.view,
        "usage3": consumption.usage_last_months(),
        "promotion": promotion,
        "offers": offers,
        "grants": grants,
        "effective_grants": [g for g in grants if g.is_effective],
        "pending_grants": [g for g in grants if g.status == OfferGrant.Status.PENDING],
        "horizon": horizon,
        "comparison_error": comparison_error,
        "fast_lane": list(req.fast_lane_tickets.all()),
        "transfers": list(req.transfers.select_related("from_store", "to_store")),
        "contacts": list(req.contacts.all()),
        "win_back": getattr(req, "win_back", None) if _has_win_back(req) else None,
        "status_changes": list(req.status_changes.select_related("actor__staff")),
        "bills": _bills(req) if req.route == Route.BILL_EXPLANATION else [],
        "handover_stores": stores_for_handover(exclude=req.store),
        "downgrade_plans": _cheaper_plans(req),
        "can_work": can_work(user, req),
        "can_complete": can_complete(user, req),
        "can_publish": can_publish_case(user) and req.outcome in RETAINED_STATUSES,
        "is_open": req.status in OPEN_STATUSES,
        "is_retained": req.status in RETAINED_STATUSES,
        "may_part_well": req.status in PROCESSED_STATUSES | {Status.COOLING_OFF},
        "allowed": ALLOWED_TRANSITIONS[req.status],
        "overdue": req.status in OPEN_STATUSES and req.due_at < now,
        "errors": errors or {},
        "calm_form": forms.get("calm")
        or f.CalmForm(initial={"stated_complaint": req.stated_complaint, "mood": req.mood}),
        "consumption_form": forms.get("consumption") or f.ConsumptionForm(),
        "reason_form": forms.get("reason") or f.ReasonForm(initial=reason_initial),
        "compare_form": forms.get("compare")
        or f.CompareForm(
            offer_choices=offer_choices,
            initial={
                "horizon_months": horizon,
                "offers": [o.code for o in compared],
                "words_used": req.words_used,
            },
        ),
        "care_form": forms.get("care")
        or f.CareForm(initial={"due_on": today + dt.timedelta(days=7), "channel": "wecom"}),
        "part_well_form": forms.get("part_well")
        or f.PartWellForm(
            initial={"allowed_recontact_on": today + dt.timedelta(days=policy.win_back_min_days)}
        ),
        "fast_lane_form": forms.get("fast_lane")
        or f.FastLaneForm(initial={"issue": req.service_issue or "fault"}),
        "contact_form": forms.get("contact")
        or f.ContactForm(initial={"due_on": today + dt.timedelta(days=7)}),
    }
    context.update(comparison_ctx)
    return context


def _has_win_back(req: CancellationRequest) -> bool:
    return WinBackEntry.objects.filter(request=req).exists()


def _bills(req: CancellationRequest) -> list[dict[str, Any]]:
    bills = bills_explained(request=req)
    out = []
    for bill in bills:
        previous = next(
            (b for b in bills if b.account_id == bill.account_id and b.month < bill.month), None
        )
        items = []
        for code, raw in (bill.items or {}).items():
            try:
                items.append((bill_item_label(code), Decimal(str(raw))))
            except InvalidOperation:
                continue
        items.sort(key=lambda pair: -abs(pair[1]))
        out.append(
            {
                "bill": bill,
                "items": items,
                "change": None if previous is None else bill.total - previous.total,
            }
        )
    return out


def _cheaper_plans(req: CancellationRequest) -> list[Plan]:
    if req.current_monthly_fee is None:
        return []
    family = None
    subscription = req.subscription or (req.line.subscription if req.line is not None else None)
    if subscription is not None:
        family = subscription.plan.family
    plans = Plan.objects.filter(on_sale=True, monthly_fee__lt=req.current_monthly_fee)
    if family:
        plans = plans.filter(family=family)
    ordered = plans.order_by("-monthly_fee")
    if subscription is None:
        return list(ordered[:8])
    kinds = lines_in_service_by_kind(subscription)
    return [p for p in ordered if plan_shortfall(subscription, p, kinds) is None][:8]


def _render(
    request: HttpRequest,
    req: CancellationRequest,
    *,
    errors: dict[str, str] | None = None,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    template = "retention/_desk.html" if partial else "retention/desk.html"
    context = desk_context(request, req, errors=errors, forms=forms)
    # htmx swaps only 2xx answers: a refused action re-renders the desk with its message.
    return render(request, template, context, status=200 if partial else status)


@login_required
@require_GET
def desk(request: HttpRequest, request_id: int) -> HttpResponse:
    return _render(request, cancellation_request_get_for(request.user, request_id))


@login_required
@require_GET
def desk_comparison(request: HttpRequest, request_id: int) -> HttpResponse:
    """Step 4's comparison for another horizon or set of offers (htmx fragment)."""
    req = cancellation_request_get_for(request.user, request_id)
    return render(request, "retention/_desk_comparison.html", desk_context(request, req))


# --- actions ------------------------------------------------------------------------------

Action = Callable[[HttpRequest, CancellationRequest], Any]


def _form_or_error(form: Any, key: str) -> None:
    if not form.is_valid():
        raise _FormInvalid(key, form)


class _FormInvalid(Exception):
    def __init__(self, key: str, form: Any) -> None:
        self.key = key
        self.form = form
        super().__init__(f.first_error(form))


def _calm(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.CalmForm(request.POST)
    _form_or_error(form, "calm")
    step_calm_record(request=req, actor=request.user, **form.cleaned_data)


def _consumption(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.ConsumptionForm(request.POST)
    _form_or_error(form, "consumption")
    step_consumption_record(request=req, actor=request.user, reviewed_with_customer=True)


def _reason(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.ReasonForm(request.POST)
    _form_or_error(form, "reason")
    d = form.cleaned_data
    promotion = None
    if d.get("competitor_promotion"):
        promotion = CompetitorPromotion.objects.filter(pk=d["competitor_promotion"]).first()
    step_reason_record(
        request=req,
        actor=request.user,
        reason=d["reason"],
        service_issue=d.get("service_issue") or "",
        pain_point=d.get("pain_point") or "",
        competitor_operator=d.get("competitor_operator") or "",
        competitor_promo_monthly=d.get("competitor_promo_monthly"),
        competitor_promo_months=d.get("competitor_promo_months"),
        competitor_regular_monthly=d.get("competitor_regular_monthly"),
        competitor_conditions=d.get("competitor_conditions") or "",
        competitor_switchers_only=bool(d.get("competitor_switchers_only")),
        competitor_promotion=promotion,
    )


def _compare(request: HttpRequest, req: CancellationRequest) -> None:
    eligible = offers_eligible(request=req)
    form = f.CompareForm(request.POST, offer_choices=[(o.code, o.name) for o in eligible])
    _form_or_error(form, "compare")
    d = form.cleaned_data
    step_compare_record(
        request=req,
        actor=request.user,
        words_used=d.get("words_used") or "",
        horizon_months=d["horizon_months"],
        offers=[o for o in eligible if o.code in d.get("offers", [])],
        bill_explained=bool(d.get("bill_explained")),
    )


def _offer_of(request: HttpRequest, req: CancellationRequest) -> tuple[Any, str]:
    form = f.GrantForm(request.POST)
    _form_or_error(form, "offers")
    code = form.cleaned_data["offer"]
    offer = next((o for o in offers_eligible(request=req) if o.code == code), None)
    if offer is None:
        raise RetentionError(_("The customer is not eligible for this offer."))
    return offer, form.cleaned_data.get("note") or ""


def _grant(request: HttpRequest, req: CancellationRequest) -> None:
    offer, note = _offer_of(request, req)
    offer_grant(request=req, offer=offer, actor=request.user, note=note)


def _approval(request: HttpRequest, req: CancellationRequest) -> None:
    offer, note = _offer_of(request, req)
    offer_approval_request(request=req, offer=offer, actor=request.user, note=note)


def _outcome(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.OutcomeForm(request.POST)
    _form_or_error(form, "outcome")
    d = form.cleaned_data
    grant = None
    if d.get("grant"):
        grant = OfferGrant.objects.filter(pk=d["grant"], request=req).first()
    plan = Plan.objects.filter(code=d["new_plan"]).first() if d.get("new_plan") else None
    cancellation_request_outcome(
        request=req,
        outcome=d["outcome"],
        actor=request.user,
        grant=grant,
        new_plan=plan,
        note=d.get("note") or "",
    )


def _insist(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.InsistForm(request.POST)
    _form_or_error(form, "insist")
    d = form.cleaned_data
    to_store = None
    if d.get("to_store"):
        to_store = stores_for_handover().filter(pk=d["to_store"]).first()
    cancellation_request_insist(
        request=req, actor=request.user, to_store=to_store, note=d.get("note") or ""
    )


def _transfer(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.TransferForm(request.POST)
    _form_or_error(form, "transfer")
    to_store = Store.objects.filter(pk=form.cleaned_data["to_store"]).first()
    if to_store is None:
        raise RetentionError(_("Unknown store."))
    cancellation_request_transfer(
        request=req, to_store=to_store, actor=request.user, reason=form.cleaned_data["reason"]
    )


def _fast_lane(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.FastLaneForm(request.POST)
    _form_or_error(form, "fast_lane")
    fast_lane_ticket_open(request=req, actor=request.user, **form.cleaned_data)


def _fast_lane_resolve(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.FastLaneResolveForm(request.POST)
    _form_or_error(form, "fast_lane")
    ticket = FastLaneTicket.objects.filter(pk=form.cleaned_data["ticket"], request=req).first()
    if ticket is None:
        raise RetentionError(_("Unknown fast-lane ticket."))
    fast_lane_ticket_resolve(
        ticket=ticket, actor=request.user, resolution=form.cleaned_data["resolution"]
    )


def _care(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.CareForm(request.POST)
    _form_or_error(form, "care")
    step_care_record(
        request=req,
        actor=request.user,
        contacts=form.contacts(),
        declined_note=form.cleaned_data.get("declined_note") or "",
    )


def _part_well(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.PartWellForm(request.POST)
    _form_or_error(form, "part_well")
    step_part_well_record(request=req, actor=request.user, **form.cleaned_data)


def _contact(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.ContactForm(request.POST)
    _form_or_error(form, "contacts")
    entry = WinBackEntry.objects.filter(request=req).first()
    purpose = (
        RetentionContact.Purpose.WIN_BACK if entry is not None else RetentionContact.Purpose.CARE
    )
    retention_contact_schedule(
        request=req,
        actor=request.user,
        purpose=purpose,
        channel=form.cleaned_data["channel"],
        due_at=form.due_at(),
        note=form.cleaned_data.get("note") or "",
        win_back=entry,
    )


def _contact_done(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.ContactDoneForm(request.POST)
    _form_or_error(form, "contacts")
    contact = req.contacts.filter(pk=form.cleaned_data["contact"]).first()
    if contact is None:
        raise RetentionError(_("Unknown contact."))
    retention_contact_complete(
        contact=contact,
        actor=request.user,
        status=form.cleaned_data["status"],
        result=form.cleaned_data.get("result") or "",
    )


def _close(request: HttpRequest, req: CancellationRequest) -> None:
    cancellation_request_close(request=req, actor=request.user, note=request.POST.get("note", ""))


def _publish(request: HttpRequest, req: CancellationRequest) -> None:
    form = f.PublishForm(request.POST)
    _form_or_error(form, "publish")
    retention_case_publish(request=req, actor=request.user, title=form.cleaned_data["title"])


ACTIONS: dict[str, tuple[str, Action]] = {
    # action: (where its errors show, handler)
    "calm": ("calm", _calm),
    "consumption": ("consumption", _consumption),
    "reason": ("reason", _reason),
    "compare": ("compare", _compare),
    "grant": ("offers", _grant),
    "approval": ("offers", _approval),
    "outcome": ("outcome", _outcome),
    "insist": ("insist", _insist),
    "transfer": ("transfer", _transfer),
    "fast-lane": ("fast_lane", _fast_lane),
    "fast-lane-resolve": ("fast_lane", _fast_lane_resolve),
    "care": ("care", _care),
    "part-well": ("part_well", _part_well),
    "contact": ("contacts", _contact),
    "contact-done": ("contacts", _contact_done),
    "close": ("outcome", _close),
    "publish": ("publish", _publish),
}


@login_required
@require_POST
def desk_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    req = cancellation_request_get_for(request.user, request_id)
    if action not in ACTIONS:
        return HttpResponse(status=404)
    where, handler = ACTIONS[action]
    try:
        handler(request, req)
    except _FormInvalid as exc:
        return _render(
            request,
            req,
            errors={where: str(exc)},
            forms={exc.key: exc.form},
            status=400,
        )
    except RetentionError as exc:
        return _render(request, req, errors={where: exc.message}, status=exc.http_status)
    except DjangoValidationError as exc:
        return _render(request, req, errors={where: "; ".join(exc.messages)}, status=400)
    after = _reloaded(request, req)
    if after is None:
        if request.htmx:  # type: ignore[attr-defined]
            return HttpResponse(headers={"HX-Redirect": reverse("retention:requests")})
        return redirect("retention:requests")
    if request.htmx:  # type: ignore[attr-defined]
        return _render(request, after)
    return redirect("retention:desk", request_id=after.pk)


def _reloaded(request: HttpRequest, req: CancellationRequest) -> CancellationRequest | None:
    """The request after the action; None when it left the caller's scope (a transfer)."""
    try:
        return cancellation_request_get_for(request.user, req.pk)
    except Http404:
        return None
