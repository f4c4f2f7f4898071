"""A small generated operator with a known uplift model, for the campaign tests.

``uplift_table_synthetic``: rows whose outcome follows a planted effect on columns the
operator features have (``competitor_gap``, ``unresolved_3m``, ``tenure_months``): customers
facing a competitor promotion (gap of 20% or more) stay when offered a discount, those with
unresolved faults leave whatever happens (high risk, no uplift). ``world_create`` generates
1,200 lines, adds competitor promotions in half the grids for the month before the
features month, and stores churn scores that call the unresolved-fault customers the
riskiest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa

from tests.factories import make_staff
from wanliu.customers.generator.services import operator_generate
from wanliu.customers.models import CompetitorPromotion, Customer
from wanliu.org.models import OrgUnit, Role, Staff
from wanliu.retention.models import RetentionOffer
from wanliu.scoring.engine.uplift import UpliftModel, uplift_artefact_save
from wanliu.scoring.models import ChurnScore, ScoringRun
from wanliu.scoring.operator import features_as_of, month_add, operator_extract

AS_OF = dt.date(2026, 11, 23)  # data through 2026-10; features as of 2026-11
FEATURES_MONTH = dt.date(2026, 11, 1)
OFFERS = ("L1-10OFF12", "L1-DATA10")


def uplift_table_synthetic(rows: int = 4000, seed: int = 5) -> pa.Table:
    rng = np.random.default_rng(seed)
    gap = np.where(rng.random(rows) < 0.35, rng.uniform(0.2, 0.7, rows), 0.0)
    unresolved = (rng.random(rows) < 0.2).astype(np.int64)
    tenure = rng.integers(1, 200, rows)
    arm = rng.choice(["control", *OFFERS], rows, p=[0.3, 0.35, 0.35])
    base = 0.04 + 0.45 * unresolved + 0.35 * (gap >= 0.2)
    kept = np.where(arm == OFFERS[0], 0.3, np.where(arm == OFFERS[1], 0.1, 0.0)) * (gap >= 0.2)
    churned = (rng.random(rows) < np.clip(base - kept, 0, 1)).astype(np.int64)
    accepted = ((arm != "control") & (rng.random(rows) < 0.3 + 0.4 * (gap >= 0.2))).astype(np.int64)
    return pa.table(
        {
            "competitor_gap": gap,
            "unresolved_3m": unresolved,
            "tenure_months": tenure,
            "arm": arm,
            "churned": churned,
            "accepted": accepted,
            "attempts": np.where(arm == "control", 0, rng.integers(1, 4, rows)),
        }
    )


def uplift_model_save(directory: Path) -> str:
    model = UpliftModel(learner="t_logistic", seed=0).fit(
        uplift_table_synthetic(), accepted="accepted", attempts="attempts"
    )
    return uplift_artefact_save(model, directory, overwrite=True).version


@dataclass
class World:
    branch: OrgUnit
    other_branch: OrgUnit
    grid: OrgUnit
    analyst: Staff
    admin: Staff
    hotline_agent: Staff
    grid_lead: Staff
    foreign_grid_lead: Staff
    promoted_customers: set[int]
    faulty_customers: set[int]


def world_create(tmp: Path) -> World:
    operator_generate(lines=1200, months=12, seed=11, as_of=AS_OF, progress=False)
    branches = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("pk"))
    grids = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.GRID).order_by("pk"))
    # a competitor promotion in every other grid, seen in the month before the features
    for grid in grids[::2]:
        CompetitorPromotion.objects.create(
            competitor="中国移动",
            unit=grid,
            month=month_add(FEATURES_MONTH, -1),
            description="携号转网 39 元",
            promo_monthly=Decimal("39.00"),
            promo_months=12,
            regular_monthly=Decimal("99.00"),
        )
    tables = tmp / "world-tables"
    operator_extract(tables)
    features = features_as_of(tables, as_of=FEATURES_MONTH)
    gap = np.nan_to_num(
        np.asarray(features.column("competitor_gap").to_numpy(zero_copy_only=False), dtype=float)
    )
    faults = np.asarray(features.column("unresolved_3m").to_numpy(zero_copy_only=False))
    lines = features.column("line_id").to_pylist()
    from wanliu.customers.models import Line

    customer_of = dict(Line.objects.filter(pk__in=lines).values_list("pk", "account__customer_id"))
    promoted = {customer_of[i] for i, g in zip(lines, gap, strict=True) if g >= 0.2}
    faulty = {customer_of[i] for i, f in zip(lines, faults, strict=True) if f >= 1}
    # stored scores: the unresolved-fault customers are the riskiest
    run = ScoringRun.objects.create(
        as_of=FEATURES_MONTH, model_version="churn-test", status=ScoringRun.Status.DONE
    )
    ChurnScore.objects.bulk_create(
        [
            ChurnScore(
                line_id=i,
                run=run,
                as_of=FEATURES_MONTH,
                model_version="churn-test",
                probability=0.9 if f >= 1 else 0.05,
                risk_band="very_high" if f >= 1 else "low",
                reasons=[],
            )
            for i, f in zip(lines, faults, strict=True)
        ]
    )
    grid = OrgUnit.objects.get(pk=Customer.objects.order_by("pk").first().unit_id)
    other = next(b for b in branches if not grid.path.startswith(b.path))
    foreign_grid = OrgUnit.objects.filter(
        kind=OrgUnit.Kind.GRID, path__startswith=other.path
    ).first()
    hotline = OrgUnit.objects.filter(kind=OrgUnit.Kind.HOTLINE_CENTRE).first()
    return World(
        branch=OrgUnit.objects.get(pk=grid.parent_id),
        other_branch=other,
        grid=grid,
        analyst=make_staff(Role.ANALYST, unit=hotline, username="t_analyst"),
        admin=make_staff(Role.ADMIN, unit=hotline, username="t_admin"),
        hotline_agent=make_staff(Role.HOTLINE_AGENT, unit=hotline, username="t_agent"),
        grid_lead=make_staff(Role.GRID_LEAD, unit=grid, username="t_grid"),
        foreign_grid_lead=make_staff(Role.GRID_LEAD, unit=foreign_grid, username="t_foreign"),
        promoted_customers=promoted,
        faulty_customers=faulty,
    )


def offers() -> list[RetentionOffer]:
    return list(RetentionOffer.objects.filter(code__in=OFFERS).order_by("code"))
