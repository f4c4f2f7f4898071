"""Reads of the retention desk, always scoped through ``wanliu.retention.access``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from wanliu.customers.models import Bill, CompetitorPromotion, Customer, Line, Subscription
from wanliu.customers.selectors import (
    Customer360,
    add_months,
    customer_360,
    month_start,
    tenure_months,
)
from wanliu.org.models import OrgUnit, Store
from wanliu.org.scoping import ids_within
from wanliu.retention.access import (
    approvals_pending_filter,
    cancellation_requests_visible_to,
    retention_contacts_visible_to,
    win_back_entries_visible_to,
)
from wanliu.retention.comparison import (
    Comparison,
    CompetitorOffer,
    OfferTerms,
    comparison_compute,
)
from wanliu.retention.models import (
    OPEN_STATUSES,
    OUTCOME_STATUSES,
    PROCESSED_STATUSES,
    REASON_ROUTE,
    RETAINED_STATUSES,
    UNPROCESSED_STATUSES,
    CancellationRequest,
    OfferGrant,
    RetentionCase,
    RetentionContact,
    RetentionOffer,
    RetentionPolicy,
    Route,
    Status,
    Step,
    StepRecord,
    Transfer,
    WinBackEntry,
)
from wanliu.scoring.presenters import churn_for_lines

ZERO = Decimal("0.00")


def retention_policy_current() -> RetentionPolicy:
    """The policy in force: the first row, or the built-in defaults when there is none."""
    return RetentionPolicy.objects.order_by("id").first() or RetentionPolicy()


# --- lists ------------------------------------------------------------------------------


def cancellation_request_list(
    *,
    user: Any,
    status: str = "",
    reason: str = "",
    store_id: int | None = None,
    flagged: bool | None = None,
    insisted: bool | None = None,
    transferred: bool | None = None,
    q: str = "",
    opened_from: dt.date | None = None,
    opened_to: dt.date | None = None,
) -> QuerySet[CancellationRequest]:
    """Requests in the user's scope, newest first. ``status`` may be a status or ``open``."""
    requests = cancellation_requests_visible_to(user).select_related(
        "customer", "store", "unit", "opened_by__staff"
    )
    if status == "open":
        requests = requests.filter(status__in=UNPROCESSED_STATUSES | {Status.COOLING_OFF})
    elif status:
        requests = requests.filter(status=status)
    if reason:
        requests = requests.filter(reason=reason)
    if store_id is not None:
        requests = requests.filter(Q(store_id=store_id) | Q(origin_store_id=store_id))
    if flagged is not None:
        requests = requests.filter(refusal_flagged_at__isnull=not flagged)
    if insisted is not None:
        requests = requests.filter(insisted_at__isnull=not insisted)
    if transferred is not None:
        pushed = Transfer.objects.filter(request=OuterRef("pk"), kind=Transfer.Kind.TRANSFER)
        requests = (
            requests.filter(Exists(pushed)) if transferred else requests.exclude(Exists(pushed))
        )
    if opened_from is not None:
        requests = requests.filter(opened_at__date__gte=opened_from)
    if opened_to is not None:
        requests = requests.filter(opened_at__date__lte=opened_to)
    text = q.strip()
    if text:
        requests = requests.filter(
            Q(request_no=text) | Q(customer__customer_no=text) | Q(customer__name__startswith=text)
        )
    return requests.order_by("-opened_at", "-id")


# --- the six steps ----------------------------------------------------------------------


def required_steps(request: CancellationRequest) -> set[int]:
    """The steps a request with its outcome must show (empty while there is no outcome).

    A customer who insists gets the cancellation at once: only parting well is owed then.
    Reasons that go straight to processing (moving, stolen phone, no longer needed) owe no
    comparison; a same-plan retention after a bill explanation owes none either.
    """
    outcome = request.outcome
    if outcome not in OUTCOME_STATUSES:
        return set()
    route = REASON_ROUTE.get(request.reason, Route.COMPARE)
    if outcome in RETAINED_STATUSES:
        steps = {Step.CALM, Step.CONSUMPTION, Step.REASON, Step.CARE}
        if outcome != Status.RETAINED_SAME_PLAN or route == Route.COMPARE:
            steps.add(Step.COMPARE)
        return {int(s) for s in steps}
    if outcome in PROCESSED_STATUSES and request.insisted_at is not None:
        return {int(Step.PART_WELL)}
    steps = {Step.CALM, Step.CONSUMPTION, Step.REASON, Step.PART_WELL}
    if outcome in PROCESSED_STATUSES and route != Route.PROCESS:
        steps.add(Step.COMPARE)
    return {int(s) for s in steps}


