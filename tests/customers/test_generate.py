"""`wanliu generate`: a deterministic, realistic generated operator."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import statistics
from collections import defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, F

from wanliu.core.models import AuditEvent
from wanliu.customers.generator.catalogue import DRIVER_CODES
from wanliu.customers.generator.people import national_id_is_valid
from wanliu.customers.generator.services import operator_generate
from wanliu.customers.models import (
    Account,
    Bill,
    ChurnTruth,
    CompetitorPromotion,
    Contact,
    Customer,
    Line,
    Plan,
    PlanChange,
    Subscription,
    Usage,
)
from wanliu.org.models import OrgUnit, Region, Role, Staff, Store

AS_OF = dt.date(2025, 6, 15)
MONTHS = 6
LINES = 4000


class _Rollback(Exception):
    pass


def _generate(**options):
    out = io.StringIO()
    call_command("generate", stdout=out, no_progress=True, **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def operator(django_db_setup, django_db_blocker):
    """One generated operator shared by the read-only tests of a class, rolled back at
    the end of the class so that no other test sees it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            output = _generate(lines=LINES, months=MONTHS, seed=11, as_of="2025-06-15")
            yield output
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _month_starts() -> list[dt.date]:
    last = dt.date(2025, 5, 1)
    starts = []
    for back in range(MONTHS - 1, -1, -1):
        year, month = divmod(last.year * 12 + last.month - 1 - back, 12)
        starts.append(dt.date(year, month + 1, 1))
    return starts


def _content_hash() -> str:
    """Everything generated, by natural keys (ids of org rows differ between databases)."""
    digest = hashlib.sha256()

    def feed(rows):
        for row in rows:
            digest.update(repr(tuple(row)).encode())

    feed(Region.objects.order_by("code").values_list("code", "name"))
    feed(OrgUnit.objects.order_by("name", "kind").values_list("name", "kind", "parent__name"))
    feed(
        Store.objects.order_by("code").values_list("code", "name", "unit__name", "direct_operated")
    )
    feed(
        Staff.objects.order_by("employee_no").values_list(
            "employee_no", "name", "role", "unit__name", "store__code", "user__username"
        )
    )
    feed(Plan.objects.order_by("code").values_list("code", "monthly_fee", "mobile_lines"))
    feed(
        CompetitorPromotion.objects.order_by("unit__name", "month", "competitor").values_list(
            "unit__name", "month", "competitor", "promo_monthly", "regular_monthly"
        )
    )
    feed(
        Customer.objects.order_by("customer_no").values_list(
            "customer_no",
            "name",
            "national_id",
            "contact_phone",
            "store__code",
            "unit__name",
            "value_tier",
            "joined_on",
            "marketing_opt_out",
        )
    )
    feed(
        Account.objects.order_by("account_no").values_list(
            "account_no", "customer__customer_no", "status"
        )
    )
    feed(
        Subscription.objects.order_by("id").values_list(
            "account__account_no", "plan__code", "started_on", "contract_end_on", "ended_on"
        )
    )
    feed(
        Line.objects.order_by("number").values_list(
            "number",
            "account__account_no",
            "kind",
            "status",
            "activated_on",
            "suspended_on",
            "cancelled_on",
            "home_region__code",
        )
    )
    feed(
        PlanChange.objects.order_by("id").values_list(
            "subscription__account__account_no", "from_plan__code", "to_plan__code", "changed_on"
        )
    )
    feed(
        ChurnTruth.objects.order_by("line__number").values_list(
            "line__number", "driver", "churned_on"
        )
    )
    feed(
        Usage.objects.order_by("line__number", "month").values_list(
            "line__number",
            "month",
            "data_gb",
            "voice_minutes",
            "sms",
            "roaming_minutes",
            "overage_charge",
        )
    )
    feed(
        Bill.objects.order_by("account__account_no", "month").values_list(
            "account__account_no", "month", "total", "items"
        )
    )
    feed(
        Contact.objects.order_by("external_id").values_list(
            "external_id",
            "customer__customer_no",
            "line__number",
            "channel",
            "topic",
            "agent__employee_no",
            "started_at",
            "ended_at",
            "transferred",
            "resolved_at_contact",
            "note",
        )
    )
    return digest.hexdigest()


def _hash_of_run(**options) -> str:
    try:
        with transaction.atomic():
            _generate(**options)
            result = _content_hash()
            raise _Rollback
    except _Rollback:
        pass
    return result


