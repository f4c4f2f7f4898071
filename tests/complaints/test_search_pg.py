"""On PostgreSQL the order search is full-text search served by the GIN index."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.complaints.helpers import new_order
from wanliu.complaints.models import WorkOrder
from wanliu.complaints.selectors import work_order_list

pytestmark = [pytest.mark.django_db, pytest.mark.pg]


@pytest.fixture(autouse=True)
def _only_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only check; run with DATABASE_URL=postgres://...")


def test_chinese_phrases_and_number_prefixes(world):
    coverage = new_order(world, title="家里信号差", description="客户反映地下室没有信号")
    new_order(world, title="号码停机", category=world.category("billing-question"))
    user = world.agent_b.user
    assert list(work_order_list(user=user, q="信号差")) == [coverage]
    assert list(work_order_list(user=user, q="差信号")) == []  # a phrase, not a bag of characters
    assert list(work_order_list(user=user, q=coverage.order_no[:8])) != []  # prefix of a number


def test_the_query_uses_the_gin_index(world):
    new_order(world)
    queryset = work_order_list(user=world.agent_b.user, q="信号").values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "complaints_workorder_search_gin" in plan
    assert WorkOrder.objects.count() == 1
