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


def review_of(month: dt.date, unit_path: str | None = None) -> dict:
    """The review of a month, its snapshots (and the month before's) built first."""
    from wanliu.analytics.months import previous_month
    from wanliu.analytics.review import monthly_review
    from wanliu.analytics.snapshots import months_missing, snapshot_build

    missing = months_missing([previous_month(month), month])
    if missing:
        snapshot_build(months=missing)
    return monthly_review(month=month, unit_path=unit_path)


def build_of(month: dt.date, unit_path: str | None = None):
    """Like ``review_of``, the whole ``Review`` (slope, checks)."""
    from wanliu.analytics.months import previous_month
    from wanliu.analytics.review import review_build
    from wanliu.analytics.snapshots import months_missing, snapshot_build

    missing = months_missing([previous_month(month), month])
    if missing:
        snapshot_build(months=missing)
    return review_build(month=month, unit_path=unit_path)


_offers: dict[int, object] = {}


def offer(level: int):
    from decimal import Decimal

    from wanliu.retention.models import RetentionOffer

    found, _created = RetentionOffer.objects.get_or_create(
        code=f"CRAFT-L{level}",
        defaults={
            "name": f"挽留优惠{level}",
            "level": level,
            "discount_pct": Decimal("10") * level,
            "months": 12,
        },
    )
    return found


def add_request(
    *,
    store: Store,
    opened_at: dt.datetime,
    outcome: str,
    reason: str = "competitor_offer",
    clerk=None,
    steps: tuple[int, ...] = (1, 2, 3, 4, 5, 6),
    refused: bool = False,
    insisted: bool = False,
    grant: tuple[int, str] | None = None,
    lines: int = 1,
    transferred_to: Store | None = None,
    customer=None,
):
    """One finished cancellation request at ``store`` with these facts (a bundle of
    ``lines`` lines; ``grant``: the accepted offer's level and cost)."""
    from decimal import Decimal

    from wanliu.retention.models import (
        CancellationRequest,
        OfferGrant,
        StepRecord,
        Transfer,
    )

    customer = customer or CustomerFactory(store=store, unit=store.unit)
    account = AccountFactory(customer=customer)
    plan = PlanFactory(code=f"P-req-{lines}", family=Plan.Family.FAMILY_BUNDLE)
    subscription = SubscriptionFactory(account=account, plan=plan)
    for _ in range(lines):
        _counter["n"] += 1
        Line.objects.create(
            number=f"1880{_counter['n']:07d}",
            account=account,
            subscription=subscription,
            kind=Line.Kind.MOBILE,
            status=Line.Status.ACTIVE,
            activated_on=dt.date(2024, 1, 1),
            home_region=store.unit.region,
        )
    handling = transferred_to or store
    request = CancellationRequest.objects.create(
        kind="cancel",
        target="subscription",
        customer=customer,
        account=account,
        subscription=subscription,
        channel="store",
        origin_store=store,
        store=handling,
        unit=handling.unit,
        opened_by=clerk.user if clerk else None,
        status="closed",
        outcome=outcome,
        reason=reason,
        opened_at=opened_at,
        due_at=opened_at + dt.timedelta(hours=8),
        refusal_flagged_at=opened_at + dt.timedelta(hours=9) if refused else None,
        insisted_at=opened_at + dt.timedelta(minutes=5) if insisted else None,
    )
    request.request_no = f"CR{opened_at:%Y%m%d}{request.pk:06d}"
    request.save(update_fields=["request_no"])
    for step in steps:
        StepRecord.objects.create(request=request, step=step, recorded_at=opened_at)
    if transferred_to is not None:
        Transfer.objects.create(
            request=request,
            kind=Transfer.Kind.TRANSFER,
            from_store=store,
            to_store=transferred_to,
            reason="请到别的厅办理",
            at=opened_at + dt.timedelta(minutes=20),
        )
    if grant is not None:
        level, cost = grant
        made = OfferGrant.objects.create(
            request=request,
            offer=offer(level),
            level=level,
            status="granted" if level == 1 else "approved",
            store=handling,
            budget_month=opened_at.date().replace(day=1),
            monthly_fee=Decimal("129"),
            new_monthly_fee=Decimal("100"),
            cost=Decimal(cost),
            requested_at=opened_at,
        )
        request.accepted_grant = made
        request.save(update_fields=["accepted_grant"])
    return request


@dataclass
class Desk:
    org: Org
    a1: object
    a2: object
    b1: object


def desk_september(org: Org) -> Desk:
    """Twenty finished requests of September 2026 at two stores (their answers in
    tests/analytics/test_desk_figures.py): 7 of them miss a step (35%, DOMAIN.md)."""
    from tests.factories import make_staff
    from wanliu.org.models import Role

    a1 = make_staff(Role.CLERK, store=org.store_a)
    a2 = make_staff(Role.CLERK, store=org.store_a)
    b1 = make_staff(Role.CLERK, store=org.store_b)
    retained = (1, 2, 3, 4, 5)
    day = [local(2026, 9, d, 10) for d in range(1, 29)]
    add_request(
        store=org.store_a,
        clerk=a1,
        opened_at=day[0],
        outcome="retained_with_offer",
        grant=(1, "100"),
        lines=3,
        steps=retained,
    )
    add_request(
        store=org.store_a,
        clerk=a1,
        opened_at=day[1],
        outcome="retained_with_offer",
        grant=(1, "100"),
        steps=(1, 2, 3, 5),
    )
    add_request(
        store=org.store_a,
        clerk=a1,
        opened_at=day[2],
        outcome="retained_with_offer",
        grant=(2, "300"),
        lines=2,
        steps=retained,
    )
    add_request(
        store=org.store_a,
        clerk=a2,
        opened_at=day[3],
        outcome="retained_with_offer",
        grant=(2, "300"),
        steps=(1, 2, 3, 4),
    )
    add_request(
        store=org.store_a,
        clerk=a2,
        opened_at=day[4],
        outcome="retained_same_plan",
        reason="billing_misunderstanding",
        steps=(1, 2, 3, 5),
    )
    add_request(
        store=org.store_a,
        clerk=a2,
        opened_at=day[5],
        outcome="cancelled",
        reason="other",
        insisted=True,
        steps=(6,),
    )
    add_request(
        store=org.store_a,
        clerk=a1,
        opened_at=day[6],
        outcome="cancelled",
        reason="other",
        refused=True,
        steps=(1, 2, 3, 4, 6),
    )
    add_request(
        store=org.store_a,
        clerk=a2,
        opened_at=day[7],
        outcome="cancelled",
        reason="relocation",
        steps=(1, 2, 3),
    )
    add_request(
        store=org.store_b,
        clerk=b1,
        opened_at=day[8],
        outcome="retained_with_offer",
        grant=(1, "50"),
        lines=2,
        steps=(),
    )
    add_request(
        store=org.store_b,
        clerk=b1,
        opened_at=day[9],
        outcome="cancelled",
        reason="other",
        transferred_to=org.store_a,
        steps=(1, 2, 3, 4, 6),
    )
    for k in range(10):
        steps = (1, 3, 4, 5) if k < 3 else retained
        add_request(
            store=org.store_b,
            clerk=b1,
            opened_at=day[10 + k],
            outcome="retained_same_plan",
            steps=steps,
        )
    # and one of August, which is not September's
    add_request(
        store=org.store_a,
        clerk=a1,
        opened_at=local(2026, 8, 30, 10),
        outcome="cancelled",
        reason="other",
        steps=(),
    )
    return Desk(org=org, a1=a1, a2=a2, b1=b1)
