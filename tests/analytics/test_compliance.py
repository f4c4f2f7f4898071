"""Compliance checks: each rule is data (seeded, edited in the admin), described on the page,
and lists the offending cases."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.crafted import (
    add_complaints,
    build_of,
    build_org,
    desk_september,
    local,
    review_of,
)
from tests.factories import PASSWORD
from wanliu.analytics.models import ComplianceRule
from wanliu.complaints.models import Revisit, WorkOrder
from wanliu.customers.models import Customer
from wanliu.retention.models import CancellationRequest, RetentionContact, WinBackEntry

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _summary(tables):
    return tables["compliance_summary"].set_index("key")


def test_the_checks_are_seeded_as_data():
    assert list(ComplianceRule.objects.order_by("id").values_list("code", "threshold")) == [
        ("missing_steps", 1),
        ("refusals", 0),
        ("transfers", 0),
        ("orders_not_closed", 7),
        ("revisits_overdue", 0),
        ("contacts_beyond_policy", 0),
    ]


def test_missing_steps_refusals_and_transfers_list_their_cases():
    desk = desk_september(build_org())
    tables = review_of(SEPT)
    summary = _summary(tables)
    # then 7 of the 20 requests miss a step (35%), one store refused, one sent a customer away
    assert (summary.loc["missing_steps", "offending"], summary.loc["missing_steps", "out_of"]) == (
        7,
        20,
    )
    assert summary.loc["missing_steps", "share"] == pytest.approx(35.0)
    missing = tables["check_missing_steps"]
    assert len(missing) == 7
    relocation = CancellationRequest.objects.get(reason="relocation")
    assert missing.set_index("request_id").loc[relocation.pk, "missing_steps"] == "6"
    assert summary.loc["refusals", "offending"] == 1
    refused = tables["check_refusals"]
    assert list(refused["store"]) == ["西湖厅"]
    assert list(refused["request_no"]) == list(
        CancellationRequest.objects.filter(refusal_flagged_at__isnull=False).values_list(
            "request_no", flat=True
        )
    )
    pushed = tables["check_transfers"]
    assert list(pushed["store"]) == ["拱墅厅"]
    # when the rules are edited (data), the findings follow
    ComplianceRule.objects.filter(code="missing_steps").update(threshold=2)
    ComplianceRule.objects.filter(code="refusals").update(threshold=1)
    ComplianceRule.objects.filter(code="transfers").update(active=False)
    again = review_of(SEPT)
    assert len(again["check_missing_steps"]) == 1  # only the one with nothing recorded
    assert again["check_refusals"].empty
    assert "check_transfers" not in again
    assert "transfers" not in set(_summary(again).index)
    del desk


def _order(org, *, received, due, status, closed=None):
    add_complaints(store=org.store_a, category="network-speed", count=1, received_at=received)
    order = WorkOrder.objects.order_by("-id").first()
    WorkOrder.objects.filter(pk=order.pk).update(
        status=status, resolution_due_at=due, closed_at=closed, resolved_at=closed
    )
    return WorkOrder.objects.get(pk=order.pk)


def test_orders_not_closed_and_revisits_overdue():
    org = build_org()
    # given an order due on 5 August still open, one due then but closed on 3 September,
    # one due on 28 September (within the 7 days allowed) still open
    stuck = _order(
        org, received=local(2026, 8, 1, 9), due=local(2026, 8, 5, 18), status="in_progress"
    )
    late = _order(
        org,
        received=local(2026, 8, 1, 10),
        due=local(2026, 8, 5, 18),
        status="closed",
        closed=local(2026, 9, 3, 9),
    )
    _order(org, received=local(2026, 9, 25, 9), due=local(2026, 9, 28, 18), status="in_progress")
    # and revisits due in September: one never made, one made 3 hours late, one on time
    for order, done in (
        (stuck, None),
        (late, local(2026, 9, 10, 21)),
        (late, local(2026, 9, 10, 12)),
    ):
        Revisit.objects.create(
            order=order,
            cycle=Revisit.objects.filter(order=order).count(),
            due_at=local(2026, 9, 10, 18),
            owner_unit=org.grid_a,
            done_at=done,
        )
    tables = review_of(SEPT)
    assert list(tables["check_orders_not_closed"]["order_id"]) == [stuck.pk]
    assert tables["check_orders_not_closed"].iloc[0]["days_past_due"] > 50
    august = review_of(dt.date(2026, 8, 1))
    assert set(august["check_orders_not_closed"]["order_id"]) == {stuck.pk, late.pk}
    overdue = tables["check_revisits_overdue"]
    assert len(overdue) == 2
    assert sorted(overdue["hours_late"].dropna()) == [3.0, pytest.approx(486.0)]
    # allowing 4 hours after the due time, only the one never made is overdue
    ComplianceRule.objects.filter(code="revisits_overdue").update(threshold=4)
    assert len(review_of(SEPT)["check_revisits_overdue"]) == 1


def test_retention_contacts_beyond_the_retention_policy():
    desk = desk_september(build_org())
    request = (
        CancellationRequest.objects.filter(outcome="retained_with_offer").order_by("pk").first()
    )
    cancelled = CancellationRequest.objects.filter(outcome="cancelled").order_by("pk").first()

    def contact(req, at, purpose="care", win_back=None):
        return RetentionContact.objects.create(
            request=req,
            win_back=win_back,
            purpose=purpose,
            channel="call",
            due_at=at,
            status="done",
            scheduled_at=at,
            done_at=at,
        )

    # given four care calls on one request (the policy allows three), one of them at 22:30
    calls = [contact(request, local(2026, 9, d, 10)) for d in (5, 8, 11)]
    fourth = contact(request, local(2026, 9, 14, 22, 30))
    # and a win-back call before the allowed date, to a customer who opted out
    entry = WinBackEntry.objects.create(
        request=cancelled,
        customer=cancelled.customer,
        allowed_recontact_on=dt.date(2026, 10, 1),
        period_ends_on=dt.date(2026, 12, 30),
        created_at=local(2026, 9, 8, 10),
    )
    Customer.objects.filter(pk=cancelled.customer_id).update(marketing_opt_out=True)
    early = contact(cancelled, local(2026, 9, 20, 10), purpose="win_back", win_back=entry)
    cases = review_of(SEPT)["check_contacts_policy"].set_index("contact_id")
    assert set(cases.index) == {fourth.pk, early.pk}
    assert cases.loc[fourth.pk, "why"] == "attempt 4 > 3; quiet hours"
    assert cases.loc[early.pk, "why"] == "opted out; before the re-contact date"
    assert not set(cases.index) & {c.pk for c in calls}
    del desk


def test_the_page_describes_each_rule_with_its_limit(client, staff_of):
    org = build_org()
    desk_september(org)
    build_of(SEPT)
    supervisor = staff_of("service_supervisor", unit=org.city)
    assert client.login(username=supervisor.user.username, password=PASSWORD)
    html = client.get("/analytics/monthly/", {"month": "2026-09"}).content.decode()
    assert 'id="compliance-rules"' in html
    client.post("/language/", {"language": "en", "next": "/"})
    html = client.get("/analytics/monthly/", {"month": "2026-09"}).content.decode()
    rules = html[
        html.index('id="compliance-rules"') : html.index(
            "</ul>", html.index('id="compliance-rules"')
        )
    ]
    assert "lack at least 1 of the six steps" in rules
    assert "more than 7 days before the month ended" in rules
    assert "more than 3 attempts per request" in rules
    assert "7 found" in rules


def test_the_policy_is_edited_in_the_admin(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@wanliu.test", PASSWORD)
    assert client.login(username=admin.username, password=PASSWORD)
    for path in (
        "/admin/analytics/compliancerule/",
        "/admin/analytics/rankingtarget/",
        "/admin/analytics/reportschedule/",
        "/admin/analytics/reviewsnapshot/",
        "/admin/analytics/followuptask/",
        "/admin/analytics/monthlyreport/",
    ):
        assert client.get(path).status_code == 200, path
    rule = ComplianceRule.objects.get(code="orders_not_closed")
    page = client.get(f"/admin/analytics/compliancerule/{rule.pk}/change/")
    assert page.status_code == 200
    response = client.post(
        f"/admin/analytics/compliancerule/{rule.pk}/change/",
        {"active": "on", "threshold": "14", "note": "一周内闭环"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.note) == (14, "一周内闭环")
    assert client.get("/admin/analytics/compliancerule/add/").status_code == 403
