"""Lifetime value by segment, value customers, churned customers' reasons, and the
follow-up tasks raised from them in one click."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from tests.analytics import naive
from tests.analytics.crafted import add_lines, add_request, build_org, local, review_of
from tests.factories import PASSWORD, AccountFactory, BillFactory, CustomerFactory
from wanliu.analytics.cells import segment_fit
from wanliu.analytics.models import FollowUpTask
from wanliu.analytics.services import follow_up_tasks_create
from wanliu.analytics.value import monthly_discount
from wanliu.core.models import AuditEvent
from wanliu.scoring.models import LifetimeValueFit

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)
# Fader & Hardie (2007): 1000 customers and their survivors after each period.
SURVIVORS = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _cohort(org):
    """1000 family-bundle lines of tier B; from March 2026 they leave as in the textbook."""
    add_lines(store=org.store_a, count=SURVIVORS[-1], activated_on=dt.date(2024, 1, 1))
    for month, (before, after) in enumerate(itertools.pairwise(SURVIVORS), start=3):
        add_lines(
            store=org.store_a,
            count=before - after,
            activated_on=dt.date(2024, 1, 1),
            cancelled_on=dt.date(2026, month, 15),
        )


def test_segment_fit_finds_the_textbook_parameters():
    fit = segment_fit([float(v) for v in SURVIVORS])
    assert fit is not None
    assert fit.alpha == pytest.approx(0.668, abs=0.002)
    assert fit.beta == pytest.approx(3.806, abs=0.01)
    # a homogeneous segment (the same share leaves each month) is fitted too, fast
    steady = [10000 * 0.98**k for k in range(13)]
    edge = segment_fit(steady)
    assert edge is not None and edge.alpha / (edge.alpha + edge.beta) == pytest.approx(
        0.02, rel=0.05
    )
    assert segment_fit([100, 100, 100]) is None


def test_lifetime_value_is_margin_times_the_discounted_survival_sum():
    # given the textbook cohort
    org = build_org()
    _cohort(org)
    # when September is reviewed
    table = review_of(SEPT)["lifetime_value"].set_index("key")
    row = table.loc["family_bundle/B"]
    # then its survivors are fitted (no stored fit yet) to the textbook parameters
    assert row.fit_source == "snapshot_fit"
    assert row.lines == 517
    assert row.alpha == pytest.approx(0.668, abs=0.002)
    assert row.beta == pytest.approx(3.806, abs=0.01)
    # and the value is the margin times the sum of discounted survival, by a plain loop
    fee = round((129 + 129) / 517, 2)
    margin = Decimal(str(fee)) * Decimal("0.6")
    assert row.monthly_margin == margin.quantize(Decimal("0.01"))
    expected = naive.sbg_value(
        float(row.alpha),
        float(row.beta),
        margin=float(row.monthly_margin),
        discount=monthly_discount(Decimal("0.1")),
    )
    assert float(row.lifetime_value) == pytest.approx(expected, abs=0.02)


def test_a_stored_fit_of_the_churn_engine_is_preferred():
    org = build_org()
    _cohort(org)
    LifetimeValueFit.objects.create(
        as_of=SEPT,
        plan_family="family_bundle",
        value_tier="B",
        cohort="all",
        alpha=2.0,
        beta=8.0,
        lines=1000,
        churned=509,
        log_likelihood=-1.0,
    )
    row = review_of(SEPT)["lifetime_value"].set_index("key").loc["family_bundle/B"]
    assert row.fit_source == "stored_fit"
    assert (row.alpha, row.beta) == (2.0, 8.0)
    expected = naive.sbg_value(
        2.0, 8.0, margin=float(row.monthly_margin), discount=monthly_discount(Decimal("0.1"))
    )
    assert float(row.lifetime_value) == pytest.approx(expected, abs=0.02)


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
    table = review_of(SEPT, org.branch_a.path)["value_customers"]
    assert list(table["customer_id"]) == [
        c.pk for c in (customers[3], customers[1], customers[0], customers[2])
    ]
    assert list(table["bill_total"]) == [
        Decimal("999.99"),
        Decimal("300.00"),
        Decimal("150.15"),
        Decimal("40.01"),
    ]
    assert table["contribution"].iloc[0] == Decimal("599.99")
    whole = review_of(SEPT)["value_customers"]
    assert list(whole["customer_id"])[:2] == [other.pk, customers[3].pk]


def test_churned_customers_give_their_reasons_at_the_desk_or_in_the_interview(staff_of):
    org = build_org()
    supervisor = staff_of("service_supervisor", unit=org.city)
    # given four customers whose lines left in September
    leavers = [CustomerFactory(store=org.store_a, unit=org.grid_a) for _ in range(4)]
    for _leaver in leavers:
        add_lines(
            store=org.store_a,
            count=1,
            activated_on=dt.date(2024, 1, 1),
            cancelled_on=dt.date(2026, 9, 20),
        )
    # (add_lines makes its own customers: re-home the lines on ours)
    from wanliu.customers.models import Line

    for line, customer in zip(Line.objects.order_by("pk"), leavers, strict=True):
        line.account = AccountFactory(customer=customer)
        line.save(update_fields=["account"])
    # two told the desk why, one told the churn interview, one nobody asked yet
    add_request(
        store=org.store_a,
        customer=leavers[0],
        opened_at=local(2026, 9, 19, 10),
        outcome="cancelled",
        reason="relocation",
    )
    add_request(
        store=org.store_a,
        customer=leavers[1],
        opened_at=local(2026, 9, 19, 11),
        outcome="cancelled",
        reason="competitor_offer",
    )
    task = follow_up_tasks_create(
        kind="churn_interview", customers=[leavers[2]], month=SEPT, actor=supervisor.user
    )[0]
    task.status, task.reason_given = "done", "service_quality"
    task.save()
    tables = review_of(SEPT)
    churned = tables["churned_customers"].set_index("customer_id")
    assert churned.loc[leavers[0].pk, "reason"] == "relocation"
    assert churned.loc[leavers[0].pk, "reason_source"] == "desk"
    assert churned.loc[leavers[2].pk, "reason"] == "service_quality"
    assert churned.loc[leavers[2].pk, "reason_source"] == "interview"
    assert churned.loc[leavers[3].pk, "reason"] == ""
    reasons = tables["churn_reasons"].set_index("key")
    assert reasons["customers"].to_dict() == {
        "relocation": 1,
        "competitor_offer": 1,
        "service_quality": 1,
        "not_recorded": 1,
    }
    assert reasons.loc["relocation", "share"] == pytest.approx(25.0)


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


def test_one_click_thank_you_calls_and_an_interview_recorded_through_the_pages(client, staff_of):
    org = build_org()
    manager = staff_of("branch_manager", unit=org.branch_a)
    mine = [CustomerFactory(store=org.store_a, unit=org.grid_a) for _ in range(3)]
    theirs = CustomerFactory(store=org.store_b, unit=org.grid_b)
    assert client.login(username=manager.user.username, password=PASSWORD)
    # when the branch manager clicks for the customers listed on the review
    response = client.post(
        "/analytics/tasks/new/",
        {"kind": "thank_you_call", "month": "2026-09", "customer": [c.pk for c in mine]},
    )
    # then one task per customer is made
    assert response.status_code == 302
    assert FollowUpTask.objects.filter(kind="thank_you_call", month=SEPT).count() == 3
    # a customer of another branch answers 404 and nothing is made
    response = client.post(
        "/analytics/tasks/new/",
        {"kind": "churn_interview", "month": "2026-09", "customer": [mine[0].pk, theirs.pk]},
    )
    assert response.status_code == 404
    assert not FollowUpTask.objects.filter(kind="churn_interview").exists()
    # bad input names the field
    response = client.post(
        "/analytics/tasks/new/", {"kind": "gift", "month": "2026-09", "customer": [mine[0].pk]}
    )
    assert response.status_code == 400 and b"kind" in response.content
    response = client.post(
        "/analytics/tasks/new/",
        {"kind": "churn_interview", "month": "Sept", "customer": [mine[0].pk]},
    )
    assert response.status_code == 400 and b"YYYY-MM" in response.content
    # an interview is recorded with the reason the customer gave
    interview = follow_up_tasks_create(
        kind="churn_interview", customers=[mine[1]], month=SEPT, actor=None
    )[0]
    page = client.get("/analytics/tasks/", {"status": "open"})
    assert page.status_code == 200 and mine[1].name in page.content.decode()
    done = client.post(
        f"/analytics/tasks/{interview.pk}/done/",
        {"reason_given": "competitor_offer", "notes": "移动便宜"},
    )
    assert done.status_code == 302
    interview.refresh_from_db()
    assert (interview.status, interview.reason_given, interview.done_by_id) == (
        "done",
        "competitor_offer",
        manager.user_id,
    )
    assert AuditEvent.objects.filter(action="analytics.task.churn_interview.done").count() == 1
    # twice is refused, and another branch's task answers 404
    assert client.post(f"/analytics/tasks/{interview.pk}/done/", {}).status_code == 400
    other = follow_up_tasks_create(
        kind="churn_interview", customers=[theirs], month=SEPT, actor=None
    )[0]
    assert client.post(f"/analytics/tasks/{other.pk}/done/", {}).status_code == 404


def test_a_segment_without_its_own_stored_fit_takes_the_engines_family_or_operator_fit():
    org = build_org()
    _cohort(org)
    # given the churn engine stored only its plan-family and operator levels
    for family, tier, alpha in (("family_bundle", "*", 3.0), ("*", "*", 5.0)):
        LifetimeValueFit.objects.create(
            as_of=dt.date(2026, 10, 1),
            plan_family=family,
            value_tier=tier,
            cohort="all",
            alpha=alpha,
            beta=20.0,
            lines=1000,
            churned=100,
            log_likelihood=-1.0,
        )
    row = review_of(SEPT)["lifetime_value"].set_index("key").loc["family_bundle/B"]
    assert (row.fit_source, row.alpha, row.beta) == ("stored_fit", 3.0, 20.0)
