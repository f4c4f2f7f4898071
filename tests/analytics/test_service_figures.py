"""SLA attainment, revisits, CSAT and FCR against hand-made cases with known answers."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from tests.analytics.crafted import add_complaints, build_of, build_org, local, review_of
from tests.factories import ContactFactory, CustomerFactory, OrgUnitFactory, make_staff
from wanliu.complaints.models import ContactResolution, Revisit, SlaPolicy, Survey, WorkOrder
from wanliu.org.models import OrgUnit, Role

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)
_nonce = itertools.count()


def _orders(org, n, **fields):
    add_complaints(
        store=org.store_a,
        category="network-speed",
        count=n,
        received_at=fields.pop("received_at", local(2026, 9, 10, 9)),
    )
    orders = list(WorkOrder.objects.order_by("-id")[:n])
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(**fields)
    return orders


def test_sla_attainment_overdue_and_reopened_per_target():
    org = build_org()
    policy = SlaPolicy.objects.get(name__startswith="默认")
    due = local(2026, 9, 12, 18)
    # given orders received at 09:00 on Thursday 10 September: the default target answers
    # within 120 working minutes (by 11:00) and resolves within three office days;
    # 4 resolved in time, 3 resolved late, 2 still open past due, 1 reopened
    _orders(
        org,
        4,
        sla_policy=policy,
        sla_calendar=policy.calendar,
        status="closed",
        resolution_due_at=due,
        resolved_at=local(2026, 9, 11, 9),
        first_responded_at=local(2026, 9, 10, 10),
    )
    _orders(
        org,
        3,
        sla_policy=policy,
        sla_calendar=policy.calendar,
        status="closed",
        resolution_due_at=due,
        resolved_at=local(2026, 9, 20, 9),
        first_responded_at=local(2026, 9, 10, 12),
    )
    _orders(org, 2, sla_policy=policy, resolution_due_at=due, reopen_count=1)
    # and one whose resolution is due only next month
    _orders(org, 1, sla_policy=policy, resolution_due_at=local(2026, 10, 9, 9))
    # and one received in August, which is not September's
    _orders(org, 1, sla_policy=policy, resolution_due_at=due, received_at=local(2026, 8, 30, 9))
    tables = review_of(SEPT)
    table = tables["sla_attainment"]
    row = table[table["key"] == policy.name].iloc[0]
    assert row.orders == 10
    assert row.first_response_met == 4
    assert row.resolution_met == 4
    assert row.overdue == 5
    assert row.reopened == 2
    assert row.resolution_attainment == pytest.approx(40.0)
    assert row.first_response_attainment == pytest.approx(40.0)
    # and the overdue and reopened orders are listed, case by case
    assert len(tables["orders_overdue"]) == 5
    assert len(tables["orders_reopened"]) == 2


def test_revisit_completion_counts_revisits_due_in_the_month():
    org = build_org()
    orders = _orders(org, 5)
    due = local(2026, 9, 15, 18)
    for order, done_at in zip(
        orders,
        [local(2026, 9, 15, 10), local(2026, 9, 14, 10), local(2026, 9, 16, 10), None],
        strict=False,
    ):
        Revisit.objects.create(order=order, due_at=due, owner_unit=org.grid_a, done_at=done_at)
    Revisit.objects.create(order=orders[4], due_at=local(2026, 10, 2, 9), owner_unit=org.grid_a)
    row = review_of(SEPT)["revisit_completion"].iloc[0]
    assert (row.due, row.done, row.done_on_time) == (4, 3, 2)
    assert row.on_time_rate == pytest.approx(50.0)


def _survey(order, team, csat, at):
    return Survey.objects.create(
        order=order,
        cycle=next(_nonce),
        team=team,
        nonce=f"n{next(_nonce)}",
        sent_at=at,
        expires_at=at,
        responded_at=at,
        csat=csat,
    )


def _contact(team, channel, topic, resolved, at):
    agent = make_staff(Role.HOTLINE_AGENT, unit=team)
    contact = ContactFactory(
        customer=CustomerFactory(), channel=channel, topic=topic, agent=agent, started_at=at
    )
    ContactResolution.objects.create(
        contact=contact,
        first_contact_resolved=resolved,
        reason="resolved" if resolved else "repeat",
        window_days=7,
        computed_at=at,
        final=True,
    )


def test_csat_fcr_and_the_fitted_line_per_team():
    org = build_org()
    order = _orders(org, 1)[0]
    at = local(2026, 9, 20, 10)
    teams = [
        OrgUnitFactory(
            name=f"班组{i}",
            kind=OrgUnit.Kind.HOTLINE_CENTRE,
            region=org.city.region,
            parent=org.city,
        )
        for i in range(3)
    ]
    # given teams with FCR 50%, 75%, 100% and mean CSAT 3, 4, 4.5
    for team, resolved_flags, scores in [
        (teams[0], [True, False], [3, 3]),
        (teams[1], [True, True, True, False], [4]),
        (teams[2], [True, True], [5, 4]),
    ]:
        for flag in resolved_flags:
            _contact(team, "hotline" if flag else "app", "billing", flag, at)
        for score in scores:
            _survey(order, team, score, at)
    review = build_of(SEPT)
    csat = review.tables["csat"].iloc[0]
    assert csat.responses == 5
    assert csat.mean_csat == pytest.approx(19 / 5)
    assert csat.satisfied_share == pytest.approx(60.0)
    by_channel = review.tables["fcr_by_channel"]
    assert by_channel.set_index("key")["fcr"].to_dict() == {"app": 0.0, "hotline": 100.0}
    table, slope, intercept = review.tables["fcr_vs_csat"], review.slope, review.intercept
    by_team = table.set_index("name")
    assert [by_team.loc[f"班组{i}", "fcr"] for i in range(3)] == [50.0, 75.0, 100.0]
    assert [by_team.loc[f"班组{i}", "mean_csat"] for i in range(3)] == [3.0, 4.0, 4.5]
    naive_slope, naive_intercept = np.polyfit([50, 75, 100], [3.0, 4.0, 4.5], 1)
    assert slope == pytest.approx(naive_slope)
    assert intercept == pytest.approx(naive_intercept)
    fit = review.tables["fcr_csat_fit"].iloc[0]
    assert fit.slope == pytest.approx(naive_slope)
