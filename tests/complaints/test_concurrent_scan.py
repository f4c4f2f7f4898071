"""Two workers scanning at the same moment fire each escalation level exactly once.

Real processes on a real database: each scan runs in its own process, both start together
(a file barrier) and race over the same overdue orders. The database is a SQLite file, or,
when the suite runs on PostgreSQL (``DATABASE_URL``), a fresh PostgreSQL database of its
own (row locks there are not SQLite's one writer at a time)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
ORDERS = 20
Query = Callable[[str], list[tuple[Any, ...]]]


def _postgres_database() -> Iterator[tuple[str, Query]]:
    """A fresh database on the suite's PostgreSQL server, dropped afterwards."""
    import psycopg

    db = settings.DATABASES["default"]
    server = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }
    name = f"wanliu_scan_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    url = f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"

    def query(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(dbname=name, **server) as conn:
            return list(conn.execute(sql).fetchall())

    try:
        yield url, query
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_database(db_file: Path) -> tuple[str, Query]:
    def query(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(db_file) as db:
            return db.execute(sql).fetchall()

    return f"sqlite:///{db_file}", query


@pytest.fixture
def database(tmp_path):
    postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    databases = _postgres_database() if postgres else None
    url, query = next(databases) if databases else _sqlite_database(tmp_path / "wanliu.sqlite3")
    env = os.environ | {
        "DATABASE_URL": url,
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
    yield env, query
    if databases is not None:
        next(databases, None)  # drops it


def test_two_workers_fire_each_level_once(database, tmp_path):
    env, query = database
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
    per_level = query(
        "SELECT order_id, level_id, cycle, COUNT(*) FROM complaints_escalation "
        "GROUP BY order_id, level_id, cycle"
    )
    emails = query(
        "SELECT recipient, COUNT(*) FROM notify_outboxmessage "
        "WHERE idempotency_key LIKE 'complaints:escalation:%' GROUP BY recipient"
    )
    progress = query(
        "SELECT COUNT(*) FROM notify_outboxmessage "
        "WHERE idempotency_key LIKE 'complaints:%:progress:%'"
    )[0][0]
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
