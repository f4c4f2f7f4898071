"""Past work orders for the generated operator (demo data).

``complaints_history_generate`` reads what ``wanliu generate`` and the retention history
left (contacts, customers, lines, staff, stores, cancellation requests with their refusal
flags) and writes the complaints desk's history over the same months, column by column and
in bulk (no model instances, no per-row services), so a million lines take seconds:

* a **work order** for many contacts that were not resolved at the contact (network,
  billing, plan, device, staff complaints), with the contact's channel, a category that
  fits its topic, one owner (the clerk's store for store contacts, the hotline otherwise,
  the customer-service department for regulator appeals) and the SLA policy that matches;
* **cancellation complaints** shaped like the field figures of the domain brief, scaled to
  the operator's size (20,000 lines: June 23, July 31 of which 22 refusals, September 20,
  October 12): refusals (拒拆) are filed against the stores that refuse in the retention
  history, by customers who asked those stores to cancel;
* SLA outcomes on the policy's business calendar (first response, resolution, some late and
  a few never resolved), escalations at each level reached, **revisits** (some late, some
  never made, some finding the problem still there: the order is reopened and resolved
  again), **surveys** whose CSAT rises with the owner team's first-contact resolution, and
  the FCR flag of every contact (the rule of ``wanliu.complaints.services.fcr``);
* deterministic for a seed (same database, same seed, same rows).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from wanliu.complaints.businesstime import WorkCalendar
from wanliu.complaints.models import (
    BusinessCalendar,
    Category,
    ContactResolution,
    Escalation,
    EscalationLevel,
    Revisit,
    SlaPolicy,
    StatusChange,
    Survey,
    WorkOrder,
)
from wanliu.complaints.services.search import FTS_TABLE, segmented
from wanliu.complaints.services.sla import complaint_settings, sla_policy_match, work_calendar_of
from wanliu.core.database import bulk_load_finish
from wanliu.core.services import audit_record
from wanliu.core.tables import (
    BOOL,
    DEC2,
    INT,
    INT_NULL,
    JSON,
    TEXT,
    Table,
    table_write,
)
from wanliu.customers.models import Contact, Customer, Line
from wanliu.org.models import OrgUnit, Role, Staff, Store
from wanliu.retention.models import CancellationRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = 60
HOUR = 3600
DAY = 86400
DEMO_LINES = 20_000  # the operator size the field figures are quoted for

# A contact not resolved at the contact becomes a work order with this probability.
ORDER_PROBABILITY = {
    "complaint": 0.85,
    "network": 0.55,
    "billing": 0.45,
    "plan": 0.35,
    "device": 0.4,
    "other": 0.15,
}
TOPIC_CATEGORIES: dict[str, tuple[tuple[str, float], ...]] = {
    "network": (
        ("network-coverage", 0.3),
        ("network-speed", 0.35),
        ("network-outage", 0.15),
        ("broadband-fault", 0.2),
    ),
    "billing": (
        ("billing-overcharge", 0.45),
        ("billing-value-added", 0.3),
        ("billing-question", 0.25),
    ),
    "plan": (("product-plan", 1.0),),
    "device": (("product-device", 1.0),),
    "complaint": (("staff-attitude", 0.45), ("product-installation", 0.25), ("other", 0.3)),
    "other": (("other", 1.0),),
}
CONTACT_CHANNEL = {"hotline": "hotline", "store": "store", "online": "online", "app": "app"}
REGULATOR_SHARE = 0.02  # of network, billing and staff complaints: appealed to the regulator
# Cancellation complaints per month (all, of which refusals) at DEMO_LINES lines, by months
# before the last generated month: the July spike, the six-step roll-out in September.
CANCELLATION_SHAPE = {5: (23, 14), 4: (31, 22), 3: (27, 19), 2: (20, 13), 1: (12, 6), 0: (11, 5)}
CANCELLATION_BASE = ((19, 11), (21, 12), (18, 10), (20, 12), (22, 13), (17, 10))
ROLL_OUT_OFFSET = 2  # months before the last one: the six-step roll-out
# Share of cancellation complaints whose revisit finds the problem still there.
CANCELLATION_NOT_SOLVED = {"before": 0.3, "roll_out": 0.6, "after": 0.15}
STUCK_SHARE = 0.01  # orders nobody resolved
REVISIT_LATE, REVISIT_MISSED = 0.1, 0.05
SURVEY_RESPONSE = 0.45

TEXTS: dict[str, tuple[tuple[str, str], ...]] = {
    "network-coverage": (
        (
            gettext_noop("No signal at home"),
            gettext_noop("The customer has no mobile signal indoors and misses calls."),
        ),
    ),
    "network-speed": (
        (
            gettext_noop("Mobile data is slow"),
            gettext_noop("Pages load slowly in the evening; the customer asks for a fix."),
        ),
    ),
    "network-outage": (
        (
            gettext_noop("Service interrupted"),
            gettext_noop("Calls and data stopped for hours; the customer wants compensation."),
        ),
    ),
    "broadband-fault": (
        (
            gettext_noop("Broadband keeps dropping"),
            gettext_noop("The broadband drops several times a day; repairs have not fixed it."),
        ),
    ),
    "billing-overcharge": (
        (
            gettext_noop("Charged more than the plan"),
            gettext_noop("The bill is higher than the plan fee; the customer disputes it."),
        ),
    ),
    "billing-value-added": (
        (
            gettext_noop("Value-added service charged"),
            gettext_noop("A value-added service the customer never ordered was charged."),
        ),
    ),
    "billing-question": (
        (
            gettext_noop("Question about the bill"),
            gettext_noop("The customer does not understand an item on the bill."),
        ),
    ),
    "product-plan": (
        (
            gettext_noop("Plan not as promised"),
            gettext_noop("The plan's terms differ from what the customer was told."),
        ),
    ),
    "product-device": (
        (
            gettext_noop("Device problem"),
            gettext_noop("The phone bought with the plan has a fault."),
        ),
    ),
    "product-installation": (
        (
            gettext_noop("Installation delayed"),
            gettext_noop("The broadband installation appointment was missed."),
        ),
    ),
    "staff-attitude": (
        (
            gettext_noop("Staff attitude"),
            gettext_noop("The customer complains about how staff treated them."),
        ),
    ),
    "other": ((gettext_noop("Other complaint"), gettext_noop("The customer has a complaint.")),),
    "cancellation-refused": (
        (
            gettext_noop("Store refused to cancel"),
            gettext_noop(
                "The customer asked the store to cancel and was refused or sent elsewhere."
            ),
        ),
    ),
    "cancellation-delayed": (
        (
            gettext_noop("Cancellation not processed"),
            gettext_noop("The cancellation the customer asked for has not been processed."),
        ),
    ),
    "cancellation": (
        (
            gettext_noop("Cancellation complaint"),
            gettext_noop("The customer complains about how the cancellation was handled."),
        ),
    ),
}
RESOLUTION = gettext_noop("We checked the problem, fixed it and told the customer the result.")
REOPEN_NOTE = gettext_noop("revisit: not solved")


class ComplaintsHistoryExists(Exception):
    """The database already holds work orders; the history is generated only once."""


def _rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` queryset, in its order (every read here is by id: the
    same database gives the same rows in the same order, so the same draws)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _columns(queryset: QuerySet[Any], width: int) -> list[list[Any]]:
    rows = _rows(queryset)
    if not rows:
        return [[] for _column in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


def _seconds(values: Sequence[Any]) -> np.ndarray:
    """Stored instants (text on SQLite, datetimes on PostgreSQL) as epoch seconds (-1: NULL)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    series = pd.Series(list(values), dtype=object)
    sample = next((v for v in values if v is not None), None)
    parsed = pd.to_datetime(series, utc=True, format="ISO8601" if isinstance(sample, str) else None)
    out = np.full(len(series), -1, dtype=np.int64)
    valid = parsed.notna().to_numpy()
    out[valid] = parsed[valid].astype("int64").to_numpy() // 10**9
    return out


