"""Past proactive campaigns for the generated operator (demo and benchmark data).

``campaign_history_generate(seed=..., as_of=...)`` reads what ``wanliu generate`` left and
writes a few closed proactive campaigns in past months (up to four, two months apart, each
with a two-month outcome window ending by the last generated month). Each campaign offers
one or two retention offers to a random 30% of the customers active at its start
(through each customer's first line), keeps a random control group (stratified by planned
offer and plan family), calls the treated, and records every target's arm, offer,
contact attempts, acceptance and outcome.

Who responds is planted on the features the churn engine computes as of the campaign month
(``wanliu.scoring.operator.features_as_of``), so an uplift model can learn it:

- **persuadables, price** (a competitor promotion in their area undercuts their plan by 20%
  or more, or their contract ends within two months; no open trouble, six months or more
  on the network): mid-risk, in the window 40% leave unless they accept an offer, and they
  accept discounts readily (data bonuses rarely);
- **persuadables, data** (they pay overage charges): 40% leave unless they accept, and
  they accept a data bonus readily (discounts less);
- **lost causes** (an unresolved fault or complaint, a cancellation enquiry, a bill shock):
  the highest risk; 65% leave whatever is offered;
- **sleeping dogs** (five years or more, out of contract, never in touch): a call that
  reaches them makes 30% of them leave;
- **sure things**: everyone else (and the share of each group above whose draw says so);
  they stay either way, but some take a discount when offered (pure cost).

Lines that leave anyway (the operator's own churn in the window) leave whatever happens.
The line data agrees with the outcomes: a planted departure cancels the plan's lines on a
day in the window after the last call (line, plan and account status, churn driver,
usage and bills after that month removed, a cancellation contact at the store); a call
is a contact (hotline, or the grid team for bundles and broadband); an accepted discount
lowers the following months' bills. Features before the campaign are never touched, and a
customer is in at most one campaign, so features as of any campaign month are honest.
Customers who opted out of marketing, lines suspended then, and customers who have a
cancellation request with the retention desk from the month before on, are left out.

Deterministic for a seed (same database, same seed, same rows); bulk inserts; runs once.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.db import connection, transaction
from django.db.models import Max
from tqdm import tqdm

from wanliu.core.database import bulk_load_finish
from wanliu.core.services import audit_record
from wanliu.core.tables import (
    BOOL,
    DATE_NULL,
    DATETIME,
    DEC2,
    INT,
    INT_NULL,
    NULL_DATE,
    TEXT,
    Table,
    table_write,
)
from wanliu.customers.models import (
    Account,
    Bill,
    ChurnTruth,
    Contact,
    Customer,
    Line,
    Subscription,
    Usage,
)
from wanliu.org.models import Role, Staff
from wanliu.retention.comparison import offer_month_amount
from wanliu.retention.models import CancellationRequest, RetentionOffer
from wanliu.retention.selectors import offer_ineligibility, offer_terms
from wanliu.retention.services.offers import grant_cost
from wanliu.scoring.campaigns.data import primary_lines, subscription_values, value_fits
from wanliu.scoring.models import Campaign, CampaignTarget, OutreachAttempt, OutreachTask
from wanliu.scoring.operator import (
    features_as_of,
    last_month,
    month_add,
    month_start,
    operator_extract,
)
from wanliu.scoring.value import SegmentFit, ValueTerms

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = dt.date(1970, 1, 1)
WINDOW_MONTHS = 2
MIN_HISTORY_MONTHS = 3
SAMPLE_SHARE = 0.3
CONTACT_COST = Decimal("2.00")
MAX_ATTEMPTS = 3
REACH_PER_ATTEMPT = 0.55
GRID_FAMILIES = ("family_bundle", "broadband")


@dataclass(frozen=True)
class CampaignSpec:
    """A past campaign: its start (months before the last generated month), offers and
    control share."""

    months_back: int
    offers: tuple[str, ...]
    control_share: float
    name: str


SPECS = (
    CampaignSpec(7, ("L1-10OFF12", "L1-DATA10"), 0.3, "夏季主动关怀：九折与流量包"),
    CampaignSpec(5, ("L1-10OFF12",), 0.3, "竞对活动地区主动关怀：月费九折"),
    CampaignSpec(3, ("L2-30OFF24", "L1-DATA10"), 0.3, "秋季主动关怀：月减30元与流量包"),
    CampaignSpec(1, ("L1-10OFF12", "L1-DATA10"), 0.3, "年末主动关怀：九折与流量包"),
)

# Groups of customers and how they respond (see the module's description).
SURE, PRICE, DATA, LOST, SLEEPING = range(5)
GROUP_NAMES = ("sure_thing", "persuadable_price", "persuadable_data", "lost_cause", "sleeping_dog")
GROUP_SHARE = {PRICE: 0.85, DATA: 0.8, LOST: 0.85, SLEEPING: 0.5}
LEAVE_UNLESS_KEPT = {PRICE: 0.4, DATA: 0.4}
LEAVE_ANYWAY = 0.65
LEAVE_WHEN_CALLED = 0.3
DRIVER = {
    PRICE: "competitor_price",
    DATA: "bill_shock",
    LOST: "unresolved_fault",
    SLEEPING: "proactive_contact",
}

ATTEMPT_NOTES = {
    OutreachAttempt.Result.NO_ANSWER: "主动关怀外呼：未接通",
    OutreachAttempt.Result.ACCEPTED: "主动关怀外呼：介绍挽留优惠，客户接受",
    OutreachAttempt.Result.DECLINED: "主动关怀外呼：介绍挽留优惠，客户婉拒",
}
CANCEL_NOTE = "客户到厅办理拆机，已按规定受理"


class CampaignHistoryExists(Exception):
    """Campaigns already exist; the history is generated once, on a fresh operator."""


def _accept_probability(group: np.ndarray, offer: RetentionOffer, fee: np.ndarray) -> np.ndarray:
    """Chance that a reached customer of each group accepts ``offer`` (on plans of ``fee``)."""
    monthly = (
        fee * float(offer.discount_pct) / 100.0 + float(offer.amount_off)
        if offer.months
        else np.zeros_like(fee)
    )
    relative = np.clip(np.divide(monthly, fee, out=np.zeros_like(fee), where=fee > 0), 0, 1)
    relative = np.maximum(relative, 0.5 * (offer.free_months > 0))
    is_data = float(offer.bonus_data_gb) > 0
    price = np.clip(0.6 + 2.0 * relative, 0, 0.9) if not is_data else np.full(fee.shape, 0.12)
    data = np.full(fee.shape, 0.85) if is_data else np.clip(0.2 + 0.8 * relative, 0, 0.5)
    sure = np.full(fee.shape, 0.15) if is_data else np.clip(0.1 + 0.8 * relative, 0, 0.4)
    return np.select(
        [group == PRICE, group == DATA, group == LOST, group == SLEEPING],
        [price, data, np.full(fee.shape, 0.04), np.full(fee.shape, 0.02)],
        default=sure,
    )


def response_groups(features: pa.Table, draws: np.ndarray) -> np.ndarray:
    """The planted group of every row of a feature table (``draws``: one uniform each)."""

    def col(name: str, fill: float) -> np.ndarray:
        values = np.asarray(features.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
        return np.where(np.isnan(values), fill, values)

    gap = col("competitor_gap", 0.0)
    tenure = col("tenure_months", 0.0)
    to_end = np.asarray(
        features.column("months_to_contract_end").to_numpy(zero_copy_only=False), dtype=np.float64
    )
    contract = col("contract_months", 0.0)
    lost = (
        (col("unresolved_3m", 0) >= 1)
        | (col("complaints_3m", 0) >= 1)
        | (col("cancellation_contacts_3m", 0) >= 1)
        | (col("bill_peak_ratio", 1.0) >= 1.8)
    )
    contract_ending = (np.nan_to_num(to_end, nan=99) >= -2) & (np.nan_to_num(to_end, nan=99) <= 2)
    price = ~lost & (tenure >= 6) & ((gap >= 0.2) | contract_ending)
    data = ~lost & ~price & (col("overage_3m", 0.0) > 0)
    out_of_contract = (contract == 0) | np.isnan(to_end) | (np.nan_to_num(to_end) <= 0)
    sleeping = (
        ~lost & ~price & ~data & (tenure >= 60) & (col("contacts_3m", 0) == 0) & out_of_contract
    )
    group = np.select([lost, price, data, sleeping], [LOST, PRICE, DATA, SLEEPING], default=SURE)
    share = np.array([0.0, GROUP_SHARE[PRICE], GROUP_SHARE[DATA], GROUP_SHARE[LOST], 0.0])
    share[SLEEPING] = GROUP_SHARE[SLEEPING]
    return np.where(draws < share[group], group, SURE)


@dataclass
class _World:
    hotline_staff: list[tuple[int, int]]  # (staff id, user id)
    grid_lead: dict[int, tuple[int, int]]
    clerk_of_store: dict[int, int]
    offers: dict[str, RetentionOffer]


def _world() -> _World:
    hotline: list[tuple[int, int]] = []
    grid_lead: dict[int, tuple[int, int]] = {}
    clerk: dict[int, int] = {}
    for staff_id, user_id, role, unit_id, store_id in (
        Staff.objects.filter(role__in=[Role.HOTLINE_AGENT, Role.GRID_LEAD, Role.CLERK])
        .order_by("pk")
        .values_list("pk", "user_id", "role", "unit_id", "store_id")
    ):
        if role == Role.HOTLINE_AGENT:
            hotline.append((staff_id, user_id))
        elif role == Role.GRID_LEAD:
            grid_lead.setdefault(unit_id, (staff_id, user_id))
        elif store_id is not None:
            clerk.setdefault(store_id, staff_id)
    return _World(
        hotline_staff=hotline,
        grid_lead=grid_lead,
        clerk_of_store=clerk,
        offers={o.code: o for o in RetentionOffer.objects.filter(active=True)},
    )


@dataclass
class _Ids:
    next: dict[str, int]

    def take(self, label: str, n: int) -> np.ndarray:
        first = self.next[label]
        self.next[label] = first + n
        return np.arange(first, first + n, dtype=np.int64)


_ID_MODELS: dict[str, Any] = {
    "target": CampaignTarget,
    "task": OutreachTask,
    "attempt": OutreachAttempt,
    "contact": Contact,
    "churn_truth": ChurnTruth,
}


def _ids() -> _Ids:
    return _Ids(
        next={
            label: (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1
            for label, model in _ID_MODELS.items()
        }
    )


class _Extract:
    """The operator extract, kept in step with what the generator writes (cancelled lines,
    discounted bills, the calls and cancellations as contacts), so that the features of
    every later campaign month are those a fresh extract would give."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lines = pq.read_table(folder / "lines.parquet")
        self.bills = pq.read_table(folder / "bills.parquet")
        self.contacts = pq.read_table(folder / "contacts.parquet")

    def cancel(self, line_day: dict[int, dt.date]) -> None:
        if not line_day:
            return
        ids = np.asarray(self.lines.column("line_id").to_numpy(zero_copy_only=False))
        changed = np.flatnonzero(np.isin(ids, np.fromiter(line_day, dtype=np.int64)))
        days = np.asarray(self.lines.column("cancelled_on").to_numpy(zero_copy_only=False))
        days = days.astype(object)
        days[changed] = [line_day[int(ids[i])].isoformat() for i in changed]
        index = self.lines.schema.get_field_index("cancelled_on")
        self.lines = self.lines.set_column(index, "cancelled_on", pa.array(days, pa.string()))
        pq.write_table(self.lines, self.folder / "lines.parquet")

    def rebill(self, totals: dict[tuple[int, str], float]) -> None:
        if not totals:
            return
        accounts = np.asarray(self.bills.column("account_id").to_numpy(zero_copy_only=False))
        touched = np.flatnonzero(np.isin(accounts, np.array(sorted({a for a, _m in totals}))))
        months = self.bills.column("month").take(pa.array(touched)).to_pylist()
        amounts = np.array(self.bills.column("total").to_numpy(zero_copy_only=False), dtype=float)
        for i, month in zip(touched.tolist(), months, strict=True):
            amounts[i] = totals.get((int(accounts[i]), month), amounts[i])
        index = self.bills.schema.get_field_index("total")
        self.bills = self.bills.set_column(index, "total", pa.array(amounts, pa.float64()))
        pq.write_table(self.bills, self.folder / "bills.parquet")

    def contact(
        self,
        *,
        customer: np.ndarray,
        line: np.ndarray,
        topic: str,
        at: np.ndarray,
        resolved: np.ndarray,
    ) -> None:
        local = (np.asarray(at, dtype=np.int64) + 8 * 3600) // 86400
        days = [_date(d).isoformat() for d in local.tolist()]
        extra = pa.table(
            {
                "customer_id": pa.array(customer, pa.int64()),
                "line_id": pa.array(line, pa.int64()),
                "topic": pa.array([topic] * len(days), pa.string()),
                "started_at": pa.array(days, pa.string()),
                "resolved_at_contact": pa.array(resolved, pa.bool_()),
            },
            schema=self.contacts.schema,
        )
        self.contacts = pa.concat_tables([self.contacts, extra])
        pq.write_table(self.contacts, self.folder / "contacts.parquet")


