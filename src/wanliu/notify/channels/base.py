"""The interface every delivery channel implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True)
class Envelope:
    """What a channel needs to deliver one message; no database objects."""

    message_id: int
    channel: str
    recipient: str
    subject: str
    body: str
    idempotency_key: str
    created_at: datetime
    related: str = ""  # "app_label.model:pk" of the object the message is about
    event: str = ""  # a system event's name; its JSON data is the body


@dataclass(frozen=True)
class Receipt:
    """The server's answer to a delivered message, for the delivery record."""

    response: str = ""


class ChannelError(Exception):
    """Delivery failed.

    ``permanent``: retrying cannot help (the server rejected the recipient or the request).
    ``outcome_unknown``: the message was handed over but no answer came back (timeout,
    dropped connection), so the server may have it.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        outcome_unknown: bool = False,
        response: str = "",
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.outcome_unknown = outcome_unknown
        self.response = response


class HandOverRefused(Exception):
    """The relay no longer holds the message's lease: the channel must not send it."""


HandOver = Callable[[], None]


class NotifyChannel(ABC):
    """A way to deliver messages. One instance serves one relay batch.

    ``deliver`` must call ``hand_over()`` immediately before the step after which the
    server may have the message (the end of the SMTP DATA, the HTTP request). It records
    the hand-over durably, or raises :class:`HandOverRefused` when the lease is lost; the
    channel must then abandon the message without sending it.
    """

    name: ClassVar[str]
    #: True when the far side drops a repeated ``Idempotency-Key``, so resending a message
    #: whose outcome is unknown cannot produce a duplicate.
    honours_idempotency_keys: ClassVar[bool]

    def open(self) -> None:  # noqa: B027 (optional hook)
        """Prepare for a batch (e.g. connect); the default does nothing."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release what ``open`` or ``deliver`` took; the default does nothing."""

    @abstractmethod
    def deliver(self, envelope: Envelope, *, hand_over: HandOver) -> Receipt:
        """Deliver one message; raise :class:`ChannelError` when it did not go."""
