"""The roaming world for complaint tests: two regions, each with a hotline centre, a branch,
a grid and a store; a customer-service department; the seeded complaint policy and
notice templates."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    LineFactory,
    OrgUnitFactory,
    RegionFactory,
    StoreFactory,
    make_staff,
)
from wanliu.complaints.models import Category
from wanliu.customers.models import Customer, Line
from wanliu.org.models import OrgUnit, Region, Role, Staff, Store

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def seed_policy() -> None:
    """The data the app's migrations seed (a transactional test elsewhere may have
    flushed it): categories, calendars, SLA policies, levels, templates."""
    if not Category.objects.exists():
        importlib.import_module("wanliu.complaints.migrations.0003_seed_policy").seed(
            django_apps, None
        )
    importlib.import_module("wanliu.complaints.migrations.0004_notice_templates").seed(
        django_apps, None
    )


@dataclass
class World:
    region_a: Region
    region_b: Region
    centre_a: OrgUnit
    centre_b: OrgUnit
    branch_a: OrgUnit
    grid_a: OrgUnit
    store_a: Store
    department: OrgUnit
    agent_a: Staff
    agent_b: Staff
    agent_b2: Staff
    lead_b: Staff
    clerk_a: Staff
    manager_a: Staff
    supervisor: Staff
    customer: Customer
    line: Line

    def category(self, code: str) -> Category:
        return Category.objects.get(code=code)


def _staff(role: str, username: str, email: bool = True, **kwargs: Any) -> Staff:
    staff = make_staff(role, username=username, **kwargs)
    if email:
        staff.user.email = f"{username}@wanliu.test"
        staff.user.save(update_fields=["email"])
    return staff


def build_world() -> World:
    """The world of these tests (also used by the multi-process scan script)."""
    seed_policy()
    region_a = RegionFactory(code="HZ", name="杭州", name_en="Hangzhou")
    region_b = RegionFactory(code="NB", name="宁波", name_en="Ningbo")
    city_a = OrgUnitFactory(name="杭州分公司", kind=OrgUnit.Kind.CITY_COMPANY, region=region_a)
    city_b = OrgUnitFactory(name="宁波分公司", kind=OrgUnit.Kind.CITY_COMPANY, region=region_b)
    centre_a = OrgUnitFactory(
        name="杭州客服中心", kind=OrgUnit.Kind.HOTLINE_CENTRE, region=region_a, parent=city_a
    )
    centre_b = OrgUnitFactory(
        name="宁波客服中心", kind=OrgUnit.Kind.HOTLINE_CENTRE, region=region_b, parent=city_b
    )
    branch_a = OrgUnitFactory(
        name="西湖分局", kind=OrgUnit.Kind.BRANCH, region=region_a, parent=city_a
    )
    grid_a = OrgUnitFactory(
        name="文三网格", kind=OrgUnit.Kind.GRID, region=region_a, parent=branch_a
    )
    store_a = StoreFactory(name="文三路营业厅", unit=grid_a)
    department = OrgUnitFactory(
        name="客户服务部", kind=OrgUnit.Kind.SERVICE_DEPARTMENT, region=region_a
    )
    customer = CustomerFactory(store=store_a, name="王小明", contact_phone="13800000001")
    line = LineFactory(
        number="13900001111", account=AccountFactory(customer=customer), home_region=region_a
    )
    return World(
        region_a=region_a,
        region_b=region_b,
        centre_a=centre_a,
        centre_b=centre_b,
        branch_a=branch_a,
        grid_a=grid_a,
        store_a=store_a,
        department=department,
        agent_a=_staff(Role.HOTLINE_AGENT, "agent_a", unit=centre_a),
        agent_b=_staff(Role.HOTLINE_AGENT, "agent_b", unit=centre_b),
        agent_b2=_staff(Role.HOTLINE_AGENT, "agent_b2", unit=centre_b),
        lead_b=_staff(Role.BRANCH_MANAGER, "lead_b", unit=centre_b),
        clerk_a=_staff(Role.CLERK, "clerk_a", store=store_a),
        manager_a=_staff(Role.BRANCH_MANAGER, "manager_a", unit=branch_a),
        supervisor=_staff(Role.SERVICE_SUPERVISOR, "supervisor", unit=department),
        customer=customer,
        line=line,
    )
