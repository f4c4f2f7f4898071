"""The generated operator's organisation: regions, units, stores, staff and tariff plans.

A few thousand rows at most, written with the ORM in bulk. Paths of units are set the
way ``wanliu.org.services.org_unit_create`` sets them (``/<id>/<id>/``), logins get
unusable passwords and their role's group, like ``wanliu.org.services.staff_create``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group

from wanliu.customers.generator.catalogue import PLACES, PLANS, REGIONS, STREET_SUFFIXES
from wanliu.customers.generator.people import names_draw
from wanliu.customers.models import Plan
from wanliu.org.models import OrgUnit, Region, Role, Staff, Store

_PASSWORD_ALPHABET = np.array(
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
)


@dataclass
class Organisation:
    """What the simulation needs to know about the organisation, as index arrays."""

    region_ids: np.ndarray  # [R] Region.pk
    region_codes: list[str]  # [R] area code, e.g. "0571"
    region_id_prefix: np.ndarray  # [R] four-digit national-ID prefix
    region_names: list[str]
    grid_unit_ids: np.ndarray  # [G] OrgUnit.pk of each grid
    grid_region: np.ndarray  # [G] region index
    grid_branch: np.ndarray  # [G] branch index
    grid_weight: np.ndarray  # [G] share of customers (sums to 1)
    grid_fault_rate: np.ndarray  # [G] network quality: relative rate of faults
    branch_unit_ids: np.ndarray  # [B]
    store_ids: np.ndarray  # [S] Store.pk
    store_grid: np.ndarray  # [S] grid index
    store_direct: np.ndarray  # [S] bool
    store_cancel_store: np.ndarray  # [S] store index where its customers cancel (direct)
    grid_store_start: np.ndarray  # [G] first store index of the grid (stores sorted by grid)
    grid_store_count: np.ndarray  # [G]
    store_weight_cum: np.ndarray  # [S] cumulative weight of stores, grid by grid
    store_clerk_start: np.ndarray  # [S] first index into clerk_ids
    store_clerk_count: np.ndarray  # [S]
    clerk_ids: np.ndarray  # Staff.pk of clerks, store by store
    hotline_agent_ids: np.ndarray  # Staff.pk
    hotline_unit_id: int
    service_unit_id: int
    staff_by_role: dict[str, int]


@dataclass
class PlanTable:
    """The tariff catalogue as arrays indexed by plan position in ``catalogue.PLANS``."""

    ids: np.ndarray
    codes: list[str]
    fee_cents: np.ndarray
    data_gb: np.ndarray
    voice_minutes: np.ndarray
    mbps: np.ndarray
    mobile_lines: np.ndarray
    has_tv: np.ndarray
    contract_months: np.ndarray
    target: np.ndarray  # 0 bundle, 1 mobile, 2 broadband, -1 none (fixed line)

    def index(self, code: str) -> int:
        return self.codes.index(code)


def plans_create() -> PlanTable:
    """Create the tariff plans of the catalogue (once per database)."""
    created = Plan.objects.bulk_create(
        [
            Plan(
                code=p.code,
                name=p.name,
                name_en=p.name_en,
                family=p.family,
                monthly_fee=Decimal(p.fee_yuan),
                included_data_gb=Decimal(p.data_gb),
                included_voice_minutes=p.voice_minutes,
                broadband_mbps=p.broadband_mbps,
                mobile_lines=p.mobile_lines,
                has_tv=p.has_tv,
                contract_months=p.contract_months,
                on_sale=p.on_sale,
            )
            for p in PLANS
        ]
    )
    targets = {"family_bundle": 0, "mobile": 1, "broadband": 2, "fixed": -1}
    return PlanTable(
        ids=np.array([p.pk for p in created], dtype=np.int64),
        codes=[p.code for p in PLANS],
        fee_cents=np.array([p.fee_yuan * 100 for p in PLANS], dtype=np.int64),
        data_gb=np.array([p.data_gb for p in PLANS], dtype=float),
        voice_minutes=np.array([p.voice_minutes for p in PLANS], dtype=float),
        mbps=np.array([p.broadband_mbps for p in PLANS], dtype=np.int64),
        mobile_lines=np.array([p.mobile_lines for p in PLANS], dtype=np.int64),
        has_tv=np.array([p.has_tv for p in PLANS], dtype=bool),
        contract_months=np.array([p.contract_months for p in PLANS], dtype=np.int64),
        target=np.array([targets[p.family] for p in PLANS], dtype=np.int64),
    )


def _allocate(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Split ``total`` into integer parts by ``weights`` (largest remainder), each >= minimum."""
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = max(0, total - int(base.sum()))
    share = weights / weights.sum() * rest
    parts = np.floor(share).astype(np.int64)
    remainder = rest - int(parts.sum())
    order = np.argsort(-(share - parts), kind="stable")
    parts[order[:remainder]] += 1
    return base + parts


