"""``wanliu migrate`` and ``wanliu serve`` in real processes: the production WSGI server
answers the login page, serves the offline Plotly JS, issues an API token and answers the
API with it, and stops on SIGTERM. (The other tests use Django's test client or live
server.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

WANLIU = str(Path(sys.executable).with_name("wanliu"))
PASSWORD = "serve-process-test-pw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A file database migrated by the command itself, as an operator would."""
    db = tmp_path_factory.mktemp("serve") / "wanliu.sqlite3"
    _run(_environment(db), "migrate", "--noinput")
    return db


def _environment(db: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{db}",
        WANLIU_VAR_DIR=str(db.parent / "var"),
        WANLIU_SECRET_KEY="serve-process-test",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([WANLIU, *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_server_answers_pages_static_files_and_the_api_and_stops_on_sigterm(migrated, tmp_path):
    db = tmp_path / "wanliu.sqlite3"
    shutil.copy(migrated, db)
    env = _environment(db)
    _run(env, "createsuperuser", "--noinput", "--username", "ops", "--email", "ops@example.com")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [WANLIU, "serve", "--port", str(port), "--threads", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                status, page = _get(f"{base}/login/")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, (tmp_path / "serve.log").read_text()
        assert b"csrfmiddlewaretoken" in page
        # the charts' JavaScript ships with the app: pages work offline
        status, plotly = _get(f"{base}/static/plotly/plotly.min.js")
        assert status == 200 and len(plotly) > 1_000_000
        # a script gets a token and reads the API with it
        token_request = urllib.request.Request(
            f"{base}/api/v1/auth/token",
            data=json.dumps({"username": "ops", "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(token_request, timeout=10) as answer:
            token = json.loads(answer.read())["token"]
        status, body = _get(f"{base}/api/v1/customers", {"Authorization": f"Bearer {token}"})
        assert status == 200 and json.loads(body)["count"] == 0
        assert _get(f"{base}/api/v1/customers")[0] == 401
        # SIGTERM stops it
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) is not None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
