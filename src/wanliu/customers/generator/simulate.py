"""One chunk of the generated operator's customers, simulated month by month with numpy.

Everything is vectorised over customers, subscriptions, lines and months. The order of
the simulation is the order of cause and effect:

1. customers, their product mix (segment, plans, lines) and when they joined;
2. plan changes (in and before the window) and contract terms;
3. usage of each line before any churn, with rare spikes (data overage, roaming);
4. what happens to customers: bill shock from those spikes, network faults and
   whether the fault (and the complaint after it) got resolved;
5. churn: each month a subscription leaves with a hazard that is the sum of the known
   drivers (competitor price in its area, contract end, bill shock, unresolved fault,
   early tenure, a small base of "no longer needed"); the driver that fired is recorded;
6. final usage (declining in the months before leaving), bills, and contacts.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np

from wanliu.core.tables import (
    BOOL,
    DATE,
    DATE_NULL,
    DATETIME,
    DEC2,
    DEC3,
    INT,
    INT_NULL,
    JSON,
    NULL_DATE,
    TEXT,
    Table,
)
from wanliu.customers.generator.catalogue import (
    DRIVER_CODES,
    NOTES,
    PLAN_CHANGE_REASON_LEGACY,
    PLAN_CHANGE_REASONS_DOWN,
    PLAN_CHANGE_REASONS_UP,
    PLAN_DOWN,
    PLAN_UP,
    SEGMENTS,
)
from wanliu.customers.generator.market import Market
from wanliu.customers.generator.org import Organisation, PlanTable
from wanliu.customers.generator.people import names_draw, national_ids_draw
from wanliu.customers.models import (
    Account,
    Bill,
    ChurnTruth,
    Contact,
    Customer,
    Line,
    PlanChange,
    Subscription,
    Usage,
)

EPOCH = dt.date(1970, 1, 1)
KINDS = ("mobile", "broadband", "tv", "fixed")
MOBILE, BROADBAND, TV, FIXED = 0, 1, 2, 3
CHANNELS = ("hotline", "store", "online", "app", "wechat")
HOTLINE, STORE, ONLINE, APP, WECHAT = range(5)
TOPICS = ("billing", "network", "plan", "cancellation", "complaint", "device", "other")
BILLING, NETWORK, PLAN, CANCELLATION, COMPLAINT, DEVICE, OTHER = range(7)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "158",
    "180",
    "181",
    "186",
    "188",
    "189",
    "191",
    "199",
)  # 23 prefixes: a prime count keeps the number scramble a bijection
VALUE_TIERS = np.array(["A", "B", "C", "D"], dtype=object)
# Local contact hours 08:00-21:59 and their weights (busy late morning and evening).
HOUR_WEIGHTS = np.array([3, 6, 9, 10, 8, 7, 8, 9, 9, 8, 8, 7, 5, 3], dtype=float)
DATA_OVERAGE_CENTS_PER_GB = 500
VOICE_OVERAGE_CENTS_PER_MIN = 15
FIXED_OVERAGE_CENTS_PER_MIN = 10
ROAMING_CENTS_PER_MIN = 199
UTC_OFFSET_SECONDS = 8 * 3600  # Asia/Shanghai has no daylight saving

# Monthly churn hazard of each driver (order of DRIVER_CODES).
HAZARD_PRICE_MAX = 0.04  # competitor_price, times the relative price gap (capped at 0.8)
HAZARD_CONTRACT_END = 0.035  # the month a contract term ends and the two after
HAZARD_BILL_SHOCK = 0.07  # the month after a shocking bill
HAZARD_UNRESOLVED = (0.08, 0.04)  # one and two months after an unresolved fault
HAZARD_TENURE = (0.015, 0.006)  # months 1-5 and 6-11 after joining
HAZARD_BASE = 0.0025  # moving away, line no longer needed: usage fades first
# Usage multipliers k months before the churn month (k = 0 is the churn month).
DECLINE = np.array([0.55, 0.7, 0.82, 0.92, 1.0, 1.0])
DECLINE_USAGE_DRIVER = np.array([0.25, 0.4, 0.55, 0.7, 0.85, 1.0])
DECLINE_SUDDEN = np.array([0.55, 1.0, 1.0, 1.0, 1.0, 1.0])  # bill shock: leaves at once

_NOTE_TEXTS: list[str] = [text for group in NOTES.values() for text in group]
_NOTE_GROUP: dict[str, tuple[int, int]] = {}
_position = 0
for _group, _texts in NOTES.items():
    _NOTE_GROUP[_group] = (_position, len(_texts))
    _position += len(_texts)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


@dataclass
class Calendar:
    """The generated window: ``months`` whole months ending with the last one before as-of."""

    as_of: dt.date
    month_starts: list[dt.date]
    first_month: np.datetime64  # datetime64[M] of month index 0

    @classmethod
    def ending_before(cls, as_of: dt.date, months: int) -> Calendar:
        last = np.datetime64(as_of, "M") - 1
        first = last - (months - 1)
        starts = [
            dt.date.fromisoformat(str(m))
            for m in np.arange(first, last + 1).astype("datetime64[D]")
        ]
        return cls(as_of=as_of, month_starts=starts, first_month=first)

    @property
    def months(self) -> int:
        return len(self.month_starts)

    def start_day(self, month_index: np.ndarray) -> np.ndarray:
        """First day (days since epoch) of month indexes relative to the window (any sign)."""
        m = self.first_month + np.asarray(month_index, dtype=np.int64)
        return m.astype("datetime64[D]").astype(np.int64)

    def days_in(self, month_index: np.ndarray) -> np.ndarray:
        m = np.asarray(month_index, dtype=np.int64)
        return self.start_day(m + 1) - self.start_day(m)

    @property
    def window_start_days(self) -> np.ndarray:
        """[M+1] first day of each window month and of the month after it."""
        return self.start_day(np.arange(self.months + 1))

    @property
    def calendar_month(self) -> np.ndarray:
        return np.array([d.month for d in self.month_starts], dtype=np.int64)


@dataclass
class Sequences:
    """Running ids and number sequences, carried from chunk to chunk."""

    next_id: dict[str, int]
    mobile: int = 0
    broadband: int = 0
    tv: int = 0
    fixed: int = 0
    scramble: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def take(self, label: str, n: int) -> np.ndarray:
        first = self.next_id[label]
        self.next_id[label] = first + n
        return np.arange(first, first + n, dtype=np.int64)


@dataclass
class Context:
    seed: int
    calendar: Calendar
    org: Organisation
    plans: PlanTable
    market: Market


@dataclass
class ChunkResult:
    tables: list[Table]
    lines: int
    churned_lines: int


def _pick(
    rng: np.random.Generator, n: int, weights: dict[str, float], plans: PlanTable
) -> np.ndarray:
    codes = list(weights)
    p = np.array([weights[c] for c in codes])
    idx = np.array([plans.index(c) for c in codes], dtype=np.int64)
    return idx[rng.choice(len(codes), size=n, p=p / p.sum())]


def _by_groups(values: np.ndarray, groups: np.ndarray, n_groups: int, months: int) -> np.ndarray:
    """Sum a [rows, M] matrix into [groups, M] by each row's group index."""
    flat = (groups[:, None] * months + np.arange(months)[None, :]).ravel()
    summed = np.bincount(flat, weights=values.ravel(), minlength=n_groups * months)
    return summed.reshape(n_groups, months)