def _units_bulk_create(units: list[OrgUnit]) -> list[OrgUnit]:
    """Insert units of one level, then give them their materialised path."""
    created = OrgUnit.objects.bulk_create(units)
    for unit in created:
        parent_path = unit.parent.path if unit.parent is not None else "/"
        unit.path = f"{parent_path}{unit.pk}/"
    OrgUnit.objects.bulk_update(created, ["path"])
    return created


def organisation_create(*, lines: int, seed: int, as_of: dt.date) -> Organisation:
    """Create regions, units, stores and staff sized for ``lines`` lines."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 101]))
    regions = Region.objects.bulk_create(
        [Region(code=r.code, name=r.name, name_en=r.name_en) for r in REGIONS]
    )
    weights = np.array([r.population_m for r in REGIONS])
    grids_total = max(2 * len(REGIONS), round(lines / 2000))
    grids_per_region = _allocate(grids_total, weights)

    cities = _units_bulk_create(
        [
            OrgUnit(name=f"{r.name}市分公司", kind=OrgUnit.Kind.CITY_COMPANY, region=region)
            for r, region in zip(REGIONS, regions, strict=True)
        ]
    )
    # Branches: one per district, as many as the region's grids need (about five each).
    branch_specs: list[tuple[int, str]] = []
    for ri, spec in enumerate(REGIONS):
        n_branches = min(len(spec.districts), max(1, math.ceil(grids_per_region[ri] / 5)))
        branch_specs += [(ri, d) for d in spec.districts[:n_branches]]
    branches = _units_bulk_create(
        [
            OrgUnit(
                name=f"{district[:-1]}分局",
                kind=OrgUnit.Kind.BRANCH,
                region=regions[ri],
                parent=cities[ri],
            )
            for ri, district in branch_specs
        ]
    )
    branch_region = np.array([ri for ri, _d in branch_specs], dtype=np.int64)
    grid_specs: list[tuple[int, int, str, str]] = []  # region, branch, district, place
    for ri in range(len(REGIONS)):
        region_branches = np.flatnonzero(branch_region == ri)
        per_branch = _allocate(int(grids_per_region[ri]), np.ones(len(region_branches)), minimum=1)
        for bi, n_grids in zip(region_branches.tolist(), per_branch.tolist(), strict=True):
            district = branch_specs[bi][1]
            picks = rng.choice(len(PLACES), size=min(n_grids, len(PLACES)), replace=False)
            grid_specs += [(ri, bi, district, PLACES[p]) for p in picks.tolist()]
    grids = _units_bulk_create(
        [
            OrgUnit(
                name=f"{district[:-1]}{place}网格",
                kind=OrgUnit.Kind.GRID,
                region=regions[ri],
                parent=branches[bi],
            )
            for ri, bi, district, place in grid_specs
        ]
    )
    grid_region = np.array([g[0] for g in grid_specs], dtype=np.int64)
    grid_branch = np.array([g[1] for g in grid_specs], dtype=np.int64)
    per_region_grids = np.bincount(grid_region, minlength=len(REGIONS))
    grid_weight = weights[grid_region] / per_region_grids[grid_region]
    grid_weight = grid_weight * rng.lognormal(0.0, 0.35, len(grids))
    grid_weight /= grid_weight.sum()
    grid_fault_rate = rng.lognormal(-0.18, 0.6, len(grids))

    hotline = _units_bulk_create(
        [
            OrgUnit(
                name="客户服务中心（10000号）",
                kind=OrgUnit.Kind.HOTLINE_CENTRE,
                region=regions[0],
            )
        ]
    )[0]
    service = _units_bulk_create(
        [OrgUnit(name="客户服务部", kind=OrgUnit.Kind.SERVICE_DEPARTMENT, region=regions[0])]
    )[0]

    # Stores: most grids have a direct-operated store (直营厅); many also partner outlets.
    store_rows: list[tuple[int, bool, str]] = []  # grid index, direct, name
    branch_has_direct = np.zeros(len(branches), dtype=bool)
    for gi, (ri, bi, district, place) in enumerate(grid_specs):
        direct = rng.random() < 0.72 or not branch_has_direct[bi]
        partners = int(rng.choice([0, 1, 2], p=[0.4, 0.45, 0.15]))
        if not direct and partners == 0:
            partners = 1
        if direct:
            branch_has_direct[bi] = True
            store_rows.append((gi, True, f"{REGIONS[ri].name}{district[:-1]}{place}营业厅"))
        for k in range(partners):
            label = "合作营业厅" if k == 0 else "授权代理点"
            store_rows.append((gi, False, f"{district[:-1]}{place}{label}"))
    stores = Store.objects.bulk_create(
        [
            Store(
                code=f"ST{REGIONS[grid_specs[gi][0]].code}{n + 1:05d}",
                name=name,
                unit=grids[gi],
                direct_operated=direct,
                address=(
                    f"浙江省{REGIONS[grid_specs[gi][0]].name}市{grid_specs[gi][2]}"
                    f"{grid_specs[gi][3]}{STREET_SUFFIXES[n % len(STREET_SUFFIXES)]}"
                    f"{int(rng.integers(1, 400))}号"
                ),
            )
            for n, (gi, direct, name) in enumerate(store_rows)
        ]
    )
    store_grid = np.array([s[0] for s in store_rows], dtype=np.int64)
    store_direct = np.array([s[1] for s in store_rows], dtype=bool)
    store_cancel = _cancel_stores(store_grid, store_direct, grid_branch, grid_region)
    grid_store_count = np.bincount(store_grid, minlength=len(grids))
    grid_store_start = np.concatenate([[0], np.cumsum(grid_store_count)[:-1]])
    store_weight_cum = np.cumsum(np.where(store_direct, 3.0, 1.0))

    # Staff, with logins that cannot sign in until someone sets a password.
    staff_rows: list[tuple[str, OrgUnit, Store | None]] = []
    clerk_counts = np.where(
        store_direct, rng.integers(3, 6, len(stores)), rng.integers(1, 3, len(stores))
    )
    for store, count in zip(stores, clerk_counts.tolist(), strict=True):
        staff_rows += [(Role.CLERK, store.unit, store)] * count
    staff_rows += [(Role.GRID_LEAD, grid, None) for grid in grids]
    staff_rows += [(Role.BRANCH_MANAGER, branch, None) for branch in branches]
    staff_rows += [(Role.HOTLINE_AGENT, hotline, None)] * int(np.clip(lines // 5000, 12, 300))
    staff_rows += [(Role.SERVICE_SUPERVISOR, service, None)] * int(
        np.clip(lines // 100_000 + 4, 4, 12)
    )
    staff_rows += [(Role.ANALYST, service, None)] * int(np.clip(lines // 200_000 + 3, 3, 8))
    staff_rows += [(Role.WORKFORCE_PLANNER, hotline, None)] * int(
        np.clip(lines // 500_000 + 2, 2, 4)
    )
    staff = _staff_bulk_create(staff_rows, rng=rng, as_of=as_of)
    store_index = {s.pk: i for i, s in enumerate(stores)}
    clerk_pairs = sorted(
        (store_index[int(s.store_id)], int(s.pk))
        for s in staff
        if s.role == Role.CLERK and s.store_id is not None
    )
    clerk_store = np.array([store for store, _pk in clerk_pairs], dtype=np.int64)
    store_clerk_count = np.bincount(clerk_store, minlength=len(stores))
    store_clerk_start = np.concatenate([[0], np.cumsum(store_clerk_count)[:-1]])
    roles_count: dict[str, int] = {}
    for s in staff:
        roles_count[s.role] = roles_count.get(s.role, 0) + 1

    return Organisation(
        region_ids=np.array([r.pk for r in regions], dtype=np.int64),
        region_codes=[r.code for r in REGIONS],
        region_id_prefix=np.array([int(r.id_prefix) for r in REGIONS], dtype=np.int64),
        region_names=[r.name for r in REGIONS],
        grid_unit_ids=np.array([g.pk for g in grids], dtype=np.int64),
        grid_region=grid_region,
        grid_branch=grid_branch,
        grid_weight=grid_weight,
        grid_fault_rate=grid_fault_rate,
        branch_unit_ids=np.array([b.pk for b in branches], dtype=np.int64),
        store_ids=np.array([s.pk for s in stores], dtype=np.int64),
        store_grid=store_grid,
        store_direct=store_direct,
        store_cancel_store=store_cancel,
        grid_store_start=grid_store_start,
        grid_store_count=grid_store_count,
        store_weight_cum=store_weight_cum,
        store_clerk_start=store_clerk_start,
        store_clerk_count=store_clerk_count,
        clerk_ids=np.array([pk for _store, pk in clerk_pairs], dtype=np.int64),
        hotline_agent_ids=np.array(
            [s.pk for s in staff if s.role == Role.HOTLINE_AGENT], dtype=np.int64
        ),
        hotline_unit_id=hotline.pk,
        service_unit_id=service.pk,
        staff_by_role=roles_count,
    )


def _cancel_stores(
    store_grid: np.ndarray,
    store_direct: np.ndarray,
    grid_branch: np.ndarray,
    grid_region: np.ndarray,
) -> np.ndarray:
    """For each store, the direct-operated store that completes its customers' cancellations:
    itself when direct, else the first direct store of its grid, branch, or region."""
    result = np.arange(len(store_grid))
    direct = np.flatnonzero(store_direct)
    for s in np.flatnonzero(~store_direct).tolist():
        g = store_grid[s]
        for same in (
            store_grid[direct] == g,
            grid_branch[store_grid[direct]] == grid_branch[g],
            grid_region[store_grid[direct]] == grid_region[g],
            np.ones(len(direct), dtype=bool),
        ):
            hits = direct[same]
            if len(hits):
                result[s] = hits[0]
                break
    return result


def _staff_bulk_create(
    rows: list[tuple[str, OrgUnit, Store | None]], *, rng: np.random.Generator, as_of: dt.date
) -> list[Staff]:
    """Logins (unusable passwords, role group) and staff profiles, in bulk."""
    user_model = get_user_model()
    first_no = Staff.objects.count() + 1
    male = rng.random(len(rows)) < 0.5
    names = names_draw(rng, male)
    secrets = rng.integers(0, len(_PASSWORD_ALPHABET), (len(rows), 40))
    joined = dt.datetime.combine(as_of, dt.time(9, 0), tzinfo=dt.UTC)
    users = user_model.objects.bulk_create(
        [
            user_model(
                username=f"wl{first_no + i:06d}",
                password=UNUSABLE_PASSWORD_PREFIX + "".join(_PASSWORD_ALPHABET[secrets[i]]),
                last_name=names[i][0],
                first_name=names[i][1:],
                date_joined=joined,
            )
            for i in range(len(rows))
        ]
    )
    groups = {role: Group.objects.get_or_create(name=role)[0] for role in {r[0] for r in rows}}
    membership = user_model.groups.through
    membership.objects.bulk_create(
        [
            membership(user_id=user.pk, group_id=groups[role].pk)
            for user, (role, _unit, _store) in zip(users, rows, strict=True)
        ]
    )
    return Staff.objects.bulk_create(
        [
            Staff(
                user=user,
                employee_no=f"WL{first_no + i:06d}",
                name=names[i],
                role=role,
                unit=unit,
                store=store,
            )
            for i, (user, (role, unit, store)) in enumerate(zip(users, rows, strict=True))
        ]
    )