def _ids(values: Sequence[Any]) -> np.ndarray:
    return np.array([-1 if v is None else int(v) for v in values], dtype=np.int64)


def _datetime_text(seconds: np.ndarray) -> list[Any]:
    """Epoch seconds (negative: NULL) as Django stores instants on this backend."""
    seconds = np.asarray(seconds, dtype=np.int64)
    suffix = "+00:00" if connection.vendor == "postgresql" else ""
    text = np.datetime_as_string(np.maximum(seconds, 0).astype("datetime64[s]"))
    return [
        None if s < 0 else f"{t[:10]} {t[11:]}{suffix}"
        for s, t in zip(seconds.tolist(), text.tolist(), strict=True)
    ]


class _Clock:
    """Working minutes of one business calendar on a minute grid, vectorised.

    ``add(start, minutes)`` is :func:`wanliu.complaints.businesstime.add_working` for whole
    minutes, for arrays of starts (epoch seconds, whole minutes)."""

    def __init__(self, calendar: WorkCalendar, first: int, last: int) -> None:
        self.always = calendar.always_open
        self.first = first - first % MINUTE
        if self.always:
            return
        n = (last - self.first) // MINUTE + 1
        working = np.zeros(n, dtype=bool)
        zone = calendar.zone
        day = dt.datetime.fromtimestamp(self.first, tz=zone).date() - dt.timedelta(days=1)
        final = dt.datetime.fromtimestamp(last, tz=zone).date()
        while day <= final:
            for start, end in calendar.spans_on(day):
                a = max(0, (int(start.timestamp()) - self.first) // MINUTE)
                b = min(n, (int(end.timestamp()) - self.first) // MINUTE)
                if a < b:
                    working[a:b] = True
            day += dt.timedelta(days=1)
        self.cum = np.concatenate([[0], np.cumsum(working, dtype=np.int64)])

    def add(self, start: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        start = np.asarray(start, dtype=np.int64)
        minutes = np.asarray(np.ceil(minutes), dtype=np.int64)
        if self.always:
            return start + minutes * MINUTE
        index = (start - self.first) // MINUTE
        target = self.cum[index] + minutes
        reached = np.searchsorted(self.cum, target, side="left")
        return np.where(minutes <= 0, start, self.first + reached * MINUTE)


@dataclass
class _World:
    rng: np.random.Generator
    now: int
    months: list[dt.date]
    month_starts: np.ndarray  # epoch seconds of each month's first local instant (+1 after)
    customers: pd.DataFrame
    staff: pd.DataFrame
    stores: pd.DataFrame
    hotline_unit: int
    service_unit: int
    hotline_agents: np.ndarray
    supervisors: np.ndarray
    categories: dict[str, int]
    lines: int


def _local_start(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI).timestamp())


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _world(*, seed: int, as_of: dt.date, first_contact: int) -> _World:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 404]))
    last = _add_months(as_of.replace(day=1), -1)
    first_day = dt.datetime.fromtimestamp(first_contact, tz=SHANGHAI).date().replace(day=1)
    months = []
    month = first_day
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    bounds = np.array([_local_start(m) for m in [*months, _add_months(last, 1)]], dtype=np.int64)
    c = _columns(
        Customer.objects.order_by("id").values_list(
            "id", "unit_id", "store_id", "value_tier", "contact_phone", "name", "customer_no"
        ),
        7,
    )
    customers = pd.DataFrame(
        {
            "unit": _ids(c[1]),
            "store": _ids(c[2]),
            "tier": c[3],
            "phone": c[4],
            "name": c[5],
            "no": c[6],
        },
        index=_ids(c[0]),
    )
    s = _columns(
        Staff.objects.order_by("id").values_list("id", "user_id", "role", "unit_id", "store_id"),
        5,
    )
    staff = pd.DataFrame(
        {"user": _ids(s[1]), "role": s[2], "unit": _ids(s[3]), "store": _ids(s[4])},
        index=_ids(s[0]),
    )
    st = _columns(Store.objects.order_by("id").values_list("id", "unit_id", "direct_operated"), 3)
    stores = pd.DataFrame(
        {"unit": _ids(st[1]), "direct": [bool(v) for v in st[2]]}, index=_ids(st[0])
    )
    hotline = OrgUnit.objects.filter(kind=OrgUnit.Kind.HOTLINE_CENTRE).order_by("path").first()
    service = OrgUnit.objects.filter(kind=OrgUnit.Kind.SERVICE_DEPARTMENT).order_by("path").first()
    return _World(
        rng=rng,
        now=_local_start(as_of),
        months=months,
        month_starts=bounds,
        customers=customers,
        staff=staff,
        stores=stores,
        hotline_unit=hotline.pk if hotline else -1,
        service_unit=service.pk if service else -1,
        hotline_agents=np.sort(staff.index[staff["role"] == Role.HOTLINE_AGENT].to_numpy()),
        supervisors=np.sort(staff.index[staff["role"] == Role.SERVICE_SUPERVISOR].to_numpy()),
        categories=dict(Category.objects.values_list("code", "id")),
        lines=Line.objects.count(),
    )


def _contacts(as_of: dt.date) -> pd.DataFrame:
    c = _columns(
        Contact.objects.filter(started_at__lt=dt.datetime.combine(as_of, dt.time(), SHANGHAI))
        .order_by("id")
        .values_list(
            "id",
            "customer_id",
            "line_id",
            "channel",
            "topic",
            "agent_id",
            "started_at",
            "resolved_at_contact",
            "transferred",
        ),
        9,
    )
    frame = pd.DataFrame(
        {
            "id": _ids(c[0]),
            "customer": _ids(c[1]),
            "line": _ids(c[2]),
            "channel": pd.Series(c[3], dtype=object),
            "topic": pd.Series(c[4], dtype=object),
            "agent": _ids(c[5]),
            "started": _seconds(c[6]),
            "resolved": np.array([bool(v) for v in c[7]], dtype=bool),
            "transferred": np.array([bool(v) for v in c[8]], dtype=bool),
        }
    )
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def _pick(rng: np.random.Generator, options: Sequence[tuple[str, float]], n: int) -> np.ndarray:
    names = np.array([o[0] for o in options], dtype=object)
    weights = np.array([o[1] for o in options], dtype=float)
    return names[rng.choice(len(names), size=n, p=weights / weights.sum())]


