"""Churn, complaints and retention curves against hand-made cases with known answers (the
field figures of DOMAIN.md among them) and naive recomputations."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from tests.analytics import naive
from tests.analytics.crafted import add_complaints, add_lines, build_org, local, review_of

pytestmark = pytest.mark.django_db

OLD = dt.date(2025, 1, 1)
SEPT, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)


def _row(table, key):
    rows = table[table["key"] == key]
    assert len(rows) == 1, table
    return rows.iloc[0]


def test_october_churn_down_52_26_percent_month_over_month():
    # given 200 lines active on 1 September, 72 of them cancelled in September, 22 in October
    org = build_org()
    add_lines(store=org.store_a, count=72, activated_on=OLD, cancelled_on=dt.date(2026, 9, 15))
    add_lines(store=org.store_a, count=22, activated_on=OLD, cancelled_on=dt.date(2026, 10, 10))
    add_lines(store=org.store_b, count=106, activated_on=OLD)
    # and a line opened within October, which is in no month's base
    add_lines(store=org.store_b, count=1, activated_on=dt.date(2026, 10, 2))
    # when the October review is built
    total = review_of(OCT)["churn_total"]
    # then churn is 22/128 against September's 72/200: down 52.26% (DOMAIN.md)
    row = _row(total, "total")
    assert (row.active_at_start, row.disconnected) == (128, 22)
    assert (row.prev_active_at_start, row.prev_disconnected) == (200, 72)
    assert row.churn_rate == pytest.approx(22 / 128)
    assert row.mom_change == pytest.approx(-52.26)


def test_july_cancellation_complaints_31_up_35_percent_with_22_refusals():
    # given 23 cancellation complaints in June and 31 in July, 22 of July's about refusal
    org = build_org()
    add_complaints(
        store=org.store_a,
        category="cancellation-delayed",
        count=23,
        received_at=local(2026, 6, 10, 9),
    )
    add_complaints(
        store=org.store_a,
        category="cancellation-refused",
        count=15,
        received_at=local(2026, 7, 3, 9),
    )
    add_complaints(
        store=org.store_b,
        category="cancellation-refused",
        count=7,
        received_at=local(2026, 7, 20, 9),
    )
    add_complaints(
        store=org.store_b, category="cancellation", count=9, received_at=local(2026, 7, 31, 23, 30)
    )
    # and complaints of other kinds, which are not cancellation complaints
    add_complaints(
        store=org.store_b, category="network-speed", count=5, received_at=local(2026, 7, 5, 9)
    )
    # when July is reviewed
    tables = review_of(dt.date(2026, 7, 1))
    row = tables["cancellation_complaints"].iloc[0]
    # then 31, +35% (34.78) month over month, 22 refusals = 70.97%
    assert (row["count"], row.prev_count, row.refusals) == (31, 23, 22)
    assert round(row.mom_change) == 35
    assert row.refusal_share == pytest.approx(70.97)
    # and the trend shows the spike in its month
    trend = tables["complaints_trend"].set_index("month")
    assert trend.loc["2026-07", "cancellation"] == 31
    assert trend.loc["2026-07", "refusals"] == 22
    assert trend.loc["2026-07", "cancellation_mom_change"] == pytest.approx(34.78)


def test_october_cancellation_complaints_12_down_40_percent():
    # given 20 cancellation complaints in September and 12 in October
    org = build_org()
    add_complaints(
        store=org.store_a,
        category="cancellation-refused",
        count=20,
        received_at=local(2026, 9, 8, 9),
    )
    add_complaints(
        store=org.store_a,
        category="cancellation-refused",
        count=12,
        received_at=local(2026, 10, 12, 9),
    )
    # when October is reviewed, then 12, -40%
    row = review_of(OCT)["cancellation_complaints"].iloc[0]
    assert (row["count"], row.prev_count) == (12, 20)
    assert row.mom_change == pytest.approx(-40.0)


def test_complaints_are_dated_by_the_local_day():
    # given a complaint received at 00:30 on 1 August, Beijing time (31 July in UTC)
    org = build_org()
    add_complaints(
        store=org.store_a,
        category="billing-overcharge",
        count=1,
        received_at=local(2026, 8, 1, 0, 30),
    )
    # then it counts in August, not July
    july = review_of(dt.date(2026, 7, 1))["complaints_by_category"]
    august = review_of(dt.date(2026, 8, 1))["complaints_by_category"]
    assert "billing" not in set(july["key"]) or _row(july, "billing")["count"] == 0
    assert _row(august, "billing")["count"] == 1


def _crafted_mix():
    org = build_org()
    for store, tier, family in [
        (org.store_a, "A", "mobile"),
        (org.store_a, "B", "family_bundle"),
        (org.store_b, "C", "broadband"),
        (org.store_b, "A", "family_bundle"),
    ]:
        add_lines(store=store, count=11, activated_on=OLD, tier=tier, family=family)
        add_lines(
            store=store,
            count=3,
            activated_on=OLD,
            cancelled_on=dt.date(2026, 8, 3),
            tier=tier,
            family=family,
        )
        add_lines(
            store=store,
            count=2,
            activated_on=OLD,
            cancelled_on=dt.date(2026, 9, 20),
            tier=tier,
            family=family,
        )
        add_lines(
            store=store,
            count=1,
            activated_on=OLD,
            cancelled_on=dt.date(2026, 10, 1),
            tier=tier,
            family=family,
        )
    for store, category, channel, n in [
        (org.store_a, "network-speed", "hotline", 4),
        (org.store_a, "cancellation-refused", "store", 2),
        (org.store_b, "billing-overcharge", "app", 3),
        (org.store_b, "network-outage", "hotline", 1),
    ]:
        add_complaints(
            store=store,
            category=category,
            count=n,
            received_at=local(2026, 9, 9, 10),
            channel=channel,
        )
        add_complaints(
            store=store,
            category=category,
            count=n + 1,
            received_at=local(2026, 8, 9, 10),
            channel=channel,
        )
    return org


@pytest.mark.parametrize(
    "table,key",
    [
        ("churn_total", lambda line: "total"),
        ("churn_by_store", lambda line: str(line.account.customer.store_id)),
        ("churn_by_plan_family", lambda line: line.subscription.plan.family),
        ("churn_by_value_tier", lambda line: line.account.customer.value_tier),
    ],
)
def test_churn_matches_a_naive_loop(table, key):
    # given a mix of stores, tiers and plan families
    _crafted_mix()
    # when churn is reviewed per dimension, then it matches a loop over the lines
    rates = review_of(SEPT)[table]
    expected = naive.churn(SEPT, key=key)
    mom = naive.churn_mom(SEPT, key=key)
    assert set(rates["key"]) == set(expected)
    for k, (active, gone, rate) in expected.items():
        row = _row(rates, k)
        assert (row.active_at_start, row.disconnected) == (active, gone)
        assert row.churn_rate == pytest.approx(rate)
        assert row.mom_change == pytest.approx(mom[k])


def test_churn_by_unit_drills_from_city_to_branches_and_stays_in_scope():
    org = _crafted_mix()
    # when the city is reviewed, the rows are its branches
    tables = review_of(SEPT, org.city.path)
    by_unit = tables["churn_by_unit"]
    assert set(by_unit["key"]) == {org.branch_a.path, org.branch_b.path}
    assert set(by_unit["name"]) == {"西湖", "拱墅"}
    for branch in (org.branch_a, org.branch_b):
        expected = naive.churn(SEPT, unit_path=branch.path)["total"]
        row = _row(by_unit, branch.path)
        assert (row.active_at_start, row.disconnected) == expected[:2]
    # when one branch is reviewed, only its own lines and complaints count
    branch = review_of(SEPT, org.branch_a.path)
    assert set(branch["churn_by_unit"]["key"]) == {org.grid_a.path}
    total = _row(branch["churn_total"], "total")
    assert (total.active_at_start, total.disconnected) == naive.churn(
        SEPT, unit_path=org.branch_a.path
    )["total"][:2]
    assert set(branch["complaints_by_category"]["key"]) == {"network", "cancellation"}


@pytest.mark.parametrize("by", ["category", "channel"])
def test_complaints_by_match_a_naive_count(by):
    _crafted_mix()
    table = review_of(SEPT)[f"complaints_by_{by}"]
    if by == "category":
        key = lambda o: (o.category.parent or o.category).code  # noqa: E731
    else:
        key = lambda o: o.channel  # noqa: E731
    now = naive.complaint_counts(SEPT, key=key)
    before = naive.complaint_counts(dt.date(2026, 8, 1), key=key)
    assert set(table["key"]) == set(now) | set(before)
    for k in now:
        row = _row(table, k)
        assert (row["count"], row.prev_count) == (now[k], before[k])
        assert row.mom_change == pytest.approx(round((now[k] - before[k]) / before[k] * 100, 2))


def test_retention_curves_match_lifelines_and_a_naive_product_limit():
    org = build_org()
    as_of = dt.date(2026, 9, 30)
    specs = [
        (dt.date(2024, 1, 1), dt.date(2024, 3, 1), 3, "mobile"),
        (dt.date(2024, 1, 1), dt.date(2024, 11, 15), 2, "mobile"),
        (dt.date(2024, 1, 1), None, 5, "broadband"),
        (dt.date(2025, 6, 1), dt.date(2025, 7, 1), 4, "mobile"),
        (dt.date(2025, 6, 1), dt.date(2026, 10, 5), 2, "broadband"),
        (dt.date(2025, 6, 1), None, 6, "family_bundle"),
        (dt.date(2026, 9, 15), dt.date(2026, 9, 16), 1, "mobile"),
        (dt.date(2026, 10, 2), None, 3, "mobile"),
    ]
    # given lines in two branches' stores
    for i, (activated, cancelled, n, family) in enumerate(specs):
        add_lines(
            store=org.store_a if i % 2 else org.store_b,
            count=n,
            activated_on=activated,
            cancelled_on=cancelled,
            family=family,
        )
    tables = review_of(SEPT)
    # then each curve equals lifelines' Kaplan-Meier and a naive product-limit loop
    for table, key in [
        ("retention_by_cohort", lambda s: str(s[0].year)),
        ("retention_by_plan_family", lambda s: s[3]),
    ]:
        curves = tables[table]
        groups: dict[str, list] = {}
        for activated, cancelled, n, family in specs:
            if activated > as_of:
                continue
            event = cancelled is not None and cancelled <= as_of
            duration = ((cancelled if event else as_of) - activated).days
            groups.setdefault(key((activated, cancelled, n, family)), []).extend(
                [(duration, event)] * n
            )
        assert sorted(curves["key"]) == sorted(groups)
        for k, data in groups.items():
            row = _row(curves, k)
            assert row.lines == len(data)
            assert row.events == sum(e for _d, e in data)
            fitter = KaplanMeierFitter().fit(
                [d for d, _ in data], event_observed=[e for _, e in data]
            )
            for months in (1, 3, 6, 12, 24, 36):
                t = months * 30.4375
                assert row[f"m{months}"] == pytest.approx(naive.product_limit(data, t), abs=1e-4)
                assert row[f"m{months}"] == pytest.approx(float(fitter.predict(t)), abs=1e-4)
    # and a branch's curves count only its own lines
    branch = review_of(SEPT, org.branch_a.path)["retention_by_plan_family"]
    assert int(branch["lines"].sum()) == sum(
        n for i, (a, _c, n, _f) in enumerate(specs) if i % 2 == 1 and a <= as_of
    )
    assert not pd.isna(branch["m12"]).any()


def test_september_20_cancellation_complaints_12_still_refused_on_revisit():
    from wanliu.complaints.models import Revisit, WorkOrder

    # given 20 refusal complaints in September, each revisited; 12 found the refusal still there
    org = build_org()
    add_complaints(
        store=org.store_a,
        category="cancellation-refused",
        count=20,
        received_at=local(2026, 9, 8, 9),
    )
    for k, order in enumerate(WorkOrder.objects.order_by("id")):
        Revisit.objects.create(
            order=order,
            due_at=local(2026, 9, 12, 18),
            owner_unit=org.grid_a,
            done_at=local(2026, 9, 12, 10),
            outcome="not_solved" if k < 12 else "solved",
        )
    tables = review_of(SEPT)
    # then the review shows 20 such complaints and 12 revisits that found them not solved
    assert tables["cancellation_complaints"].iloc[0]["count"] == 20
    visits = tables["revisit_completion"].iloc[0]
    assert (visits.due, visits.done, visits.not_solved) == (20, 20, 12)
