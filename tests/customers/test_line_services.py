"""The lifecycle services of lines, subscriptions and accounts (拆机, 停机, 套餐变更, 销户):
what they change, what they refuse, the audit rows, and what the 360 then shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    LineFactory,
    PlanFactory,
    StoreFactory,
    SubscriptionFactory,
    make_staff,
)
from wanliu.core.models import AuditEvent
from wanliu.customers.models import Account, Line, Plan, PlanChange, Subscription
from wanliu.customers.services import (
    account_close,
    lines_cancel,
    lines_suspend,
    subscription_end,
    subscription_plan_change,
)
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 12)


@pytest.fixture(autouse=True)
def english_messages():
    """The refusals are translated; these tests read them in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def bundle():
    """A customer with one account: a bundle of two lines and a line without a plan."""
    store = StoreFactory()
    customer = CustomerFactory(store=store, unit=store.unit)
    account = AccountFactory(customer=customer)
    subscription = SubscriptionFactory(
        account=account, plan=PlanFactory(code="FAM129"), started_on=dt.date(2020, 1, 1)
    )
    lines = [
        LineFactory(account=account, subscription=subscription, number=n)
        for n in ("13305710101", "13305710102")
    ]
    loose = LineFactory(account=account, subscription=None, number="05710000101")
    clerk = make_staff(Role.CLERK, store=store, username="counter")
    return {
        "customer": customer,
        "account": account,
        "subscription": subscription,
        "lines": lines,
        "loose": loose,
        "actor": clerk.user,
    }


def test_cancelling_one_line_of_a_bundle_keeps_the_bundle(bundle):
    # given a bundle of two lines
    first, second = bundle["lines"]
    # when one is cancelled
    changed = lines_cancel(lines=[first], on=TODAY, actor=bundle["actor"], reason="CR1 cancelled")
    # then only it is cancelled, with the date; the bundle and the account carry on
    assert [ln.pk for ln in changed] == [first.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.cancelled_on) == (Line.Status.CANCELLED, TODAY)
    assert second.status == Line.Status.ACTIVE
    assert Subscription.objects.get(pk=bundle["subscription"].pk).ended_on is None
    event = AuditEvent.objects.get(action="customer.line.cancel")
    assert event.object_id == str(first.pk) and event.note == "CR1 cancelled"
    assert event.before["status"] == "active" and event.after["cancelled_on"] == "2026-03-12"


