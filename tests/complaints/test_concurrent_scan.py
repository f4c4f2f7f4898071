"""Two workers scanning at the same moment fire each escalation level exactly once.

Real processes on a real database file: each scan runs in its own process, both start
together (a file barrier) and race over the same overdue orders."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ORDERS = 20


@pytest.fixture
def database(tmp_path):
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'wanliu.sqlite3'}",
        "WANLIU_VAR_DIR": str(tmp_path),
        "WANLIU_SECRET_KEY": "concurrent-scan-test",
        "PYTHONPATH": str(REPO),
        "WANLIU_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "wanliu.settings",
    }
    python = sys.executable
    subprocess.run([python, "-m", "django", "migrate", "-v", "0"], env=env, check=True, cwd=REPO)
    subprocess.run(
        [python, "tests/complaints/scan_process.py", "setup", str(ORDERS)],
        env=env,
        check=True,
        cwd=REPO,
    )
    return env, tmp_path / "wanliu.sqlite3"


def test_two_workers_fire_each_level_once(database, tmp_path):
    env, db_file = database
    barrier = tmp_path / "go"
    # given two worker processes ready to scan the same 20 orders at 3 March 09:00, when
    # every order has passed 75%, 100% and 150% of its target
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "tests/complaints/scan_process.py",
                "scan",
                str(barrier),
                "2026-03-03T09:00:00+08:00",
            ],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    # when both start at once
    barrier.touch()
    outputs = [w.communicate(timeout=300) for w in workers]
    # then both finished cleanly, and together they fired 3 levels per order, once each
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    fired = [int(out.split()[0].split("=")[1]) for out, _ in outputs]
    assert sum(fired) == 3 * ORDERS
    with sqlite3.connect(db_file) as db:
        per_level = db.execute(
            "SELECT order_id, level_id, cycle, COUNT(*) FROM complaints_escalation "
            "GROUP BY order_id, level_id, cycle"
        ).fetchall()
        emails = db.execute(
            "SELECT recipient, COUNT(*) FROM notify_outboxmessage "
            "WHERE idempotency_key LIKE 'complaints:escalation:%' GROUP BY recipient"
        ).fetchall()
        progress = db.execute(
            "SELECT COUNT(*) FROM notify_outboxmessage "
            "WHERE idempotency_key LIKE 'complaints:%:progress:%'"
        ).fetchone()[0]
    assert len(per_level) == 3 * ORDERS
    assert {count for *_, count in per_level} == {1}
    # one e-mail per order to each of the owner, the team leader and the supervisor
    assert dict(emails) == {
        "agent_b@wanliu.test": ORDERS,
        "lead_b@wanliu.test": ORDERS,
        "supervisor@wanliu.test": ORDERS,
    }
    # and one overdue progress notice per order and channel, not two
    assert progress == 2 * ORDERS
