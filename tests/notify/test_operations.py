"""Running the relay (command, worker job) and operating it (policy, admin, dead letters)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from wanliu.core.models import AuditEvent
from wanliu.core.scheduler import PERIODIC_JOBS, scheduler_tick, tasks_autodiscover
from wanliu.notify.models import NoticePolicy, OutboxMessage
from wanliu.notify.services import message_enqueue
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db


def enqueue(key: str, **overrides) -> OutboxMessage:
    fields = {
        "channel": "sms",
        "recipient": "13300001111",
        "subject": "",
        "body": "通知",
        "idempotency_key": key,
    }
    with transaction.atomic():
        return message_enqueue(**(fields | overrides))


def test_the_migrations_install_the_default_policy():
    [policy] = NoticePolicy.objects.all()
    assert (policy.max_attempts, policy.time_zone) == (6, "Asia/Shanghai")
    assert (policy.quiet_hours_start.hour, policy.quiet_hours_end.hour) == (21, 8)


def test_relay_once_command_delivers_what_is_due(policy, sms_gateway, smtp_server):
    enqueue("a")
    enqueue("b", channel="email", recipient="a@example.com", subject="s")
    out, err = io.StringIO(), io.StringIO()
    call_command("notify", "relay", "--once", stdout=out, stderr=err)
    assert "sent 2" in out.getvalue()
    assert len(sms_gateway.delivered) == 1 and len(smtp_server.received) == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_relay_once_drains_more_than_one_batch(policy, sms_gateway):
    for n in range(5):
        enqueue(f"m{n}")
    call_command("notify", "relay", "--once", "--batch", "2", stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    assert len(sms_gateway.delivered) == 5


def test_the_worker_schedules_the_relay_every_five_seconds(policy, sms_gateway):
    # (test_sigkill runs the relay in a real `wanliu worker` process)
    tasks_autodiscover()
    job = PERIODIC_JOBS["notify.relay"]
    assert job.every_seconds == 5
    enqueue("via-worker")
    # when the scheduler ticks, the relay task is queued
    assert "notify.relay" in scheduler_tick()
    assert DBTaskResult.objects.filter(task_path__endswith="notify_relay").count() == 1
    # and running it delivers the message
    assert job.task.call()["sent"] == 1
    assert list(sms_gateway.delivered) == ["via-worker"]


@pytest.fixture
def admin_client(client, staff_of):
    admin = staff_of(Role.ADMIN)
    client.force_login(admin.user)
    return client


def test_admin_lists_messages_and_edits_templates(admin_client, policy):
    message = enqueue("shown")
    assert admin_client.get("/admin/notify/outboxmessage/").status_code == 200
    assert admin_client.get(f"/admin/notify/outboxmessage/{message.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/notify/messagetemplate/add/",
        {"key": "k", "language": "en", "channel": "sms", "subject": "", "body": "Hi {{ name }}"},
    )
    assert response.status_code == 302
    assert admin_client.get(f"/admin/notify/noticepolicy/{policy.pk}/change/").status_code == 200


def test_admin_requeues_a_dead_letter(admin_client, policy, sms_gateway):
    message = enqueue("dead-one")
    OutboxMessage.objects.filter(pk=message.pk).update(status="dead", attempts=6)
    response = admin_client.post(
        "/admin/notify/outboxmessage/",
        {"action": "requeue", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)
    assert AuditEvent.objects.filter(action="notify.message_requeue").exists()
    call_command("notify", "relay", "--once", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(sms_gateway.delivered) == ["dead-one"]


def test_a_sent_message_cannot_be_requeued(admin_client, policy):
    message = enqueue("sent-one")
    OutboxMessage.objects.filter(pk=message.pk).update(status="sent")
    admin_client.post(
        "/admin/notify/outboxmessage/", {"action": "requeue", "_selected_action": [message.pk]}
    )
    message.refresh_from_db()
    assert message.status == "sent"


def test_statuses_read_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(OutboxMessage.Status.DEAD.label) == "死信"
        assert str(OutboxMessage._meta.verbose_name) == "待发消息"