@pytest.mark.django_db
def test_same_seed_gives_the_same_operator_and_another_seed_another():
    # given the same arguments twice, each time on an empty database
    first = _hash_of_run(lines=300, months=3, seed=5, as_of="2025-06-15")
    second = _hash_of_run(lines=300, months=3, seed=5, as_of="2025-06-15")
    # when another seed is used
    other = _hash_of_run(lines=300, months=3, seed=6, as_of="2025-06-15")
    # then the same seed gave identical rows and the other seed did not
    assert first == second
    assert other != first


def _chunked_run_hash() -> tuple[str, int]:
    try:
        with transaction.atomic():
            operator_generate(
                lines=350, months=3, seed=5, as_of=AS_OF, progress=False, chunk_lines=100
            )
            result = (_content_hash(), Line.objects.values("number").distinct().count())
            # chunks share one id space and one numbering plan
            assert not Usage.objects.exclude(line__in=Line.objects.all()).exists()
            assert not Line.objects.exclude(account__customer__isnull=False).exists()
            assert Customer.objects.count() == Account.objects.count()
            raise _Rollback
    except _Rollback:
        pass
    return result


@pytest.mark.django_db
def test_chunked_generation_is_deterministic_and_consistent():
    # given an operator written in four chunks, twice
    first, numbers = _chunked_run_hash()
    second, _numbers = _chunked_run_hash()
    # then the rows are the same and every line number is unique across chunks
    assert first == second
    assert numbers == 350


@pytest.mark.django_db
def test_refuses_a_database_that_already_holds_an_operator():
    # given a generated operator
    _generate(lines=200, months=2, seed=1, as_of="2025-06-15")
    customers = Customer.objects.count()
    # when generating again
    with pytest.raises(CommandError, match="already holds operator data"):
        _generate(lines=200, months=2, seed=1, as_of="2025-06-15")
    # then nothing was added
    assert Customer.objects.count() == customers


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options, message",
    [
        ({"lines": 0, "months": 3}, "lines must be between"),
        ({"lines": 10, "months": 0}, "months must be between"),
        ({"lines": 10, "months": 3, "as_of": "June"}, "--as-of must be a date"),
        ({"lines": 10, "months": 3, "seed": -1}, "seed must be zero or a positive"),
    ],
)
def test_bad_arguments_are_refused_clearly(options, message):
    with pytest.raises(CommandError, match=message):
        _generate(**{"seed": 1, **options})
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_progress_bar_goes_to_stderr(capsys):
    call_command("generate", lines=100, months=1, seed=2, as_of="2025-06-15", stdout=io.StringIO())
    assert "Generating operator" in capsys.readouterr().err


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


