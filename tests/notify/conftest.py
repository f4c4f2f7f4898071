from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify.servers import HttpReceiver, SmtpServer
from wanliu.notify.models import NoticePolicy

SMS_SECRET = "sms-shared-secret"
WEBHOOK_SECRET = "webhook-shared-secret"


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "客服 <service@wanliu.example>"
        yield server


@pytest.fixture
def sms_gateway(settings) -> Iterator[HttpReceiver]:
    with HttpReceiver(secret=SMS_SECRET) as gateway:
        settings.WANLIU_SMS_GATEWAY_URL = gateway.url
        settings.WANLIU_SMS_GATEWAY_SECRET = SMS_SECRET
        settings.WANLIU_SMS_SENDER_ID = "10000"
        settings.WANLIU_NOTIFY_TIMEOUT_SECONDS = 5
        yield gateway


@pytest.fixture
def webhook_receiver(settings) -> Iterator[HttpReceiver]:
    with HttpReceiver(secret=WEBHOOK_SECRET) as receiver:
        settings.WANLIU_WEBHOOK_URL = receiver.url
        settings.WANLIU_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.WANLIU_NOTIFY_TIMEOUT_SECONDS = 5
        yield receiver


@pytest.fixture
def policy(db) -> NoticePolicy:
    """The policy in force, with no quiet hours unless a test sets them."""
    row = NoticePolicy.objects.order_by("id").first() or NoticePolicy.objects.create()
    row.quiet_hours_start = row.quiet_hours_end
    row.save()
    return row