def missing_steps(request: CancellationRequest, recorded: Iterable[int]) -> list[int]:
    return sorted(required_steps(request) - set(recorded))


def recorded_steps_by_request(request_ids: Sequence[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {pk: set() for pk in request_ids}
    for request_id, step in StepRecord.objects.filter(request_id__in=request_ids).values_list(
        "request_id", "step"
    ):
        found[request_id].add(step)
    return found


# --- step 2: consumption ----------------------------------------------------------------


@dataclass(frozen=True)
class _RequestReader:
    """Reads the customer of a request the caller already may see (checked by
    ``cancellation_request_get_for``): the request grants the need to know its customer,
    even when the customer's home store is another store than the clerk's."""

    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = True
    pk: None = None


@dataclass
class Consumption:
    """What step 2 shows and records: tenure, plan and bundle, 3 bills, use, complaints."""

    view: Customer360
    target_monthly_fee: Decimal
    open_complaints: list[dict[str, Any]] = field(default_factory=list)
    complaints_known: bool = False
    churn: dict[str, Any] | None = None  # risk, reasons and value of the lines to go

    @property
    def customer(self) -> Customer:
        return self.view.customer

    def usage_last_months(self, months: int = 3) -> list[dict[str, Any]]:
        return self.view.usage_totals()[-months:]

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready record of what the clerk saw (no names, no numbers of the customer)."""
        view = self.view
        return {
            "tenure_months": view.tenure_months,
            "value_tier": view.customer.value_tier,
            "monthly_fee": f"{view.monthly_fee:.2f}",
            "target_monthly_fee": f"{self.target_monthly_fee:.2f}",
            "subscriptions": [
                {
                    "plan": s.plan.code,
                    "plan_name": s.plan.name,
                    "family": s.plan.family,
                    "monthly_fee": f"{s.plan.monthly_fee:.2f}",
                    "lines": sum(
                        1
                        for ln in view.lines
                        if ln.subscription_id == s.pk and ln.status != Line.Status.CANCELLED
                    ),
                    "mobile_lines": s.plan.mobile_lines,
                    "broadband_mbps": s.plan.broadband_mbps,
                    "tv": s.plan.has_tv,
                    "data_gb": f"{s.plan.included_data_gb:.2f}",
                    "contract_end_on": s.contract_end_on.isoformat() if s.contract_end_on else None,
                }
                for s in view.active_subscriptions
            ],
            "bills": [
                {"month": b.month.isoformat(), "total": f"{b.total:.2f}"} for b in view.bills
            ],
            "usage": [
                {
                    "month": u["month"].isoformat(),
                    "data_gb": f"{u['data_gb']:.2f}",
                    "voice_minutes": u["voice_minutes"],
                }
                for u in self.usage_last_months()
            ],
            "open_complaints": len(self.open_complaints),
            "churn": _churn_snapshot(self.churn),
        }


def _churn_snapshot(churn: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the clerk saw of the churn risk: the riskiest line's score and reasons."""
    if churn is None:
        return None
    top = churn["highest"]
    return {
        "as_of": churn["as_of"],
        "model_version": churn["model_version"],
        "probability": top["probability"],
        "risk_band": top["risk_band"],
        "value_at_risk": f"{churn['value_at_risk_total']:.2f}",
        "remaining_value": f"{churn['remaining_value_total']:.2f}",
        "reasons": [r["feature"] for r in top["reasons"]],
    }


def request_target_line_ids(request: CancellationRequest, view: Customer360) -> list[int]:
    """The lines the customer wants to cancel: the line, the bundle's lines, or the
    account's lines, leaving out those cancelled before the request was opened."""
    if request.line_id is not None:
        return [request.line_id]
    opened_on = timezone.localdate(request.opened_at)

    def in_service_at_opening(line: Line) -> bool:
        if line.status != Line.Status.CANCELLED:
            return True
        return line.cancelled_on is not None and line.cancelled_on >= opened_on

    if request.subscription_id is not None:
        return [
            ln.pk
            for ln in view.lines
            if ln.subscription_id == request.subscription_id and in_service_at_opening(ln)
        ]
    return [
        ln.pk
        for ln in view.lines
        if ln.account_id == request.account_id and in_service_at_opening(ln)
    ]


def open_complaints_of(customer: Customer) -> tuple[bool, list[dict[str, Any]]]:
    """Open complaints (work orders) of the customer when the complaints app is installed:
    ``(known, complaints)``; ``known`` is False when there is no complaints app."""
    if find_spec("wanliu.complaints.models") is None:
        return False, []
    complaints = import_module("wanliu.complaints.models")
    work_order = getattr(complaints, "WorkOrder", None)
    open_statuses = getattr(complaints, "OPEN_STATUSES", None)
    if work_order is None or open_statuses is None:
        return False, []
    orders = work_order.objects.filter(customer=customer, status__in=open_statuses).order_by(
        "-received_at"
    )[:10]
    return True, [
        {
            "order_no": str(order),
            "title": order.title,
            "status": order.get_status_display(),
            "received_at": order.received_at,
        }
        for order in orders
    ]


def target_monthly_fee(request: CancellationRequest, view: Customer360) -> Decimal:
    """What the customer pays for what they want to cancel (the bundle's fee for a line)."""
    if request.subscription_id is not None and request.subscription is not None:
        return request.subscription.plan.monthly_fee
    if request.line_id is not None and request.line is not None:
        subscription = request.line.subscription
        if subscription is not None and subscription.ended_on is None:
            return subscription.plan.monthly_fee
    fees = [
        s.plan.monthly_fee for s in view.active_subscriptions if s.account_id == request.account_id
    ]
    return sum(fees, ZERO) if fees else view.monthly_fee


def request_consumption(
    *, request: CancellationRequest, today: dt.date | None = None
) -> Consumption:
    """Step 2 for a request the caller already may see (use ``cancellation_request_get_for``)."""
    view = customer_360(user=_RequestReader(), customer_id=request.customer_id, today=today)
    known, complaints = open_complaints_of(view.customer)
    return Consumption(
        view=view,
        target_monthly_fee=target_monthly_fee(request, view),
        open_complaints=complaints,
        complaints_known=known,
        churn=churn_for_lines(line_ids=request_target_line_ids(request, view)),
    )


def bills_explained(*, request: CancellationRequest, today: dt.date | None = None) -> list[Bill]:
    """The account's bills of the last three months, newest first, for the bill explanation."""
    today = today or timezone.localdate()
    months = [add_months(month_start(today), -i) for i in range(1, 4)]
    return list(
        Bill.objects.filter(account__customer_id=request.customer_id, month__in=months)
        .select_related("account")
        .order_by("-month", "account_id")
    )


# --- step 3: the competitor -------------------------------------------------------------


def competitor_promotion_for(
    *, customer: Customer, today: dt.date | None = None
) -> CompetitorPromotion | None:
    """This month's competitor promotion in the customer's grid, else in its branch (or a
    unit above): the cheapest promotional price of the nearest unit that has one."""
    today = today or timezone.localdate()
    unit_ids = [int(part) for part in customer.unit.path.strip("/").split("/") if part]
    promotions = list(
        CompetitorPromotion.objects.filter(unit_id__in=unit_ids, month=month_start(today))
    )
    if not promotions:
        return None
    depth = {unit_id: i for i, unit_id in enumerate(unit_ids)}
    return min(promotions, key=lambda p: (-depth[p.unit_id], p.promo_monthly, p.pk))


# --- step 4: offers and the comparison --------------------------------------------------


def offer_terms(offer: RetentionOffer, *, language_en: bool = False) -> OfferTerms:
    return OfferTerms(
        discount_pct=offer.discount_pct,
        amount_off=offer.amount_off,
        months=offer.months,
        free_months=offer.free_months,
        bonus_data_gb=offer.bonus_data_gb,
        name=(offer.name_en or offer.name) if language_en else offer.name,
    )


def customer_plan_families(customer: Customer) -> set[str]:
    return set(
        Subscription.objects.filter(account__customer=customer, ended_on__isnull=True).values_list(
            "plan__family", flat=True
        )
    )


def offer_ineligibility(
    offer: RetentionOffer, *, customer: Customer, today: dt.date, families: set[str]
) -> str:
    """Why the customer may not have the offer (empty when they may)."""
    if not offer.active:
        return "the offer is no longer active"
    tenure = tenure_months(customer.joined_on, today)
    if tenure < offer.min_tenure_months:
        return f"needs {offer.min_tenure_months} months on the network; the customer has {tenure}"
    tiers = offer.value_tier_list
    if tiers and customer.value_tier not in tiers:
        return f"for value tiers {', '.join(tiers)}; the customer is tier {customer.value_tier}"
    plan_families = offer.plan_family_list
    if plan_families and not families & set(plan_families):
        return f"for plan families {', '.join(plan_families)} only"
    return ""


def offers_eligible(
    *, request: CancellationRequest, today: dt.date | None = None
) -> list[RetentionOffer]:
    today = today or timezone.localdate()
    families = customer_plan_families(request.customer)
    return [
        offer
        for offer in RetentionOffer.objects.filter(active=True).order_by("level", "code")
        if not offer_ineligibility(offer, customer=request.customer, today=today, families=families)
    ]


def budget_used(*, offer: RetentionOffer, store: Store | None, month: dt.date) -> Decimal:
    """Concession already granted or reserved with ``offer`` at ``store`` in ``month``."""
    total = OfferGrant.objects.filter(
        offer=offer,
        store=store,
        budget_month=month_start(month),
        status__in=OfferGrant.BUDGET_HOLDING,
    ).aggregate(total=Sum("cost"))["total"]
    return ZERO if total is None else Decimal(total).quantize(Decimal("0.01"))


def budget_left(*, offer: RetentionOffer, store: Store | None, month: dt.date) -> Decimal | None:
    if offer.monthly_budget_per_store is None:
        return None
    return offer.monthly_budget_per_store - budget_used(offer=offer, store=store, month=month)


def request_competitor(request: CancellationRequest) -> CompetitorOffer | None:
    if request.competitor_regular_monthly is None:
        return None
    promo_months = request.competitor_promo_months or 0
    promo = request.competitor_promo_monthly
    return CompetitorOffer(
        operator=request.competitor_operator,
        promo_monthly=request.competitor_regular_monthly if promo is None else promo,
        promo_months=promo_months if promo is not None else 0,
        regular_monthly=request.competitor_regular_monthly,
    )


def request_comparison(
    *,
    request: CancellationRequest,
    horizon_months: int,
    offers: Sequence[RetentionOffer] = (),
    language_en: bool = False,
) -> Comparison | None:
    """The comparison for this request: its current fee (step 2), the competitor (step 3)
    and the given offers; None until both the fee and the competitor's offer are known."""
    competitor = request_competitor(request)
    if competitor is None or request.current_monthly_fee is None:
        return None
    return comparison_compute(
        current_monthly=request.current_monthly_fee,
        horizon_months=horizon_months,
        competitor=competitor,
        offers=[offer_terms(o, language_en=language_en) for o in offers],
    )


# --- approvals, supervision, win-back, cases --------------------------------------------


def approvals_pending(
    *,
    user: Any,
    now: dt.datetime | None = None,
    store_id: int | None = None,
    offer_code: str = "",
    q: str = "",
) -> QuerySet[OfferGrant]:
    """Level-2 grants waiting for this approver, oldest first (expired ones are left out);
    optionally only one store's, one offer's, or those whose request number or customer
    name starts with ``q``."""
    now = now or timezone.now()
    grants = OfferGrant.objects.filter(approvals_pending_filter(user)).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if store_id is not None:
        grants = grants.filter(request__store_id=store_id)
    if offer_code:
        grants = grants.filter(offer__code=offer_code)
    if q.strip():
        text = q.strip()
        grants = grants.filter(
            Q(request__request_no__istartswith=text) | Q(request__customer__name__startswith=text)
        )
    return grants.select_related(
        "offer", "request", "request__customer", "request__store", "requested_by__staff"
    ).order_by("requested_at", "id")


def approval_choices(*, user: Any) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """The stores and offers of the grants waiting for this approver (the filters' options)."""
    pending = approvals_pending(user=user)
    stores = sorted(
        {
            (g.request.store_id, g.request.store.name)
            for g in pending
            if g.request.store_id is not None and g.request.store is not None
        },
        key=lambda pair: pair[1],
    )
    offers = sorted({(g.offer.code, g.offer.name) for g in pending}, key=lambda pair: pair[1])
    return stores, offers


@dataclass
class StoreSupervision:
    store: Store | None
    requests: int = 0
    unprocessed: int = 0
    refusals: int = 0
    transfers_out: int = 0
    retained: int = 0
    cancelled: int = 0
    missing_steps: int = 0
    with_outcome: int = 0

    @property
    def retention_rate(self) -> Decimal | None:
        if not self.with_outcome:
            return None
        return (Decimal(self.retained) * 100 / self.with_outcome).quantize(Decimal("0.1"))

    @property
    def missing_steps_rate(self) -> Decimal | None:
        if not self.with_outcome:
            return None
        return (Decimal(self.missing_steps) * 100 / self.with_outcome).quantize(Decimal("0.1"))


def store_supervision(
    *, user: Any, opened_from: dt.date | None = None, opened_to: dt.date | None = None
) -> list[StoreSupervision]:
    """Per handling store: requests, refusals (拒拆), transfers out (推诿), missing steps."""
    requests = cancellation_request_list(user=user, opened_from=opened_from, opened_to=opened_to)
    rows: dict[int | None, StoreSupervision] = {}
    stores = {s.pk: s for s in Store.objects.filter(pk__in=requests.values("store_id"))}
    for entry in (
        requests.order_by()
        .values("store_id")
        .annotate(
            n=Count("id"),
            unprocessed=Count("id", filter=Q(status__in=UNPROCESSED_STATUSES)),
            refusals=Count("id", filter=Q(refusal_flagged_at__isnull=False)),
            retained=Count("id", filter=Q(outcome__in=RETAINED_STATUSES)),
            cancelled=Count("id", filter=Q(outcome__in=PROCESSED_STATUSES)),
            with_outcome=Count("id", filter=~Q(outcome="")),
        )
    ):
        store_id = entry["store_id"]
        rows[store_id] = StoreSupervision(
            store=stores.get(store_id),
            requests=entry["n"],
            unprocessed=entry["unprocessed"],
            refusals=entry["refusals"],
            retained=entry["retained"],
            cancelled=entry["cancelled"],
            with_outcome=entry["with_outcome"],
        )
    for pushed in (
        Transfer.objects.filter(kind=Transfer.Kind.TRANSFER, request__in=requests)
        .values("from_store_id")
        .annotate(n=Count("id"))
    ):
        store_id = pushed["from_store_id"]
        row = rows.setdefault(store_id, StoreSupervision(store=stores.get(store_id)))
        if row.store is None and store_id is not None:
            row.store = Store.objects.filter(pk=store_id).first()
        row.transfers_out = pushed["n"]
    finished = list(
        requests.exclude(outcome="")
        .select_related(None)
        .only("id", "store_id", "outcome", "reason", "insisted_at")
    )
    recorded = recorded_steps_by_request([r.pk for r in finished])
    for r in finished:
        if missing_steps(r, recorded[r.pk]):
            rows[r.store_id].missing_steps += 1
    return sorted(
        rows.values(),
        key=lambda row: (-row.refusals, -row.transfers_out, -row.missing_steps, -row.requests),
    )


def win_back_list(
    *, user: Any, status: str = "", due_on: dt.date | None = None
) -> QuerySet[WinBackEntry]:
    entries = win_back_entries_visible_to(user).select_related(
        "customer", "request", "request__store"
    )
    if status == "open":
        entries = entries.exclude(status__in=WinBackEntry.CLOSED)
    elif status:
        entries = entries.filter(status=status)
    if due_on is not None:
        entries = entries.filter(allowed_recontact_on__lte=due_on, period_ends_on__gte=due_on)
    return entries.annotate(contacts_made=Count("contacts")).order_by("allowed_recontact_on", "id")


def retention_contact_queue(
    *,
    user: Any,
    status: str = RetentionContact.Status.PLANNED,
    purpose: str = "",
    due_before: dt.datetime | None = None,
) -> QuerySet[RetentionContact]:
    """The follow-up queue (回访任务): care and win-back contacts in the user's scope.

    ``status`` is one of ``RetentionContact.Status`` (planned by default) or empty for all;
    ``purpose`` care or win_back (empty: both); ``due_before`` keeps contacts due before
    that time. Planned contacts come first, the most overdue at the top, then the others
    by due time."""
    contacts = retention_contacts_visible_to(user).select_related(
        "request", "request__customer", "request__store", "win_back"
    )
    if status:
        contacts = contacts.filter(status=status)
    if purpose:
        contacts = contacts.filter(purpose=purpose)
    if due_before is not None:
        contacts = contacts.filter(due_at__lt=due_before)
    return contacts.annotate(
        done_rank=Case(
            When(status=RetentionContact.Status.PLANNED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("done_rank", "due_at", "id")


def cases_search(*, reason: str = "", q: str = "") -> QuerySet[RetentionCase]:
    """The case library (anonymised, for every signed-in member of staff)."""
    cases = RetentionCase.objects.all()
    if reason:
        cases = cases.filter(reason=reason)
    text = q.strip()
    if text:
        cases = cases.filter(
            Q(title__icontains=text)
            | Q(situation__icontains=text)
            | Q(words_used__icontains=text)
            | Q(offer_summary__icontains=text)
        )
    return cases.order_by("-published_at", "-id")


def reason_counts() -> dict[str, int]:
    return {
        row["reason"]: row["n"]
        for row in RetentionCase.objects.values("reason").annotate(n=Count("id"))
    }


def stores_for_handover(*, exclude: Store | None = None) -> QuerySet[Store]:
    stores = Store.objects.filter(direct_operated=True).select_related("unit")
    if exclude is not None:
        stores = stores.exclude(pk=exclude.pk)
    return stores.order_by("code")


def branch_of(unit: OrgUnit) -> OrgUnit | None:
    """The branch (分局) a unit belongs to, itself when it is one."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    return OrgUnit.objects.filter(pk__in=ids, kind=OrgUnit.Kind.BRANCH).order_by("-path").first()


def customer_cancellation_requests(
    *, user: Any, customer_id: int, limit: int = 10
) -> list[dict[str, Any]]:
    """The customer's cancellation and suspension requests for their 360, newest first,
    each with its link when the reader may open it (another store's request shows its
    summary only)."""
    requests = list(
        CancellationRequest.objects.filter(customer_id=customer_id)
        .select_related("store", "line", "subscription__plan")
        .order_by("-opened_at", "-id")[:limit]
    )
    visible = ids_within(cancellation_requests_visible_to(user), [r.pk for r in requests])
    return [
        {
            "id": r.pk,
            "request_no": r.request_no or "",
            "kind": r.kind,
            "kind_label": str(r.get_kind_display()),
            "target": r.target,
            "target_label": str(r.get_target_display()),
            "what": r.line.number
            if r.line is not None
            else (r.subscription.plan.code if r.subscription is not None else None),
            "status": r.status,
            "status_label": str(r.get_status_display()),
            "open": r.status in OPEN_STATUSES,
            "opened_at": r.opened_at,
            "store": r.store.name if r.store is not None else None,
            "url": reverse("retention:desk", args=[r.pk]) if r.pk in visible else None,
        }
        for r in requests
    ]
