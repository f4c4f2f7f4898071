"""The worked example of the domain brief as test data: a branch with a direct-operated
store, a second store and a partner outlet; the clerk, the branch manager; a customer paying
129 yuan a month for a bundle of 3 mobile lines, 300 Mbps broadband and TV; the competitor's
promotion in the grid this month (59 yuan for 12 months, then 118); and the offer ladder."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from tests.factories import (
    AccountFactory,
    BillFactory,
    CustomerFactory,
    LineFactory,
    OrgUnitFactory,
    PlanFactory,
    StoreFactory,
    SubscriptionFactory,
    UsageFactory,
    make_staff,
)
from wanliu.customers.models import CompetitorPromotion, Customer, Line, Plan, Subscription
from wanliu.customers.selectors import add_months, month_start
from wanliu.org.models import OrgUnit, Role, Staff, Store
from wanliu.retention.models import RetentionOffer


@dataclass
class World:
    branch: OrgUnit
    other_branch: OrgUnit
    grid: OrgUnit
    store: Store  # direct-operated, the customer's
    second_store: Store  # direct-operated, same branch, another grid
    partner: Store  # a partner outlet: may not complete cancellations
    far_store: Store  # direct-operated, another branch
    clerk: Staff
    second_clerk: Staff
    partner_clerk: Staff
    far_clerk: Staff
    manager: Staff
    far_manager: Staff
    grid_lead: Staff
    hotline: Staff
    supervisor: Staff
    customer: Customer
    bundle: Subscription
    lines: list[Line]
    small_plan: Plan
    level1: RetentionOffer
    level2: RetentionOffer


def offers_create() -> tuple[RetentionOffer, RetentionOffer]:
    level1 = RetentionOffer.objects.create(
        code="T-L1-10OFF12",
        name="月费九折12个月",
        name_en="10% off for 12 months",
        level=1,
        discount_pct=Decimal("10"),
        months=12,
    )
    level2 = RetentionOffer.objects.create(
        code="T-L2-30OFF36",
        name="二级维挽：月费七折36个月",
        name_en="Level 2: 30% off for 36 months",
        level=2,
        discount_pct=Decimal("30"),
        months=36,
        min_tenure_months=24,
        value_tiers="A,B",
        plan_families="family_bundle",
        monthly_budget_per_store=Decimal("20000"),
    )
    return level1, level2


def world_create(*, today: dt.date | None = None) -> World:
    today = today or timezone.localdate()
    RetentionOffer.objects.update(active=False)  # the seeded ladder, when migrations left it
    city = OrgUnitFactory(kind=OrgUnit.Kind.CITY_COMPANY, name="杭州市分公司")
    branch = OrgUnitFactory(
        kind=OrgUnit.Kind.BRANCH, parent=city, region=city.region, name="西湖分局"
    )
    other_branch = OrgUnitFactory(
        kind=OrgUnit.Kind.BRANCH, parent=city, region=city.region, name="滨江分局"
    )
    grid = OrgUnitFactory(
        kind=OrgUnit.Kind.GRID, parent=branch, region=city.region, name="文三网格"
    )
    grid2 = OrgUnitFactory(
        kind=OrgUnit.Kind.GRID, parent=branch, region=city.region, name="古荡网格"
    )
    far_grid = OrgUnitFactory(
        kind=OrgUnit.Kind.GRID, parent=other_branch, region=city.region, name="长河网格"
    )
    store = StoreFactory(unit=grid, name="西湖文三路营业厅", direct_operated=True)
    second = StoreFactory(unit=grid2, name="西湖古荡营业厅", direct_operated=True)
    partner = StoreFactory(unit=grid, name="文三合作营业厅", direct_operated=False)
    far = StoreFactory(unit=far_grid, name="滨江长河营业厅", direct_operated=True)
    plan = PlanFactory()  # 融合套餐129元: 3 lines, 300 Mbps, TV, 30 GB
    small = PlanFactory(
        code="FAM99",
        name="融合套餐99元",
        name_en="Family bundle 99",
        monthly_fee=Decimal("99.00"),
        included_data_gb=Decimal("20"),
        mobile_lines=3,
    )
    customer = CustomerFactory(
        store=store,
        name="王秀英",
        contact_phone="13305710001",
        value_tier="B",
        joined_on=today - dt.timedelta(days=6 * 365 + 100),
    )
    account = AccountFactory(customer=customer)
    bundle = SubscriptionFactory(
        account=account,
        plan=plan,
        started_on=today - dt.timedelta(days=700),
        contract_end_on=today + dt.timedelta(days=30),
    )
    lines = [
        LineFactory(account=account, subscription=bundle, kind=Line.Kind.MOBILE, number=n)
        for n in ("13305710001", "13305710002", "13305710003")
    ]
    lines.append(
        LineFactory(
            account=account, subscription=bundle, kind=Line.Kind.BROADBAND, number="BB5710001"
        )
    )
    lines.append(
        LineFactory(account=account, subscription=bundle, kind=Line.Kind.TV, number="TV5710001")
    )
    this_month = month_start(today)
    for i, total in enumerate(("129.00", "131.50", "129.00"), start=1):
        BillFactory(
            account=account,
            month=add_months(this_month, -i),
            total=Decimal(total),
            items={"bundle_fee": "129.00", "data_overage": f"{Decimal(total) - 129:.2f}"},
        )
        for line in lines[:3]:
            UsageFactory(line=line, month=add_months(this_month, -i), data_gb=Decimal("10.0"))
    CompetitorPromotion.objects.create(
        competitor="中国移动",
        unit=grid,
        month=this_month,
        description="移动全家享融合套餐：携转新用户前12个月59元/月，之后118元/月",
        promo_monthly=Decimal("59.00"),
        promo_months=12,
        regular_monthly=Decimal("118.00"),
        switchers_only=True,
    )
    level1, level2 = offers_create()
    return World(
        branch=branch,
        other_branch=other_branch,
        grid=grid,
        store=store,
        second_store=second,
        partner=partner,
        far_store=far,
        clerk=make_staff(Role.CLERK, store=store, username="clerk"),
        second_clerk=make_staff(Role.CLERK, store=second, username="clerk2"),
        partner_clerk=make_staff(Role.CLERK, store=partner, username="partner"),
        far_clerk=make_staff(Role.CLERK, store=far, username="farclerk"),
        manager=make_staff(Role.BRANCH_MANAGER, unit=branch, username="manager"),
        far_manager=make_staff(Role.BRANCH_MANAGER, unit=other_branch, username="farmanager"),
        grid_lead=make_staff(Role.GRID_LEAD, unit=grid, username="gridlead"),
        hotline=make_staff(Role.HOTLINE_AGENT, username="hotline"),
        supervisor=make_staff(Role.SERVICE_SUPERVISOR, username="supervisor"),
        customer=customer,
        bundle=bundle,
        lines=lines,
        small_plan=small,
        level1=level1,
        level2=level2,
    )
