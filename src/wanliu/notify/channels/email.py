"""E-mail through Django's SMTP backend, with a hand-over point before the end of DATA.

SMTP has no idempotency key: once the server has read the final ``.`` of the DATA
command, it has the message, and a plain server cannot be asked later whether it has.
This channel therefore records the hand-over (``hand_over()``) after the body has been
written and *before* the terminating ``.`` goes out. If the worker dies before that
record, the server only ever saw an unfinished DATA (it drops it) and the relay sends the
message again; after it, the relay counts the message as sent and never sends it again.
Every message carries a ``Message-ID`` derived from its idempotency key, so a receiving
system can recognise the same notice.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from wanliu.notify.channels.base import (
    ChannelError,
    Envelope,
    HandOver,
    HandOverRefused,
    NotifyChannel,
    Receipt,
)

CRLF = b"\r\n"
_EOLS = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class _HandOverMixin:
    """``smtplib.SMTP.data`` split in two: body, then ``hand_over``, then the final dot."""

    hand_over: HandOver | None = None
    handed_over: bool = False
    last_reply: str = ""

    def data(self, msg: Any) -> tuple[int, bytes]:
        smtp: Any = self
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        payload = msg.encode("ascii") if isinstance(msg, str) else bytes(msg)
        payload = _LEADING_DOT.sub(b"..", _EOLS.sub(CRLF, payload))
        if not payload.endswith(CRLF):
            payload += CRLF
        smtp.send(payload)
        if self.hand_over is not None:
            try:
                self.hand_over()
            except BaseException:
                # Leave without the final dot (and without QUIT, which the server would
                # read as more body): the server drops the unfinished message.
                smtp.close()
                raise
        self.handed_over = True
        smtp.send(b"." + CRLF)
        code, reply = smtp.getreply()
        self.last_reply = f"{code} {reply.decode(errors='replace')}"[:255]
        return code, reply


class HandOverSMTP(_HandOverMixin, smtplib.SMTP):
    pass


class HandOverSMTPSSL(_HandOverMixin, smtplib.SMTP_SSL):
    pass


class HandOverEmailBackend(EmailBackend):
    """Django's SMTP backend on a connection with a hand-over point."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return HandOverSMTPSSL if self.use_ssl else HandOverSMTP


def message_id_for(idempotency_key: str) -> str:
    """A stable ``Message-ID`` for a key: the same notice always has the same id."""
    domain = getattr(settings, "WANLIU_NOTIFY_MESSAGE_ID_DOMAIN", "") or (
        settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">").strip() or "wanliu.local"
    )
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}.notify@{domain}>"


def _smtp_code(error: smtplib.SMTPException) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return min(codes) if codes else None
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code)
    return None


class SmtpEmailChannel(NotifyChannel):
    """E-mail via the SMTP server of Django's ``EMAIL_*`` settings; one connection per batch."""

    name = "email"
    honours_idempotency_keys = False

    def __init__(self) -> None:
        timeout = settings.EMAIL_TIMEOUT or getattr(settings, "WANLIU_NOTIFY_TIMEOUT_SECONDS", 30)
        self.backend = HandOverEmailBackend(timeout=timeout)

    def _drop_connection(self) -> None:
        """Forget the connection without QUIT: after an error its state is unknown."""
        connection = self.backend.connection
        self.backend.connection = None
        if connection is not None:
            connection.close()

    def close(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self._drop_connection()

    def deliver(self, envelope: Envelope, *, hand_over: HandOver) -> Receipt:
        email = EmailMessage(
            subject=envelope.subject,
            body=envelope.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[envelope.recipient],
            headers={
                "Message-ID": message_id_for(envelope.idempotency_key),
                "Date": format_datetime(envelope.created_at),
                "X-Wanliu-Idempotency-Key": envelope.idempotency_key,
            },
            connection=self.backend,
        )
        connection: _HandOverMixin | None = None
        try:
            self.backend.open()
            opened = self.backend.connection
            assert isinstance(opened, _HandOverMixin)
            connection = opened
            connection.hand_over = hand_over
            connection.handed_over = False
            connection.last_reply = ""
            email.send()
        except HandOverRefused:
            self._drop_connection()
            raise
        except (smtplib.SMTPException, OSError) as error:
            handed_over = connection is not None and connection.handed_over
            self._drop_connection()
            code = _smtp_code(error) if isinstance(error, smtplib.SMTPException) else None
            text = f"{type(error).__name__}: {error}"
            if code is None:
                # No answer from the server: before the hand-over it cannot have the
                # message; after it, it may.
                raise ChannelError(text, outcome_unknown=handed_over) from error
            raise ChannelError(text, permanent=code >= 500, response=str(code)) from error
        finally:
            if connection is not None:
                connection.hand_over = None
        return Receipt(response=connection.last_reply)
