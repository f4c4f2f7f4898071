"""Planner statistics after bulk writes and by the daily job (``wanliu.core.database``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from wanliu.complaints.generator import complaints_history_generate
from wanliu.complaints.models import Revisit, Survey, WorkOrder
from wanliu.core.scheduler import PERIODIC_JOBS, tasks_autodiscover
from wanliu.retention.generator import retention_history_generate

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 23)


def _known_to_planner(table: str) -> bool:
    """Whether the planner has statistics of ``table`` (SQLite: ``sqlite_stat1`` rows;
    PostgreSQL: ``pg_class.reltuples``, -1 until the table is first analysed)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone()[0] == 0:
                return False
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
            return bool(cursor.fetchone()[0])
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return float(cursor.fetchone()[0]) >= 0


def _forget(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone()[0]:
                cursor.execute("DELETE FROM sqlite_stat1")
        else:  # what the catalogue says of a table never analysed
            for table in tables:
                cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE relname = %s", [table])


DESK_TABLES = [
    "customers_line",
    "retention_cancellationrequest",
    "retention_steprecord",
    "complaints_workorder",
    "complaints_revisit",
]


def test_generators_leave_the_planner_statistics_of_what_they_wrote():
    _forget(DESK_TABLES)
    call_command(
        "generate",
        "--lines",
        "600",
        "--months",
        "4",
        "--seed",
        "7",
        "--as-of",
        AS_OF.isoformat(),
        "--no-progress",
    )
    assert _known_to_planner("customers_line")
    assert not _known_to_planner("retention_cancellationrequest")
    retention_history_generate(seed=7, as_of=AS_OF, progress=False)
    assert _known_to_planner("retention_cancellationrequest")
    assert _known_to_planner("retention_steprecord")
    complaints_history_generate(seed=7, as_of=AS_OF, progress=False)
    assert _known_to_planner("complaints_workorder")
    assert _known_to_planner("complaints_revisit")


def test_the_daily_job_refreshes_the_whole_database():
    tasks_autodiscover()
    job = PERIODIC_JOBS["core.planner_statistics"]
    assert job.every_seconds == 86_400
    call_command(
        "generate",
        "--lines",
        "300",
        "--months",
        "3",
        "--seed",
        "7",
        "--as-of",
        AS_OF.isoformat(),
        "--no-progress",
    )
    _forget(DESK_TABLES)
    assert not _known_to_planner("customers_line")
    job.task.call()
    assert _known_to_planner("customers_line")


def test_the_review_windows_read_by_index():
    # the month's work orders, revisits and surveys are read by a range on an index
    start = timezone.make_aware(dt.datetime(2026, 11, 1))
    end = timezone.make_aware(dt.datetime(2026, 12, 1))
    cases = [
        (
            WorkOrder.objects.filter(received_at__gte=start, received_at__lt=end),
            "workorder_received_at",
        ),
        (Revisit.objects.filter(due_at__gte=start, due_at__lt=end), "revisit_due_at"),
        (
            Survey.objects.filter(responded_at__gte=start, responded_at__lt=end),
            "survey_responded_at",
        ),
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        for queryset, index in cases:
            sql, params = queryset.values_list("pk").order_by().query.sql_with_params()
            explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(explain + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert index in plan, plan