def _day(value: Any) -> int:
    return -1 if value is None else (value - EPOCH).days


def _date(days: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(days))


def _epoch_seconds(day: np.ndarray, hour: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """Local (Asia/Shanghai, no daylight saving) day and time as UTC epoch seconds."""
    return day * 86400 + hour * 3600 + minute * 60 - 8 * 3600


@dataclass
class _Plan:
    """One campaign's decisions, column by column over its targets."""

    spec: CampaignSpec
    month: dt.date
    line: np.ndarray
    customer: np.ndarray
    account: np.ndarray
    subscription: np.ndarray
    unit: np.ndarray
    family: np.ndarray
    fee: np.ndarray
    offer: np.ndarray  # index into spec.offers
    control: np.ndarray
    stratum: np.ndarray
    group: np.ndarray
    value: np.ndarray
    offer_cost: np.ndarray
    attempts: np.ndarray
    attempt_at: np.ndarray  # [n, MAX_ATTEMPTS] epoch seconds, -1 none
    attempt_result: np.ndarray  # [n, MAX_ATTEMPTS] index into RESULTS, -1 none
    task_status: np.ndarray  # index into TASK_STATUS
    churned: np.ndarray
    churned_on: np.ndarray  # days, NULL_DATE none
    planted: np.ndarray  # departures the campaign caused or did not prevent (new cancels)
    rows: Counter[str] = field(default_factory=Counter)


RESULTS = (
    OutreachAttempt.Result.NO_ANSWER,
    OutreachAttempt.Result.ACCEPTED,
    OutreachAttempt.Result.DECLINED,
)
TASK_STATUS = (
    OutreachTask.Status.ACCEPTED,
    OutreachTask.Status.DECLINED,
    OutreachTask.Status.NO_ANSWER,
    OutreachTask.Status.CLOSED,
)


def _exact_controls(rng: np.random.Generator, strata: np.ndarray, share: float) -> np.ndarray:
    """A control flag per row: in every stratum, round(share x size) rows at random."""
    control = np.zeros(len(strata), dtype=bool)
    for value in np.unique(strata):
        members = np.flatnonzero(strata == value)
        count = int(np.floor(share * len(members) + 0.5))
        control[rng.permutation(members)[:count]] = True
    return control


def _plan(
    *,
    index: int,
    spec: CampaignSpec,
    month: dt.date,
    tables: Path,
    world: _World,
    seed: int,
    excluded: set[int],
    terms: ValueTerms,
    fits: dict[tuple[str, str, str], SegmentFit],
) -> _Plan | None:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 606, index]))
    window_end = month_add(month, WINDOW_MONTHS)  # first day after the window
    people = primary_lines(tables, as_of=month)
    features = features_as_of(tables, as_of=month)
    line = np.asarray(people.column("line_id").to_numpy(zero_copy_only=False), dtype=np.int64)
    customer = np.asarray(
        people.column("customer_id").to_numpy(zero_copy_only=False), dtype=np.int64
    )
    # (joined on, value tier, opted out, unit) of every customer, as plain tuples
    customers = {
        pk: (joined, tier, opt_out, unit)
        for pk, joined, tier, opt_out, unit in Customer.objects.values_list(
            "pk", "joined_on", "value_tier", "marketing_opt_out", "unit_id"
        ).iterator(chunk_size=20000)
    }
    before = month_add(month, -1)
    with_requests = set(
        CancellationRequest.objects.filter(opened_at__date__gte=before).values_list(
            "customer_id", flat=True
        )
    )
    suspended_accounts = set(
        Line.objects.filter(suspended_on__isnull=False, suspended_on__lt=window_end).values_list(
            "account_id", flat=True
        )
    )
    account = np.asarray(people.column("account_id").to_numpy(zero_copy_only=False), dtype=np.int64)
    keep = np.array(
        [
            c not in excluded
            and c not in with_requests
            and a not in suspended_accounts
            and c in customers
            and not customers[c][2]
            for c, a in zip(customer.tolist(), account.tolist(), strict=True)
        ],
        dtype=bool,
    )
    sampled = keep & (rng.random(len(line)) < SAMPLE_SHARE)
    rows = np.flatnonzero(sampled)
    if len(rows) == 0:
        return None
    families_of: dict[int, set[str]] = defaultdict(set)
    for c, fam in zip(
        people.column("customer_id").to_pylist(),
        people.column("plan_family").to_pylist(),
        strict=True,
    ):
        families_of[int(c)].add(str(fam))
    offers = [world.offers[code] for code in spec.offers]
    eligible = np.array(
        [
            [
                not offer_ineligibility(
                    o,
                    customer=Customer(
                        joined_on=customers[int(customer[r])][0],
                        value_tier=customers[int(customer[r])][1],
                    ),
                    today=month,
                    families=families_of[int(customer[r])],
                )
                for o in offers
            ]
            for r in rows
        ],
        dtype=bool,
    ).reshape(len(rows), len(offers))
    draws = rng.random((len(rows), len(offers)))
    planned = np.argmax(np.where(eligible, draws, -1.0), axis=1)
    has_offer = eligible.any(axis=1)
    rows, planned = rows[has_offer], planned[has_offer]
    n = len(rows)
    if n == 0:
        return None
    fam_codes = {
        f: i for i, f in enumerate(sorted(set(people.column("plan_family").to_pylist()) - {None}))
    }
    family = np.asarray(people.column("plan_family").to_pylist(), dtype=object)[rows]
    stratum = planned * 100 + np.array([fam_codes.get(f, 99) for f in family], dtype=np.int64)
    control = _exact_controls(rng, stratum, spec.control_share)

    # features of the sampled lines (the same order)
    position = {int(v): i for i, v in enumerate(features.column("line_id").to_pylist())}
    feature_rows = np.array([position[int(v)] for v in line[rows]], dtype=np.int64)
    sampled_features = features.take(pa.array(feature_rows))
    group = response_groups(sampled_features, rng.random(n))
    fee = np.nan_to_num(
        np.asarray(sampled_features.column("plan_fee").to_numpy(zero_copy_only=False), dtype=float)
    )

    # what happens anyway: the operator's own churn in the window
    cancelled = people.column("cancelled_on").to_pylist()
    natural_day = np.array(
        [_day(cancelled[r]) if cancelled[r] is not None else -1 for r in rows], dtype=np.int64
    )
    start_day, end_day = _day(month), _day(window_end)
    natural = (natural_day >= start_day) & (natural_day < end_day)

    # calls to the treated
    offsets = np.cumsum(
        np.column_stack([rng.integers(0, 7, n), rng.integers(1, 4, n), rng.integers(1, 4, n)]),
        axis=1,
    )
    call_day = start_day + offsets
    call_at = _epoch_seconds(
        call_day, rng.integers(9, 21, (n, MAX_ATTEMPTS)), rng.integers(0, 60, (n, MAX_ATTEMPTS))
    )
    answered = rng.random((n, MAX_ATTEMPTS)) < REACH_PER_ATTEMPT
    before_leaving = ~natural[:, None] | (call_day < natural_day[:, None])
    possible = ~control[:, None] & before_leaving
    reached_at = np.where(possible & answered, np.arange(MAX_ATTEMPTS)[None, :], MAX_ATTEMPTS)
    first_reached = reached_at.min(axis=1)
    reached = first_reached < MAX_ATTEMPTS
    made = np.where(reached, first_reached + 1, possible.sum(axis=1))
    accept_p = np.zeros(n)
    for j, offer in enumerate(offers):
        mine = planned == j
        accept_p[mine] = _accept_probability(group[mine], offer, fee[mine])
    accepted = reached & ~natural & (rng.random(n) < accept_p)
    attempt_result = np.full((n, MAX_ATTEMPTS), -1, dtype=np.int64)
    attempt_at = np.full((n, MAX_ATTEMPTS), -1, dtype=np.int64)
    for k in range(MAX_ATTEMPTS):
        done = k < made
        attempt_at[done, k] = call_at[done, k]
        attempt_result[done, k] = 0
        final = done & reached & (first_reached == k)
        attempt_result[final, k] = np.where(accepted[final], 1, 2)
    task_status = np.select([accepted, reached, made >= MAX_ATTEMPTS], [0, 1, 2], default=3).astype(
        np.int64
    )

    # departures the campaign caused, or did not prevent
    leave = rng.random(n)
    kept = accepted
    planted = (
        np.select(
            [
                np.isin(group, [PRICE, DATA]),
                group == LOST,
                group == SLEEPING,
            ],
            [
                ~kept
                & (
                    leave
                    < np.where(group == PRICE, LEAVE_UNLESS_KEPT[PRICE], LEAVE_UNLESS_KEPT[DATA])
                ),
                leave < LEAVE_ANYWAY,
                reached & ~accepted & (leave < LEAVE_WHEN_CALLED),
            ],
            default=False,
        ).astype(bool)
        & ~natural
    )
    last_call = np.where(made > 0, call_day[np.arange(n), np.maximum(made - 1, 0)], start_day + 2)
    lo = np.maximum(last_call + 1, start_day + 3)
    planted_day = lo + (rng.random(n) * np.maximum(end_day - lo, 1)).astype(np.int64)
    planted_day = np.minimum(planted_day, end_day - 1)
    churned = natural | planted
    churned_on = np.where(natural, natural_day, np.where(planted, planted_day, NULL_DATE))

    values_by_sub = subscription_values(tables, as_of=month, terms=terms, fits=fits)
    subscription = np.asarray(
        people.column("subscription_id").to_numpy(zero_copy_only=False), dtype=np.int64
    )[rows]
    value = np.array([values_by_sub.get(int(s), 0.0) for s in subscription])
    costs: dict[tuple[int, float], float] = {}
    offer_cost = np.zeros(n)
    for i in range(n):
        key = (int(planned[i]), round(float(fee[i]), 2))
        if key not in costs:
            costs[key] = float(
                grant_cost(offer=offers[key[0]], monthly_fee=Decimal(f"{key[1]:.2f}"))[1]
            )
        offer_cost[i] = costs[key]
    return _Plan(
        spec=spec,
        month=month,
        line=line[rows],
        customer=customer[rows],
        account=account[rows],
        subscription=subscription,
        unit=np.array([customers[int(c)][3] for c in customer[rows]], dtype=np.int64),
        family=family,
        fee=fee,
        offer=planned,
        control=control,
        stratum=stratum,
        group=group,
        value=value,
        offer_cost=offer_cost,
        attempts=np.where(control, 0, made),
        attempt_at=attempt_at,
        attempt_result=attempt_result,
        task_status=task_status,
        churned=churned,
        churned_on=churned_on,
        planted=planted,
    )


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _write_campaign(
    plan: _Plan, *, index: int, seed: int, world: _World, ids: _Ids, extract: _Extract
) -> Campaign:
    spec, n = plan.spec, len(plan.line)
    treated = ~plan.control
    reserved = float((plan.offer_cost + float(CONTACT_COST) * MAX_ATTEMPTS)[treated].sum())
    start = dt.datetime.combine(plan.month, dt.time(9, 0), tzinfo=SHANGHAI)
    ends_on = month_add(plan.month, WINDOW_MONTHS) - dt.timedelta(days=1)
    closed = dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time(9, 0), tzinfo=SHANGHAI)
    campaign = Campaign.objects.create(
        name=f"{plan.month:%Y-%m} {spec.name}",
        unit=None,
        budget=_money(reserved).quantize(Decimal("1")) + Decimal("1"),
        control_share=Decimal(str(spec.control_share)).quantize(Decimal("0.001")),
        contact_cost=CONTACT_COST,
        starts_on=plan.month,
        ends_on=ends_on,
        channel=Campaign.Channel.AUTO,
        seed=seed * 10 + index,
        status=Campaign.Status.CLOSED,
        generated=True,
        features_as_of=plan.month,
        max_attempts=MAX_ATTEMPTS,
        reserved_cost=_money(reserved),
        targeted_at=start - dt.timedelta(days=3),
        launched_at=start,
        closed_at=closed,
    )
    offers = [world.offers[code] for code in spec.offers]
    campaign.offers.set(offers)
    offer_ids = np.array([o.pk for o in offers], dtype=np.int64)
    target_ids = ids.take("target", n)
    rank = np.argsort(np.random.default_rng(np.random.SeedSequence([seed, 707, index])).random(n))
    outcome = np.where(plan.churned, CampaignTarget.Outcome.CHURNED, CampaignTarget.Outcome.STAYED)
    plan.rows["scoring.campaigntarget"] += table_write(
        Table(
            CampaignTarget,
            [
                ("id", INT, target_ids),
                ("campaign", INT, np.full(n, campaign.pk)),
                ("line", INT, plan.line),
                ("customer", INT, plan.customer),
                ("arm", TEXT, np.where(plan.control, "control", "treatment").tolist()),
                ("offer", INT_NULL, offer_ids[plan.offer]),
                ("stratum", INT, plan.stratum),
                ("rank", INT, rank + 1),
                ("remaining_value", DEC2, plan.value),
                ("expected_net_value", DEC2, np.zeros(n)),
                ("offer_cost", DEC2, plan.offer_cost),
                (
                    "reserved_cost",
                    DEC2,
                    np.where(
                        plan.control, 0.0, plan.offer_cost + float(CONTACT_COST) * MAX_ATTEMPTS
                    ),
                ),
                ("outcome", TEXT, outcome.tolist()),
                ("churned_on", DATE_NULL, plan.churned_on),
            ],
        )
    )

    # tasks, attempts and the contacts they are
    rows = np.flatnonzero(~plan.control)
    grid = np.isin(plan.family[rows], GRID_FAMILIES) & np.array(
        [int(u) in world.grid_lead for u in plan.unit[rows]], dtype=bool
    )
    task_ids = ids.take("task", len(rows))
    made = plan.attempts[rows]
    accepted = plan.task_status[rows] == 0
    last = plan.attempt_at[rows, np.maximum(made - 1, 0)]
    created = int(start.timestamp())
    plan.rows["scoring.outreachtask"] += table_write(
        Table(
            OutreachTask,
            [
                ("id", INT, task_ids),
                ("target", INT, target_ids[rows]),
                ("campaign", INT, np.full(len(rows), campaign.pk)),
                ("queue", TEXT, np.where(grid, "grid", "hotline").tolist()),
                ("unit", INT, plan.unit[rows]),
                ("status", TEXT, [str(TASK_STATUS[s]) for s in plan.task_status[rows]]),
                ("attempts", INT, made),
                ("contact_cost", DEC2, made * float(CONTACT_COST)),
                ("offer_cost", DEC2, np.where(accepted, plan.offer_cost[rows], 0.0)),
                ("created_at", DATETIME, np.full(len(rows), created)),
                ("closed_at", DATETIME, np.where(made > 0, last, int(closed.timestamp()))),
                ("closed_by", INT_NULL, np.full(len(rows), -1)),
            ],
        )
    )
    t_idx, k_idx = np.nonzero(plan.attempt_at[rows] >= 0)
    caller_staff = np.zeros(len(t_idx), dtype=np.int64)
    caller_user = np.zeros(len(t_idx), dtype=np.int64)
    pick = np.random.default_rng(np.random.SeedSequence([seed, 808, index])).integers(
        0, max(1, len(world.hotline_staff)), len(t_idx)
    )
    for a, (t, p) in enumerate(zip(t_idx.tolist(), pick.tolist(), strict=True)):
        if grid[t]:
            staff_id, user_id = world.grid_lead[int(plan.unit[rows[t]])]
        elif world.hotline_staff:
            staff_id, user_id = world.hotline_staff[p]
        else:
            staff_id, user_id = -1, -1
        caller_staff[a], caller_user[a] = staff_id, user_id
    results = [str(RESULTS[r]) for r in plan.attempt_result[rows][t_idx, k_idx]]
    at = plan.attempt_at[rows][t_idx, k_idx]
    plan.rows["scoring.outreachattempt"] += table_write(
        Table(
            OutreachAttempt,
            [
                ("id", INT, ids.take("attempt", len(t_idx))),
                ("task", INT, task_ids[t_idx]),
                ("at", DATETIME, at),
                ("result", TEXT, results),
                ("note", TEXT, [ATTEMPT_NOTES[OutreachAttempt.Result(r)] for r in results]),
                ("by", INT_NULL, caller_user),
            ],
        )
    )
    contact_ids = ids.take("contact", len(t_idx))
    reached = np.array([r != OutreachAttempt.Result.NO_ANSWER for r in results], dtype=bool)
    plan.rows["customers.contact"] += table_write(
        Table(
            Contact,
            [
                ("id", INT, contact_ids),
                ("external_id", TEXT, [f"CMP{i:010d}" for i in contact_ids.tolist()]),
                ("customer", INT, plan.customer[rows][t_idx]),
                ("line", INT_NULL, plan.line[rows][t_idx]),
                ("channel", TEXT, np.where(grid[t_idx], "wechat", "hotline").tolist()),
                ("topic", TEXT, ["plan"] * len(t_idx)),
                ("agent", INT_NULL, caller_staff),
                ("started_at", DATETIME, at),
                ("ended_at", DATETIME, at + np.where(reached, 240, 30)),
                ("transferred", BOOL, np.zeros(len(t_idx), dtype=bool)),
                ("resolved_at_contact", BOOL, reached),
                ("note", TEXT, [ATTEMPT_NOTES[OutreachAttempt.Result(r)] for r in results]),
            ],
        )
    )
    extract.contact(
        customer=plan.customer[rows][t_idx],
        line=plan.line[rows][t_idx],
        topic="plan",
        at=at,
        resolved=reached,
    )
    return campaign


