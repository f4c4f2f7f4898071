"""Real local servers for the notify tests: an SMTP server (aiosmtpd) and an HTTP server
standing in for the SMS gateway and webhook receivers. Both listen on 127.0.0.1 on an
ephemeral port and record what they receive."""

from __future__ import annotations

import asyncio
import email
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from wanliu.notify.channels.http import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature_valid,
)


class _EphemeralPortController(Controller):
    """aiosmtpd's controller, bound to port 0: the kernel picks a free port."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class ReceivedMail:
    message_id: str
    idempotency_key: str
    to: list[str]
    subject: str
    body: str


@dataclass
class SmtpRecorder:
    """aiosmtpd handler. ``replies_to_data`` holds answers to give to the next DATA
    commands instead of accepting them (e.g. ``"451 try later"``); ``on_rcpt`` and
    ``on_data`` are called with the number of messages accepted so far;
    ``hold_until_peers`` holds every answer to DATA until that many clients have sent
    RCPT (at most 30 s), so that several clients are sure to be sending at once."""

    received: list[ReceivedMail] = field(default_factory=list)
    data_message_ids: list[str] = field(default_factory=list)  # every DATA, accepted or not
    replies_to_data: list[str] = field(default_factory=list)
    reply_delay: float = 0.0
    on_rcpt: Callable[[int], None] | None = None
    on_data: Callable[[int], None] | None = None
    hold_until_peers: int = 0
    peers: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        self.peers.add(str(session.peer))
        if self.on_rcpt is not None:
            self.on_rcpt(len(self.received))
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for _ in range(300):
            if len(self.peers) >= self.hold_until_peers:
                break
            await asyncio.sleep(0.1)
        parsed: Message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.data_message_ids.append(str(parsed["Message-ID"]))
        if self.replies_to_data:
            return self.replies_to_data.pop(0)
        body = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        with self.lock:
            self.received.append(
                ReceivedMail(
                    message_id=str(parsed["Message-ID"]),
                    idempotency_key=str(parsed["X-Wanliu-Idempotency-Key"]),
                    to=list(envelope.rcpt_tos),
                    subject=str(parsed["Subject"]),
                    body=body.get_content().strip() if body is not None else "",
                )
            )
            count = len(self.received)
        if self.on_data is not None:
            self.on_data(count)
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self) -> None:
        self.recorder = SmtpRecorder()
        self.controller = _EphemeralPortController(self.recorder, hostname="127.0.0.1", port=0)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def received(self) -> list[ReceivedMail]:
        return self.recorder.received


@dataclass
class HttpRequestRecord:
    path: str
    idempotency_key: str
    signature_ok: bool
    payload: dict[str, Any]


class HttpReceiver:
    """A signed-JSON receiver (SMS gateway or webhook consumer) honouring idempotency keys.

    ``fail_next``: answer the next n requests with ``fail_status`` without acting on them.
    ``lose_next``: act on the next n requests but answer 502 (the answer is "lost").
    """

    def __init__(self, *, secret: str) -> None:
        self.secret = secret
        self.requests: list[HttpRequestRecord] = []
        self.delivered: dict[str, dict[str, Any]] = {}
        self.fail_next = 0
        self.fail_status = 503
        self.lose_next = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                key = self.headers.get(IDEMPOTENCY_HEADER, "")
                ok = signature_valid(
                    secret=receiver.secret,
                    timestamp=self.headers.get(TIMESTAMP_HEADER, ""),
                    body=raw,
                    signature=self.headers.get(SIGNATURE_HEADER, ""),
                )
                with receiver.lock:
                    receiver.requests.append(
                        HttpRequestRecord(self.path, key, ok, json.loads(raw or b"{}"))
                    )
                    if not ok:
                        status = 401
                    elif receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        status = receiver.fail_status
                    elif key in receiver.delivered:
                        status = 200  # a repeated key: answered, not acted on again
                    else:
                        receiver.delivered[key] = json.loads(raw)
                        status = 200
                        if receiver.lose_next > 0:
                            receiver.lose_next -= 1
                            status = 502
                answer = json.dumps({"status": status}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/messages"
