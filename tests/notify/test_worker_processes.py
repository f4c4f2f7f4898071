"""The relay in real processes against a file SQLite database and the test SMTP server.

Done means: kill the worker (SIGKILL) in the middle of a relay batch, restart it: every
notice is delivered, none twice to the SMTP server. The test's SMTP server kills
``wanliu worker`` at the two moments that matter:

1. while answering the end of DATA of the 10th message: the server has the message, the
   worker has not recorded it as sent (a naive relay would send it again);
2. while answering RCPT of a later message: the worker is mid-conversation and the server
   will never have that message (a relay that gave up on it would lose it).

And two relays running at once deliver every message once.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from django.db import connection

from tests.notify.servers import SmtpServer
from wanliu.notify.channels.email import message_id_for

REPO = Path(__file__).resolve().parents[2]
WANLIU = str(Path(sys.executable).with_name("wanliu"))
COUNT = 40
KILL_AT_DATA = 10  # the server has message 10 when the worker dies
KILL_AT_RCPT = 25  # the worker dies while sending message 26

ENQUEUE = f"""
from django.db import transaction
from wanliu.notify.models import NoticePolicy
from wanliu.notify.services import message_enqueue

policy = NoticePolicy.objects.order_by("id").first() or NoticePolicy.objects.create()
policy.quiet_hours_start = policy.quiet_hours_end  # deliver now, whatever the hour
policy.save()
with transaction.atomic():
    for n in range({COUNT}):
        message_enqueue(
            channel="email",
            recipient=f"customer{{n}}@example.com",
            subject=f"投诉进展通知 {{n}}",
            body=f"您的投诉第 {{n}} 条进展。",
            idempotency_key=f"notice:{{n}}",
        )
"""


def _environment(db: Path, smtp_port: int) -> dict[str, str]:
    return dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{db}",
        WANLIU_VAR_DIR=str(db.parent / "var"),
        WANLIU_SECRET_KEY="worker-process-test",
        DJANGO_SETTINGS_MODULE="tests.notify.relay_settings",
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        WANLIU_TEST_SMTP_PORT=str(smtp_port),
    )


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([WANLIU, *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def outbox_template(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """A migrated file database holding COUNT pending e-mails, copied by each test.

    When the test database is SQLite it is copied (before any test transaction opens:
    SQLite cannot back up a database its own connection is writing); else migrated."""
    template = tmp_path_factory.mktemp("outbox") / "wanliu.sqlite3"
    env = _environment(template, smtp_port=0)
    with django_db_blocker.unblock():
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            with sqlite3.connect(template) as copy:
                connection.connection.backup(copy)
        else:
            _run(env, "migrate", "--noinput")
    _run(env, "shell", "-c", ENQUEUE)
    return template


class Processes:
    """Wanliu commands run against ``db`` with the test SMTP server; logs in ``tmp``."""

    def __init__(self, tmp: Path, smtp: SmtpServer, template: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "wanliu.sqlite3"
        shutil.copyfile(template, self.db)
        self.env = _environment(self.db, smtp.port)
        self.started: list[subprocess.Popen[bytes]] = []
        self.logs: list[IO[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"process{len(self.started) + 1}.log"
        self.logs.append(log.open("wb"))
        process = subprocess.Popen(
            [WANLIU, *args], env=self.env, stdout=self.logs[-1], stderr=subprocess.STDOUT
        )
        self.started.append(process)
        return process

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return (self.tmp / f"process{self.started.index(process) + 1}.log").read_text()

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for handle in self.logs:
            handle.close()

    def query(self, sql: str, *params: str) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as reader:
            return reader.execute(sql, params).fetchall()

    def statuses(self) -> Counter[str]:
        rows = self.query("SELECT status, count(*) FROM notify_outboxmessage GROUP BY status")
        return Counter(dict(rows))

    def outcomes(self, key: str) -> list[str]:
        rows = self.query(
            "SELECT a.outcome FROM notify_deliveryattempt a JOIN notify_outboxmessage m"
            " ON m.id = a.message_id WHERE m.idempotency_key = ? ORDER BY a.number",
            key,
        )
        return [outcome for (outcome,) in rows]

    def wait_until_all_sent(self, *running: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 60
        while self.statuses() != {"sent": COUNT}:
            for process in running:
                assert process.poll() is None, self.log(process)
            assert time.monotonic() < deadline, self.statuses()
            time.sleep(0.2)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def processes(tmp_path, smtp, outbox_template) -> Iterator[Processes]:
    running = Processes(tmp_path, smtp, outbox_template)
    assert running.statuses() == {"pending": COUNT}
    yield running
    running.stop_all()


def assert_each_received_once(smtp: SmtpServer) -> None:
    received = Counter(mail.message_id for mail in smtp.received)
    assert set(received) == {message_id_for(f"notice:{n}") for n in range(COUNT)}
    assert max(received.values()) == 1


@pytest.mark.django_db  # sets up the test database outbox_template copies; nothing is written
def test_sigkill_mid_batch_loses_and_duplicates_nothing(processes, smtp):
    killed: list[str] = []

    def kill(moment: str) -> None:
        killed.append(moment)
        os.kill(processes.started[-1].pid, signal.SIGKILL)

    def on_data(accepted: int) -> None:
        if accepted == KILL_AT_DATA and "data" not in killed:
            kill("data")

    def on_rcpt(accepted: int) -> None:
        if accepted == KILL_AT_RCPT and "rcpt" not in killed:
            kill("rcpt")

    smtp.recorder.on_data, smtp.recorder.on_rcpt = on_data, on_rcpt
    worker = ("worker", "--interval", "0.2", "--tick", "0.5")

    # given a worker killed at each of the two moments, and restarted
    for moment in ["data", "rcpt"]:
        process = processes.start(*worker)
        assert process.wait(timeout=60) == -signal.SIGKILL, processes.log(process)
        assert killed[-1] == moment
    # when the third worker runs until the outbox is empty
    processes.wait_until_all_sent(processes.start(*worker))

    # then the SMTP server got every message exactly once
    assert_each_received_once(smtp)
    # the message the server had when the worker died is counted as sent, not resent
    assert processes.outcomes(f"notice:{KILL_AT_DATA - 1}") == ["assumed_sent"]
    # the message the worker was sending when it died is sent again
    assert processes.outcomes(f"notice:{KILL_AT_RCPT}") == ["interrupted", "sent"]


@pytest.mark.django_db
def test_two_relays_at_once_deliver_each_message_once(processes, smtp):
    # given an SMTP server that holds its answers until both relays are sending
    smtp.recorder.hold_until_peers = 2
    # when two relays run at once
    relays = [processes.start("notify", "relay", "--interval", "0.2") for _ in range(2)]
    processes.wait_until_all_sent(*relays)
    # then both delivered, and every message reached the server once
    workers = processes.query("SELECT count(DISTINCT worker) FROM notify_deliveryattempt")
    assert workers == [(2,)]
    assert_each_received_once(smtp)
    assert processes.query("SELECT count(*) FROM notify_deliveryattempt") == [(COUNT,)]
