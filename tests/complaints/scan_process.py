"""A worker process for the concurrent-scan test: ``setup N`` builds the world and N
overdue orders in the database of DATABASE_URL; ``scan BARRIER ISO`` waits until the
file BARRIER exists, then runs one SLA scan as of ISO."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wanliu.settings")

import django

django.setup()

from tests.complaints.helpers import local, new_order  # noqa: E402
from tests.complaints.world import build_world  # noqa: E402
from wanliu.complaints.services.escalation import sla_scan  # noqa: E402


def setup(count: int) -> None:
    from django.db import transaction

    with transaction.atomic():
        world = build_world()
        for i in range(count):
            start = local(2026, 3, 2, 9, i % 50)
            new_order(
                world,
                category=world.category("cancellation-refused"),
                title=f"拒拆投诉 {i}",
                received_at=start,
                now=start,
            )


def scan(barrier: Path, at: str) -> None:
    deadline = time.monotonic() + 60
    while not barrier.exists():
        if time.monotonic() > deadline:
            raise SystemExit("barrier never opened")
        time.sleep(0.01)
    result = sla_scan(now=dt.datetime.fromisoformat(at))
    print(f"escalations={result.escalations} progress={result.progress_notices}")


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    else:
        scan(Path(sys.argv[2]), sys.argv[3])
