"""Value customers, churned customers' reasons, and the follow-up tasks raised from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.analytics.crafted import add_lines, build_org
from tests.factories import AccountFactory, BillFactory, CustomerFactory
from wanliu.analytics import figures
from wanliu.analytics.models import FollowUpTask
from wanliu.analytics.services import follow_up_tasks_create
from wanliu.core.models import AuditEvent
from wanliu.customers.models import ChurnTruth

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)


def test_value_customers_rank_by_the_sum_of_their_bills_in_the_month():
    org = build_org()
    customers = [CustomerFactory(store=org.store_a, unit=org.grid_a) for _ in range(4)]
    amounts = [["100.10", "50.05"], ["300.00"], ["20.00", "20.00", "0.01"], ["999.99"]]
    for customer, bills in zip(customers, amounts, strict=True):
        for amount in bills:
            BillFactory(
                account=AccountFactory(customer=customer), month=SEPT, total=Decimal(amount)
            )
    # a bill of another month does not count
    BillFactory(
        account=AccountFactory(customer=customers[2]),
        month=dt.date(2026, 8, 1),
        total=Decimal("5000"),
    )
    # and a customer of another branch is out of a branch's scope
    other = CustomerFactory(store=org.store_b, unit=org.grid_b)
    BillFactory(account=AccountFactory(customer=other), month=SEPT, total=Decimal("2000"))
    table = figures.value_customers(month=SEPT, unit_path=org.branch_a.path, limit=3)
    assert list(table["customer_id"]) == [customers[3].pk, customers[1].pk, customers[0].pk]
    assert list(table["bill_total"]) == [Decimal("999.99"), Decimal("300.00"), Decimal("150.15")]


def test_churn_reasons_summarise_the_drivers_of_the_month():
    org = build_org()
    lines = add_lines(
        store=org.store_a,
        count=4,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 9),
    )
    lines += add_lines(
        store=org.store_a,
        count=1,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 8, 9),
    )
    for line, driver in zip(lines, ["price", "price", "competitor", None, "price"], strict=True):
        if driver:
            ChurnTruth.objects.create(line=line, driver=driver, churned_on=line.cancelled_on)
    churned = figures.churned_customers(month=SEPT)
    assert len(churned) == 4
    reasons = figures.churn_reasons(churned=churned).set_index("key")
    assert reasons["lines"].to_dict() == {"price": 2, "competitor": 1, "unknown": 1}
    assert reasons.loc["price", "share"] == pytest.approx(50.0)


def test_follow_up_tasks_are_made_once_per_customer_and_month_with_an_audit_row(staff_of):
    org = build_org()
    supervisor = staff_of("service_supervisor", unit=org.city)
    customers = [CustomerFactory(store=org.store_a, unit=org.grid_a) for _ in range(2)]
    made = follow_up_tasks_create(
        kind=FollowUpTask.Kind.THANK_YOU_CALL,
        customers=customers,
        month=dt.date(2026, 9, 14),
        actor=supervisor.user,
        reason="top contributor",
    )
    assert len(made) == 2
    assert {t.month for t in made} == {SEPT}
    assert AuditEvent.objects.filter(action="analytics.task.thank_you_call").count() == 2
    # when asked again for the same month, nothing new is made
    again = follow_up_tasks_create(
        kind=FollowUpTask.Kind.THANK_YOU_CALL,
        customers=customers,
        month=SEPT,
        actor=supervisor.user,
    )
    assert again == []
    assert FollowUpTask.objects.count() == 2
    with pytest.raises(ValueError):
        follow_up_tasks_create(kind="gift", customers=customers, month=SEPT, actor=None)
