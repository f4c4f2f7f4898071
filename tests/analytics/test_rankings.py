"""Rankings of stores, teams and agents against the targets set per role (data)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.crafted import build_org, desk_september, review_of
from wanliu.analytics.models import RankingTarget
from wanliu.analytics.rankings import attainment

pytestmark = pytest.mark.django_db

SEPT = dt.date(2026, 9, 1)


def test_attainment_rules():
    assert attainment("retention_success_rate", 60, 55) == 1.0
    assert attainment("retention_success_rate", 44, 55) == pytest.approx(0.8)
    assert attainment("missing_steps_rate", 20, 10) == pytest.approx(0.5)
    assert attainment("refusals", 0, 0) == 1.0
    assert attainment("refusals", 2, 0) == 0.0


def test_stores_and_clerks_ranked_against_their_targets_with_the_figures_behind():
    desk = desk_september(build_org())
    tables = review_of(SEPT)
    stores = tables["ranking_stores"].set_index("name")
    # store B: success 100% (met), steps missing 4/11 (10/36.36 of the target), no refusal
    # (met), one transfer (target 0): (3 + 2 x 0.275 + 3 + 0) / 10 = 65.5
    assert stores.loc["拱墅厅", "score"] == pytest.approx(65.5)
    assert stores.loc["拱墅厅", "rank"] == 1
    assert stores.loc["拱墅厅", "missing_steps_rate"] == pytest.approx(36.36)
    assert stores.loc["拱墅厅", "transfers"] == 1
    # store A: success 55.56% (met), 3/9 missing (0.3), one refusal (0), no transfer: 56.0
    assert stores.loc["西湖厅", "score"] == pytest.approx(56.0)
    assert stores.loc["西湖厅", "rank"] == 2
    assert stores.loc["西湖厅", "refusals_target"] == 0
    agents = tables["ranking_agents"].set_index("key")
    clerks = agents[agents["role"] == "clerk"]
    assert list(clerks.sort_values("rank").index) == [
        str(desk.b1.pk),
        str(desk.a2.pk),
        str(desk.a1.pk),
    ]
    assert clerks.loc[str(desk.b1.pk), "score"] == pytest.approx(80.0)
    assert clerks.loc[str(desk.a1.pk), "score"] == pytest.approx(54.3)
    # when the targets change (data), the ranking follows
    RankingTarget.objects.filter(ranking="store", metric="transfers").update(weight=10)
    again = review_of(SEPT)["ranking_stores"].set_index("name")
    assert again.loc["西湖厅", "rank"] == 1
    assert again.loc["西湖厅", "score"] == pytest.approx(75.6)


def test_teams_are_ranked_by_their_role_and_a_branch_sees_only_its_own():
    org = build_org()
    desk_september(org)
    teams = review_of(SEPT)["ranking_teams"]
    assert set(teams["role"]) == {"grid_lead", "branch_manager"}
    grids = teams[teams["role"] == "grid_lead"].set_index("name")
    assert grids.loc["网格A", "retention_success_rate"] == pytest.approx(55.56)
    assert grids.loc["网格A", "refusals"] == 1
    assert grids.loc["网格B", "retention_success_rate"] == pytest.approx(100.0)
    mine = review_of(SEPT, org.branch_a.path)["ranking_teams"]
    assert list(mine["name"]) == ["网格A"]
