"""Complaint notices are service notices: a marketing opt-out does not silence them (quiet
hours still hold them back), while marketing to the same customer stays suppressed; and a
notice that cannot be delivered shows on the order as a dead letter (API and page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.complaints.helpers import new_order, notices
from tests.notify.servers import HttpReceiver
from wanliu.notify.models import NoticePolicy, OutboxMessage
from wanliu.notify.relay import notify_relay_batch
from wanliu.notify.services import message_enqueue

pytestmark = pytest.mark.django_db
API = "/api/v1/complaints"
SMS_SECRET = "sms-shared-secret"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def policy() -> NoticePolicy:
    """The notice policy in force, with no quiet hours unless a test sets them."""
    row = NoticePolicy.objects.order_by("id").first() or NoticePolicy.objects.create()
    row.quiet_hours_start = row.quiet_hours_end
    row.save()
    return row


@pytest.fixture
def sms_gateway(settings) -> Iterator[HttpReceiver]:
    with HttpReceiver(secret=SMS_SECRET) as gateway:
        settings.WANLIU_SMS_GATEWAY_URL = gateway.url
        settings.WANLIU_SMS_GATEWAY_SECRET = SMS_SECRET
        settings.WANLIU_SMS_SENDER_ID = "10000"
        settings.WANLIU_NOTIFY_TIMEOUT_SECONDS = 5
        yield gateway


@pytest.fixture
def opted_out(world):
    world.customer.marketing_opt_out = True
    world.customer.save(update_fields=["marketing_opt_out"])
    return world.customer


def test_an_opted_out_customer_still_gets_the_committed_deadline(
    api_client, world, policy, sms_gateway, opted_out
):
    # given a customer who opted out of marketing
    # when a complaint of theirs is registered through the API
    api_client.login_token(world.agent_b.user.username)
    response = api_client.post(
        f"{API}/orders",
        {
            "customer_id": opted_out.pk,
            "channel": "hotline",
            "category": "network-coverage",
            "title": "家里没信号",
            "description": "客户反映家中手机没有信号。",
            "contact_phone": "13800000001",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    # then the deadline notice is a pending service notice, not suppressed
    [accepted] = response.json()["notices"]
    assert accepted["status"] == "pending"
    message = OutboxMessage.objects.get(pk=accepted["id"])
    assert message.transactional and message.customer == opted_out
    # and the relay delivers it, with the committed deadline in the text
    assert notify_relay_batch().sent == 1
    [sms] = sms_gateway.delivered.values()
    assert sms["to"] == "13800000001"
    order_deadline = response.json()["due"]["resolution"]
    deadline = timezone.localtime(dt.datetime.fromisoformat(order_deadline))
    assert deadline.strftime("%Y-%m-%d %H:%M") in sms["text"]


def test_a_marketing_message_to_the_same_customer_is_suppressed(
    world, policy, sms_gateway, opted_out
):
    # given a customer who opted out of marketing and has an open complaint
    order = new_order(world, contact_email="")
    # when a marketing message is written to them (the default purpose)
    with transaction.atomic():
        marketing = message_enqueue(
            channel="sms",
            recipient="13800000001",
            subject="",
            body="本月流量包五折优惠，回复 1 办理。",
            idempotency_key="marketing:may-offer",
            customer=opted_out,
        )
    # then it is suppressed and never sent, while the complaint's notice goes out
    assert marketing.status == OutboxMessage.Status.SUPPRESSED and not marketing.transactional
    assert [n.status for n in notices(order)] == ["pending"]
    assert notify_relay_batch().sent == 1
    assert list(sms_gateway.delivered) == [f"complaints:{order.pk}:accepted:sms"]


def test_complaint_notices_still_wait_for_the_end_of_quiet_hours(world, policy, opted_out):
    # given quiet hours from an hour ago to an hour ahead
    now = timezone.now().astimezone(SHANGHAI).replace(second=0, microsecond=0)
    policy.quiet_hours_start = (now - dt.timedelta(hours=1)).time()
    policy.quiet_hours_end = (now + dt.timedelta(hours=1)).time()
    policy.save()
    # when a complaint of an opted-out customer is registered
    order = new_order(world)
    # then its notices are kept (not suppressed) and wait for the end of quiet hours
    for message in notices(order):
        assert message.status == OutboxMessage.Status.PENDING
        assert message.not_before == now + dt.timedelta(hours=1)
    assert notify_relay_batch().claimed == 0


def test_a_dead_letter_shows_on_the_order(api_client, world, policy, sms_gateway, settings):
    # given an order whose SMS gateway refuses our signature (a permanent rejection)
    settings.WANLIU_SMS_GATEWAY_SECRET = "not-the-gateways-secret"
    order = new_order(world, contact_email="")
    # when the relay tries the deadline notice
    assert notify_relay_batch().dead == 1
    # then the order's API detail shows it as a dead letter with the gateway's answer
    api_client.login_token(world.agent_b.user.username)
    [notice] = api_client.get(f"{API}/orders/{order.pk}").json()["notices"]
    assert notice["status"] == "dead"
    assert notice["status_label"] == "dead letter"
    assert notice["dead_at"] is not None and notice["attempts"] == 1
    assert "401" in notice["last_error"]
    # and the order page shows it, marked, with the error
    client = Client()
    client.force_login(world.agent_b.user)
    html = client.get(f"/complaints/{order.pk}/").content.decode()
    section = html[html.index('data-test="notices"') :]
    assert '<span class="badge overdue" data-test="notice-status">死信</span>' in section
    assert "401" in section[: section.index("</section>")]
