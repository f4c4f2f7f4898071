"""``wanliu worker``: runs queued background tasks and fires periodic jobs.

Tasks come from the database queue (django-tasks with the django-tasks-db backend, no
broker). A scheduler thread enqueues the periodic jobs apps declare (see
``wanliu.core.scheduler``); several workers may run at once without firing a job twice.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from wanliu.core.scheduler import PERIODIC_JOBS, scheduler_tick, tasks_autodiscover

log = logging.getLogger(__name__)


def _scheduler_loop(stop: threading.Event, every: float) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            scheduler_tick()
        except DatabaseError:  # a locked or lost database: log it, try again next tick
            log.exception("scheduler tick failed")
        stop.wait(every)


class Command(BaseCommand):
    help = "Run the background worker: queued tasks and periodic jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--no-scheduler", action="store_true", help="do not fire periodic jobs")
        parser.add_argument("--tick", type=float, default=5.0, help="seconds between ticks")
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        tasks_autodiscover()
        stop = threading.Event()
        scheduler = None
        if not options["no_scheduler"] and not options["batch"] and PERIODIC_JOBS:
            scheduler = threading.Thread(
                target=_scheduler_loop, args=(stop, options["tick"]), daemon=True
            )
            scheduler.start()
            log.info("scheduler started for %s", ", ".join(sorted(PERIODIC_JOBS)))
        worker_args: dict[str, Any] = {
            "interval": options["interval"],
            "batch": options["batch"],
            "no_startup_delay": True,
            "queue_name": "*",
        }
        if options["worker_id"]:
            worker_args["worker_id"] = options["worker_id"]
        try:
            call_command("db_worker", **worker_args)
        finally:
            stop.set()
