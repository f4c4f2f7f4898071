"""``wanliu worker``: runs queued background tasks (django-tasks, database backend)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker: executes queued tasks from the database queue."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        worker_args: dict[str, Any] = {
            "interval": options["interval"],
            "batch": options["batch"],
            "no_startup_delay": True,
            "queue_name": "*",
        }
        if options["worker_id"]:
            worker_args["worker_id"] = options["worker_id"]
        call_command("db_worker", **worker_args)
