"""Checks that only mean something on PostgreSQL (the production database)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import AccountFactory, CustomerFactory, LineFactory, make_staff
from wanliu.customers.selectors import customer_list
from wanliu.org.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.pg]


@pytest.fixture(autouse=True)
def _only_on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only check; run with DATABASE_URL=postgres://...")


def test_prefix_search_uses_an_index_on_postgres():
    # given a customer with a number
    staff = make_staff(Role.SERVICE_SUPERVISOR)
    customer = CustomerFactory(name="赵敏")
    LineFactory(number="18900001111", account=AccountFactory(customer=customer))
    # when searching by a name prefix and a number prefix
    assert list(customer_list(user=staff.user, q="赵")) == [customer]
    assert list(customer_list(user=staff.user, q="1890000")) == [customer]
    # then the plan for the number search can use the pattern index Django creates
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM customers_line WHERE number LIKE %s AND number >= %s",
            ["1890000%", "1890000"],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan


def test_database_is_postgres_15_or_newer():
    assert connection.pg_version >= 150000
