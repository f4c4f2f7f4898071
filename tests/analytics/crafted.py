"""Small hand-made operators with known figures (DOMAIN.md's field figures among them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    OrgUnitFactory,
    PlanFactory,
    RegionFactory,
    StoreFactory,
    SubscriptionFactory,
)
from wanliu.complaints.models import Category, WorkOrder
from wanliu.customers.models import Line, Plan
from wanliu.org.models import OrgUnit, Store

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@dataclass
class Org:
    city: OrgUnit
    branch_a: OrgUnit
    branch_b: OrgUnit
    grid_a: OrgUnit
    grid_b: OrgUnit
    store_a: Store
    store_b: Store


def build_org() -> Org:
    region = RegionFactory(code="HZ")
    city = OrgUnitFactory(kind=OrgUnit.Kind.CITY_COMPANY, region=region, name="市公司")
    branch_a = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH, region=region, parent=city, name="西湖")
    branch_b = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH, region=region, parent=city, name="拱墅")
    grid_a = OrgUnitFactory(kind=OrgUnit.Kind.GRID, region=region, parent=branch_a, name="网格A")
    grid_b = OrgUnitFactory(kind=OrgUnit.Kind.GRID, region=region, parent=branch_b, name="网格B")
    return Org(
        city=city,
        branch_a=branch_a,
        branch_b=branch_b,
        grid_a=grid_a,
        grid_b=grid_b,
        store_a=StoreFactory(unit=grid_a, name="西湖厅"),
        store_b=StoreFactory(unit=grid_b, name="拱墅厅"),
    )


_counter = {"n": 0}


def add_lines(
    *,
    store: Store,
    count: int,
    activated_on: dt.date,
    cancelled_on: dt.date | None = None,
    tier: str = "B",
    family: str = Plan.Family.FAMILY_BUNDLE,
) -> list[Line]:
    """``count`` lines of one customer in ``store``, all with these dates."""
    plan = PlanFactory(code=f"P-{family}", family=family)
    customer = CustomerFactory(store=store, unit=store.unit, value_tier=tier)
    account = AccountFactory(customer=customer)
    subscription = SubscriptionFactory(account=account, plan=plan)
    lines = []
    for _ in range(count):
        _counter["n"] += 1
        lines.append(
            Line(
                number=f"1990{_counter['n']:07d}",
                account=account,
                subscription=subscription,
                kind=Line.Kind.MOBILE,
                status=Line.Status.CANCELLED if cancelled_on else Line.Status.ACTIVE,
                activated_on=activated_on,
                cancelled_on=cancelled_on,
                home_region=store.unit.region,
            )
        )
    return Line.objects.bulk_create(lines)


def add_complaints(
    *, store: Store, category: str, count: int, received_at: dt.datetime, channel: str = "hotline"
) -> None:
    """``count`` work orders of one category from a customer of ``store``."""
    customer = CustomerFactory(store=store, unit=store.unit)
    cat = Category.objects.get(code=category)
    WorkOrder.objects.bulk_create(
        [
            WorkOrder(
                channel=channel,
                category=cat,
                value_tier=customer.value_tier,
                customer=customer,
                title="投诉",
                description="客户投诉",
                owner_unit=store.unit,
                owner_store=store,
                received_at=received_at,
                sla_started_at=received_at,
            )
            for _ in range(count)
        ]
    )


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)