@pytest.mark.django_db
class TestGeneratedOperator:
    """Read-only checks of one generated operator (4,000 lines, 6 months)."""

    def test_counts_window_and_audit_row(self, operator):
        # then exactly the requested lines exist, with history for the requested months
        assert Line.objects.count() == LINES
        assert f"{LINES:,} lines" in operator
        months = sorted(Bill.objects.values_list("month", flat=True).distinct())
        assert months == _month_starts()
        assert sorted(Usage.objects.values_list("month", flat=True).distinct()) == _month_starts()
        event = AuditEvent.objects.get(action="operator.generate")
        assert event.after["lines"] == LINES and event.after["seed"] == 11

    def test_referential_integrity(self, operator):
        # every foreign key points at a row (deferred constraints checked now)
        connection.check_constraints()
        orphans = [
            Usage.objects.exclude(line__in=Line.objects.all()),
            Bill.objects.exclude(account__in=Account.objects.all()),
            Line.objects.exclude(account__in=Account.objects.all()),
            Line.objects.exclude(subscription__in=Subscription.objects.all()),
            Line.objects.exclude(home_region__in=Region.objects.all()),
            Subscription.objects.exclude(account__in=Account.objects.all()),
            Subscription.objects.exclude(plan__in=Plan.objects.all()),
            Account.objects.exclude(customer__in=Customer.objects.all()),
            Customer.objects.exclude(store__in=Store.objects.all()),
            Customer.objects.exclude(unit__in=OrgUnit.objects.all()),
            Contact.objects.exclude(customer__in=Customer.objects.all()),
            Contact.objects.exclude(line__isnull=True).exclude(line__in=Line.objects.all()),
            Contact.objects.exclude(agent__isnull=True).exclude(agent__in=Staff.objects.all()),
            PlanChange.objects.exclude(subscription__in=Subscription.objects.all()),
            ChurnTruth.objects.exclude(line__in=Line.objects.all()),
        ]
        assert [q.model.__name__ for q in orphans if q.exists()] == []
        # lines belong to their subscription's account; customers to their store's grid
        assert not Line.objects.exclude(subscription__account=F("account")).exists()
        assert not Customer.objects.exclude(store__unit=F("unit")).exists()
        assert Account.objects.count() == Customer.objects.count()
        # usage and bills only while in service
        for usage in Usage.objects.select_related("line")[:3000]:
            line = usage.line
            assert usage.month >= line.activated_on.replace(day=1)
            assert line.cancelled_on is None or usage.month <= line.cancelled_on
        cancelled_accounts = Account.objects.filter(status=Account.Status.CLOSED)
        for account in cancelled_accounts[:200]:
            last = max(line.cancelled_on for line in account.lines.all())
            assert not account.bills.filter(month__gt=last).exists()

    def test_org_tree_paths_stores_and_staff_roles(self, operator):
        units = {u.pk: u for u in OrgUnit.objects.all()}
        for unit in units.values():
            parent_path = units[unit.parent_id].path if unit.parent_id else "/"
            assert unit.path == f"{parent_path}{unit.pk}/"
        kinds = defaultdict(list)
        for unit in units.values():
            kinds[unit.kind].append(unit)
        assert len(kinds[OrgUnit.Kind.CITY_COMPANY]) == Region.objects.count() == 11
        assert all(units[g.parent_id].kind == OrgUnit.Kind.BRANCH for g in kinds[OrgUnit.Kind.GRID])
        assert all(
            units[b.parent_id].kind == OrgUnit.Kind.CITY_COMPANY for b in kinds[OrgUnit.Kind.BRANCH]
        )
        assert len(kinds[OrgUnit.Kind.HOTLINE_CENTRE]) == 1
        assert len(kinds[OrgUnit.Kind.SERVICE_DEPARTMENT]) == 1
        assert all(g.name.endswith("网格") for g in kinds[OrgUnit.Kind.GRID])
        # stores sit in grids; most are direct-operated; every grid has one
        assert not Store.objects.exclude(unit__kind=OrgUnit.Kind.GRID).exists()
        assert Store.objects.filter(direct_operated=True).count() > Store.objects.count() / 2
        assert Store.objects.filter(direct_operated=False).exists()
        assert set(Store.objects.values_list("unit", flat=True)) == {g.pk for g in kinds["grid"]}
        # a direct-operated store with customers, in a grid of a branch (what the demo uses)
        store = (
            Store.objects.filter(direct_operated=True)
            .annotate(n=Count("customers"))
            .order_by("-n")
            .first()
        )
        assert store.n > 0 and store.unit.parent.kind == OrgUnit.Kind.BRANCH
        # staff in every role, logins that cannot sign in, each in its role's group
        roles = set(Staff.objects.values_list("role", flat=True))
        assert roles == {r.value for r in Role} - {Role.ADMIN}
        for staff in Staff.objects.select_related("user", "store", "unit"):
            assert not staff.user.has_usable_password()
            assert list(staff.user.groups.values_list("name", flat=True)) == [staff.role]
            if staff.role == Role.CLERK:
                assert staff.store is not None and staff.store.unit_id == staff.unit_id
        assert {s.unit.kind for s in Staff.objects.filter(role=Role.HOTLINE_AGENT)} == {
            OrgUnit.Kind.HOTLINE_CENTRE
        }
        assert {s.unit.kind for s in Staff.objects.filter(role=Role.SERVICE_SUPERVISOR)} == {
            OrgUnit.Kind.SERVICE_DEPARTMENT
        }
        assert {s.unit.kind for s in Staff.objects.filter(role=Role.GRID_LEAD)} == {"grid"}
        assert {s.unit.kind for s in Staff.objects.filter(role=Role.BRANCH_MANAGER)} == {"branch"}
        assert get_user_model().objects.count() == Staff.objects.count()

    def test_family_bundle_129_and_the_plan_catalogue(self, operator):
        bundle = Plan.objects.get(code="FAM129")
        assert bundle.name == "融合套餐129元"
        assert bundle.family == Plan.Family.FAMILY_BUNDLE
        assert bundle.monthly_fee == Decimal("129.00")
        assert (bundle.mobile_lines, bundle.broadband_mbps, bundle.has_tv) == (3, 300, True)
        assert bundle.included_data_gb == Decimal("30") and bundle.contract_months == 24
        fees = set(
            Plan.objects.filter(family=Plan.Family.MOBILE, on_sale=True).values_list(
                "monthly_fee", flat=True
            )
        )
        assert {Decimal(f) for f in (19, 39, 59, 99, 199)} <= fees
        assert set(
            Plan.objects.filter(family=Plan.Family.BROADBAND).values_list(
                "broadband_mbps", flat=True
            )
        ) == {100, 300, 1000}
        # subscriptions to the bundle carry its mobile lines, broadband and (mostly) TV
        subscriptions = Subscription.objects.filter(plan=bundle).prefetch_related("lines")[:200]
        assert subscriptions
        for subscription in subscriptions:
            kinds = [line.kind for line in subscription.lines.all()]
            assert 1 <= kinds.count("mobile") <= 3
            assert kinds.count("broadband") == 1 and kinds.count("tv") <= 1

    def test_numbers_ids_names_bills_and_contacts_look_real(self, operator):
        mobiles = list(Line.objects.filter(kind="mobile").values_list("number", flat=True))
        assert all(len(n) == 11 and n[:2] in {"13", "15", "18", "19"} for n in mobiles)
        assert len(set(Line.objects.values_list("number", flat=True))) == LINES
        customers = list(Customer.objects.values_list("name", "national_id")[:2000])
        assert all(2 <= len(name) <= 3 for name, _id in customers)
        assert all(national_id_is_valid(nid) for _name, nid in customers)
        assert sum(nid.startswith("33") for _n, nid in customers) > 0.7 * len(customers)
        assert set(Customer.objects.values_list("value_tier", flat=True)) == {"A", "B", "C", "D"}
        for bill in Bill.objects.all()[:2000]:
            assert set(bill.items) == {"plan_fee", "overage", "roaming", "value_added", "discount"}
            assert sum(Decimal(v) for v in bill.items.values()) == bill.total
        contacts = Contact.objects.select_related("agent")
        assert set(contacts.values_list("channel", flat=True)) == {c.value for c in Contact.Channel}
        assert {"network", "billing", "cancellation", "complaint"} <= set(
            contacts.values_list("topic", flat=True)
        )
        for contact in contacts.filter(channel="store")[:300]:
            assert contact.agent.role == Role.CLERK
        for contact in contacts.filter(channel="hotline")[:300]:
            assert contact.agent.role == Role.HOTLINE_AGENT
        assert not contacts.filter(channel__in=["app", "online"], agent__isnull=False).exists()
        assert not contacts.filter(ended_at__lt=F("started_at")).exists()
        assert contacts.filter(resolved_at_contact=False).exists()
        assert contacts.filter(transferred=True).exists()
        assert all(contact.note for contact in contacts[:500])

    def test_churn_rate_drivers_and_their_evidence(self, operator):
        lines = list(Line.objects.values("id", "activated_on", "cancelled_on", "status"))
        # monthly churn: lines cancelled in the month / lines in service at its start
        rates = []
        for month in _month_starts():
            active = [
                ln
                for ln in lines
                if ln["activated_on"] < month
                and (ln["cancelled_on"] is None or ln["cancelled_on"] >= month)
            ]
            gone = [
                ln
                for ln in active
                if ln["cancelled_on"] and _month_index(ln["cancelled_on"]) == _month_index(month)
            ]
            rates.append(len(gone) / len(active))
        assert 0.008 <= sum(rates) / len(rates) <= 0.025

        # every cancelled line, and only those, has its ground-truth driver
        truths = {t.line_id: t for t in ChurnTruth.objects.all()}
        cancelled = {ln["id"]: ln for ln in lines if ln["status"] == Line.Status.CANCELLED}
        assert set(truths) == set(cancelled)
        assert all(t.driver in DRIVER_CODES for t in truths.values())
        assert all(t.churned_on == cancelled[t.line_id]["cancelled_on"] for t in truths.values())
        by_driver = defaultdict(int)
        for t in truths.values():
            by_driver[t.driver] += 1
        assert set(by_driver) == set(DRIVER_CODES)
        # each cancellation was processed by a clerk of a direct-operated store that day
        processed = list(
            Contact.objects.filter(
                topic="cancellation",
                channel="store",
                line__status="cancelled",
                started_at__date=F("line__cancelled_on"),
            ).select_related("agent__store")
        )
        assert (
            len(processed)
            >= len({t.line.subscription_id for t in ChurnTruth.objects.select_related("line")})
            * 0.9
        )
        assert all(contact.agent.store.direct_operated for contact in processed)

    def test_usage_declines_before_churn(self, operator):
        # given the data used by each line per month
        usage = defaultdict(dict)
        for line_id, month, data_gb in Usage.objects.values_list("line_id", "month", "data_gb"):
            usage[line_id][_month_index(month)] = float(data_gb)
        churned = ChurnTruth.objects.values_list("line_id", "churned_on")
        ratios = []
        for line_id, churned_on in churned:
            months = usage[line_id]
            c = _month_index(churned_on)
            if c - 1 in months and c - 4 in months and months[c - 4] > 0:
                ratios.append(months[c - 1] / months[c - 4])
        steady = []
        for months in list(usage.values())[:3000]:
            if len(months) == MONTHS and all(v > 0 for v in months.values()):
                first = min(months)
                steady += [months[m + 3] / months[m] for m in range(first, first + MONTHS - 3)]
        # then churners used clearly less in their last full month; others did not
        assert len(ratios) > 20
        assert statistics.median(ratios) < 0.85
        assert 0.9 < statistics.median(steady) < 1.1

    def test_each_driver_leaves_its_evidence(self, operator):
        truths = ChurnTruth.objects.select_related(
            "line__subscription__plan", "line__account__customer__unit"
        )
        promotions = set(CompetitorPromotion.objects.values_list("unit_id", "month"))
        checked = defaultdict(int)
        for truth in truths:
            line = truth.line
            customer = line.account.customer
            month = truth.churned_on.replace(day=1)
            if truth.driver == "competitor_price":
                # a competitor's promotion was running in the grid or its branch that month
                grid = customer.unit
                assert (grid.pk, month) in promotions or (grid.parent_id, month) in promotions
            elif truth.driver == "contract_end":
                end = line.subscription.contract_end_on
                assert end is not None
                assert 0 <= _month_index(truth.churned_on) - _month_index(end) <= 2
            elif truth.driver == "early_tenure":
                assert _month_index(truth.churned_on) - _month_index(line.activated_on) <= 11
            elif truth.driver == "unresolved_fault":
                assert Contact.objects.filter(
                    customer=customer,
                    topic__in=["network", "complaint"],
                    resolved_at_contact=False,
                    started_at__date__lt=truth.churned_on.replace(day=1),
                ).exists()
            elif truth.driver == "bill_shock":
                previous = (
                    Bill.objects.filter(account=line.account, month__lt=month)
                    .order_by("-month")
                    .first()
                )
                extra = Decimal(previous.items["overage"]) + Decimal(previous.items["roaming"])
                assert extra >= Decimal("60")
            checked[truth.driver] += 1
        assert len(checked) == len(DRIVER_CODES)

    def test_bills_and_usage_agree(self, operator):
        # the overage on a bill is the overage of the account's lines that month
        usage_overage = defaultdict(Decimal)
        for account_id, month, charge in Usage.objects.values_list(
            "line__account_id", "month", "overage_charge"
        ):
            usage_overage[(account_id, month)] += charge
        for bill in Bill.objects.all()[:3000]:
            assert Decimal(bill.items["overage"]) == usage_overage[(bill.account_id, bill.month)]
        assert any(v > 0 for v in usage_overage.values())
        assert json.dumps(Bill.objects.first().items)


def _index_names() -> set[tuple[str, str]]:
    names = set()
    with connection.cursor() as cursor:
        for model in (
            Customer,
            Account,
            Subscription,
            Line,
            PlanChange,
            ChurnTruth,
            Usage,
            Bill,
            Contact,
        ):
            table = model._meta.db_table
            for name, info in connection.introspection.get_constraints(cursor, table).items():
                if info["index"]:
                    names.add((table, name))
    return names


@pytest.mark.django_db
def test_indexes_are_all_there_after_generation():
    # given the indexes the migrations made
    before = _index_names()
    # when an operator is generated (PostgreSQL builds secondary indexes after the load)
    _generate(lines=300, months=2, seed=3, as_of="2025-06-15")
    # then every index is back
    assert _index_names() == before
    assert any("usage" in table for table, _name in before)
