"""``wanliu complaints``: run the complaint jobs by hand.

- ``wanliu complaints sla-scan [--at ISO]``: fire due escalations and progress notices;
- ``wanliu complaints fcr [--all]``: compute first-contact-resolution flags (progress bar);
- ``wanliu complaints reindex``: rebuild the full-text search documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wanliu.complaints.services.escalation import sla_scan
from wanliu.complaints.services.fcr import contact_resolutions_compute
from wanliu.complaints.services.search import search_index_rebuild


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not an ISO date-time: {text!r}") from exc
    if value.tzinfo is None:
        raise CommandError("give a time zone, e.g. 2026-02-13T17:55:00+08:00")
    return value


class Command(BaseCommand):
    help = "Complaint jobs: sla-scan, fcr, reindex."

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        scan = actions.add_parser("sla-scan", help="fire due escalations and progress notices")
        scan.add_argument("--at", type=_instant, default=None, help="scan as of this instant")
        fcr = actions.add_parser("fcr", help="compute first-contact-resolution flags")
        fcr.add_argument("--all", action="store_true", help="recompute final flags too")
        actions.add_parser("reindex", help="rebuild the full-text search documents")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sla-scan":
            result = sla_scan(now=options["at"])
            self.stdout.write(
                f"escalations={result.escalations} progress_notices={result.progress_notices}"
            )
        elif action == "fcr":
            count = contact_resolutions_compute(everything=options["all"], progress=True)
            self.stdout.write(f"contacts={count}")
        else:
            self.stdout.write(f"orders={search_index_rebuild()}")
