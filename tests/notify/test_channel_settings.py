"""``WANLIU_NOTIFY_CHANNELS`` picks the class of a channel: its format, and the relay using
the class it names."""

from __future__ import annotations

from typing import ClassVar

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from wanliu.notify.channels import DEFAULT_CHANNELS, channel_class
from wanliu.notify.channels.base import Envelope, HandOver, NotifyChannel, Receipt
from wanliu.notify.relay import notify_relay_batch
from wanliu.notify.services import message_enqueue
from wanliu.settings import notify_channels_from


class RecordingSms(NotifyChannel):
    """An SMS channel that keeps what it was given."""

    name: ClassVar[str] = "sms"
    honours_idempotency_keys: ClassVar[bool] = True
    sent: ClassVar[list[str]] = []

    def deliver(self, envelope: Envelope, *, hand_over: HandOver) -> Receipt:
        hand_over()
        RecordingSms.sent.append(envelope.idempotency_key)
        return Receipt(response="recorded")


def test_the_variable_is_name_equals_class_path_pairs():
    assert notify_channels_from("") == {}
    assert notify_channels_from(" sms = my.sms.Gateway , webhook=my.hooks.Hook,") == {
        "sms": "my.sms.Gateway",
        "webhook": "my.hooks.Hook",
    }


@pytest.mark.parametrize("bad", ["sms", "fax=my.Fax", "email=", "=my.Mail"])
def test_a_malformed_entry_is_refused_with_the_format(bad):
    with pytest.raises(ImproperlyConfigured, match=r"name=dotted\.ClassPath"):
        notify_channels_from(bad)


@pytest.mark.django_db
def test_the_relay_uses_the_configured_class(settings, policy):
    # given the SMS channel replaced by a class of ours
    settings.WANLIU_NOTIFY_CHANNELS = notify_channels_from(
        f"sms={RecordingSms.__module__}.RecordingSms"
    )
    assert channel_class("sms") is RecordingSms
    assert (
        channel_class("email").__module__ + "." + channel_class("email").__name__
        == (DEFAULT_CHANNELS["email"])
    )
    RecordingSms.sent.clear()
    # when an SMS is queued and the relay runs
    with transaction.atomic():
        message_enqueue(
            channel="sms",
            recipient="13300001111",
            subject="",
            body="您的投诉已受理。",
            idempotency_key="configured-class",
        )
    # then our class delivered it
    assert notify_relay_batch().sent == 1
    assert RecordingSms.sent == ["configured-class"]