def test_the_last_line_ends_the_bundle_and_nothing_left_closes_the_account(bundle):
    first, second = bundle["lines"]
    lines_cancel(lines=[first], on=TODAY, actor=bundle["actor"], reason="CR1")
    # when the bundle's last line goes, the bundle ends that day
    lines_cancel(lines=[second], on=TODAY, actor=bundle["actor"], reason="CR2")
    assert Subscription.objects.get(pk=bundle["subscription"].pk).ended_on == TODAY
    # the account still has a line in service: it stays open
    assert Account.objects.get(pk=bundle["account"].pk).status == Account.Status.ACTIVE
    # when that one goes too, the account closes
    lines_cancel(lines=[bundle["loose"]], on=TODAY, actor=bundle["actor"], reason="CR3")
    assert Account.objects.get(pk=bundle["account"].pk).status == Account.Status.CLOSED
    actions = list(
        AuditEvent.objects.filter(action__startswith="customer.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "customer.line.cancel",
        "customer.line.cancel",
        "customer.subscription.end",
        "customer.line.cancel",
        "customer.account.close",
    ]


def test_a_line_already_cancelled_keeps_its_date(bundle):
    first, second = bundle["lines"]
    Line.objects.filter(pk=first.pk).update(status="cancelled", cancelled_on=dt.date(2025, 1, 5))
    changed = lines_cancel(lines=bundle["lines"], on=TODAY, actor=bundle["actor"], reason="CR1")
    assert [ln.pk for ln in changed] == [second.pk]
    assert Line.objects.get(pk=first.pk).cancelled_on == dt.date(2025, 1, 5)
    assert AuditEvent.objects.filter(action="customer.line.cancel").count() == 1


def test_suspending_only_touches_active_lines(bundle):
    first, second = bundle["lines"]
    Line.objects.filter(pk=second.pk).update(status="cancelled", cancelled_on=TODAY)
    changed = lines_suspend(lines=bundle["lines"], on=TODAY, actor=bundle["actor"], reason="CR1")
    assert [ln.pk for ln in changed] == [first.pk]
    first.refresh_from_db()
    assert (first.status, first.suspended_on, first.cancelled_on) == ("suspended", TODAY, None)
    assert Line.objects.get(pk=second.pk).status == "cancelled"
    # a suspended line can still be cancelled later
    lines_cancel(lines=[first], on=TODAY, actor=bundle["actor"], reason="CR2")
    assert Line.objects.get(pk=first.pk).status == "cancelled"


def test_refusals_name_the_field_and_change_nothing(bundle):
    first, second = bundle["lines"]
    with pytest.raises(ValidationError, match="reason: say why"):
        lines_cancel(lines=[first], on=TODAY, actor=bundle["actor"], reason="  ")
    with pytest.raises(ValidationError, match="lines: give at least one line"):
        lines_cancel(lines=[], on=TODAY, actor=bundle["actor"], reason="CR1")
    # a date before one of the lines was activated: refused as a whole (atomic)
    Line.objects.filter(pk=second.pk).update(activated_on=TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="on: line 13305710102 was activated"):
        lines_cancel(lines=bundle["lines"], on=TODAY, actor=bundle["actor"], reason="CR1")
    assert Line.objects.get(pk=first.pk).status == Line.Status.ACTIVE
    with pytest.raises(ValidationError, match="account: 3 line"):
        account_close(account=bundle["account"], on=TODAY, actor=bundle["actor"], reason="CR1")
    assert not AuditEvent.objects.filter(action__startswith="customer.").exists()


def test_a_plan_change_moves_the_subscription_and_writes_its_row(bundle):
    # given the bundle on the 129 plan
    smaller = PlanFactory(code="FAM99", monthly_fee=Decimal("99.00"))
    # when it is downgraded
    change = subscription_plan_change(
        subscription=bundle["subscription"],
        to_plan=smaller,
        on=TODAY,
        actor=bundle["actor"],
        reason="CR1 downgraded",
    )
    # then the subscription is on the new plan with a plan change row and an audit row
    assert Subscription.objects.get(pk=bundle["subscription"].pk).plan == smaller
    assert PlanChange.objects.get() == change
    assert (change.from_plan.code, change.to_plan.code, change.changed_on) == (
        "FAM129",
        "FAM99",
        TODAY,
    )
    event = AuditEvent.objects.get(action="customer.subscription.plan_change")
    assert event.before == {"plan": "FAM129"} and event.after["plan_change"] == change.pk
    # the same plan again, or a plan change on an ended subscription, is refused
    with pytest.raises(ValidationError, match="to_plan: the subscription is already on FAM99"):
        subscription_plan_change(
            subscription=bundle["subscription"],
            to_plan=smaller,
            on=TODAY,
            actor=bundle["actor"],
            reason="again",
        )
    subscription_end(
        subscription=bundle["subscription"], on=TODAY, actor=bundle["actor"], reason="x"
    )
    with pytest.raises(ValidationError, match="subscription: it ended on"):
        subscription_plan_change(
            subscription=bundle["subscription"],
            to_plan=PlanFactory(code="FAM59", monthly_fee=Decimal("59.00")),
            on=TODAY,
            actor=bundle["actor"],
            reason="later",
        )


def test_the_360_shows_the_changes(api_client, bundle):
    # given a line cancelled and the bundle downgraded today
    today = timezone.localdate()
    first, _second = bundle["lines"]
    lines_cancel(lines=[first], on=today, actor=bundle["actor"], reason="CR1 cancelled")
    subscription_plan_change(
        subscription=bundle["subscription"],
        to_plan=PlanFactory(code="FAM99", monthly_fee=Decimal("99.00")),
        on=today,
        actor=bundle["actor"],
        reason="CR2 downgraded",
    )
    # when the clerk reads the customer 360
    api_client.login_token("counter")
    view = api_client.get(f"/api/v1/customers/{bundle['customer'].pk}").json()
    # then the line is cancelled today, the bundle on its new plan with the plan change
    line = next(ln for ln in view["lines"] if ln["id"] == first.pk)
    assert (line["status"], line["cancelled_on"]) == ("cancelled", today.isoformat())
    assert view["subscriptions"][0]["plan"]["code"] == "FAM99"
    assert view["plan_changes"][0]["to_plan"] == "FAM99"
    assert view["plan_changes"][0]["reason"] == "CR2 downgraded"


def test_a_plan_change_keeps_every_line_in_service_on_a_plan_that_carries_it(bundle):
    # given the bundle's two mobile lines in service (LineFactory makes mobile lines)
    one_card = PlanFactory(code="FAM69", monthly_fee=Decimal("69.00"), mobile_lines=1)
    # when it would move to a one-card plan, it is refused and nothing moves
    with pytest.raises(ValidationError, match="to_plan: FAM69 holds 1 mobile line"):
        subscription_plan_change(
            subscription=bundle["subscription"],
            to_plan=one_card,
            on=TODAY,
            actor=bundle["actor"],
            reason="CR3 downgraded",
        )
    assert Subscription.objects.get(pk=bundle["subscription"].pk).plan.code == "FAM129"
    assert not PlanChange.objects.exists()
    # once one card is cancelled, the one-card plan carries what is left
    lines_cancel(lines=bundle["lines"][:1], on=TODAY, actor=bundle["actor"], reason="CR3")
    subscription_plan_change(
        subscription=bundle["subscription"],
        to_plan=one_card,
        on=TODAY,
        actor=bundle["actor"],
        reason="CR3 downgraded",
    )
    assert Subscription.objects.get(pk=bundle["subscription"].pk).plan.code == "FAM69"


def test_a_catalogue_without_capacities_does_not_block_plan_changes(bundle):
    # given a current plan and a new plan whose catalogue rows give no line counts
    Plan.objects.filter(code="FAM129").update(mobile_lines=0)
    bare = PlanFactory(code="OLD50", monthly_fee=Decimal("50.00"), mobile_lines=0)
    # then the change goes through: only a known capacity is enforced
    subscription_plan_change(
        subscription=bundle["subscription"],
        to_plan=bare,
        on=TODAY,
        actor=bundle["actor"],
        reason="CR4 downgraded",
    )
    assert PlanChange.objects.get().to_plan.code == "OLD50"