def _owners(
    w: _World, channel: np.ndarray, agent: np.ndarray, store_hint: np.ndarray, customer: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner unit, store and staff of each order: the clerk's (or the named) store for store
    orders, the hotline for the rest, the customer-service department for regulator appeals."""
    n = len(channel)
    rng = w.rng
    unit = np.full(n, w.hotline_unit, dtype=np.int64)
    store = np.full(n, -1, dtype=np.int64)
    staff = np.full(n, -1, dtype=np.int64)
    agent_store = w.staff["store"].reindex(agent).fillna(-1).to_numpy(dtype=np.int64)
    agent_role = w.staff["role"].reindex(agent).to_numpy(dtype=object)
    at_store = np.where(store_hint >= 0, store_hint, np.where(channel == "store", agent_store, -1))
    by_store = at_store >= 0
    store[by_store] = at_store[by_store]
    unit[by_store] = w.stores["unit"].reindex(at_store[by_store]).to_numpy(dtype=np.int64)
    clerk_ok = by_store & (agent_store == at_store) & (agent_role == Role.CLERK)
    staff[clerk_ok] = agent[clerk_ok]
    clerks = w.staff[w.staff["role"] == Role.CLERK]
    for i in np.flatnonzero(by_store & ~clerk_ok).tolist():
        here = np.sort(clerks.index[clerks["store"] == at_store[i]].to_numpy())
        if len(here):
            staff[i] = here[int(rng.integers(0, len(here)))]
    hotline = ~by_store & (channel != "regulator")
    own_agent = hotline & (agent_role == Role.HOTLINE_AGENT)
    staff[own_agent] = agent[own_agent]
    others = hotline & ~own_agent
    if len(w.hotline_agents):
        staff[others] = w.hotline_agents[rng.integers(0, len(w.hotline_agents), others.sum())]
    regulator = channel == "regulator"
    unit[regulator] = w.service_unit
    store[regulator] = -1
    if len(w.supervisors):
        staff[regulator] = w.supervisors[rng.integers(0, len(w.supervisors), regulator.sum())]
    else:
        staff[regulator] = -1
    missing = unit < 0
    unit[missing] = w.customers["unit"].reindex(customer[missing]).to_numpy(dtype=np.int64)
    return unit, store, staff


def _orders_from_contacts(w: _World, contacts: pd.DataFrame) -> pd.DataFrame:
    rng = w.rng
    p = contacts["topic"].map(ORDER_PROBABILITY).fillna(0.0).to_numpy(dtype=float)
    draw = rng.random(len(contacts))
    chosen = contacts[(~contacts["resolved"].to_numpy()) & (draw < p)].reset_index(drop=True)
    n = len(chosen)
    category = np.empty(n, dtype=object)
    for topic, options in TOPIC_CATEGORIES.items():
        mask = (chosen["topic"] == topic).to_numpy()
        category[mask] = _pick(rng, options, int(mask.sum()))
    channel = chosen["channel"].map(CONTACT_CHANNEL).fillna("online").to_numpy(dtype=object)
    appealable = np.isin(
        chosen["topic"].to_numpy(dtype=object), ["network", "billing", "complaint"]
    )
    regulator = appealable & (rng.random(n) < REGULATOR_SHARE)
    channel[regulator] = "regulator"
    delay = np.where(regulator, rng.integers(1, 4, n) * DAY, rng.integers(3, 25, n) * MINUTE)
    received = chosen["started"].to_numpy() + delay
    return pd.DataFrame(
        {
            "customer": chosen["customer"].to_numpy(),
            "line": chosen["line"].to_numpy(),
            "contact": np.where(regulator, -1, chosen["id"].to_numpy()),
            "channel": channel,
            "category": category,
            "received": received - received % MINUTE,
            "agent": chosen["agent"].to_numpy(),
            "store_hint": np.full(n, -1, dtype=np.int64),
            "cancellation": np.zeros(n, dtype=bool),
        }
    )


def _requests() -> pd.DataFrame:
    c = _columns(
        CancellationRequest.objects.order_by("id").values_list(
            "id",
            "customer_id",
            "store_id",
            "origin_store_id",
            "line_id",
            "opened_at",
            "refusal_flagged_at",
        ),
        7,
    )
    return pd.DataFrame(
        {
            "id": _ids(c[0]),
            "customer": _ids(c[1]),
            "store": _ids(c[2]),
            "origin": _ids(c[3]),
            "line": _ids(c[4]),
            "opened": _seconds(c[5]),
            "flagged": _seconds(c[6]) >= 0,
        }
    )


def _draw(rng: np.random.Generator, pool: Any, used: set[int], tries: int = 8) -> int:
    """A random member of ``pool`` not yet used (a used one after a few misses; -1: none)."""
    if pool is None or not len(pool):
        return -1
    pick = -1
    for _attempt in range(tries):
        pick = int(pool[int(rng.integers(0, len(pool)))])
        if pick not in used:
            return pick
    return pick


def _cancellation_orders(w: _World) -> pd.DataFrame:
    """The shaped cancellation complaints: refusals at the refusing stores, by customers who
    asked those stores to cancel; delays by customers with a request anywhere."""
    rng = w.rng
    requests = _requests()
    origin = np.where(requests["origin"] >= 0, requests["origin"], requests["store"])
    requests["origin"] = origin
    requests["month"] = np.searchsorted(w.month_starts, requests["opened"], side="right") - 1
    refusing = requests[requests["flagged"]]["origin"].value_counts().sort_index()
    direct = set(w.stores.index[w.stores["direct"].to_numpy()].tolist())
    if refusing.empty:
        counts = requests[requests["origin"].isin(direct)]["origin"].value_counts().sort_index()
        refusing = counts.nlargest(3).sort_index()
    if refusing.empty:
        busy = w.customers["store"].value_counts().sort_index()
        refusing = busy[busy.index.isin(list(direct))].nlargest(2).sort_index()
    store_ids = refusing.index.to_numpy(dtype=np.int64)
    store_p = refusing.to_numpy(dtype=float) / max(1.0, float(refusing.sum()))
    by_month_store = requests.groupby(["month", "origin"]).indices
    flagged_month_store: dict[Any, Any] = {}
    groups: dict[Any, Any] = requests.groupby(["flagged", "month", "origin"]).indices
    for key, members in groups.items():
        if key[0]:
            flagged_month_store[(key[1], key[2])] = members
    by_store = requests.groupby("origin").indices
    by_month = requests.groupby("month").indices
    home = w.customers.groupby("store").indices
    customer_ids = w.customers.index.to_numpy()
    req_customer = requests["customer"].to_numpy()
    req_line = requests["line"].to_numpy()
    req_opened = requests["opened"].to_numpy()
    req_origin = requests["origin"].to_numpy()
    flagged_ids = set(np.flatnonzero(requests["flagged"].to_numpy()).tolist())
    scale = w.lines / DEMO_LINES
    rows: list[tuple[Any, ...]] = []
    last = len(w.months) - 1
    for j in range(len(w.months)):
        offset = last - j
        total, refusals = CANCELLATION_SHAPE.get(
            offset, CANCELLATION_BASE[(offset - 6) % len(CANCELLATION_BASE)]
        )
        n_total, n_refusals = round(total * scale), round(refusals * scale)
        lo, hi = int(w.month_starts[j]), int(w.month_starts[j + 1])
        used: set[int] = set()
        for k in range(n_total):
            refusal = k < n_refusals and len(store_ids) > 0
            store = -1
            if refusal:
                store = int(store_ids[rng.choice(len(store_ids), p=store_p)])
                i = _draw(rng, flagged_month_store.get((j, store)), used)
                if i < 0:
                    i = _draw(rng, by_month_store.get((j, store)), used)
                if i < 0:
                    i = _draw(rng, by_store.get(store), used)
            else:
                i = _draw(rng, by_month.get(j), used)
            if i >= 0:
                used.add(i)
                customer, line = int(req_customer[i]), int(req_line[i])
                at = int(req_opened[i]) + int(rng.integers(2 * HOUR, 2 * DAY))
                if store < 0:
                    store = int(req_origin[i])
                if refusal and i in flagged_ids:
                    at = int(req_opened[i]) + int(rng.integers(6 * HOUR, 3 * DAY))
            else:
                candidates = home.get(store, ()) if store >= 0 else range(len(customer_ids))
                if not len(candidates):
                    continue
                customer = int(customer_ids[candidates[int(rng.integers(0, len(candidates)))]])
                line = -1
                at = lo + int(rng.integers(HOUR, max(2 * HOUR, hi - lo - HOUR)))
            at = min(max(at, lo + HOUR), hi - HOUR)
            channel = str(
                rng.choice(["hotline", "regulator", "online", "store"], p=[0.6, 0.2, 0.1, 0.1])
            )
            if refusal:
                category = "cancellation-refused"
            else:
                category = "cancellation-delayed" if rng.random() < 0.7 else "cancellation"
            hint = store if channel != "regulator" else -1
            rows.append((customer, line, -1, channel, category, at - at % MINUTE, -1, hint, True))
    return pd.DataFrame(
        rows,
        columns=[
            "customer",
            "line",
            "contact",
            "channel",
            "category",
            "received",
            "agent",
            "store_hint",
            "cancellation",
        ],
    )


def _texts() -> dict[str, tuple[str, str]]:
    """Subject and description per category, in the operator's language (zh-hans)."""
    with translation.override("zh-hans"):
        return {code: (_(pairs[0][0]), _(pairs[0][1])) for code, pairs in TEXTS.items()}


class _Builder:
    """Turns the order frame into the rows of every complaints table."""

    def __init__(self, w: _World, orders: pd.DataFrame, contacts: pd.DataFrame) -> None:
        self.w = w
        self.o = orders
        self.contacts = contacts
        self.settings = complaint_settings()
        self.counts: Counter[str] = Counter()
        self.n = len(orders)
        first = int(orders["received"].min()) - 2 * DAY
        self.grid = (first, w.now + 400 * DAY)
        self.clocks: dict[int | None, _Clock] = {}

    # --- who, what, which policy ---------------------------------------------------------

    def prepare(self) -> None:
        w, o = self.w, self.o
        o["id"] = np.arange(self.n, dtype=np.int64) + _next_id(WorkOrder)
        o["tier"] = w.customers["tier"].reindex(o["customer"]).fillna("C").to_numpy(dtype=object)
        unit, store, staff = _owners(
            w,
            o["channel"].to_numpy(dtype=object),
            o["agent"].to_numpy(),
            o["store_hint"].to_numpy(),
            o["customer"].to_numpy(),
        )
        o["owner_unit"], o["owner_store"], o["owner_staff"] = unit, store, staff
        o["owner_user"] = w.staff["user"].reindex(staff).fillna(-1).to_numpy(dtype=np.int64)
        # repeats: same customer and category within the window go up one priority step
        ordered = o.sort_values(["customer", "category", "received", "id"], kind="stable")
        same = (ordered["customer"].to_numpy()[1:] == ordered["customer"].to_numpy()[:-1]) & (
            ordered["category"].to_numpy()[1:] == ordered["category"].to_numpy()[:-1]
        )
        close = (
            ordered["received"].to_numpy()[1:] - ordered["received"].to_numpy()[:-1]
            <= self.settings.repeat_window_days * DAY
        )
        repeat_of = np.full(self.n, -1, dtype=np.int64)
        hit = np.flatnonzero(same & close) + 1
        repeat_of[hit] = ordered["id"].to_numpy()[hit - 1]
        o["repeat_of"] = pd.Series(repeat_of, index=ordered.index).reindex(o.index).to_numpy()
        o["priority"] = np.where(o["repeat_of"] >= 0, "high", "normal").astype(object)
        o.loc[o["channel"] == "regulator", "priority"] = "urgent"
        policies: dict[tuple[str, str, str, str], SlaPolicy | None] = {}
        categories = {c.code: c for c in Category.objects.all()}
        keys = list(zip(o["category"], o["priority"], o["channel"], o["tier"], strict=True))
        for key in sorted(set(keys)):
            policies[key] = sla_policy_match(
                category=categories[key[0]], priority=key[1], channel=key[2], value_tier=key[3]
            )
        chosen = [policies[k] for k in keys]
        o["policy"] = [p.pk if p else -1 for p in chosen]
        o["calendar"] = [p.calendar_id if p and p.calendar_id else -1 for p in chosen]
        o["fr_min"] = [p.first_response_minutes if p else 24 * 60 for p in chosen]
        o["res_min"] = [p.resolution_minutes if p else 3 * 24 * 60 for p in chosen]
        for calendar_id in sorted(set(o["calendar"].tolist())):
            stored = BusinessCalendar.objects.get(pk=calendar_id) if calendar_id >= 0 else None
            calendar = work_calendar_of(stored)
            self.clocks[calendar_id] = _Clock(calendar, *self.grid)
        teams = np.sort(o["owner_unit"].unique())
        quality = dict(
            zip(teams.tolist(), w.rng.normal(0.0, 1.0, len(teams)).tolist(), strict=True)
        )
        o["quality"] = o["owner_unit"].map(quality).to_numpy(dtype=float)

    def add(self, start: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """Working-time addition on each order's own calendar."""
        out = np.zeros(self.n, dtype=np.int64)
        calendars = self.o["calendar"].to_numpy()
        for calendar_id, clock in self.clocks.items():
            mask = calendars == calendar_id
            if mask.any():
                out[mask] = clock.add(np.asarray(start)[mask], np.asarray(minutes)[mask])
        return out

    # --- what happened -------------------------------------------------------------------

    def simulate(self) -> None:
        w, o, rng, n = self.w, self.o, self.w.rng, self.n
        now = w.now
        received = o["received"].to_numpy()
        q = o["quality"].to_numpy()
        refusal = (o["category"] == "cancellation-refused").to_numpy()
        cancellation = o["cancellation"].to_numpy(dtype=bool)
        fr_min, res_min = o["fr_min"].to_numpy(), o["res_min"].to_numpy()
        regulator = (o["channel"] == "regulator").to_numpy()
        fr_met = rng.random(n) < np.clip(0.9 + 0.03 * q, 0.6, 0.99)
        fr_at = self.add(
            received,
            fr_min * np.where(fr_met, rng.uniform(0.05, 0.9, n), rng.uniform(1.05, 3.0, n)),
        )
        o["fr_due"] = self.add(received, fr_min)
        statutory = np.where(regulator, received + self.settings.regulator_reply_days * DAY, -1)
        due0 = self.add(received, res_min)
        o["due0"] = np.where(regulator, np.minimum(due0, statutory), due0)
        o["statutory"] = statutory
        on_time = rng.random(n) < np.clip(0.86 + 0.05 * q - 0.1 * refusal, 0.5, 0.98)
        factor = np.where(on_time, rng.uniform(0.15, 0.95, n), rng.uniform(1.02, 2.5, n))
        resolved0 = np.maximum(self.add(received, res_min * factor), fr_at + 5 * MINUTE)
        stuck = (rng.random(n) < STUCK_SHARE) & ~cancellation
        ok0 = ~stuck & (resolved0 < now)
        hours = self.settings.revisit_due_hours
        fate = rng.random(n)
        late = (
            ~cancellation
            & (fate >= 1 - REVISIT_LATE - REVISIT_MISSED)
            & (fate < 1 - REVISIT_MISSED)
        )
        missed = ~cancellation & (fate >= 1 - REVISIT_MISSED)
        done0 = np.where(
            late,
            resolved0 + hours * HOUR + rng.integers(HOUR, 72 * HOUR, n),
            resolved0 + rng.integers(30 * MINUTE, max(hours * HOUR - 10 * MINUTE, 31 * MINUTE), n),
        )
        done0 = np.where(missed | ~ok0, -1, done0 - done0 % MINUTE)
        done0 = np.where(done0 >= now, -1, done0)
        not_solved = (done0 >= 0) & (rng.random(n) < np.clip(0.07 - 0.03 * q, 0.01, 0.3))
        not_solved = np.where(cancellation, False, not_solved)
        self._cancellation_revisits(not_solved, done0, cancellation)
        reopened = not_solved & (done0 >= 0)
        in_progress1 = done0 + 10 * MINUTE
        due1 = self.add(np.where(reopened, done0, received), res_min)
        resolved1 = self.add(
            np.where(reopened, done0, received), res_min * rng.uniform(0.1, 0.9, n)
        )
        resolved1 = np.maximum(resolved1, in_progress1 + 5 * MINUTE)
        ok1 = reopened & (resolved1 < now)
        done1 = resolved1 + rng.integers(HOUR, max(hours * HOUR - 10 * MINUTE, 2 * HOUR), n)
        done1 = np.where(ok1 & (done1 < now), done1 - done1 % MINUTE, -1)
        o["fr_at"] = np.where(fr_at < now, fr_at, -1)
        o["resolved0"] = np.where(ok0, resolved0, -1)
        o["done0"] = done0
        o["reopened"] = reopened
        o["in_progress1"] = np.where(reopened, in_progress1, -1)
        o["due1"] = np.where(reopened, due1, -1)
        o["resolved1"] = np.where(ok1, resolved1, -1)
        o["done1"] = done1
        o["late0"] = ok0 & (resolved0 > o["due0"].to_numpy())
        status = np.where(o["fr_at"] >= 0, "in_progress", "new").astype(object)
        status[ok0] = "resolved"
        status[ok0 & (done0 >= 0) & ~reopened] = "closed"
        status[reopened] = "in_progress"
        status[ok1] = "resolved"
        status[ok1 & (done1 >= 0)] = "closed"
        o["status"] = status
        closed_at = np.where(reopened, done1, np.where(status == "closed", done0, -1))
        o["closed_at"] = np.where(status == "closed", closed_at, -1)
        self.counts.update(
            {
                "stuck": int(stuck.sum()),
                "reopened": int(reopened.sum()),
                "overdue": int((ok0 & (resolved0 > o["due0"].to_numpy())).sum()),
                "cancellation_complaints": int(cancellation.sum()),
                "refusal_complaints": int(refusal.sum()),
            }
        )

    def _cancellation_revisits(
        self, not_solved: np.ndarray, done0: np.ndarray, cancellation: np.ndarray
    ) -> None:
        """Exactly the shaped share of each month's cancellation complaints is not solved on
        revisit (September: 12 of 20)."""
        w = self.w
        month = np.searchsorted(w.month_starts, self.o["received"].to_numpy(), side="right") - 1
        last = len(w.months) - 1
        for j in range(len(w.months)):
            offset = last - j
            phase = (
                "roll_out"
                if offset == ROLL_OUT_OFFSET
                else ("before" if offset > ROLL_OUT_OFFSET else "after")
            )
            members = np.flatnonzero(cancellation & (month == j))
            k = round(CANCELLATION_NOT_SOLVED[phase] * len(members))
            visited = members[done0[members] >= 0]
            pick = w.rng.permutation(visited)[:k]
            not_solved[pick] = True

    # --- first-contact resolution ---------------------------------------------------------

    def fcr(self) -> pd.DataFrame:
        c = self.contacts
        days = self.settings.fcr_window_days
        window = days * DAY
        with_order = np.isin(c["id"].to_numpy(), self.o["contact"].to_numpy())
        ordered = c.sort_values(["customer", "topic", "started", "id"], kind="stable")
        cust = ordered["customer"].to_numpy()
        topic = ordered["topic"].to_numpy(dtype=object)
        started = ordered["started"].to_numpy()
        ids = ordered["id"].to_numpy()
        repeat = np.full(len(ordered), -1, dtype=np.int64)
        if len(ordered) > 1:
            same = (cust[1:] == cust[:-1]) & (topic[1:] == topic[:-1])
            soon = started[1:] - started[:-1] <= window
            hit = np.flatnonzero(same & soon)
            repeat[hit] = ids[hit + 1]
        repeat_by_id = pd.Series(repeat, index=ids).reindex(c["id"]).to_numpy()
        resolved = c["resolved"].to_numpy()
        transferred = c["transferred"].to_numpy()
        reason = np.full(len(c), ContactResolution.Reason.RESOLVED.value, dtype=object)
        reason[repeat_by_id >= 0] = ContactResolution.Reason.REPEAT.value
        reason[with_order] = ContactResolution.Reason.WORK_ORDER.value
        reason[transferred] = ContactResolution.Reason.TRANSFERRED.value
        reason[~resolved] = ContactResolution.Reason.NOT_RESOLVED.value
        fcr = reason == ContactResolution.Reason.RESOLVED.value
        repeat_id = np.where(reason == ContactResolution.Reason.REPEAT.value, repeat_by_id, -1)
        final = ~fcr | (self.w.now >= c["started"].to_numpy() + window)
        return pd.DataFrame(
            {
                "contact": c["id"].to_numpy(),
                "fcr": fcr,
                "reason": reason,
                "repeat": repeat_id,
                "final": final,
                "team": self.w.staff["unit"].reindex(c["agent"]).fillna(-1).to_numpy(np.int64),
                "window": days,
            }
        )

    # --- rows ----------------------------------------------------------------------------

    def tables(self, fcr: pd.DataFrame) -> list[Table]:
        w, o = self.w, self.o
        now = w.now
        texts = _texts()
        with translation.override("zh-hans"):
            resolution_text, reopen_note = _(RESOLUTION), _(REOPEN_NOTE)
            still_wrong = _("The problem is still there.")
        ids = o["id"].to_numpy()
        received = o["received"].to_numpy()
        status = o["status"].to_numpy(dtype=object)
        reopened = o["reopened"].to_numpy(dtype=bool)
        open_ = np.isin(status, ["new", "in_progress"])
        local_day = np.datetime_as_string(((received + 8 * HOUR) // DAY).astype("datetime64[D]"))
        order_no = [f"GD{d.replace('-', '')}{i:06d}" for d, i in zip(local_day, ids, strict=True)]
        title = [texts[c][0] for c in o["category"]]
        description = [texts[c][1] for c in o["category"]]
        phone = w.customers["phone"].reindex(o["customer"]).fillna("").tolist()
        started = np.where(reopened, o["done0"].to_numpy(), received)
        resolved = np.where(o["resolved1"].to_numpy() >= 0, o["resolved1"], o["resolved0"])
        resolution_due = np.where(reopened, o["due1"], o["due0"])
        fr_at = o["fr_at"].to_numpy()
        fr_due = np.where((fr_at < 0) & ~reopened, o["fr_due"], -1)
        levels = list(EscalationLevel.objects.filter(active=True).order_by("share", "id"))
        # escalations of the first cycle reached before resolution (or now, if still open)
        until = np.where(o["resolved0"].to_numpy() >= 0, o["resolved0"], now)
        res_min = o["res_min"].to_numpy()
        esc: dict[str, list[Any]] = {k: [] for k in ("order", "level", "at", "share", "to")}
        next_escalation = np.full(self.n, -1, dtype=np.int64)
        leaders = self._leaders()
        for level in levels:
            share = float(level.share)
            at = self.add(received, res_min * share)
            fired = at < np.minimum(until, now)
            pending = open_ & ~reopened & ~fired & (next_escalation < 0)
            next_escalation[pending] = at[pending]
            for i in np.flatnonzero(fired).tolist():
                esc["order"].append(int(ids[i]))
                esc["level"].append(level.pk)
                esc["at"].append(int(at[i]))
                esc["share"].append(share)
                esc["to"].append(json.dumps(self._recipients(level.recipient, i, leaders)))
        reopened_open = reopened & open_
        restart = np.where(reopened, o["done0"].to_numpy(), received)
        next_escalation[reopened_open] = self.add(restart, res_min * 0.75)[reopened_open]
        owner_store = o["owner_store"].to_numpy()
        owner_staff = o["owner_staff"].to_numpy()
        owner_user = o["owner_user"].to_numpy()
        customer_names = w.customers["name"].reindex(o["customer"]).fillna("").tolist()
        customer_nos = w.customers["no"].reindex(o["customer"]).fillna("").tolist()
        line_numbers = _line_numbers(o["line"].to_numpy())
        documents = [
            segmented(" ".join(p for p in parts if p))
            for parts in zip(
                order_no,
                title,
                description,
                customer_names,
                customer_nos,
                line_numbers,
                phone,
                [resolution_text if r >= 0 else "" for r in resolved.tolist()],
                strict=True,
            )
        ]
        self.documents = list(zip(ids.tolist(), documents, strict=True))
        orders = Table(
            WorkOrder,
            [
                ("id", INT, ids),
                ("order_no", TEXT, order_no),
                ("channel", TEXT, o["channel"].tolist()),
                ("category", INT, [w.categories[c] for c in o["category"]]),
                ("priority", TEXT, o["priority"].tolist()),
                ("value_tier", TEXT, o["tier"].tolist()),
                ("customer", INT, o["customer"].to_numpy()),
                ("line", INT_NULL, o["line"].to_numpy()),
                ("source_contact", INT_NULL, o["contact"].to_numpy()),
                ("title", TEXT, title),
                ("description", TEXT, description),
                ("contact_phone", TEXT, phone),
                ("contact_email", TEXT, [""] * self.n),
                ("notice_language", TEXT, ["zh-hans"] * self.n),
                ("status", TEXT, status.tolist()),
                ("owner_unit", INT, o["owner_unit"].to_numpy()),
                ("owner_store", INT_NULL, owner_store),
                ("owner_staff", INT_NULL, owner_staff),
                ("created_by", INT_NULL, owner_user),
                ("received_at", TEXT, _datetime_text(received)),
                ("created_at", TEXT, _datetime_text(received)),
                ("first_responded_at", TEXT, _datetime_text(fr_at)),
                ("assigned_at", TEXT, _datetime_text(np.full(self.n, -1))),
                (
                    "in_progress_at",
                    TEXT,
                    _datetime_text(np.where(reopened, o["in_progress1"], fr_at)),
                ),
                ("waiting_customer_at", TEXT, _datetime_text(np.full(self.n, -1))),
                ("resolved_at", TEXT, _datetime_text(resolved)),
                ("closed_at", TEXT, _datetime_text(o["closed_at"].to_numpy())),
                ("reopened_at", TEXT, _datetime_text(np.where(reopened, o["done0"], -1))),
                ("merged_at", TEXT, _datetime_text(np.full(self.n, -1))),
                (
                    "resolution",
                    TEXT,
                    [resolution_text if r >= 0 else "" for r in resolved.tolist()],
                ),
                ("merged_into", INT_NULL, np.full(self.n, -1)),
                ("repeat_of", INT_NULL, o["repeat_of"].to_numpy()),
                (
                    "upgrade_reason",
                    TEXT,
                    [
                        "regulator appeal"
                        if c == "regulator"
                        else ("repeat complaint" if r >= 0 else "")
                        for c, r in zip(o["channel"], o["repeat_of"], strict=True)
                    ],
                ),
                ("reopen_count", INT, reopened.astype(np.int64)),
                ("sla_policy", INT_NULL, o["policy"].to_numpy()),
                ("sla_calendar", INT_NULL, o["calendar"].to_numpy()),
                ("sla_started_at", TEXT, _datetime_text(started)),
                ("sla_paused_since", TEXT, _datetime_text(np.full(self.n, -1))),
                ("sla_paused_seconds", INT, np.zeros(self.n, dtype=np.int64)),
                ("first_response_due_at", TEXT, _datetime_text(fr_due)),
                ("resolution_due_at", TEXT, _datetime_text(resolution_due)),
                ("statutory_due_at", TEXT, _datetime_text(o["statutory"].to_numpy())),
                ("progress_due_at", TEXT, _datetime_text(np.full(self.n, -1))),
                ("progress_notices_sent", INT, np.zeros(self.n, dtype=np.int64)),
                ("next_escalation_at", TEXT, _datetime_text(next_escalation)),
                ("search_document", TEXT, documents),
            ],
        )
        changes: dict[str, list[Any]] = {
            k: [] for k in ("order", "from", "to", "at", "actor", "note")
        }

        def change(
            mask: np.ndarray, before: str, after: str, at: np.ndarray, note: str = ""
        ) -> None:
            picked = np.flatnonzero(mask)
            changes["order"].extend(ids[picked].tolist())
            changes["from"].extend([before] * len(picked))
            changes["to"].extend([after] * len(picked))
            changes["at"].extend(np.asarray(at)[picked].tolist())
            changes["actor"].extend(owner_user[picked].tolist())
            changes["note"].extend([note] * len(picked))

        r0, d0 = o["resolved0"].to_numpy(), o["done0"].to_numpy()
        r1, d1 = o["resolved1"].to_numpy(), o["done1"].to_numpy()
        change(fr_at >= 0, "new", "in_progress", fr_at)
        change(r0 >= 0, "in_progress", "resolved", r0)
        change((d0 >= 0) & ~reopened, "resolved", "closed", d0)
        change(reopened, "resolved", "reopened", d0, reopen_note)
        change(reopened, "reopened", "in_progress", o["in_progress1"].to_numpy())
        change(r1 >= 0, "in_progress", "resolved", r1)
        change(d1 >= 0, "resolved", "closed", d1)
        status_changes = Table(
            StatusChange,
            [
                ("order", INT, np.array(changes["order"], dtype=np.int64)),
                ("from_status", TEXT, changes["from"]),
                ("to_status", TEXT, changes["to"]),
                ("at", TEXT, _datetime_text(np.array(changes["at"], dtype=np.int64))),
                ("actor", INT_NULL, np.array(changes["actor"], dtype=np.int64)),
                ("note", TEXT, changes["note"]),
            ],
        )
        escalations = Table(
            Escalation,
            [
                ("order", INT, np.array(esc["order"], dtype=np.int64)),
                ("level", INT, np.array(esc["level"], dtype=np.int64)),
                ("cycle", INT, np.zeros(len(esc["order"]), dtype=np.int64)),
                ("fired_at", TEXT, _datetime_text(np.array(esc["at"], dtype=np.int64))),
                ("used_share", DEC2, np.array(esc["share"], dtype=float)),
                ("recipients", JSON, esc["to"]),
            ],
        )
        hours = self.settings.revisit_due_hours
        revisit_cols: dict[str, list[Any]] = {
            k: []
            for k in ("order", "cycle", "due", "unit", "staff", "outcome", "notes", "by", "done")
        }
        owner_unit = o["owner_unit"].to_numpy()
        for cycle, resolved_at, done_at in ((0, r0, d0), (1, r1, d1)):
            for i in np.flatnonzero(resolved_at >= 0).tolist():
                bad = cycle == 0 and bool(reopened[i])
                done = int(done_at[i])
                revisit_cols["order"].append(int(ids[i]))
                revisit_cols["cycle"].append(cycle)
                revisit_cols["due"].append(int(resolved_at[i]) + hours * HOUR)
                revisit_cols["unit"].append(int(owner_unit[i]))
                revisit_cols["staff"].append(int(owner_staff[i]))
                revisit_cols["outcome"].append(
                    "" if done < 0 else ("not_solved" if bad else "solved")
                )
                revisit_cols["notes"].append(still_wrong if bad and done >= 0 else "")
                revisit_cols["by"].append(int(owner_user[i]) if done >= 0 else -1)
                revisit_cols["done"].append(done)
        revisits = Table(
            Revisit,
            [
                ("order", INT, np.array(revisit_cols["order"], dtype=np.int64)),
                ("cycle", INT, np.array(revisit_cols["cycle"], dtype=np.int64)),
                ("due_at", TEXT, _datetime_text(np.array(revisit_cols["due"], dtype=np.int64))),
                ("owner_unit", INT, np.array(revisit_cols["unit"], dtype=np.int64)),
                ("owner_staff", INT_NULL, np.array(revisit_cols["staff"], dtype=np.int64)),
                ("outcome", TEXT, revisit_cols["outcome"]),
                ("notes", TEXT, revisit_cols["notes"]),
                ("done_by", INT_NULL, np.array(revisit_cols["by"], dtype=np.int64)),
                ("done_at", TEXT, _datetime_text(np.array(revisit_cols["done"], dtype=np.int64))),
            ],
        )
        surveys = self._surveys(fcr, ids, reopened, owner_staff, r0, r1, d0, d1)
        resolutions = Table(
            ContactResolution,
            [
                ("contact", INT, fcr["contact"].to_numpy()),
                ("first_contact_resolved", BOOL, fcr["fcr"].to_numpy()),
                ("reason", TEXT, fcr["reason"].tolist()),
                ("repeat_contact", INT_NULL, fcr["repeat"].to_numpy()),
                (
                    "window_days",
                    INT,
                    np.full(len(fcr), self.settings.fcr_window_days),
                ),
                ("final", BOOL, fcr["final"].to_numpy()),
                ("computed_at", TEXT, _datetime_text(np.full(len(fcr), now, dtype=np.int64))),
            ],
        )
        return [orders, status_changes, escalations, revisits, surveys, resolutions]

    def _leaders(self) -> dict[int, list[int]]:
        """Staff told at the team-leader level, per owner unit: its grid lead or branch manager."""
        staff = self.w.staff
        lead = staff[staff["role"].isin([Role.GRID_LEAD, Role.BRANCH_MANAGER])]
        out: dict[int, list[int]] = {}
        for unit, staff_id in zip(lead["unit"].tolist(), lead.index.tolist(), strict=True):
            out.setdefault(int(unit), []).append(int(staff_id))
        return {unit: sorted(ids) for unit, ids in out.items()}

    def _recipients(self, recipient: str, i: int, leaders: dict[int, list[int]]) -> list[int]:
        if recipient == EscalationLevel.Recipient.OWNER:
            staff = int(self.o["owner_staff"].to_numpy()[i])
            return [staff] if staff >= 0 else []
        if recipient == EscalationLevel.Recipient.TEAM_LEADER:
            return leaders.get(int(self.o["owner_unit"].to_numpy()[i]), [])
        return [int(s) for s in self.w.supervisors[:1]]

    def _surveys(
        self,
        fcr: pd.DataFrame,
        ids: np.ndarray,
        reopened: np.ndarray,
        owner_staff: np.ndarray,
        r0: np.ndarray,
        r1: np.ndarray,
        d0: np.ndarray,
        d1: np.ndarray,
    ) -> Table:
        """One survey per resolved cycle; CSAT rises with the owner team's FCR."""
        rng, now = self.w.rng, self.w.now
        overall = float(fcr["fcr"].mean()) if len(fcr) else 0.6
        by_team = fcr[fcr["team"] >= 0].groupby("team")["fcr"].mean()
        team_fcr = self.o["owner_unit"].map(by_team).fillna(overall).to_numpy(dtype=float)
        late = self.o["late0"].to_numpy(dtype=bool)
        valid_days = self.settings.survey_valid_days
        cols: dict[str, list[Any]] = {
            k: []
            for k in (
                "order",
                "cycle",
                "nonce",
                "agent",
                "team",
                "sent",
                "expires",
                "at",
                "csat",
                "solved",
            )
        }
        owner_unit = self.o["owner_unit"].to_numpy()
        for cycle, resolved in ((0, r0), (1, r1)):
            members = np.flatnonzero(resolved >= 0)
            sent = resolved[members] + 30 * MINUTE
            answers = rng.random(len(members)) < SURVEY_RESPONSE
            at = sent + rng.integers(2 * HOUR, 72 * HOUR, len(members))
            answered = answers & (at < now)
            bad = (cycle == 0) & reopened[members]
            mean = 1.2 + 3.4 * team_fcr[members] + 0.4 * ~bad - 0.6 * (late[members] & (cycle == 0))
            csat = np.clip(np.rint(mean + rng.normal(0.0, 0.7, len(members))), 1, 5).astype(
                np.int64
            )
            salt = rng.integers(0, 2**62, len(members))
            for k, i in enumerate(members.tolist()):
                cols["order"].append(int(ids[i]))
                cols["cycle"].append(cycle)
                cols["nonce"].append(f"g{int(ids[i]):x}c{cycle}{int(salt[k]):x}"[:32])
                cols["agent"].append(int(owner_staff[i]))
                cols["team"].append(int(owner_unit[i]))
                cols["sent"].append(int(sent[k]))
                cols["expires"].append(int(sent[k]) + valid_days * DAY)
                cols["at"].append(int(at[k]) if answered[k] else -1)
                cols["csat"].append(int(csat[k]) if answered[k] else None)
                cols["solved"].append(bool(not bad[k]) if answered[k] else None)
        return Table(
            Survey,
            [
                ("order", INT, np.array(cols["order"], dtype=np.int64)),
                ("cycle", INT, np.array(cols["cycle"], dtype=np.int64)),
                ("nonce", TEXT, cols["nonce"]),
                ("agent", INT_NULL, np.array(cols["agent"], dtype=np.int64)),
                ("team", INT, np.array(cols["team"], dtype=np.int64)),
                ("sent_at", TEXT, _datetime_text(np.array(cols["sent"], dtype=np.int64))),
                ("expires_at", TEXT, _datetime_text(np.array(cols["expires"], dtype=np.int64))),
                ("responded_at", TEXT, _datetime_text(np.array(cols["at"], dtype=np.int64))),
                ("csat", TEXT, cols["csat"]),
                ("solved", TEXT, cols["solved"]),
                ("comment", TEXT, [""] * len(cols["order"])),
            ],
        )


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(top=Max("id"))["top"] or 0) + 1


def _line_numbers(line_ids: np.ndarray) -> list[str]:
    wanted = sorted({int(i) for i in line_ids.tolist() if i >= 0})
    numbers: dict[int, str] = {}
    for first in range(0, len(wanted), 5000):
        chunk = wanted[first : first + 5000]
        numbers.update(Line.objects.filter(pk__in=chunk).values_list("id", "number"))
    return [numbers.get(int(i), "") for i in line_ids.tolist()]


def _search_rows(documents: list[tuple[int, str]]) -> None:
    """Mirror the search documents into SQLite's FTS5 table (PostgreSQL indexes the column)."""
    if connection.vendor != "sqlite" or not documents:
        return
    ids = [pk for pk, _document in documents]
    with connection.cursor() as cursor:
        # rows left by orders deleted earlier (the index is not a foreign key) make room
        cursor.execute(
            f"DELETE FROM {FTS_TABLE} WHERE rowid BETWEEN %s AND %s", [min(ids), max(ids)]
        )
        cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, document) VALUES (%s, %s)", documents)


def _finish_database() -> None:
    bulk_load_finish(
        explicit_ids=[WorkOrder, StatusChange, Escalation, Revisit, Survey, ContactResolution],
        app_labels=["complaints", "customers"],
    )


@dataclass(frozen=True)
class _Run:
    pk: str


def complaints_history_generate(
    *, seed: int, as_of: dt.date, progress: bool = False
) -> dict[str, int]:
    """Generate past work orders, their SLA outcomes, escalations, revisits, surveys and the
    FCR flag of every contact for the generated operator (see the module's description);
    return the rows written per table and a few counts. Same database and seed, same rows.

    Raises ``ComplaintsHistoryExists`` when work orders already exist.
    """
    if WorkOrder.objects.exists():
        raise ComplaintsHistoryExists(
            "this database already holds work orders; the complaints history is generated "
            "once, on a database freshly filled by `wanliu generate`"
        )
    contacts = _contacts(as_of)
    counts: Counter[str] = Counter()
    if contacts.empty:
        return {}
    w = _world(seed=seed, as_of=as_of, first_contact=int(contacts["started"].min()))
    orders = pd.concat(
        [_orders_from_contacts(w, contacts), _cancellation_orders(w)], ignore_index=True
    )
    orders = orders[orders["received"] < w.now]
    orders = orders.sort_values(["received", "customer"], kind="stable").reset_index(drop=True)
    if orders.empty:
        return {}
    builder = _Builder(w, orders, contacts)
    builder.prepare()
    builder.simulate()
    tables = builder.tables(builder.fcr())
    with transaction.atomic():
        for table in tables:
            counts[table.model._meta.label_lower] += table_write(table)
        _search_rows(builder.documents)
        _finish_database()
        counts.update(builder.counts)
        report = dict(sorted(counts.items()))
        audit_record(
            actor=None,
            action="complaints.history.generate",
            obj=_Run(pk=f"seed={seed}"),
            after={"seed": seed, "as_of": as_of.isoformat(), "rows": report},
            note=f"complaints history for {len(contacts)} contacts",
        )
    del progress
    return report