def _chunks(values: list[int], size: int = 500) -> list[list[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _cancel_planted(
    plan: _Plan, *, newest: dt.date, world: _World, ids: _Ids, extract: _Extract
) -> None:
    """Make the line data agree with the planted departures: the plan's lines, the plan
    and (when nothing is left) the account end that day; usage, bills and contacts after it
    go; a churn driver and the store's cancellation contact are added."""
    rows = np.flatnonzero(plan.planted)
    if len(rows) == 0:
        return
    subs = [int(v) for v in plan.subscription[rows].tolist()]
    day_of_sub = {s: _date(d) for s, d in zip(subs, plan.churned_on[rows].tolist(), strict=True)}
    group_of_sub = {s: int(g) for s, g in zip(subs, plan.group[rows].tolist(), strict=True)}
    # the plan's lines still there on the day (some would have left later on their own)
    lines = sorted(
        (int(pk), int(sub))
        for part in _chunks(subs)
        for pk, sub, cancelled in Line.objects.filter(subscription_id__in=part).values_list(
            "pk", "subscription_id", "cancelled_on"
        )
        if cancelled is None or cancelled > day_of_sub[int(sub)]
    )
    line_day = {pk: day_of_sub[sub] for pk, sub in lines}
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for line_id, day in line_day.items():
        by_day[day].append(line_id)
    subs_by_day: dict[dt.date, list[int]] = defaultdict(list)
    for sub, day in day_of_sub.items():
        subs_by_day[day].append(sub)
    for day in sorted(by_day):
        for part in _chunks(by_day[day]):
            Line.objects.filter(pk__in=part).update(status=Line.Status.CANCELLED, cancelled_on=day)
    for day in sorted(subs_by_day):
        for part in _chunks(subs_by_day[day]):
            Subscription.objects.filter(pk__in=part).update(ended_on=day)
    # after the month of leaving: no usage; no bills and no contacts once nothing is left
    for day in sorted(by_day):
        later = month_add(month_start(day), 1)
        if later <= newest:
            for part in _chunks(by_day[day]):
                Usage.objects.filter(line_id__in=part, month__gte=later).delete()
    accounts = sorted({int(a) for a in plan.account[rows].tolist()})
    still_open = {
        account
        for part in _chunks(accounts)
        for account in Subscription.objects.filter(
            account_id__in=part, ended_on__isnull=True
        ).values_list("account_id", flat=True)
    }
    day_of_account = {
        int(a): _date(d)
        for a, d in zip(plan.account[rows].tolist(), plan.churned_on[rows].tolist(), strict=True)
    }
    customer_of_account = {
        int(a): int(c)
        for a, c in zip(plan.account[rows].tolist(), plan.customer[rows].tolist(), strict=True)
    }
    gone = [a for a in accounts if a not in still_open]
    for part in _chunks(gone):
        Account.objects.filter(pk__in=part).update(status=Account.Status.CLOSED)
    gone_by_day: dict[dt.date, list[int]] = defaultdict(list)
    for account_id in gone:
        gone_by_day[day_of_account[account_id]].append(account_id)
    for day, account_ids in sorted(gone_by_day.items()):
        later = month_add(month_start(day), 1)
        after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=SHANGHAI)
        for part in _chunks(account_ids):
            if later <= newest:
                Bill.objects.filter(account_id__in=part, month__gte=later).delete()
            Contact.objects.filter(
                customer_id__in=[customer_of_account[a] for a in part], started_at__gte=after
            ).delete()
    # the churn driver: the campaign's, also for lines that would have left later anyway
    known = {
        line
        for part in _chunks(sorted(line_day))
        for line in ChurnTruth.objects.filter(line_id__in=part).values_list("line_id", flat=True)
    }
    for line_id in sorted(known):
        sub = next(sub for pk, sub in lines if pk == line_id)
        ChurnTruth.objects.filter(line_id=line_id).update(
            driver=DRIVER[group_of_sub[sub]], churned_on=day_of_sub[sub]
        )
    fresh = [(pk, sub) for pk, sub in lines if pk not in known]
    plan.rows["customers.churntruth"] += table_write(
        Table(
            ChurnTruth,
            [
                ("id", INT, ids.take("churn_truth", len(fresh))),
                ("line", INT, np.array([pk for pk, _sub in fresh], dtype=np.int64)),
                ("driver", TEXT, [DRIVER[group_of_sub[sub]] for _pk, sub in fresh]),
                (
                    "churned_on",
                    DATE_NULL,
                    np.array([_day(day_of_sub[sub]) for _pk, sub in fresh], dtype=np.int64),
                ),
            ],
        )
    )
    stores = {
        pk: store
        for part in _chunks(sorted({int(c) for c in plan.customer[rows].tolist()}))
        for pk, store in Customer.objects.filter(pk__in=part).values_list("pk", "store_id")
    }
    n = len(rows)
    hours = np.random.default_rng(np.random.SeedSequence([n, 909])).integers(10, 18, n)
    at = _epoch_seconds(plan.churned_on[rows], hours, np.zeros(n, dtype=np.int64))
    contact_ids = ids.take("contact", n)
    plan.rows["customers.contact"] += table_write(
        Table(
            Contact,
            [
                ("id", INT, contact_ids),
                ("external_id", TEXT, [f"CMP{i:010d}" for i in contact_ids.tolist()]),
                ("customer", INT, plan.customer[rows]),
                ("line", INT_NULL, plan.line[rows]),
                ("channel", TEXT, ["store"] * n),
                ("topic", TEXT, ["cancellation"] * n),
                (
                    "agent",
                    INT_NULL,
                    np.array(
                        [
                            world.clerk_of_store.get(stores.get(int(c), -1), -1)
                            for c in plan.customer[rows]
                        ],
                        dtype=np.int64,
                    ),
                ),
                ("started_at", DATETIME, at),
                ("ended_at", DATETIME, at + 900),
                ("transferred", BOOL, np.zeros(n, dtype=bool)),
                ("resolved_at_contact", BOOL, np.ones(n, dtype=bool)),
                ("note", TEXT, [CANCEL_NOTE] * n),
            ],
        )
    )
    extract.cancel(line_day)
    extract.contact(
        customer=plan.customer[rows],
        line=plan.line[rows],
        topic="cancellation",
        at=at,
        resolved=np.ones(n, dtype=bool),
    )


def _discount_bills(plan: _Plan, *, world: _World, extract: _Extract) -> int:
    """Accepted offers lower the bills of the months after the campaign month."""
    accepted = np.flatnonzero((plan.task_status == 0) & ~plan.control)
    if len(accepted) == 0:
        return 0
    offers = [world.offers[code] for code in plan.spec.offers]
    first = month_add(plan.month, 1)
    wanted: dict[int, tuple[RetentionOffer, Decimal]] = {}
    for i in accepted.tolist():
        wanted[int(plan.account[i])] = (offers[int(plan.offer[i])], _money(float(plan.fee[i])))
    updates: list[tuple[str, str, int]] = []
    totals: dict[tuple[int, str], float] = {}
    for part in _chunks(sorted(wanted)):
        bills = (
            Bill.objects.filter(account_id__in=part, month__gte=first)
            .order_by("pk")
            .values_list("pk", "account_id", "month", "total", "items")
        )
        for pk, account_id, month, total, items in bills:
            offer, fee = wanted[int(account_id)]
            k = (month.year - first.year) * 12 + month.month - first.month + 1
            concession = fee - offer_month_amount(
                current_monthly=fee, offer=offer_terms(offer), month=k
            )
            if concession <= 0:
                continue
            data = dict(items) if isinstance(items, dict) else {}
            discount = Decimal(str(data.get("discount", "0.00"))) - concession
            data["discount"] = f"{discount:.2f}"
            new_total = Decimal(total) - concession
            updates.append((f"{new_total:.2f}", json.dumps(data), int(pk)))
            totals[(int(account_id), month.isoformat())] = float(new_total)
    table = connection.ops.quote_name(Bill._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(updates), 1000):
            cursor.executemany(
                f"UPDATE {table} SET total = %s, items = %s WHERE id = %s",
                updates[start : start + 1000],
            )
    extract.rebill(totals)
    return len(updates)


def _finish_database() -> None:
    bulk_load_finish(explicit_ids=list(_ID_MODELS.values()), app_labels=["scoring", "customers"])


def campaign_history_generate(
    *, seed: int, as_of: dt.date, progress: bool = False
) -> dict[str, int]:
    """Generate past campaigns (see the module's description); returns the rows written per
    table, the number of campaigns, targets and planted departures, and how many targets
    fell in each response group. Same database and seed, same rows. A history too short
    for a campaign (three months before its window) gives no campaigns.

    Raises ``CampaignHistoryExists`` when campaigns already exist."""
    from wanliu.scoring.selectors import value_policy_current

    if Campaign.objects.exists():
        raise CampaignHistoryExists(
            "this database already holds campaigns; the campaign history is generated once, "
            "on an operator freshly filled by `wanliu generate`"
        )
    world = _world()
    missing = sorted({c for spec in SPECS for c in spec.offers} - set(world.offers))
    if missing:
        raise CampaignHistoryExists(
            f"the retention offer catalogue lacks {', '.join(missing)}: the campaign history "
            "offers the default ladder's offers"
        )
    policy = value_policy_current()
    terms = ValueTerms(
        margin_share=float(policy.margin_share),
        annual_discount_rate=float(policy.annual_discount_rate),
        horizon_months=int(policy.horizon_months),
    )
    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="wanliu-campaigns-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, progress=progress)
        try:
            newest = min(last_month(tables), month_add(month_start(as_of), -1))
        except ValueError:
            return {"campaigns": 0}
        earliest = month_add(_first_month(tables), MIN_HISTORY_MONTHS)
        chosen = [
            (i, spec)
            for i, spec in enumerate(SPECS)
            if month_add(newest, -spec.months_back) >= earliest
        ]
        if not chosen:
            return {"campaigns": 0}
        extract = _Extract(tables)
        fits = value_fits(tables, as_of=month_add(newest, -chosen[0][1].months_back))
        ids = _ids()
        resting: set[int] = set()
        for index, spec in tqdm(
            chosen, desc="Generating past campaigns", file=sys.stderr, disable=not progress
        ):
            plan = _plan(
                index=index,
                spec=spec,
                month=month_add(newest, -spec.months_back),
                tables=tables,
                world=world,
                seed=seed,
                excluded=resting,
                terms=terms,
                fits=fits,
            )
            if plan is None:
                continue
            with transaction.atomic():
                _write_campaign(plan, index=index, seed=seed, world=world, ids=ids, extract=extract)
                _cancel_planted(plan, newest=newest, world=world, ids=ids, extract=extract)
                counts["customers.bill.discounted"] += _discount_bills(
                    plan, world=world, extract=extract
                )
            counts.update(plan.rows)
            counts["campaigns"] += 1
            counts["targets"] += len(plan.line)
            counts["planted_departures"] += int(plan.planted.sum())
            for g, name in enumerate(GROUP_NAMES):
                counts[f"group.{name}"] += int((plan.group == g).sum())
            # the customers of a campaign rest during the next one (the contact policy)
            resting = {int(c) for c in plan.customer.tolist()}
    with transaction.atomic():
        _finish_database()
        report = dict(sorted(counts.items()))
        audit_record(
            actor=None,
            action="scoring.campaign_history.generate",
            obj=_Run(pk=f"seed={seed}"),
            after={"seed": seed, "as_of": as_of.isoformat(), "rows": report},
            note=f"{counts['campaigns']} past campaigns",
        )
    return report


def _first_month(tables: Path) -> dt.date:
    import duckdb

    with duckdb.connect() as con:
        row = con.execute(
            "SELECT min(CAST(month AS DATE)) FROM read_parquet($p)",
            {"p": str(tables / "bills.parquet")},
        ).fetchone()
    assert row is not None and row[0] is not None
    return month_start(row[0])


@dataclass(frozen=True)
class _Run:
    pk: str
