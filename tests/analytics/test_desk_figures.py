"""The retention desk's figures: requests, retention success by store, clerk, reason and
offer level, offer cost per retained line, against hand-made answers and a naive loop."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics import naive
from tests.analytics.crafted import build_org, desk_september, review_of

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)


def test_september_requests_retention_success_and_offer_cost():
    # given the twenty requests of September at two stores
    desk = desk_september(build_org())
    tables = review_of(SEPT)
    summary = tables["retention_summary"].iloc[0]
    # then: 20 requests (1 in August), 16 retained, 4 cancelled
    assert (summary.requests, summary.prev_requests, summary.handled) == (20, 1, 20)
    assert (summary.retained, summary.processed) == (16, 4)
    assert summary.success_rate == pytest.approx(80.0)
    # 7 of 20 miss a step their outcome requires: 35% (DOMAIN.md, September)
    assert summary.missing_steps == 7
    assert summary.missing_steps_share == pytest.approx(35.0)
    assert (summary.refusals, summary.transfers) == (1, 1)
    # offers accepted: 100 + 100 + 300 + 300 + 50 on 20 retained lines
    assert summary.offer_cost == pytest.approx(850.0)
    assert summary.retained_lines == 20
    assert summary.cost_per_retained_line == pytest.approx(42.5)
    by_level = tables["retention_by_offer_level"].set_index("key")
    assert by_level.loc["1", "offer_cost"] == pytest.approx(250.0)
    assert by_level.loc["1", "cost_per_retained_line"] == pytest.approx(41.67)
    assert by_level.loc["2", "cost_per_retained_line"] == pytest.approx(200.0)
    assert by_level.loc["none", "success_rate"] == pytest.approx(73.33)
    # by the handling store: the request sent from B to A is A's now
    by_store = tables["retention_by_store"].set_index("name")
    assert (by_store.loc["西湖厅", "requests"], by_store.loc["西湖厅", "retained"]) == (9, 5)
    assert by_store.loc["西湖厅", "success_rate"] == pytest.approx(55.56)
    assert by_store.loc["拱墅厅", "success_rate"] == pytest.approx(100.0)
    by_clerk = tables["retention_by_clerk"].set_index("key")
    assert by_clerk.loc[str(desk.a1.user_id), "success_rate"] == pytest.approx(75.0)
    assert by_clerk.loc[str(desk.a2.user_id), "success_rate"] == pytest.approx(50.0)
    assert by_clerk.loc[str(desk.a1.user_id), "name"] == desk.a1.name


@pytest.mark.parametrize(
    "table,key",
    [
        ("retention_by_store", lambda r: str(r.store_id)),
        ("retention_by_clerk", lambda r: str(r.opened_by_id)),
        ("retention_by_reason", lambda r: r.reason or "unknown"),
        (
            "retention_by_offer_level",
            lambda r: str(max((g.level for g in r.grants.all()), default="none")),
        ),
    ],
)
def test_retention_success_matches_a_naive_loop(table, key):
    desk = desk_september(build_org())
    for scope in (None, desk.org.branch_a.path):
        got = review_of(SEPT, scope)[table].set_index("key")
        expected = naive.retention(SEPT, key=key, unit_path=scope or "")
        assert set(got.index) == set(expected)
        for k, (n, handled, retained, rate, cost, lines) in expected.items():
            row = got.loc[k]
            assert (row.requests, row.handled, row.retained, row.retained_lines) == (
                n,
                handled,
                retained,
                lines,
            )
            assert row.success_rate == pytest.approx(rate)
            assert row.offer_cost == pytest.approx(cost)
