"""Delivery channels behind one small interface, chosen by settings.

``WANLIU_NOTIFY_CHANNELS`` maps a channel name (``email``, ``sms``, ``webhook``) to the
dotted path of a :class:`~wanliu.notify.channels.base.NotifyChannel` subclass; names it
leaves out keep the built-in classes below. Domain code never imports a channel: it writes
to the outbox and the relay picks the channel.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from wanliu.notify.channels.base import NotifyChannel

DEFAULT_CHANNELS = {
    "email": "wanliu.notify.channels.email.SmtpEmailChannel",
    "sms": "wanliu.notify.channels.sms.HttpSmsGatewayChannel",
    "webhook": "wanliu.notify.channels.webhook.SignedWebhookChannel",
}


def channel_class(name: str) -> type[NotifyChannel]:
    """The configured channel class for ``name``."""
    paths = DEFAULT_CHANNELS | dict(getattr(settings, "WANLIU_NOTIFY_CHANNELS", {}))
    cls = import_string(paths[name])
    if not (isinstance(cls, type) and issubclass(cls, NotifyChannel)):
        raise TypeError(f"{paths[name]} is not a NotifyChannel")
    return cls
