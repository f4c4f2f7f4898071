"""Periodic jobs for the worker: each job fires once per time slot across all workers.

An app declares a job in its ``tasks.py``::

    @periodic(name="complaints.sla_scan", every_seconds=60)
    @task()
    def sla_scan() -> None: ...

``wanliu worker`` imports every ``wanliu.<app>.tasks`` module, then calls
:func:`scheduler_tick` every few seconds. A tick claims the current slot of each due job by
inserting a ``ScheduledRun`` row (unique on job and slot) and enqueues the task only when
the insert succeeded, so two workers never fire a slot twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from importlib.util import find_spec
from typing import Any, TypeVar

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from wanliu.core.models import ScheduledRun

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    task: Any  # a django-tasks Task


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def periodic(*, name: str, every_seconds: int) -> Callable[[T], T]:
    """Register a django-tasks task to be enqueued every ``every_seconds``."""
    if every_seconds < 1:
        raise ValueError("every_seconds must be at least 1")

    def register(task: T) -> T:
        PERIODIC_JOBS[name] = PeriodicJob(name=name, every_seconds=every_seconds, task=task)
        return task

    return register


def tasks_autodiscover() -> None:
    """Import ``tasks`` of every Wanliu app so their periodic jobs are registered."""
    for config in apps.get_app_configs():
        if config.name.startswith("wanliu.") and find_spec(f"{config.name}.tasks") is not None:
            import_module(f"{config.name}.tasks")


def scheduler_tick(*, now: datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot nobody has claimed yet; return their names."""
    now = now or timezone.now()
    fired = []
    for job in PERIODIC_JOBS.values():
        slot = int(now.timestamp()) // job.every_seconds
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(job=job.name, slot=slot)
                job.task.enqueue()
        except IntegrityError:
            continue
        fired.append(job.name)
        log.info("periodic job %s enqueued for slot %s", job.name, slot)
    if fired:
        ScheduledRun.objects.filter(at__lt=now - timedelta(days=2)).delete()
    return fired