def _notes(rng: np.random.Generator, group: str, n: int) -> np.ndarray:
    start, count = _NOTE_GROUP[group]
    return start + rng.integers(0, count, n)


def simulate_chunk(
    ctx: Context, *, chunk_index: int, target_lines: int, seq: Sequences
) -> ChunkResult:
    """Simulate customers adding up to exactly ``target_lines`` lines."""
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 303, chunk_index]))
    cal, org, plans, market = ctx.calendar, ctx.org, ctx.plans, ctx.market
    M = cal.months
    mm = np.arange(M)[None, :]
    month_start = cal.window_start_days  # [M+1]
    dim = np.diff(month_start)  # [M]

    # 1. Product mix ------------------------------------------------------------------
    seg_p = np.array([share for _name, share, _w in SEGMENTS])
    seg_p /= seg_p.sum()
    seg_chunks, bplan_chunks, nm_chunks, tv_chunks, two_chunks = [], [], [], [], []
    total = 0
    while total < target_lines:
        n = max(64, int((target_lines - total) / 2.2) + 64)
        seg = rng.choice(4, size=n, p=seg_p)
        bplan = _pick(rng, n, SEGMENTS[0][2], plans)
        nm = np.maximum(1, plans.mobile_lines[bplan] - (rng.random(n) < 0.2))
        tv = plans.has_tv[bplan] & (rng.random(n) < 0.9)
        two = rng.random(n) < 0.15
        lines_each = np.where(seg == 0, nm + 1 + tv, np.where(seg == 1, 1 + two, 1))
        seg_chunks.append(seg)
        bplan_chunks.append(bplan)
        nm_chunks.append(nm)
        tv_chunks.append(tv)
        two_chunks.append(two)
        total += int(lines_each.sum())
    seg = np.concatenate(seg_chunks)
    bplan = np.concatenate(bplan_chunks)
    nm = np.concatenate(nm_chunks)
    tv = np.concatenate(tv_chunks)
    two = np.concatenate(two_chunks) & (seg == 1)
    lines_each = np.where(seg == 0, nm + 1 + tv, np.where(seg == 1, 1 + two, 1))
    keep = int(np.searchsorted(np.cumsum(lines_each), target_lines, side="right"))
    short = target_lines - int(lines_each[:keep].sum())
    # Top up with single-line mobile customers to hit the line count exactly.
    seg = np.concatenate([seg[:keep], np.full(short, 1)])
    bplan = np.concatenate([bplan[:keep], np.full(short, bplan[0])])
    nm = np.concatenate([nm[:keep], np.ones(short, dtype=np.int64)])
    tv = np.concatenate([tv[:keep], np.zeros(short, dtype=bool)])
    two = np.concatenate([two[:keep], np.zeros(short, dtype=bool)])
    C = len(seg)

    # Subscriptions: one per customer, two for some mobile-only customers.
    subs_each = np.where(two, 2, 1)
    S = int(subs_each.sum())
    sub_cust = np.repeat(np.arange(C), subs_each)
    sub_rank = np.arange(S) - np.repeat(np.cumsum(subs_each) - subs_each, subs_each)
    sub_seg = seg[sub_cust]
    plan0 = np.select(
        [sub_seg == 0, sub_seg == 1, sub_seg == 2],
        [
            bplan[sub_cust],
            _pick(rng, S, SEGMENTS[1][2], plans),
            _pick(rng, S, SEGMENTS[2][2], plans),
        ],
        default=plans.index("FIX15"),
    )
    sub_nm = np.where(sub_seg == 0, nm[sub_cust], np.where(sub_seg == 1, 1, 0))
    sub_tv = (sub_seg == 0) & tv[sub_cust]
    lines_per_sub = np.where(sub_seg == 0, sub_nm + 1 + sub_tv, 1)

    # When they joined: some during the window, the rest up to 25 years before it.
    new = rng.random(C) < min(0.5, 0.013 * M)
    tenure = np.where(rng.random(C) < 0.5, rng.exponential(30.0, C), rng.uniform(12, 240, C))
    cust_m = np.where(new, rng.integers(0, M, C), -np.ceil(np.clip(tenure, 1, 300))).astype(
        np.int64
    )
    cust_day = cal.start_day(cust_m) + (rng.random(C) * cal.days_in(cust_m)).astype(np.int64)
    sub_m = cust_m[sub_cust].copy()
    sub_day = cust_day[sub_cust].copy()
    second = sub_rank == 1
    later_m = sub_m[second] + (rng.random(int(second.sum())) * (M - sub_m[second])).astype(np.int64)
    later_m = np.minimum(later_m, M - 1)
    later_day = cal.start_day(later_m) + (rng.random(len(later_m)) * cal.days_in(later_m)).astype(
        np.int64
    )
    sub_m[second] = later_m
    sub_day[second] = np.maximum(sub_day[second], later_day)

    # 2. Plan changes and contract terms -----------------------------------------------
    up = np.array([plans.index(PLAN_UP[c]) if c in PLAN_UP else -1 for c in plans.codes])
    down = np.array([plans.index(PLAN_DOWN[c]) if c in PLAN_DOWN else -1 for c in plans.codes])
    legacy = plans.index("MOB29")
    go_up = (rng.random(S) < 0.6) | (plan0 == legacy)
    plan1 = np.where(go_up, up[plan0], down[plan0])
    fits = (plan1 >= 0) & (plans.mobile_lines[np.maximum(plan1, 0)] >= sub_nm)
    changes = fits & (sub_m <= M - 2) & (rng.random(S) < min(0.4, 0.01 * M))
    lo = np.maximum(sub_m + 1, 0)
    chg_m = np.where(changes, lo + (rng.random(S) * (M - lo)).astype(np.int64), -1)
    plan1 = np.where(changes, plan1, plan0)
    chg_day = np.where(
        changes,
        month_start[np.maximum(chg_m, 0)]
        + (rng.random(S) * dim[np.maximum(chg_m, 0)]).astype(np.int64),
        NULL_DATE,
    )
    reasons_up = np.array(PLAN_CHANGE_REASONS_UP, dtype=object)
    reasons_down = np.array(PLAN_CHANGE_REASONS_DOWN, dtype=object)
    chg_reason = np.where(
        plan0 == legacy,
        PLAN_CHANGE_REASON_LEGACY,
        np.where(
            go_up,
            reasons_up[rng.integers(0, len(reasons_up), S)],
            reasons_down[rng.integers(0, len(reasons_down), S)],
        ),
    )
    # History before the window: they came to today's plan from a neighbour.
    prev = np.where(rng.random(S) < 0.6, down[plan0], up[plan0])
    prev_fits = (prev >= 0) & (plans.mobile_lines[np.maximum(prev, 0)] >= sub_nm)
    history = prev_fits & (sub_m <= -7) & (rng.random(S) < 0.25)
    hist_m = np.where(history, sub_m + 1 + (rng.random(S) * (-1 - sub_m)).astype(np.int64), 0)
    hist_day = cal.start_day(hist_m) + (rng.random(S) * cal.days_in(hist_m)).astype(np.int64)
    plan_at = np.where(
        (chg_m[:, None] >= 0) & (mm >= chg_m[:, None]), plan1[:, None], plan0[:, None]
    )

    after_chg = (chg_m[:, None] >= 0) & (mm >= chg_m[:, None])
    term_start = np.where(after_chg, chg_m[:, None], sub_m[:, None])
    term = np.where(
        after_chg, plans.contract_months[plan1][:, None], plans.contract_months[plan0][:, None]
    )
    since = mm - term_start
    contract_end_near = (term > 0) & (since >= term) & ((since % np.maximum(term, 1)) < 3)

    # 3. Lines ----------------------------------------------------------------------------
    L = int(lines_per_sub.sum())
    line_sub = np.repeat(np.arange(S), lines_per_sub)
    pos = np.arange(L) - np.repeat(np.cumsum(lines_per_sub) - lines_per_sub, lines_per_sub)
    l_seg = sub_seg[line_sub]
    l_nm = sub_nm[line_sub]
    kind = np.select(
        [l_seg == 0, l_seg == 1, l_seg == 2],
        [np.where(pos < l_nm, MOBILE, np.where(pos == l_nm, BROADBAND, TV)), MOBILE, BROADBAND],
        default=FIXED,
    )
    line_cust = sub_cust[line_sub]

    # Customers: where they live, their store, who they are.
    grid = np.minimum(
        np.searchsorted(np.cumsum(org.grid_weight), rng.random(C) * org.grid_weight.sum()),
        len(org.grid_weight) - 1,
    )
    region = org.grid_region[grid]
    g_start = org.grid_store_start[grid]
    g_count = org.grid_store_count[grid]
    base_w = np.where(g_start > 0, org.store_weight_cum[g_start - 1], 0.0)
    span_w = org.store_weight_cum[g_start + g_count - 1] - base_w
    store = np.searchsorted(org.store_weight_cum, base_w + rng.random(C) * span_w, side="right")
    store = np.clip(store, g_start, g_start + g_count - 1)

    numbers = _line_numbers(kind, region[line_cust], org, seq)
    home_region = np.where(
        (kind == MOBILE) & (rng.random(L) < 0.07),
        rng.integers(0, len(org.region_ids), L),
        region[line_cust],
    )

    # 4. Usage before any churn ---------------------------------------------------------------
    cal_month = cal.calendar_month
    data_season = 1.0 + 0.08 * np.isin(cal_month, [1, 2, 7, 8]) - 0.04 * np.isin(cal_month, [3, 4])
    roam_season = 1.0 + 1.5 * np.isin(cal_month, [2]) + 1.0 * np.isin(cal_month, [7, 8, 10])
    l_plan0 = plan0[line_sub]
    per_line_gb = plans.data_gb[l_plan0] / np.maximum(1, sub_nm[line_sub])
    per_line_voice = plans.voice_minutes[l_plan0] / np.maximum(1, sub_nm[line_sub])
    mbps = plans.mbps[l_plan0]
    base_data = np.select(
        [kind == MOBILE, kind == BROADBAND, kind == TV],
        [
            np.clip(per_line_gb * rng.lognormal(np.log(0.45), 0.45, L), 0.05, 400),
            150.0 * (np.maximum(mbps, 100) / 300.0) ** 0.4 * rng.lognormal(0, 0.5, L),
            45.0 * rng.lognormal(0, 0.5, L),
        ],
        default=0.0,
    )
    base_voice = np.select(
        [kind == MOBILE, kind == FIXED],
        [
            np.maximum(5.0, per_line_voice * rng.lognormal(np.log(0.45), 0.55, L)),
            rng.lognormal(np.log(40), 0.6, L),
        ],
        default=0.0,
    )
    base_sms = np.where(kind == MOBILE, rng.lognormal(np.log(8), 0.8, L), 0.0)
    noise = rng.lognormal(0, 0.15, (L, M)) * data_season[None, :]
    voice_noise = rng.lognormal(0, 0.2, (L, M))
    is_mobile = (kind == MOBILE)[:, None]
    spike_gb = np.where(is_mobile & (rng.random((L, M)) < 0.006), rng.uniform(15, 60, (L, M)), 0.0)
    roaming = np.where(
        is_mobile & (rng.random((L, M)) < 0.004 * roam_season[None, :]),
        np.rint(rng.lognormal(np.log(90), 0.7, (L, M))),
        0.0,
    )

    def active_fraction(end_day: np.ndarray) -> np.ndarray:
        """[S, M] share of each month a subscription is in service (end_day inclusive)."""
        lo_ = np.maximum(month_start[None, :-1], sub_day[:, None])
        hi_ = np.minimum(month_start[None, 1:], end_day[:, None] + 1)
        return np.clip(hi_ - lo_, 0, None) / dim[None, :]

    def usage_and_charges(frac_s: np.ndarray, decline_s: np.ndarray, silent: np.ndarray):
        frac = frac_s[line_sub] * ~silent
        decline = decline_s[line_sub]
        data = (base_data[:, None] * noise * decline + spike_gb) * frac
        voice = base_voice[:, None] * voice_noise * decline * frac
        sms = base_sms[:, None] * voice_noise * decline * frac
        roam = roaming * (frac > 0)
        mobile_data = np.where(is_mobile, data, 0.0)
        mobile_voice = np.where(is_mobile, voice, 0.0)
        pool_data = _by_groups(mobile_data, line_sub, S, M)
        pool_voice = _by_groups(mobile_voice, line_sub, S, M)
        allowance = frac_s
        excess_gb = np.maximum(0.0, pool_data - plans.data_gb[plan_at] * allowance)
        excess_min = np.maximum(0.0, pool_voice - plans.voice_minutes[plan_at] * allowance)
        data_cents = excess_gb * DATA_OVERAGE_CENTS_PER_GB
        voice_cents = excess_min * VOICE_OVERAGE_CENTS_PER_MIN
        share_data = np.divide(
            mobile_data, pool_data[line_sub], out=np.zeros_like(data), where=pool_data[line_sub] > 0
        )
        share_voice = np.divide(
            mobile_voice,
            pool_voice[line_sub],
            out=np.zeros_like(data),
            where=pool_voice[line_sub] > 0,
        )
        over = data_cents[line_sub] * share_data + voice_cents[line_sub] * share_voice
        fixed_excess = np.maximum(0.0, voice - plans.voice_minutes[plan_at[line_sub]] * frac)
        over = over + np.where(
            (kind == FIXED)[:, None], fixed_excess * FIXED_OVERAGE_CENTS_PER_MIN, 0
        )
        return data, voice, sms, roam, np.rint(over)

    far_future = np.full(S, month_start[-1] + 10_000)
    frac_pre = active_fraction(far_future)
    no_decline = np.ones((S, M))
    no_silence = np.zeros((L, M), dtype=bool)
    _d, _v, _s, roam_pre, over_pre = usage_and_charges(frac_pre, no_decline, no_silence)
    fee_pre = np.rint(plans.fee_cents[plan_at] * frac_pre)
    cust_fee_pre = _by_groups(fee_pre, sub_cust, C, M)
    cust_extra_pre = _by_groups(over_pre + roam_pre * ROAMING_CENTS_PER_MIN, line_cust, C, M)
    shock = (cust_extra_pre >= np.maximum(8000, 0.6 * cust_fee_pre)) & (cust_fee_pre > 0)

    # Network faults and whether anybody fixed them.
    has_bb = np.bincount(line_cust, weights=(kind == BROADBAND), minlength=C) > 0
    cust_active_pre = _by_groups(frac_pre, sub_cust, C, M) > 0
    p_fault = np.clip(0.02 * org.grid_fault_rate[grid] * np.where(has_bb, 1.6, 1.0), 0, 0.2)
    fault = cust_active_pre & (rng.random((C, M)) < p_fault[:, None])
    fault_fixed = rng.random((C, M)) < 0.55
    followup = fault & ~fault_fixed & (rng.random((C, M)) < 0.55)
    followup_fixed = followup & (rng.random((C, M)) < 0.35)
    unresolved = fault & ~fault_fixed & ~followup_fixed

    # 5. Churn -----------------------------------------------------------------------------------
    sub_grid = grid[sub_cust]
    target = plans.target[plan_at]
    promo = market.best_price_cents[sub_grid[:, None], mm, np.maximum(target, 0)]
    fee_now = plans.fee_cents[plan_at].astype(float)
    gap = np.where((target >= 0) & np.isfinite(promo), (fee_now - promo) / fee_now, 0.0)
    h_price = HAZARD_PRICE_MAX * np.clip(gap, 0, 0.8)
    h_contract = HAZARD_CONTRACT_END * contract_end_near
    shock_prev = np.zeros((C, M), dtype=bool)
    shock_prev[:, 1:] = shock[:, :-1]
    unres_1 = np.zeros((C, M), dtype=bool)
    unres_1[:, 1:] = unresolved[:, :-1]
    unres_2 = np.zeros((C, M), dtype=bool)
    unres_2[:, 2:] = unresolved[:, :-2]
    h_bill = HAZARD_BILL_SHOCK * shock_prev[sub_cust]
    h_fault = HAZARD_UNRESOLVED[0] * unres_1[sub_cust] + HAZARD_UNRESOLVED[1] * unres_2[sub_cust]
    months_in = mm - sub_m[:, None]
    h_tenure = np.where(
        (months_in >= 1) & (months_in <= 5),
        HAZARD_TENURE[0],
        np.where((months_in >= 6) & (months_in <= 11), HAZARD_TENURE[1], 0.0),
    )
    h_base = np.full((S, M), HAZARD_BASE)
    hazards = np.stack([h_price, h_contract, h_bill, h_fault, h_tenure, h_base])
    eligible = months_in >= 1  # never in the month it was activated
    h_total = np.minimum(hazards.sum(axis=0), 0.6) * eligible
    event = rng.random((S, M)) < h_total
    churned = event.any(axis=1)
    churn_m = np.where(churned, np.argmax(event, axis=1), -1)
    cidx = np.flatnonzero(churned)
    comp = hazards[:, cidx, churn_m[cidx]]
    cum = np.cumsum(comp, axis=0) / comp.sum(axis=0)
    driver = np.full(S, -1)
    driver[cidx] = np.minimum(
        (rng.random(len(cidx))[None, :] > cum).sum(axis=0), len(DRIVER_CODES) - 1
    )
    cancel_day = np.where(
        churned,
        month_start[np.maximum(churn_m, 0)]
        + (rng.random(S) * dim[np.maximum(churn_m, 0)]).astype(np.int64),
        NULL_DATE,
    )
    # A plan change planned for the month of leaving or later never happened.
    void = changes & churned & (chg_m >= churn_m)
    changes &= ~void
    chg_m = np.where(void, -1, chg_m)
    plan1 = np.where(void, plan0, plan1)
    plan_at = np.where(
        (chg_m[:, None] >= 0) & (mm >= chg_m[:, None]), plan1[:, None], plan0[:, None]
    )
    # A cancellation request that ended retained: high hazard, no churn that month.
    retained = eligible & (h_total >= 0.03) & ~event & (rng.random((S, M)) < 0.12)
    retained &= (churn_m[:, None] < 0) | (mm < churn_m[:, None])

    # Suspensions (停机) of some surviving mobile lines in the last months.
    susp_m = M - 1 - rng.integers(0, 3, L)
    suspended = (
        (kind == MOBILE)
        & ~churned[line_sub]
        & (rng.random(L) < 0.008)
        & (susp_m > sub_m[line_sub])
        & (susp_m >= 0)
    )
    susp_day = np.where(
        suspended,
        month_start[np.maximum(susp_m, 0)]
        + (rng.random(L) * dim[np.maximum(susp_m, 0)]).astype(np.int64),
        NULL_DATE,
    )
    silent = suspended[:, None] & (mm > susp_m[:, None])

    # 6. Final usage, bills ------------------------------------------------------------------
    end_day = np.where(churned, cancel_day, month_start[-1] + 10_000)
    frac_s = active_fraction(end_day)
    before = churn_m[:, None] - mm
    curve = np.select(
        [driver == DRIVER_CODES.index("usage_decline"), driver == DRIVER_CODES.index("bill_shock")],
        [1, 2],
        default=0,
    )
    decline_table = np.stack([DECLINE, DECLINE_USAGE_DRIVER, DECLINE_SUDDEN])
    decline_s = np.where(
        churned[:, None] & (before >= 0) & (before < len(DECLINE)),
        decline_table[curve[:, None], np.clip(before, 0, len(DECLINE) - 1)],
        1.0,
    )
    data, voice, sms, roam, over = usage_and_charges(frac_s, decline_s, silent)
    usage_rows = frac_s[line_sub] > 0
    fee = np.rint(plans.fee_cents[plan_at] * frac_s)
    cust_active = _by_groups(frac_s, sub_cust, C, M) > 0
    bill_fee = _by_groups(fee, sub_cust, C, M)
    bill_over = _by_groups(over, line_cust, C, M)
    bill_roam = _by_groups(roam * ROAMING_CENTS_PER_MIN, line_cust, C, M)
    vas = rng.choice([0, 500, 1000, 1500, 2000], size=C, p=[0.68, 0.14, 0.1, 0.05, 0.03])
    discount_rate = rng.choice([0.0, 0.1, 0.2, 0.3], size=C, p=[0.82, 0.08, 0.06, 0.04])
    bill_vas = np.where(cust_active, vas[:, None], 0)
    bill_discount = -np.rint(bill_fee * discount_rate[:, None])
    bill_total = bill_fee + bill_over + bill_roam + bill_vas + bill_discount

    # Customers' remaining attributes.
    male = rng.random(C) < 0.52
    names = names_draw(rng, male)
    years_before = (month_start[-1] - cust_day) / 365.25
    age = np.maximum(np.clip(rng.normal(44, 14, C), 18, 88), years_before + 18.5)
    birth = day_number(cal.as_of) - (age * 365.25).astype(np.int64)
    national_ids = national_ids_draw(
        rng, region_prefix=org.region_id_prefix[region], birth_day=birth, male=male
    )
    first_mobile = np.full(C, -1)
    mobile_lines = np.flatnonzero(kind == MOBILE)
    first_mobile[line_cust[mobile_lines[::-1]]] = mobile_lines[::-1]
    other_phone = [
        f"1{p}{n:09d}"
        for p, n in zip(
            rng.choice([3, 5, 8, 9], C).tolist(), rng.integers(0, 10**9, C).tolist(), strict=True
        )
    ]
    contact_phone = [
        numbers[i] if i >= 0 else other_phone[c] for c, i in enumerate(first_mobile.tolist())
    ]
    monthly = np.bincount(sub_cust, weights=plans.fee_cents[plan1], minlength=C) + vas
    tier = VALUE_TIERS[
        np.select([monthly >= 19900, monthly >= 9900, monthly >= 3900], [0, 1, 2], 3)
    ]

    # Ids.
    cust_ids = seq.take("customer", C)
    account_ids = seq.take("account", C)
    sub_ids = seq.take("subscription", S)
    line_ids = seq.take("line", L)

    # Contract end as stored today: the end of the term in force (for a line that left,
    # at the time it left), or of the term that had just ended when it left because of it.
    final_term = plans.contract_months[plan1]
    final_start_m = np.where(chg_m >= 0, chg_m, sub_m)
    final_start_day = np.where(chg_m >= 0, chg_day, sub_day)
    ref_m = np.where(churned, churn_m, M)
    safe_term = np.maximum(final_term, 1)
    since_start = ref_m - final_start_m
    just_ended = churned & (since_start >= safe_term) & (since_start % safe_term < 3)
    terms_done = np.where(just_ended, since_start // safe_term, since_start // safe_term + 1)
    end_m = final_start_m + terms_done * safe_term
    dom = (final_start_day - cal.start_day(final_start_m)).astype(np.int64)
    contract_end = np.where(
        final_term > 0, cal.start_day(end_m) + np.minimum(dom, cal.days_in(end_m) - 1), NULL_DATE
    )

    all_subs_gone = np.bincount(sub_cust, weights=~churned, minlength=C) == 0
    line_status = np.where(
        churned[line_sub], "cancelled", np.where(suspended, "suspended", "active")
    )

    tables: list[Table] = [
        Table(
            Customer,
            [
                ("id", INT, cust_ids),
                ("customer_no", TEXT, [f"C{i:09d}" for i in cust_ids.tolist()]),
                ("name", TEXT, names),
                ("national_id", TEXT, national_ids),
                ("contact_phone", TEXT, contact_phone),
                ("store", INT, org.store_ids[store]),
                ("unit", INT, org.grid_unit_ids[grid]),
                ("value_tier", TEXT, tier.tolist()),
                ("joined_on", DATE, cust_day),
                ("marketing_opt_out", BOOL, rng.random(C) < 0.08),
            ],
        ),
        Table(
            Account,
            [
                ("id", INT, account_ids),
                ("account_no", TEXT, [f"A{i:09d}" for i in account_ids.tolist()]),
                ("customer", INT, cust_ids),
                ("status", TEXT, np.where(all_subs_gone, "closed", "active").tolist()),
                ("opened_on", DATE, cust_day),
            ],
        ),
        Table(
            Subscription,
            [
                ("id", INT, sub_ids),
                ("account", INT, account_ids[sub_cust]),
                ("plan", INT, plans.ids[plan1]),
                ("started_on", DATE, sub_day),
                ("contract_end_on", DATE_NULL, contract_end),
                ("ended_on", DATE_NULL, cancel_day),
            ],
        ),
        Table(
            Line,
            [
                ("id", INT, line_ids),
                ("number", TEXT, numbers),
                ("account", INT, account_ids[line_cust]),
                ("subscription", INT, sub_ids[line_sub]),
                ("kind", TEXT, np.array(KINDS, dtype=object)[kind].tolist()),
                ("status", TEXT, line_status.tolist()),
                ("activated_on", DATE, sub_day[line_sub]),
                ("suspended_on", DATE_NULL, susp_day),
                ("cancelled_on", DATE_NULL, cancel_day[line_sub]),
                ("home_region", INT, org.region_ids[home_region]),
            ],
        ),
    ]

    # Plan changes: in the window, then the history before it.
    in_window = np.flatnonzero(changes)
    before_window = np.flatnonzero(history)
    n_changes = len(in_window) + len(before_window)
    tables.append(
        Table(
            PlanChange,
            [
                ("id", INT, seq.take("plan_change", n_changes)),
                ("subscription", INT, np.concatenate([sub_ids[in_window], sub_ids[before_window]])),
                (
                    "from_plan",
                    INT,
                    np.concatenate([plans.ids[plan0[in_window]], plans.ids[prev[before_window]]]),
                ),
                (
                    "to_plan",
                    INT,
                    np.concatenate([plans.ids[plan1[in_window]], plans.ids[plan0[before_window]]]),
                ),
                ("changed_on", DATE, np.concatenate([chg_day[in_window], hist_day[before_window]])),
                (
                    "reason",
                    TEXT,
                    np.concatenate(
                        [
                            chg_reason[in_window],
                            np.where(
                                prev[before_window] == down[plan0[before_window]],
                                reasons_up[rng.integers(0, len(reasons_up), len(before_window))],
                                reasons_down[
                                    rng.integers(0, len(reasons_down), len(before_window))
                                ],
                            ),
                        ]
                    ).tolist(),
                ),
            ],
        )
    )

    churned_lines = np.flatnonzero(churned[line_sub])
    drivers = np.array(DRIVER_CODES, dtype=object)
    tables.append(
        Table(
            ChurnTruth,
            [
                ("id", INT, seq.take("churn_truth", len(churned_lines))),
                ("line", INT, line_ids[churned_lines]),
                ("driver", TEXT, drivers[driver[line_sub[churned_lines]]].tolist()),
                ("churned_on", DATE, cancel_day[line_sub[churned_lines]]),
            ],
        )
    )

    # Usage rows, line by line and month by month (the order of their ids).
    ul, um = np.nonzero(usage_rows)
    tables.append(
        Table(
            Usage,
            [
                ("id", INT, seq.take("usage", len(ul))),
                ("line", INT, line_ids[ul]),
                ("month", DATE, month_start[um]),
                ("data_gb", DEC3, data[ul, um]),
                ("voice_minutes", INT, np.rint(voice[ul, um])),
                ("sms", INT, np.rint(sms[ul, um])),
                ("roaming_minutes", INT, roam[ul, um]),
                ("overage_charge", DEC2, over[ul, um] / 100.0),
            ],
        )
    )

    bc, bm = np.nonzero(cust_active)
    items = _bill_items(
        bill_fee[bc, bm],
        bill_over[bc, bm],
        bill_roam[bc, bm],
        bill_vas[bc, bm],
        bill_discount[bc, bm],
    )
    tables.append(
        Table(
            Bill,
            [
                ("id", INT, seq.take("bill", len(bc))),
                ("account", INT, account_ids[bc]),
                ("month", DATE, month_start[bm]),
                ("total", DEC2, bill_total[bc, bm] / 100.0),
                ("items", JSON, items),
            ],
        )
    )

    tables.append(
        _contacts(
            rng,
            ctx,
            seq,
            cust_ids=cust_ids,
            store=store,
            line_ids=line_ids,
            line_cust=line_cust,
            kind=kind,
            sub_cust=sub_cust,
            sub_first_line=np.cumsum(lines_per_sub) - lines_per_sub,
            frac_s=frac_s,
            cust_active=cust_active,
            fault=fault,
            fault_fixed=fault_fixed,
            followup=followup,
            followup_fixed=followup_fixed,
            shock=shock,
            churned=churned,
            churn_m=churn_m,
            cancel_day=cancel_day,
            driver=driver,
            retained=retained,
            sub_day=sub_day,
            bill_roam=bill_roam,
            bill_over=bill_over,
        )
    )
    return ChunkResult(tables=tables, lines=L, churned_lines=len(churned_lines))


def _scramble(values: np.ndarray, size: int, keys: tuple[int, ...]) -> np.ndarray:
    """A keyed bijection of ``[0, size)``: an affine step, then rounds that add a function
    of one part of the number to the other part (each round is invertible)."""
    a, b, *round_keys = keys
    x = (a * values + b) % size
    low_size = 10**4
    high_size = size // low_size
    high, low = x // low_size, x % low_size
    for r, key in enumerate(round_keys):
        if r % 2 == 0:
            low = (low + (high * key + r) % 1_000_003) % low_size
        else:
            high = (high + (low * key + r) % 1_000_003) % high_size
    return high * low_size + low


def _line_numbers(
    kind: np.ndarray, region: np.ndarray, org: Organisation, seq: Sequences
) -> list[str]:
    """Unique numbers: 11-digit mobile numbers, broadband accounts and fixed numbers with
    the region's area code, IPTV accounts. A keyed bijection of a running sequence keeps
    them unique across chunks while looking random."""
    numbers = np.empty(len(kind), dtype=object)
    codes_of = np.array(org.region_codes, dtype=object)
    for k, counter in ((MOBILE, "mobile"), (BROADBAND, "broadband"), (TV, "tv"), (FIXED, "fixed")):
        size = NUMBER_SPACE[counter]
        where = np.flatnonzero(kind == k)
        start = getattr(seq, counter)
        if start + len(where) > size:
            raise ValueError(f"too many {KINDS[k]} lines for the numbering plan")
        setattr(seq, counter, start + len(where))
        x = _scramble(
            np.arange(start, start + len(where), dtype=np.int64), size, seq.scramble[counter]
        )
        codes = codes_of[region[where]].tolist()
        if k == MOBILE:
            prefixes = np.array(MOBILE_PREFIXES, dtype=object)[x // 10**8].tolist()
            text = [f"{p}{s:08d}" for p, s in zip(prefixes, (x % 10**8).tolist(), strict=True)]
        elif k == BROADBAND:
            text = [f"{c}9{s:07d}" for c, s in zip(codes, x.tolist(), strict=True)]
        elif k == TV:
            text = [f"ITV{c}{s:07d}" for c, s in zip(codes, x.tolist(), strict=True)]
        else:
            text = [f"{c}8{s:07d}" for c, s in zip(codes, x.tolist(), strict=True)]
        numbers[where] = text
    return list(numbers.tolist())


NUMBER_SPACE = {
    "mobile": len(MOBILE_PREFIXES) * 10**8,
    "broadband": 10**7,
    "tv": 10**7,
    "fixed": 10**7,
}


def number_scrambles(seed: int) -> dict[str, tuple[int, ...]]:
    """Per-seed keys of the number bijections; multipliers are coprime with each space."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 404]))
    result = {}
    for label, size in NUMBER_SPACE.items():
        while True:
            a = int(rng.integers(10**6, 10**7))
            if np.gcd(a, size) == 1:
                break
        rounds = tuple(int(k) for k in rng.integers(10**3, 10**5, 4))
        result[label] = (a, int(rng.integers(0, size)), *rounds)
    return result


def _money_strings(cents: np.ndarray) -> np.ndarray:
    """Cents -> ``"129.00"`` strings, formatting each distinct amount once."""
    values, inverse = np.unique(np.asarray(cents, dtype=np.int64), return_inverse=True)
    text = np.array(
        [("-" if v < 0 else "") + f"{abs(v) // 100}.{abs(v) % 100:02d}" for v in values.tolist()],
        dtype=object,
    )
    return text[inverse.ravel()]


def _bill_items(fee, over, roam, vas, discount) -> list[str]:
    columns = [_money_strings(c).tolist() for c in (fee, over, roam, vas, discount)]
    keys = [json.dumps(k) for k in ("plan_fee", "overage", "roaming", "value_added", "discount")]
    k0, k1, k2, k3, k4 = keys
    return [
        f'{{{k0}: "{a}", {k1}: "{b}", {k2}: "{c}", {k3}: "{d}", {k4}: "{e}"}}'
        for a, b, c, d, e in zip(*columns, strict=True)
    ]


@dataclass
class _Events:
    cust: list[np.ndarray] = field(default_factory=list)
    line: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    topic: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    resolved: list[np.ndarray] = field(default_factory=list)
    transferred: list[np.ndarray] = field(default_factory=list)
    note: list[np.ndarray] = field(default_factory=list)
    store: list[np.ndarray] = field(default_factory=list)

    def add(self, *, cust, line, channel, topic, day, resolved, transferred, note, store) -> None:
        n = len(cust)
        self.cust.append(np.asarray(cust, dtype=np.int64))
        for target, value, dtype in (
            (self.line, line, np.int64),
            (self.channel, channel, np.int64),
            (self.topic, topic, np.int64),
            (self.day, day, np.int64),
            (self.resolved, resolved, bool),
            (self.transferred, transferred, bool),
            (self.note, note, np.int64),
            (self.store, store, np.int64),
        ):
            target.append(np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy())


def _contacts(rng: np.random.Generator, ctx: Context, seq: Sequences, **a) -> Table:
    """Contacts with customers: routine ones, faults and complaints, bill disputes,
    cancellation requests (retained or processed), each with channel, agent and note."""
    cal, org = ctx.calendar, ctx.org
    M = cal.months
    month_start = cal.window_start_days
    C = len(a["cust_ids"])
    sub_cust, frac_s, cust_active = a["sub_cust"], a["frac_s"], a["cust_active"]
    # First and last day in service of each customer in each month.
    sub_lo = np.maximum(month_start[None, :-1], a["sub_day"][:, None])
    sub_hi = np.minimum(
        month_start[None, 1:] - 1, np.where(a["churned"], a["cancel_day"], month_start[-1])[:, None]
    )
    big = np.iinfo(np.int64).max
    cust_lo = np.full((C, M), big)
    cust_hi = np.full((C, M), -big)
    active_sub = frac_s > 0
    s_idx, s_m = np.nonzero(active_sub)
    np.minimum.at(cust_lo, (sub_cust[s_idx], s_m), sub_lo[s_idx, s_m])
    np.maximum.at(cust_hi, (sub_cust[s_idx], s_m), sub_hi[s_idx, s_m])

    def day_in(c: np.ndarray, m: np.ndarray) -> np.ndarray:
        lo, hi = cust_lo[c, m], cust_hi[c, m]
        return lo + (rng.random(len(c)) * (hi - lo + 1)).astype(np.int64)

    def pick_channel(n: int, p: list[float]) -> np.ndarray:
        return rng.choice(5, size=n, p=np.array(p) / sum(p))

    # A line for contacts about the network: broadband if the customer has one.
    kind, line_cust = a["kind"], a["line_cust"]
    cust_line = np.full(C, -1)
    order = np.lexsort((kind != 1, line_cust))[::-1]
    cust_line[line_cust[order]] = order
    ev = _Events()

    # Routine contacts.
    c, m = np.nonzero(cust_active & (rng.random((C, M)) < 0.05))
    topic = rng.choice([BILLING, PLAN, DEVICE, OTHER], size=len(c), p=[0.3, 0.3, 0.15, 0.25])
    group_of = {
        BILLING: "routine_billing",
        PLAN: "routine_plan",
        DEVICE: "routine_device",
        OTHER: "routine_other",
    }
    note = np.zeros(len(c), dtype=np.int64)
    for t, group in group_of.items():
        sel = topic == t
        note[sel] = _notes(rng, group, int(sel.sum()))
    channel = pick_channel(len(c), [0.45, 0.15, 0.1, 0.2, 0.1])
    ev.add(
        cust=c,
        line=-1,
        channel=channel,
        topic=topic,
        day=day_in(c, m),
        resolved=rng.random(len(c)) < 0.88,
        transferred=(channel == HOTLINE) & (rng.random(len(c)) < 0.08),
        note=note,
        store=-1,
    )

    # Faults, and complaints when the fault stayed.
    fault = a["fault"] & cust_active
    c, m = np.nonzero(fault)
    fixed = a["fault_fixed"][c, m]
    fault_day = day_in(c, m)
    note = np.where(
        fixed, _notes(rng, "fault_resolved", len(c)), _notes(rng, "fault_unresolved", len(c))
    )
    ev.add(
        cust=c,
        line=cust_line[c],
        channel=pick_channel(len(c), [0.7, 0, 0, 0.2, 0.1]),
        topic=NETWORK,
        day=fault_day,
        resolved=fixed,
        transferred=rng.random(len(c)) < np.where(fixed, 0.05, 0.3),
        note=note,
        store=-1,
    )
    follow = a["followup"][c, m]
    fc, fm = c[follow], m[follow]
    follow_fixed = a["followup_fixed"][fc, fm]
    follow_day = np.minimum(fault_day[follow] + rng.integers(1, 10, len(fc)), cust_hi[fc, fm])
    note = np.where(
        follow_fixed,
        _notes(rng, "complaint_resolved", len(fc)),
        _notes(rng, "complaint_unresolved", len(fc)),
    )
    ev.add(
        cust=fc,
        line=cust_line[fc],
        channel=HOTLINE,
        topic=COMPLAINT,
        day=follow_day,
        resolved=follow_fixed,
        transferred=rng.random(len(fc)) < 0.5,
        note=note,
        store=-1,
    )

    # Bill disputes the month after a shocking bill.
    shocked = np.zeros((C, M), dtype=bool)
    shocked[:, 1:] = a["shock"][:, :-1] & cust_active[:, 1:]
    c, m = np.nonzero(shocked & (rng.random((C, M)) < 0.55))
    roaming_led = a["bill_roam"][c, m - 1] >= a["bill_over"][c, m - 1]
    note = np.where(
        roaming_led, _notes(rng, "bill_roaming", len(c)), _notes(rng, "bill_overage", len(c))
    )
    ev.add(
        cust=c,
        line=-1,
        channel=pick_channel(len(c), [0.7, 0.15, 0, 0.15, 0]),
        topic=np.where(rng.random(len(c)) < 0.8, BILLING, COMPLAINT),
        day=day_in(c, m),
        resolved=rng.random(len(c)) < 0.55,
        transferred=rng.random(len(c)) < 0.15,
        note=note,
        store=-1,
    )

    # Cancellation requests that ended retained (挽留成功).
    s, m = np.nonzero(a["retained"] & active_sub)
    c = sub_cust[s]
    channel = np.where(rng.random(len(s)) < 0.6, STORE, HOTLINE)
    ev.add(
        cust=c,
        line=a["sub_first_line"][s],
        channel=channel,
        topic=CANCELLATION,
        day=day_in(c, m),
        resolved=True,
        transferred=False,
        note=_notes(rng, "retained", len(s)),
        store=np.where(channel == STORE, org.store_cancel_store[a["store"][c]], -1),
    )

    # Cancellations processed in a direct-operated store, and the calls before some of them.
    s = np.flatnonzero(a["churned"])
    c = sub_cust[s]
    driver = a["driver"][s]
    note = np.zeros(len(s), dtype=np.int64)
    for d, code in enumerate(DRIVER_CODES):
        sel = driver == d
        note[sel] = _notes(rng, f"churn_{code}", int(sel.sum()))
    cancel_day = a["cancel_day"][s]
    ev.add(
        cust=c,
        line=a["sub_first_line"][s],
        channel=STORE,
        topic=CANCELLATION,
        day=cancel_day,
        resolved=True,
        transferred=False,
        note=note,
        store=org.store_cancel_store[a["store"][c]],
    )
    price = driver == DRIVER_CODES.index("competitor_price")
    ask = rng.random(len(s)) < np.where(price, 0.5, 0.2)
    pre_day = np.maximum(
        cancel_day - rng.integers(3, 21, len(s)), np.maximum(a["sub_day"][s], month_start[0])
    )
    pc = c[ask]
    ev.add(
        cust=pc,
        line=a["sub_first_line"][s][ask],
        channel=HOTLINE,
        topic=np.where(price[ask], PLAN, CANCELLATION),
        day=pre_day[ask],
        resolved=~price[ask],
        transferred=rng.random(len(pc)) < 0.2,
        note=np.where(
            price[ask],
            _notes(rng, "churn_precontact_price", len(pc)),
            _notes(rng, "churn_precontact_generic", len(pc)),
        ),
        store=-1,
    )

    cust = np.concatenate(ev.cust)
    day = np.concatenate(ev.day)
    channel = np.concatenate(ev.channel)
    n = len(cust)
    hour = 8 + rng.choice(len(HOUR_WEIGHTS), size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    local = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    started = local - UTC_OFFSET_SECONDS
    median = np.array([360.0, 1200.0, 240.0, 240.0, 600.0])[channel]
    ended = started + np.maximum(30, rng.lognormal(np.log(median), 0.5)).astype(np.int64)
    order = np.lexsort((started, cust))

    # Who took it: a hotline agent, a clerk of the store, or nobody (self-service).
    store = np.concatenate(ev.store)
    store = np.where(store >= 0, store, a["store"][cust])
    clerk_n = org.store_clerk_count[store]
    clerk = org.clerk_ids[org.store_clerk_start[store] + (rng.random(n) * clerk_n).astype(np.int64)]
    agent_pick = org.hotline_agent_ids[rng.integers(0, len(org.hotline_agent_ids), n)]
    agent = np.select(
        [np.isin(channel, [HOTLINE, WECHAT]), channel == STORE], [agent_pick, clerk], default=-1
    )
    line = np.concatenate(ev.line)
    ids = seq.take("contact", n)
    notes = np.array(_NOTE_TEXTS, dtype=object)[np.concatenate(ev.note)[order]]
    return Table(
        Contact,
        [
            ("id", INT, ids),
            ("external_id", TEXT, [f"GEN{i:010d}" for i in ids.tolist()]),
            ("customer", INT, a["cust_ids"][cust[order]]),
            (
                "line",
                INT_NULL,
                np.where(line[order] >= 0, a["line_ids"][np.maximum(line[order], 0)], -1),
            ),
            ("channel", TEXT, np.array(CHANNELS, dtype=object)[channel[order]].tolist()),
            (
                "topic",
                TEXT,
                np.array(TOPICS, dtype=object)[np.concatenate(ev.topic)[order]].tolist(),
            ),
            ("agent", INT_NULL, agent[order]),
            ("started_at", DATETIME, started[order]),
            ("ended_at", DATETIME, ended[order]),
            ("transferred", BOOL, np.concatenate(ev.transferred)[order]),
            ("resolved_at_contact", BOOL, np.concatenate(ev.resolved)[order]),
            ("note", TEXT, notes.tolist()),
        ],
    )
