"""Periodic jobs fire once per slot, however many workers tick."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from tests.core import periodic_jobs  # noqa: F401  (registers tests.heartbeat)
from wanliu.core.models import ScheduledRun
from wanliu.core.scheduler import scheduler_tick

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 23, 8, 0, 5, tzinfo=dt.UTC)


def _heartbeats() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="heartbeat").count()


def test_a_slot_fires_once_even_when_two_workers_tick():
    # given two workers ticking within the same minute
    first = scheduler_tick(now=T0)
    second = scheduler_tick(now=T0 + dt.timedelta(seconds=30))
    # then the job was enqueued once
    assert "tests.heartbeat" in first
    assert "tests.heartbeat" not in second
    assert _heartbeats() == 1
    # and the next minute fires again
    assert "tests.heartbeat" in scheduler_tick(now=T0 + dt.timedelta(seconds=60))
    assert _heartbeats() == 2
    assert ScheduledRun.objects.filter(job="tests.heartbeat").count() == 2


@pytest.mark.django_db(transaction=True)
def test_worker_batch_runs_enqueued_jobs():
    from django.core.management import call_command

    scheduler_tick(now=T0)
    call_command("worker", batch=True, interval=0.1)
    result = DBTaskResult.objects.get(task_path__endswith="heartbeat")
    assert result.status == "SUCCESSFUL"
