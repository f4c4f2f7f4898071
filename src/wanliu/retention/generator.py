"""Past cancellation requests for the generated operator (demo data).

``retention_history_generate`` reads what ``wanliu generate`` left: the cancellation contacts
(customers.Contact, topic ``cancellation``), the churned lines and their known drivers
(customers.ChurnTruth), the competitor promotions, stores and staff; and writes the
retention desk's history over the same months:

* every cancellation processed at a store (a churned bundle) becomes a request that ends
  **cancelled** and closed, with a win-back entry; every cancellation contact that ended
  retained becomes a request that ends **retained** (same plan, with a level-1 or an
  approved level-2 offer, or downgraded), with care contacts;
* stores differ, as in the field: a few **refuse** (拒拆: the request stays unprocessed past
  the day's limit, is flagged, and is processed days later), some **skip steps**, a few
  **transfer** customers to another store (推诿); level-2 offers are approved, rejected or
  expire at the branch;
* deterministic for a seed (same database, same seed, same rows).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.db.models import Max
from tqdm import tqdm

from wanliu.core.database import bulk_load_finish
from wanliu.core.services import audit_record
from wanliu.customers.models import (
    ChurnTruth,
    CompetitorPromotion,
    Contact,
    Customer,
    Line,
    Subscription,
)
from wanliu.customers.selectors import month_start, tenure_months
from wanliu.org.models import OrgUnit, Role, Staff, Store
from wanliu.retention.comparison import (
    ComparisonError,
    CompetitorOffer,
    comparison_compute,
)
from wanliu.retention.models import (
    CancellationRequest,
    Channel,
    FastLaneTicket,
    OfferGrant,
    OfferLevel,
    Reason,
    RequestKind,
    RetentionContact,
    RetentionOffer,
    ServiceIssue,
    Status,
    StatusChange,
    Step,
    StepRecord,
    Target,
    Transfer,
    WinBackEntry,
)
from wanliu.retention.selectors import offer_ineligibility, offer_terms, retention_policy_current
from wanliu.retention.services.offers import grant_cost
from wanliu.retention.services.requests import processing_due_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHUNK = 2000
# Shares of direct-operated stores with a habit, and how strong the habit is.
REFUSING_STORES, REFUSAL_RATE = 0.08, 0.6
SKIPPING_STORES, SKIP_RATE = 0.25, 0.45
TRANSFERRING_STORES, TRANSFER_RATE = 0.06, 0.4
BASE_SKIP_RATE = 0.04
# Generic fallback competitor offers by plan family (yuan): promo, months, regular.
FALLBACK_COMPETITOR = {
    "family_bundle": ("中国移动", Decimal("59"), 12, Decimal("118")),
    "mobile": ("中国联通", Decimal("19"), 12, Decimal("39")),
    "broadband": ("中国移动", Decimal("50"), 12, Decimal("100")),
    "fixed": ("中国广电", Decimal("10"), 6, Decimal("15")),
}
DRIVER_REASON: dict[str, str] = {
    "competitor_price": Reason.COMPETITOR_OFFER,
    "contract_end": Reason.OTHER,
    "bill_shock": Reason.BILLING_MISUNDERSTANDING,
    "unresolved_fault": Reason.SERVICE_QUALITY,
    "early_tenure": Reason.BILLING_MISUNDERSTANDING,
    "usage_decline": Reason.NO_LONGER_NEEDED,
}
COMPLAINTS: dict[str, str] = {
    Reason.COMPETITOR_OFFER: "别家融合套餐便宜一半，我要拆机",
    Reason.OTHER: "合约到期了，不想续了",
    Reason.BILLING_MISUNDERSTANDING: "账单怎么这么高，乱扣费，我要销户",
    Reason.SERVICE_QUALITY: "宽带老是断，报修好几次都没修好",
    Reason.NO_LONGER_NEEDED: "用不上了，帮我销掉",
    Reason.RELOCATION: "搬家去外地了，宽带用不上",
}
WORDS: dict[str, str] = {
    Reason.COMPETITOR_OFFER: (
        "对方的低价只是携转新用户的促销价，促销期后恢复原价；转网后号码、宽带都要重新办理，"
        "我帮您算了一下长期花费，留下来更划算。"
    ),
    Reason.OTHER: "合约到期后可以换更合适的档位，我帮您对比一下。",
    Reason.BILLING_MISUNDERSTANDING: (
        "我给您逐项解释一下账单，多出的是套餐外流量费，可以加流量包避免。"
    ),
    Reason.SERVICE_QUALITY: "故障已经走绿色通道优先处理，今天就安排上门。",
}


class RetentionHistoryExists(Exception):
    """The database already holds cancellation requests; history is generated only once."""


@dataclass
class _Ids:
    """Explicit primary keys for bulk inserts (children reference them before insert)."""

    next: dict[str, int]

    def take(self, label: str) -> int:
        value = self.next[label]
        self.next[label] = value + 1
        return value


@dataclass
class _Rows:
    requests: list[CancellationRequest] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    grants: list[OfferGrant] = field(default_factory=list)
    contacts: list[RetentionContact] = field(default_factory=list)
    win_backs: list[WinBackEntry] = field(default_factory=list)
    tickets: list[FastLaneTicket] = field(default_factory=list)
    accepted: list[tuple[int, int]] = field(default_factory=list)

    def write(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        CancellationRequest.objects.bulk_create(self.requests, batch_size=1000)
        for label, rows in (
            ("retention.offergrant", self.grants),
            ("retention.steprecord", self.steps),
            ("retention.statuschange", self.changes),
            ("retention.transfer", self.transfers),
            ("retention.winbackentry", self.win_backs),
            ("retention.retentioncontact", self.contacts),
            ("retention.fastlaneticket", self.tickets),
        ):
            if rows:
                model: Any = type(rows[0])
                model.objects.bulk_create(rows, batch_size=1000)
            counts[label] += len(rows)
        if self.accepted:
            accepted = [
                CancellationRequest(pk=request_id, accepted_grant_id=grant_id)
                for request_id, grant_id in self.accepted
            ]
            CancellationRequest.objects.bulk_update(accepted, ["accepted_grant"], batch_size=1000)
        counts["retention.cancellationrequest"] += len(self.requests)
        return counts


@dataclass
class _World:
    """What the generator needs to know about the organisation, read once."""

    stores: dict[int, Store]
    unit_paths: dict[int, str]
    branch_of_unit: dict[int, int | None]
    managers_of_branch: dict[int, list[int]]
    clerks_of_store: dict[int, list[int]]
    direct_by_branch: dict[int | None, list[int]]
    refusing: set[int]
    skipping: set[int]
    transferring: set[int]
    promotions: dict[tuple[int, dt.date], list[CompetitorPromotion]]
    offers_l1: list[RetentionOffer]
    offers_l2: list[RetentionOffer]


def _world(rng: np.random.Generator) -> _World:
    units = {u.pk: u for u in OrgUnit.objects.all()}
    unit_paths = {pk: u.path for pk, u in units.items()}

    def branch(unit_id: int) -> int | None:
        for part in reversed(unit_paths[unit_id].strip("/").split("/")):
            if part and units[int(part)].kind == OrgUnit.Kind.BRANCH:
                return int(part)
        return None

    stores = {s.pk: s for s in Store.objects.order_by("pk")}
    direct = sorted(pk for pk, s in stores.items() if s.direct_operated)
    draws = rng.random((len(direct), 3))
    managers: dict[int, list[int]] = defaultdict(list)
    clerks: dict[int, list[int]] = defaultdict(list)
    for staff in Staff.objects.filter(role__in=[Role.BRANCH_MANAGER, Role.CLERK]).order_by("pk"):
        if staff.role == Role.BRANCH_MANAGER:
            managers[staff.unit_id].append(staff.user_id)
        elif staff.store_id is not None:
            clerks[staff.store_id].append(staff.user_id)
    direct_by_branch: dict[int | None, list[int]] = defaultdict(list)
    for pk in direct:
        direct_by_branch[branch(stores[pk].unit_id)].append(pk)
    promotions: dict[tuple[int, dt.date], list[CompetitorPromotion]] = defaultdict(list)
    for promotion in CompetitorPromotion.objects.order_by("pk"):
        promotions[(promotion.unit_id, promotion.month)].append(promotion)
    offers = list(RetentionOffer.objects.filter(active=True).order_by("level", "code"))
    return _World(
        stores=stores,
        unit_paths=unit_paths,
        branch_of_unit={pk: branch(pk) for pk in units},
        managers_of_branch=dict(managers),
        clerks_of_store=dict(clerks),
        direct_by_branch=dict(direct_by_branch),
        refusing={pk for pk, d in zip(direct, draws[:, 0], strict=True) if d < REFUSING_STORES},
        skipping={pk for pk, d in zip(direct, draws[:, 1], strict=True) if d < SKIPPING_STORES},
        transferring={
            pk for pk, d in zip(direct, draws[:, 2], strict=True) if d < TRANSFERRING_STORES
        },
        promotions=dict(promotions),
        offers_l1=[o for o in offers if o.level == OfferLevel.LEVEL_1],
        offers_l2=[o for o in offers if o.level == OfferLevel.LEVEL_2],
    )


def _next_ids() -> _Ids:
    models: dict[str, Any] = {
        "request": CancellationRequest,
        "grant": OfferGrant,
        "win_back": WinBackEntry,
        "ticket": FastLaneTicket,
    }
    return _Ids(
        next={
            label: (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
            for label, model in models.items()
        }
    )


def _local(at: dt.datetime) -> dt.datetime:
    return at.astimezone(SHANGHAI)


def _minutes(at: dt.datetime, minutes: float) -> dt.datetime:
    return at + dt.timedelta(minutes=float(minutes))


@dataclass
class _Case:
    """One cancellation contact and what the generator decided about it."""

    contact: dict[str, Any]
    line: dict[str, Any]
    customer: Customer
    subscription: Subscription | None
    families: set[str]
    churned: bool
    driver: str


class _Builder:
    def __init__(
        self, *, rng: np.random.Generator, world: _World, ids: _Ids, as_of: dt.date
    ) -> None:
        self.rng = rng
        self.world = world
        self.ids = ids
        self.as_of = as_of
        self.now = dt.datetime.combine(as_of, dt.time(0, 0), tzinfo=SHANGHAI)
        self.policy = retention_policy_current()
        self.rows = _Rows()
        self.counts: Counter[str] = Counter()

    # --- pieces ---------------------------------------------------------------------------

    def _competitor(self, case: _Case, opened: dt.datetime) -> tuple[str, Decimal, int, Decimal]:
        month = month_start(_local(opened).date())
        path = self.world.unit_paths.get(case.customer.unit_id, "")
        for part in reversed([p for p in path.strip("/").split("/") if p]):
            found = self.world.promotions.get((int(part), month))
            if found:
                best = min(found, key=lambda p: (p.promo_monthly, p.pk))
                return best.competitor, best.promo_monthly, best.promo_months, best.regular_monthly
        family = case.subscription.plan.family if case.subscription else "mobile"
        return FALLBACK_COMPETITOR.get(family, FALLBACK_COMPETITOR["mobile"])

    def _step(
        self,
        request: CancellationRequest,
        step: int,
        at: dt.datetime,
        actor: int | None,
        data: dict[str, Any],
    ) -> None:
        self.rows.steps.append(
            StepRecord(
                request_id=request.pk, step=step, recorded_by_id=actor, recorded_at=at, data=data
            )
        )

    def _change(
        self,
        request: CancellationRequest,
        frm: str,
        to: str,
        at: dt.datetime,
        actor: int | None,
        note: str = "",
    ) -> None:
        self.rows.changes.append(
            StatusChange(
                request_id=request.pk,
                from_status=frm,
                to_status=to,
                at=at,
                actor_id=actor,
                note=note,
            )
        )

    def _offer_for(self, case: _Case, level: int, day: dt.date) -> RetentionOffer | None:
        pool = self.world.offers_l1 if level == OfferLevel.LEVEL_1 else self.world.offers_l2
        eligible = [
            o
            for o in pool
            if not offer_ineligibility(o, customer=case.customer, today=day, families=case.families)
        ]
        if not eligible:
            return None
        return eligible[int(self.rng.integers(0, len(eligible)))]

    def _grant(
        self,
        request: CancellationRequest,
        offer: RetentionOffer,
        *,
        status: str,
        at: dt.datetime,
        actor: int | None,
        approver: int | None,
        decided: dt.datetime | None,
        note: str = "",
    ) -> OfferGrant:
        fee = request.current_monthly_fee or Decimal("0")
        new_fee, cost = grant_cost(offer=offer, monthly_fee=fee)
        grant = OfferGrant(
            pk=self.ids.take("grant"),
            request_id=request.pk,
            offer=offer,
            level=offer.level,
            status=status,
            store_id=request.store_id,
            budget_month=month_start(_local(at).date()),
            monthly_fee=fee,
            new_monthly_fee=new_fee,
            cost=cost,
            terms={"code": offer.code, "name": offer.name},
            requested_by_id=actor,
            requested_at=at,
            note=note,
            expires_at=(
                at + dt.timedelta(hours=self.policy.approval_expiry_hours)
                if offer.level == OfferLevel.LEVEL_2
                else None
            ),
            decided_by_id=approver,
            decided_at=decided,
        )
        self.rows.grants.append(grant)
        return grant

    # --- one request ----------------------------------------------------------------------

    def build(self, case: _Case) -> None:
        rng, world = self.rng, self.world
        c = case.contact
        opened: dt.datetime = c["started_at"]
        ended: dt.datetime = c["ended_at"] or _minutes(opened, 20)
        actor = c["agent_user_id"]
        store_id = c["agent_store_id"] if c["channel"] == "store" else None
        store = world.stores.get(store_id) if store_id else None
        channel = Channel.STORE if store is not None else Channel.HOTLINE
        unit_id = store.unit_id if store is not None else case.customer.unit_id
        fee = case.subscription.plan.monthly_fee if case.subscription else None
        request = CancellationRequest(
            pk=self.ids.take("request"),
            kind=RequestKind.CANCEL,
            target=Target.SUBSCRIPTION if case.subscription else Target.LINE,
            customer_id=case.customer.pk,
            account_id=case.line["account_id"],
            subscription_id=case.subscription.pk if case.subscription else None,
            line_id=None if case.subscription else case.line["id"],
            channel=channel,
            origin_store_id=store_id,
            store_id=store_id,
            unit_id=unit_id,
            opened_by_id=actor,
            opened_at=opened,
            due_at=processing_due_at(opened_at=opened, policy=self.policy),
            current_monthly_fee=fee,
        )
        request.request_no = f"CR{_local(opened):%Y%m%d}{request.pk:06d}"
        reason = self._reason(case, c["note"])
        request.reason = reason
        if reason == Reason.SERVICE_QUALITY:
            request.service_issue = (
                ServiceIssue.NETWORK if "信号" in c["note"] else ServiceIssue.FAULT
            )
        request.stated_complaint = COMPLAINTS.get(reason, "我要拆机")
        request.mood = str(rng.choice(["angry", "upset", "calm"], p=[0.35, 0.45, 0.2]))
        skip_rate = SKIP_RATE if store_id in world.skipping else BASE_SKIP_RATE
        skipped = {s for s in (1, 2, 3, 4) if rng.random() < skip_rate}
        at = _minutes(opened, 1)
        request.status = Status.IN_CONVERSATION
        request.in_conversation_at = at
        self._change(request, Status.OPENED, Status.IN_CONVERSATION, at, actor)
        if 1 not in skipped:
            self._step(
                request,
                Step.CALM,
                at,
                actor,
                {"stated_complaint": request.stated_complaint, "mood": request.mood},
            )
        if 2 not in skipped:
            self._step(
                request,
                Step.CONSUMPTION,
                _minutes(opened, 3),
                actor,
                {
                    "reviewed_with_customer": True,
                    "tenure_months": tenure_months(case.customer.joined_on, _local(opened).date()),
                    "value_tier": case.customer.value_tier,
                    "target_monthly_fee": None if fee is None else f"{fee:.2f}",
                },
            )
        comparison = None
        if reason == Reason.COMPETITOR_OFFER:
            operator, promo, months, regular = self._competitor(case, opened)
            request.competitor_operator = operator
            request.competitor_promo_monthly = promo
            request.competitor_promo_months = months
            request.competitor_regular_monthly = regular
            request.competitor_switchers_only = True
            if fee is not None:
                try:
                    comparison = comparison_compute(
                        current_monthly=fee,
                        horizon_months=self.policy.comparison_horizon_months,
                        competitor=CompetitorOffer(
                            operator=operator,
                            promo_monthly=promo,
                            promo_months=months,
                            regular_monthly=regular,
                        ),
                        offers=[offer_terms(o) for o in world.offers_l2[:1]],
                    ).as_dict()
                except ComparisonError:
                    comparison = None
        if 3 not in skipped:
            self._step(
                request,
                Step.REASON,
                _minutes(opened, 6),
                actor,
                {"reason": reason, "route": request.route},
            )
        if reason == Reason.SERVICE_QUALITY and rng.random() < 0.7:
            ticket_id = self.ids.take("ticket")
            self.rows.tickets.append(
                FastLaneTicket(
                    pk=ticket_id,
                    request_id=request.pk,
                    ticket_no=f"GL{_local(opened):%Y%m%d}{ticket_id:05d}",
                    issue=request.service_issue or ServiceIssue.FAULT,
                    description=request.stated_complaint,
                    status=FastLaneTicket.Status.RESOLVED,
                    opened_at=_minutes(opened, 7),
                    opened_by_id=actor,
                    resolved_at=_minutes(opened, 60 * 24 * float(rng.uniform(0.1, 2))),
                    resolution="绿色通道派单，已上门修复",
                )
            )
        if 4 not in skipped and request.route != "process":
            words = WORDS.get(reason, WORDS[Reason.OTHER])
            request.words_used = words
            self._step(
                request,
                Step.COMPARE,
                _minutes(opened, 10),
                actor,
                {"words_used": words, "comparison": comparison},
            )
        if case.churned:
            self._cancelled(request, case, actor=actor, ended=ended)
        else:
            self._retained(request, case, actor=actor, ended=ended)
        self.rows.requests.append(request)
        self.counts[f"outcome.{request.outcome}"] += 1

    def _reason(self, case: _Case, note: str) -> str:
        if case.churned:
            reason = DRIVER_REASON.get(case.driver, Reason.OTHER)
            if case.driver == "usage_decline" and "搬" in note:
                reason = Reason.RELOCATION
            return reason
        if "竞对" in note or "比算" in note:
            return Reason.COMPETITOR_OFFER
        return Reason.COMPETITOR_OFFER if self.rng.random() < 0.4 else Reason.OTHER

    def _cancelled(
        self, request: CancellationRequest, case: _Case, *, actor: int | None, ended: dt.datetime
    ) -> None:
        rng, world = self.rng, self.world
        store_id = request.store_id
        processed_at = ended
        if store_id in world.transferring and rng.random() < TRANSFER_RATE:
            branch = world.branch_of_unit.get(world.stores[store_id].unit_id)
            others = [s for s in world.direct_by_branch.get(branch, []) if s != store_id]
            if others:
                to_store = others[int(rng.integers(0, len(others)))]
                self.rows.transfers.append(
                    Transfer(
                        request_id=request.pk,
                        kind=Transfer.Kind.TRANSFER,
                        from_store_id=store_id,
                        to_store_id=to_store,
                        reason="本厅业务繁忙，请到其他营业厅办理",
                        at=_minutes(request.opened_at, 12),
                        actor_id=actor,
                    )
                )
                request.store_id = to_store
                request.unit_id = world.stores[to_store].unit_id
                clerks = world.clerks_of_store.get(to_store)
                if clerks:
                    actor = clerks[int(rng.integers(0, len(clerks)))]
                processed_at = ended + dt.timedelta(hours=float(rng.uniform(2, 30)))
                self.counts["transfers"] += 1
        if store_id in world.refusing and rng.random() < REFUSAL_RATE:
            request.refusal_flagged_at = request.due_at + dt.timedelta(minutes=5)
            processed_at = request.due_at + dt.timedelta(days=float(rng.uniform(1, 6)))
            request.insisted_at = processed_at - dt.timedelta(minutes=15)
            self.counts["refusals"] += 1
        elif request.channel == Channel.HOTLINE:
            processed_at = ended
        elif rng.random() < 0.3:
            request.insisted_at = _minutes(request.opened_at, 8)
        request.status = Status.CLOSED
        request.outcome = Status.CANCELLED
        request.cancelled_at = processed_at
        self._change(request, Status.IN_CONVERSATION, Status.CANCELLED, processed_at, actor)
        closed = _minutes(processed_at, 10)
        may_contact = (processed_at + dt.timedelta(days=int(rng.integers(30, 61)))).date()
        period_ends = may_contact + dt.timedelta(days=self.policy.win_back_period_days)
        entry = WinBackEntry(
            pk=self.ids.take("win_back"),
            request_id=request.pk,
            customer_id=case.customer.pk,
            allowed_recontact_on=may_contact,
            period_ends_on=period_ends,
            contact_channel="电话" if rng.random() < 0.6 else "企业微信",
            status=WinBackEntry.Status.WAITING,
            created_at=closed,
        )
        if case.customer.marketing_opt_out:
            entry.status = WinBackEntry.Status.DO_NOT_CONTACT
        elif may_contact < self.as_of:
            self._win_back_contacts(request, entry, actor=actor)
        self.rows.win_backs.append(entry)
        if rng.random() >= (SKIP_RATE if request.origin_store_id in world.skipping else 0.03):
            self._step(
                request,
                Step.PART_WELL,
                _minutes(processed_at, 5),
                actor,
                {
                    "processed": True,
                    "win_back": entry.pk,
                    "allowed_recontact_on": may_contact.isoformat(),
                },
            )
        request.closed_at = closed
        self._change(request, Status.CANCELLED, Status.CLOSED, closed, actor)

    def _win_back_contacts(
        self, request: CancellationRequest, entry: WinBackEntry, *, actor: int | None
    ) -> None:
        rng = self.rng
        day = entry.allowed_recontact_on + dt.timedelta(days=int(rng.integers(0, 20)))
        due = dt.datetime.combine(day, dt.time(int(rng.integers(10, 18)), 0), tzinfo=SHANGHAI)
        if due.date() >= self.as_of:
            return
        outcome = rng.random()
        status = (
            RetentionContact.Status.DONE if outcome < 0.7 else RetentionContact.Status.NO_ANSWER
        )
        self.rows.contacts.append(
            RetentionContact(
                request_id=request.pk,
                win_back_id=entry.pk,
                purpose=RetentionContact.Purpose.WIN_BACK,
                channel=RetentionContact.ContactChannel.CALL,
                due_at=due,
                status=status,
                result="客户表示暂不考虑" if status == RetentionContact.Status.DONE else "",
                scheduled_by_id=actor,
                scheduled_at=due - dt.timedelta(days=3),
                done_at=due if status != RetentionContact.Status.PLANNED else None,
                done_by_id=actor,
            )
        )
        entry.status = WinBackEntry.Status.CONTACTING
        if status == RetentionContact.Status.DONE:
            won = outcome < 0.08
            entry.status = WinBackEntry.Status.WON_BACK if won else WinBackEntry.Status.DECLINED
            entry.outcome_note = "客户回流，重新办理融合套餐" if won else "客户表示暂不考虑"
            entry.outcome_at = due
            entry.outcome_by_id = actor

    def _retained(
        self, request: CancellationRequest, case: _Case, *, actor: int | None, ended: dt.datetime
    ) -> None:
        rng, world = self.rng, self.world
        note = case.contact["note"]
        day = _local(request.opened_at).date()
        outcome: str = Status.RETAINED_SAME_PLAN
        if "二级" in note or (request.reason == Reason.COMPETITOR_OFFER and rng.random() < 0.5):
            outcome = self._level2(request, case, actor=actor, ended=ended, day=day)
        elif "降档" in note or rng.random() < 0.4:
            offer = self._offer_for(case, OfferLevel.LEVEL_1, day)
            if offer is not None and rng.random() < 0.75:
                grant = self._grant(
                    request,
                    offer,
                    status=OfferGrant.Status.GRANTED,
                    at=_minutes(request.opened_at, 12),
                    actor=actor,
                    approver=actor,
                    decided=_minutes(request.opened_at, 12),
                )
                self.rows.accepted.append((request.pk, grant.pk))
                outcome = Status.RETAINED_WITH_OFFER
            else:
                outcome = Status.DOWNGRADED
        request.status = Status.CLOSED
        request.outcome = outcome
        setattr(request, f"{outcome}_at", ended)
        self._change(request, Status.IN_CONVERSATION, outcome, ended, actor)
        skip = SKIP_RATE if request.origin_store_id in world.skipping else 0.05
        closed = _minutes(ended, 10)
        if not case.customer.marketing_opt_out and rng.random() >= skip:
            due_day = _local(ended).date() + dt.timedelta(days=int(rng.integers(3, 15)))
            due = dt.datetime.combine(
                due_day, dt.time(int(rng.integers(10, 19)), 0), tzinfo=SHANGHAI
            )
            done = due.date() < self.as_of
            contact = RetentionContact(
                request_id=request.pk,
                purpose=RetentionContact.Purpose.CARE,
                channel=(
                    RetentionContact.ContactChannel.WECOM
                    if rng.random() < 0.6
                    else RetentionContact.ContactChannel.CALL
                ),
                due_at=due,
                status=RetentionContact.Status.DONE if done else RetentionContact.Status.PLANNED,
                result="客户对优惠满意" if done else "",
                scheduled_by_id=actor,
                scheduled_at=_minutes(ended, 5),
                done_at=due if done else None,
                done_by_id=actor if done else None,
            )
            self.rows.contacts.append(contact)
            self._step(
                request, Step.CARE, _minutes(ended, 5), actor, {"contacts": 1, "declined_note": ""}
            )
        request.closed_at = closed
        self._change(request, outcome, Status.CLOSED, closed, actor)

    def _level2(
        self,
        request: CancellationRequest,
        case: _Case,
        *,
        actor: int | None,
        ended: dt.datetime,
        day: dt.date,
    ) -> str:
        rng, world = self.rng, self.world
        offer = self._offer_for(case, OfferLevel.LEVEL_2, day)
        if offer is None:
            return Status.RETAINED_SAME_PLAN
        branch = world.branch_of_unit.get(request.unit_id)
        managers = world.managers_of_branch.get(branch or -1) or []
        approver = managers[int(rng.integers(0, len(managers)))] if managers else None
        asked = _minutes(request.opened_at, 12)
        fate = rng.random()
        if approver is None or fate < 0.08:
            self._grant(
                request,
                offer,
                status=OfferGrant.Status.EXPIRED,
                at=asked,
                actor=actor,
                approver=None,
                decided=asked + dt.timedelta(hours=self.policy.approval_expiry_hours),
                note="竞对低价，申请二级维挽",
            )
            self.counts["approvals.expired"] += 1
            return Status.RETAINED_SAME_PLAN
        if fate < 0.2:
            self._grant(
                request,
                offer,
                status=OfferGrant.Status.REJECTED,
                at=asked,
                actor=actor,
                approver=approver,
                decided=_minutes(asked, float(rng.uniform(3, 40))),
                note="竞对低价，申请二级维挽",
            )
            self.counts["approvals.rejected"] += 1
            fallback = self._offer_for(case, OfferLevel.LEVEL_1, day)
            if fallback is None:
                return Status.RETAINED_SAME_PLAN
            grant = self._grant(
                request,
                fallback,
                status=OfferGrant.Status.GRANTED,
                at=_minutes(asked, 45),
                actor=actor,
                approver=actor,
                decided=_minutes(asked, 45),
            )
            self.rows.accepted.append((request.pk, grant.pk))
            return Status.RETAINED_WITH_OFFER
        grant = self._grant(
            request,
            offer,
            status=OfferGrant.Status.APPROVED,
            at=asked,
            actor=actor,
            approver=approver,
            decided=_minutes(asked, float(rng.uniform(2, 30))),
            note="竞对低价，申请二级维挽",
        )
        self.counts["approvals.approved"] += 1
        self.rows.accepted.append((request.pk, grant.pk))
        return Status.RETAINED_WITH_OFFER


def _retained_notes() -> set[str]:
    """Notes the customers generator writes for retained cancellation contacts (if known)."""
    try:
        from wanliu.customers.generator import catalogue
    except ImportError:
        return set()
    return set(getattr(catalogue, "NOTES", {}).get("retained", ()))


def _cases(contacts: list[dict[str, Any]], retained_notes: set[str]) -> list[_Case]:
    line_ids = [c["line_id"] for c in contacts if c["line_id"]]
    lines = {
        row["id"]: row
        for row in Line.objects.filter(pk__in=line_ids).values(
            "id", "account_id", "subscription_id", "status", "cancelled_on"
        )
    }
    customers = Customer.objects.in_bulk([c["customer_id"] for c in contacts])
    subscriptions = Subscription.objects.select_related("plan").in_bulk(
        [row["subscription_id"] for row in lines.values() if row["subscription_id"]]
    )
    drivers = dict(ChurnTruth.objects.filter(line_id__in=line_ids).values_list("line_id", "driver"))
    families: dict[int, set[str]] = defaultdict(set)
    for customer_id, family in Subscription.objects.filter(
        account__customer_id__in=list(customers)
    ).values_list("account__customer_id", "plan__family"):
        families[customer_id].add(family)
    out = []
    for c in contacts:
        line = lines.get(c["line_id"])
        if line is None:
            continue
        day = _local(c["started_at"]).date()
        cancelled_on = line["cancelled_on"]
        churned = line["status"] == Line.Status.CANCELLED and cancelled_on == day
        inquiry = (
            not churned
            and c["note"] not in retained_notes
            and line["status"] == Line.Status.CANCELLED
            and cancelled_on is not None
            and 0 < (cancelled_on - day).days <= 21
        )
        if inquiry or (retained_notes and not churned and c["note"] not in retained_notes):
            continue
        out.append(
            _Case(
                contact=c,
                line=dict(line),
                customer=customers[c["customer_id"]],
                subscription=subscriptions.get(line["subscription_id"]),
                families=families[c["customer_id"]],
                churned=churned,
                driver=drivers.get(line["id"], ""),
            )
        )
    return out


def _finish_database() -> None:
    bulk_load_finish(
        explicit_ids=[CancellationRequest, OfferGrant, WinBackEntry, FastLaneTicket],
        app_labels=["retention", "customers"],
    )


def retention_history_generate(
    *, seed: int, as_of: dt.date, progress: bool = True
) -> dict[str, int]:
    """Generate past cancellation requests from the generated operator's cancellation
    contacts (see the module's description); return the rows written per table and the
    outcome, refusal, transfer and approval counts. Same database and seed, same rows.

    Raises ``RetentionHistoryExists`` when cancellation requests already exist.
    """
    if CancellationRequest.objects.exists():
        raise RetentionHistoryExists(
            "this database already holds cancellation requests; the retention history is "
            "generated once, on a database freshly filled by `wanliu generate`"
        )
    rng = np.random.default_rng(np.random.SeedSequence([seed, 303]))
    world = _world(rng)
    ids = _next_ids()
    retained_notes = _retained_notes()
    contacts_qs = (
        Contact.objects.filter(topic=Contact.Topic.CANCELLATION, started_at__date__lt=as_of)
        .order_by("id")
        .values(
            "id",
            "customer_id",
            "line_id",
            "channel",
            "started_at",
            "ended_at",
            "note",
            "agent__user_id",
            "agent__store_id",
        )
    )
    total = contacts_qs.count()
    counts: Counter[str] = Counter()
    with tqdm(
        total=total,
        unit=" contacts",
        desc="Generating retention history",
        file=sys.stderr,
        disable=not progress,
    ) as bar:
        last_id = 0
        while True:
            chunk: list[dict[str, Any]] = [
                {
                    **row,
                    "agent_user_id": row["agent__user_id"],
                    "agent_store_id": row["agent__store_id"],
                }
                for row in contacts_qs.filter(id__gt=last_id)[:CHUNK]
            ]
            if not chunk:
                break
            last_id = int(chunk[-1]["id"])
            builder = _Builder(rng=rng, world=world, ids=ids, as_of=as_of)
            for case in _cases(chunk, retained_notes):
                builder.build(case)
            with transaction.atomic():
                counts.update(builder.rows.write())
            counts.update(builder.counts)
            bar.update(len(chunk))
    with transaction.atomic():
        _finish_database()
        report = dict(sorted(counts.items()))
        audit_record(
            actor=None,
            action="retention.history.generate",
            obj=_Run(pk=f"seed={seed}"),
            after={"seed": seed, "as_of": as_of.isoformat(), "rows": report},
            note=f"retention history for {total} cancellation contacts",
        )
    return report


@dataclass(frozen=True)
class _Run:
    pk: str
