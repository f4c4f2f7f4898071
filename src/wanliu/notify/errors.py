"""Errors of the notify app."""

from __future__ import annotations


class NotifyError(Exception):
    """Base class of the errors raised by the notify services."""


class OutboxOutsideTransaction(NotifyError):
    """``message_enqueue`` was called outside a transaction: the outbox row would not be
    written atomically with the change that causes it."""


class TemplateNotFound(NotifyError, LookupError):
    """No message template for the key, language and channel asked for."""


class TemplateRenderError(NotifyError):
    """A template uses a variable the context does not have, or does not compile."""
