"""``wanliu notify relay [--once]``: deliver the notification outbox.

Without ``--once`` the relay runs until interrupted, polling for due messages; ``wanliu
worker`` runs the same relay as a periodic job, so this command is for running the relay
on its own (or draining the outbox once, e.g. from cron or after an outage).
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from tqdm import tqdm

from wanliu.notify.relay import RelayResult, notify_due_count, notify_relay_batch


class Command(BaseCommand):
    help = "Notifications: run the outbox relay."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        relay = sub.add_parser("relay", help="deliver due outbox messages")
        relay.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        relay.add_argument(
            "--interval", type=float, default=2.0, help="seconds between polls when idle"
        )
        relay.add_argument(
            "--batch",
            type=int,
            default=int(getattr(settings, "WANLIU_NOTIFY_RELAY_BATCH", 100)),
            help="messages per batch",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "relay":
            raise CommandError(f"unknown action {options['action']}")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        if options["once"]:
            self._once(options["batch"])
        else:
            self._loop(options["batch"], options["interval"])

    def _once(self, batch: int) -> None:
        total = RelayResult()
        with tqdm(total=notify_due_count(), desc="notices", unit="msg", file=sys.stderr) as bar:

            def advance() -> None:
                bar.update(1)

            while True:
                result = notify_relay_batch(limit=batch, progress=advance)
                for field in vars(total):
                    setattr(total, field, getattr(total, field) + getattr(result, field))
                if result.claimed < batch:
                    break
        self.stdout.write(str(total))

    def _loop(self, batch: int, interval: float) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        self.stdout.write("notify relay running; Ctrl-C to stop")
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    result = notify_relay_batch(limit=batch)
                except DatabaseError as error:  # a locked or lost database: retry next poll
                    self.stderr.write(f"relay batch failed: {error}")
                    result = RelayResult()
                if result.claimed < batch:
                    stop.wait(interval)
        except KeyboardInterrupt:
            pass
        self.stdout.write("notify relay stopped")
