"""factory_boy factories for the operator's data, shared by every test package."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from wanliu.customers.models import (
    Account,
    Bill,
    Contact,
    Customer,
    Line,
    Plan,
    Subscription,
    Usage,
)
from wanliu.org.models import OrgUnit, Region, Role, Staff, Store
from wanliu.org.services import staff_create

PASSWORD = "test-pass-123"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R{n:02d}")
    name = factory.Sequence(lambda n: f"地区{n}")
    name_en = factory.Sequence(lambda n: f"Region {n}")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    """Units get their materialised path after insert, as org_unit_create does."""

    class Meta:
        model = OrgUnit
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"单元{n}")
    kind = OrgUnit.Kind.BRANCH
    region = factory.SubFactory(RegionFactory)
    parent = None
    path = ""

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):
        obj.path = f"{obj.parent.path if obj.parent else '/'}{obj.pk}/"
        obj.save(update_fields=["path"])


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"营业厅{n}")
    unit = factory.SubFactory(OrgUnitFactory, kind=OrgUnit.Kind.GRID)
    direct_operated = True


def make_staff(
    role: str,
    *,
    unit: OrgUnit | None = None,
    store: Store | None = None,
    username: str | None = None,
) -> Staff:
    """A staff member with a login (password ``PASSWORD``) in the role's group."""
    if role == Role.CLERK and store is None:
        store = StoreFactory()
    if unit is None:
        unit = store.unit if store is not None else OrgUnitFactory()
    n = Staff.objects.count() + 1
    return staff_create(
        username=username or f"{role}{n}",
        password=PASSWORD,
        name=f"员工{n}",
        role=role,
        unit=unit,
        store=store,
        employee_no=f"E{n:05d}",
    )


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = "FAM129"
    name = "融合套餐129元"
    name_en = "Family bundle 129"
    family = Plan.Family.FAMILY_BUNDLE
    monthly_fee = Decimal("129.00")
    included_data_gb = Decimal("30")
    included_voice_minutes = 500
    broadband_mbps = 300
    mobile_lines = 3
    has_tv = True
    contract_months = 24


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_no = factory.Sequence(lambda n: f"C{n:08d}")
    name = factory.Sequence(lambda n: f"张{n}")
    national_id = factory.Sequence(lambda n: f"330102199001{n:06d}")
    store = factory.SubFactory(StoreFactory)
    unit = factory.SelfAttribute("store.unit")
    value_tier = "B"
    joined_on = dt.date(2019, 5, 10)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    account_no = factory.Sequence(lambda n: f"A{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    opened_on = dt.date(2019, 5, 10)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    account = factory.SubFactory(AccountFactory)
    plan = factory.SubFactory(PlanFactory)
    started_on = dt.date(2024, 1, 1)
    contract_end_on = dt.date(2026, 1, 1)


class LineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Line

    number = factory.Sequence(lambda n: f"1330000{n:04d}")
    account = factory.SubFactory(AccountFactory)
    subscription = None
    kind = Line.Kind.MOBILE
    activated_on = dt.date(2019, 5, 10)
    home_region = factory.SubFactory(RegionFactory)


class BillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bill

    account = factory.SubFactory(AccountFactory)
    month = dt.date(2026, 10, 1)
    total = Decimal("129.00")
    items = factory.LazyAttribute(lambda b: {"plan_fee": str(b.total)})


class UsageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Usage

    line = factory.SubFactory(LineFactory)
    month = dt.date(2026, 10, 1)
    data_gb = Decimal("12.5")
    voice_minutes = 320
    sms = 12


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    external_id = factory.Sequence(lambda n: f"CT{n:09d}")
    customer = factory.SubFactory(CustomerFactory)
    channel = Contact.Channel.HOTLINE
    topic = Contact.Topic.BILLING
    started_at = factory.LazyFunction(timezone.now)
    resolved_at_contact = True
