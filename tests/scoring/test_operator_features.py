"""Operator features as of a month: DuckDB SQL against a naive Python computation on a tiny
hand-made operator, no leakage from the as-of month or later, and the extract command."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from contextlib import redirect_stderr
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import (
    AccountFactory,
    BillFactory,
    ContactFactory,
    CustomerFactory,
    LineFactory,
    OrgUnitFactory,
    PlanFactory,
    StoreFactory,
    SubscriptionFactory,
    UsageFactory,
)
from wanliu.customers.models import CompetitorPromotion, Contact, Line, PlanChange
from wanliu.org.models import OrgUnit
from wanliu.scoring.operator import features_as_of, month_add, operator_extract

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 7, 1)
MONTHS = [month_add(dt.date(2025, 11, 1), k) for k in range(12)]  # 2025-11 .. 2026-10


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def build_operator(seed: int = 3) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH)
    grids = [OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, region=branch.region)]
    grids.append(OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, region=branch.region))
    other_branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH)
    grids.append(
        OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=other_branch, region=other_branch.region)
    )
    bundle = PlanFactory(code="FAM129", monthly_fee=Decimal("129.00"), contract_months=24)
    mobile = PlanFactory(
        code="MOB59", family="mobile", monthly_fee=Decimal("59.00"), contract_months=0
    )
    # Promotions: grid 0 in months 2026-05..07, its branch in 2026-06..07 (cheaper), grid 2
    # only from the as-of month on (must not be seen).
    for unit, month, price in [
        (grids[0], dt.date(2026, 5, 1), "79.00"),
        (grids[0], dt.date(2026, 6, 1), "79.00"),
        (grids[0], dt.date(2026, 7, 1), "19.00"),
        (branch, dt.date(2026, 6, 1), "69.00"),
        (branch, dt.date(2026, 6, 1), "99.00"),
        (grids[2], dt.date(2026, 7, 1), "29.00"),
        (grids[2], dt.date(2026, 8, 1), "29.00"),
    ]:
        CompetitorPromotion.objects.create(
            competitor="移动",
            unit=unit,
            month=month,
            description="x",
            promo_monthly=Decimal(price),
            promo_months=6,
            regular_monthly=Decimal("129.00"),
        )
    lines = []
    specs = [
        # grid, plan, activated, cancelled, contract end, tier
        (0, bundle, dt.date(2021, 3, 5), None, dt.date(2026, 9, 1), "A"),
        (0, bundle, dt.date(2025, 12, 20), dt.date(2026, 7, 14), dt.date(2027, 12, 1), "B"),
        (1, mobile, dt.date(2019, 1, 2), dt.date(2026, 5, 3), None, "C"),  # gone before
        (2, mobile, dt.date(2024, 6, 30), dt.date(2026, 8, 2), None, "C"),  # churns later
        (2, bundle, dt.date(2026, 6, 30), None, dt.date(2028, 6, 1), "B"),  # 1 day old
        (1, bundle, dt.date(2026, 7, 2), None, dt.date(2028, 7, 1), "B"),  # not yet active
    ]
    for grid, plan, activated, cancelled, contract_end, tier in specs:
        store = StoreFactory(unit=grids[grid])
        customer = CustomerFactory(
            store=store, unit=grids[grid], value_tier=tier, joined_on=activated
        )
        account = AccountFactory(customer=customer)
        subscription = SubscriptionFactory(account=account, plan=plan, contract_end_on=contract_end)
        for k in range(1 if plan is mobile else 2):
            line = LineFactory(
                account=account,
                subscription=subscription,
                activated_on=activated,
                cancelled_on=cancelled if k == 0 else None,
                status=Line.Status.CANCELLED if cancelled and k == 0 else Line.Status.ACTIVE,
                kind=Line.Kind.MOBILE if k == 0 else Line.Kind.BROADBAND,
            )
            lines.append(line)
            for month in MONTHS:
                if month < activated.replace(day=1):
                    continue
                UsageFactory(
                    line=line,
                    month=month,
                    data_gb=Decimal(str(round(float(rng.gamma(3, 4)), 3))),
                    voice_minutes=int(rng.integers(0, 600)),
                    overage_charge=Decimal(str(round(float(rng.choice([0, 0, 12.5])), 2))),
                )
        for month in MONTHS:
            if month < activated.replace(day=1):
                continue
            BillFactory(
                account=account,
                month=month,
                total=Decimal(str(round(float(rng.gamma(5, 25)), 2))),
            )
        for _ in range(6):
            day = dt.date(2026, 2, 1) + dt.timedelta(days=int(rng.integers(0, 250)))
            ContactFactory(
                customer=customer,
                line=lines[-1],
                topic=str(rng.choice(["complaint", "network", "billing", "plan", "cancellation"])),
                resolved_at_contact=bool(rng.random() < 0.5),
                started_at=timezone.make_aware(
                    dt.datetime.combine(day, dt.time(10, 30)), timezone.get_fixed_timezone(0)
                ),
            )
    # The first subscription moved from the mobile plan to the bundle after the as-of day:
    # on the as-of day its plan was the mobile one.
    PlanChange.objects.create(
        subscription=lines[0].subscription,
        from_plan=mobile,
        to_plan=bundle,
        changed_on=dt.date(2026, 8, 10),
    )
    return {"lines": lines, "grids": grids, "branch": branch}


def naive_features(as_of: dt.date) -> dict[int, dict[str, Any]]:
    """The same features, computed row by row through the ORM."""
    m1, m3, m6 = (month_add(as_of, -k) for k in (1, 3, 6))
    out = {}
    for line in Line.objects.select_related(
        "account__customer__unit", "subscription__plan"
    ).order_by("id"):
        if not (
            line.activated_on < as_of and (line.cancelled_on is None or line.cancelled_on >= as_of)
        ):
            continue
        customer = line.account.customer
        subscription = line.subscription
        later = (
            PlanChange.objects.filter(subscription=subscription, changed_on__gte=as_of)
            .order_by("changed_on")
            .first()
        )
        plan = later.from_plan if later else subscription.plan
        bills = {b.month: float(b.total) for b in line.account.bills.all()}
        recent = [bills[m] for m in bills if m3 <= m < as_of]
        prior = [bills[m] for m in bills if m6 <= m < m3]
        usage = list(line.usage.filter(month__gte=m6, month__lt=as_of))
        data_recent = [float(u.data_gb) for u in usage if u.month >= m3]
        data_prior = [float(u.data_gb) for u in usage if u.month < m3]
        contacts = [
            c
            for c in Contact.objects.filter(customer=customer)
            if m3 <= timezone.localtime(c.started_at).date() < as_of
        ]
        fee = float(plan.monthly_fee)
        promos = [
            float(p.promo_monthly)
            for p in CompetitorPromotion.objects.filter(
                month=m1, unit_id__in=[customer.unit_id, customer.unit.parent_id]
            )
        ]
        bundle = sum(
            1
            for other in line.account.lines.all()
            if other.activated_on < as_of
            and (other.cancelled_on is None or other.cancelled_on >= as_of)
        )
        mean = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
        b3, bp = mean(recent), mean(prior)
        d3, dp = mean(data_recent), mean(data_prior)
        out[line.id] = {
            "plan_fee": fee,
            "plan_family": plan.family,
            "value_tier": customer.value_tier,
            "tenure_months": _months_between(line.activated_on, as_of),
            "months_to_contract_end": (
                _months_between(as_of, subscription.contract_end_on)
                if subscription.contract_end_on
                else None
            ),
            "bundle_lines": bundle,
            "bill_3m": b3,
            "bill_trend": (b3 / bp - 1) if bp else None,
            "data_decline": (1 - d3 / dp) if dp else None,
            "contacts_3m": len(contacts),
            "complaints_3m": sum(c.topic == "complaint" for c in contacts),
            "unresolved_3m": sum(
                (not c.resolved_at_contact) and c.topic in ("complaint", "network", "billing")
                for c in contacts
            ),
            "competitor_promo": min(promos) if promos else None,
            "churned": int(
                line.cancelled_on is not None and line.cancelled_on < month_add(as_of, 1)
            ),
        }
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or (isinstance(a, float) and math.isnan(a))) and b is None
    if isinstance(b, float):
        return math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def test_features_match_a_naive_computation(tmp_path: Path) -> None:
    build_operator()
    operator_extract(tmp_path)
    for as_of in (AS_OF, dt.date(2026, 9, 1)):
        table = features_as_of(tmp_path, as_of=as_of, label=True).to_pylist()
        expected = naive_features(as_of)
        assert [row["line_id"] for row in table] == sorted(expected)
        for row in table:
            want = expected[row["line_id"]]
            for name, value in want.items():
                assert _same(row[name], value), (as_of, row["line_id"], name, row[name], value)
    rows = {r["line_id"]: r for r in features_as_of(tmp_path, as_of=AS_OF, label=True).to_pylist()}
    assert sum(r["churned"] for r in rows.values()) == 1  # the bundle line cancelled in July
    first = min(rows)
    assert rows[first]["plan_family"] == "mobile"  # plan on the day, not today's
    assert rows[first]["competitor_promo"] == 69.0  # branch-wide June offer, not July's 19


def test_no_leakage_from_the_as_of_month_or_later(tmp_path: Path) -> None:
    built = build_operator()
    before = tmp_path / "before"
    operator_extract(before)
    reference = features_as_of(before, as_of=AS_OF).to_pylist()
    # Rewrite everything dated on or after the as-of day: features must not move.
    for line in built["lines"]:
        line.account.bills.filter(month__gte=AS_OF).update(total=Decimal("9999.00"))
        line.usage.filter(month__gte=AS_OF).update(data_gb=Decimal("0"), voice_minutes=0)
    Contact.objects.filter(started_at__gte=timezone.make_aware(dt.datetime(2026, 7, 1))).update(
        topic="complaint", resolved_at_contact=False
    )
    customer = built["lines"][0].account.customer
    for k in range(5):
        ContactFactory(
            customer=customer,
            topic="complaint",
            resolved_at_contact=False,
            started_at=timezone.make_aware(dt.datetime(2026, 7, 1 + k, 0, 5)),
        )
    CompetitorPromotion.objects.filter(month__gte=AS_OF).update(promo_monthly=Decimal("1.00"))
    after = tmp_path / "after"
    operator_extract(after)
    assert features_as_of(after, as_of=AS_OF).to_pylist() == reference


def test_extract_command_writes_parquet(tmp_path: Path) -> None:
    build_operator()
    out = io.StringIO()
    target = tmp_path / "f.parquet"
    with redirect_stderr(io.StringIO()):
        call_command(
            "churn",
            "extract",
            "--as-of",
            "2026-07",
            "--out",
            str(target),
            "--label",
            "--json",
            stdout=out,
        )
    data = json.loads(out.getvalue())
    table = pq.read_table(target)
    assert data["rows"] == table.num_rows == 7
    assert data["churned"] == 1
    assert "churned" in table.column_names and "competitor_gap" in table.column_names


def test_an_extract_since_six_months_before_gives_the_same_features(tmp_path: Path) -> None:
    # given the hand-made operator extracted whole and from six months before the as-of month
    build_operator()
    whole, recent = tmp_path / "whole", tmp_path / "recent"
    operator_extract(whole)
    counts = operator_extract(recent, since=month_add(AS_OF, -6))
    # then the shorter extract holds fewer monthly rows but the same features as of the month
    assert counts["usage"] < pq.read_metadata(whole / "usage.parquet").num_rows
    assert (
        features_as_of(recent, as_of=AS_OF, label=True).to_pylist()
        == features_as_of(whole, as_of=AS_OF, label=True).to_pylist()
    )
