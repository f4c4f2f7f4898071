"""The worker fires the complaint jobs: the SLA scan every minute, the FCR batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from tests.complaints.helpers import local, new_order
from tests.factories import ContactFactory
from wanliu.complaints import tasks  # registers the periodic jobs
from wanliu.complaints.models import ContactResolution, Escalation
from wanliu.core.scheduler import PERIODIC_JOBS, scheduler_tick

pytestmark = pytest.mark.django_db


def test_jobs_are_registered_with_their_periods():
    assert PERIODIC_JOBS["complaints.sla_scan"].every_seconds == 60
    assert PERIODIC_JOBS["complaints.sla_scan"].task is tasks.sla_scan
    assert PERIODIC_JOBS["complaints.fcr_compute"].every_seconds == 900


def _overdue_order_and_new_contact(world):
    order = new_order(world, received_at=local(2026, 1, 5, 9, 0), now=local(2026, 1, 5, 9, 0))
    contact = ContactFactory(customer=world.customer, started_at=local(2026, 1, 5, 8, 0))
    return order, contact


def test_a_tick_enqueues_each_job_once_per_slot_and_the_jobs_do_the_work(world):
    order, contact = _overdue_order_and_new_contact(world)
    # when the scheduler ticks twice in the same minute
    now = dt.datetime.now(dt.UTC)
    fired = scheduler_tick(now=now)
    assert "complaints.sla_scan" in fired and "complaints.fcr_compute" in fired
    assert "complaints.sla_scan" not in scheduler_tick(now=now)
    queued = DBTaskResult.objects.filter(task_path="wanliu.complaints.tasks.sla_scan")
    assert queued.count() == 1
    # and the jobs run (twice: running again changes nothing)
    for _ in range(2):
        tasks.sla_scan.call()
        tasks.fcr_compute.call()
    assert Escalation.objects.filter(order=order).count() == 3
    assert ContactResolution.objects.filter(contact=contact).count() == 1


def test_the_worker_drains_the_queued_jobs(world):
    if connection.vendor != "sqlite":
        pytest.skip("db_worker closes the test's connection on PostgreSQL (as in tests/core)")
    order, contact = _overdue_order_and_new_contact(world)
    scheduler_tick(now=dt.datetime.now(dt.UTC))
    call_command("worker", batch=True, interval=0.1)
    results = DBTaskResult.objects.filter(task_path__startswith="wanliu.complaints.tasks")
    assert {r.status for r in results} == {"SUCCESSFUL"}
    assert Escalation.objects.filter(order=order).count() == 3
    assert ContactResolution.objects.filter(contact=contact).exists()
