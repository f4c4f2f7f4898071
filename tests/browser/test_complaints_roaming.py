"""The roaming complaint end to end in a real browser (issue 4, "Done means").

A customer whose line's home region (归属地) is Hangzhou (A) calls the hotline centre of
Ningbo (B). The agent of B registers the complaint in the agent workspace, so B owns it;
B dispatches an internal task to A's centre; an agent of A completes the task on A's own
tablet; B resolves. The customer gets the committed deadline, the progress, the result
and the survey link by SMS and by e-mail, delivered by the relay to a real local SMTP
server and a real local HTTP SMS gateway; the customer answers the survey in the browser
without logging in; the revisit (回访) recorded by B closes the order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.complaints.world import World, build_world
from tests.notify.servers import HttpReceiver, SmtpServer
from wanliu.complaints.models import (
    HandOver,
    InternalTask,
    Revisit,
    Status,
    StatusChange,
    Survey,
    WorkOrder,
)
from wanliu.complaints.services.notices import format_local
from wanliu.notify.models import NoticePolicy, OutboxMessage
from wanliu.notify.relay import notify_relay_batch
from wanliu.notify.selectors import messages_for

pytestmark = pytest.mark.browser

SMS_SECRET = "roaming-sms-secret"
CALLER_NUMBER = "13900001111"  # the customer's line, home region A (杭州)
CALL_BACK = "13800000001"  # the number the customer wants SMS on
CUSTOMER_EMAIL = "wang.xiaoming@example.com"
RESULT = "已在杭州小区扩容并调整天线方位，客户家中信号恢复满格"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(transactional_db: None) -> World:
    return build_world()


@pytest.fixture
def no_quiet_hours(transactional_db: None) -> NoticePolicy:
    """Notices go out whatever the hour the test runs at (quiet hours are tested elsewhere)."""
    policy = NoticePolicy.objects.order_by("id").first() or NoticePolicy.objects.create()
    policy.quiet_hours_start = policy.quiet_hours_end
    policy.save()
    return policy


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        settings.DEFAULT_FROM_EMAIL = "客服 <service@wanliu.example>"
        yield server


@pytest.fixture
def sms_gateway(settings: Any) -> Iterator[HttpReceiver]:
    with HttpReceiver(secret=SMS_SECRET) as gateway:
        settings.WANLIU_SMS_GATEWAY_URL = gateway.url
        settings.WANLIU_SMS_GATEWAY_SECRET = SMS_SECRET
        settings.WANLIU_SMS_SENDER_ID = "10000"
        settings.WANLIU_NOTIFY_TIMEOUT_SECONDS = 5
        yield gateway


@pytest.fixture
def public_links(settings: Any, live_server: Any) -> str:
    """Links in messages (the survey) point at the live server."""
    settings.WANLIU_PUBLIC_BASE_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def tablet(browser: Any, live_server: Any) -> Iterator[Callable[[], Any]]:
    """Another device with its own cookies (agent A's tablet, the customer's phone)."""
    contexts: list[Any] = []

    def open_tablet(*, phone: bool = False) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 390, "height": 844} if phone else {"width": 1024, "height": 768},
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_tablet
    for context in contexts:
        context.close()


def survey_link(text: str, base_url: str) -> str | None:
    """The survey link in a notice, if it is one to this server."""
    found = re.search(re.escape(base_url) + r"/complaints/survey/[^/\s]+/", text)
    return found.group(0) if found else None


def relay_all() -> None:
    """What the worker does between the steps: deliver every due notice."""
    for _ in range(10):
        result = notify_relay_batch(limit=100)
        if result.claimed == 0:
            return
    raise AssertionError("the relay kept finding messages")


def sms_to(gateway: HttpReceiver) -> list[dict[str, Any]]:
    """Texts the gateway accepted (one per idempotency key), in arrival order."""
    return list(gateway.delivered.values())


def submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def flash(page: Any) -> str:
    return page.locator("ul.messages").inner_text()


def test_roaming_complaint_one_owner_notices_survey_and_revisit(
    page, tablet, world, no_quiet_hours, smtp_server, sms_gateway, public_links
):
    # given a customer whose line's home region is A (杭州), calling the hotline of B (宁波)
    assert world.line.home_region == world.region_a
    assert world.agent_b.unit.region == world.region_b

    # when agent B takes the call in the workspace: finds the caller by the number ...
    log_in(page, world.agent_b.user.username, next_path="/complaints/")
    submit(page, "[data-test=take-call]")
    page.fill("[data-test=caller-search]", CALLER_NUMBER)
    caller = page.locator("[data-test=caller]", has_text=world.customer.name)
    caller.wait_for(state="visible")
    assert world.region_a.name in caller.inner_text()  # the home region is on the screen
    with page.expect_navigation():
        caller.locator("[data-test=pick-line]", has_text=CALLER_NUMBER).click()

    # ... sees that the caller is roaming, and registers the complaint with a call-back
    # number and an e-mail for the notices
    assert world.region_a.name in page.locator("[data-test=roaming]").inner_text()
    form = page.locator("[data-test=new-order]")
    form.locator("select[name=channel]").select_option("hotline")
    form.locator("select[name=category]").select_option("network-coverage")
    form.locator("input[name=title]").fill("在宁波出差，杭州号码信号很差")
    form.locator("textarea[name=description]").fill(
        "客户杭州号码在宁波使用，室内几乎无信号，通话频繁中断，已打了两次电话。"
    )
    form.locator("input[name=contact_phone]").fill(CALL_BACK)
    form.locator("input[name=contact_email]").fill(CUSTOMER_EMAIL)
    submit(page, "[data-test=create-order]")

    # then B owns the order and the page shows the committed deadline
    order = WorkOrder.objects.get(customer=world.customer)
    assert page.url.endswith(f"/complaints/{order.pk}/")
    assert order.owner_unit == world.centre_b and order.owner_staff == world.agent_b
    assert order.line == world.line
    assert world.centre_b.name in page.locator("[data-test=owner]").inner_text()
    deadline = format_local(order.resolution_due_at)
    assert deadline and order.resolution_due_at > timezone.now()
    assert page.locator("[data-test=deadline]").inner_text().strip() == deadline

    # and once the relay has run, the customer has the committed deadline by SMS and e-mail
    relay_all()
    texts = sms_to(sms_gateway)
    assert [t["to"] for t in texts] == [CALL_BACK]
    assert order.order_no in texts[0]["text"] and deadline in texts[0]["text"]
    mails = smtp_server.received
    assert [m.to for m in mails] == [[CUSTOMER_EMAIL]]
    assert order.order_no in mails[0].subject
    assert deadline in mails[0].body

    # when B starts work, and dispatches a task to A's centre (the home region)
    page.select_option("[data-test=to-status]", "in_progress")
    submit(page, "[data-test=transition-submit]")
    assert page.locator("[data-test=order-status]").inner_text().strip() == "处理中"
    dispatch = page.locator("[data-test=task-dispatch]")
    page.locator("details", has=dispatch).locator("summary").click()
    task_due = timezone.localtime() + dt.timedelta(days=1)
    dispatch.locator("select[name=unit_id]").select_option(str(world.centre_a.pk))
    dispatch.locator("input[name=due_at]").fill(task_due.strftime("%Y-%m-%dT%H:%M"))
    dispatch.locator("input[name=title]").fill("归属地核查：杭州侧号码网络参数及漫游配置")
    dispatch.locator("textarea[name=description]").fill("客户在宁波漫游，室内无信号，请核查。")
    submit(page, "[data-test=task-dispatch] button")
    task = InternalTask.objects.get(order=order)
    assert task.assignee_unit == world.centre_a and task.status == InternalTask.Status.OPEN

    # then the customer is told of the progress (work started; A's centre is helping, and
    # they need not call anyone else), by SMS and e-mail
    relay_all()
    texts = sms_to(sms_gateway)
    assert len(texts) == 3 and {t["to"] for t in texts} == {CALL_BACK}
    assert all(order.order_no in t["text"] for t in texts)
    assert "处理中" in texts[1]["text"]
    assert world.centre_a.name in texts[2]["text"] and "无需再联系其他部门" in texts[2]["text"]
    mails = smtp_server.received
    assert len(mails) == 3 and all(m.to == [CUSTOMER_EMAIL] for m in mails)
    assert "处理进展" in mails[1].subject and deadline in mails[1].body
    assert world.centre_a.name in mails[2].subject and deadline in mails[2].body

    # when agent A, on A's own tablet, finds the task in the queue and completes it
    page_a = tablet()
    log_in(page_a, world.agent_a.user.username, next_path="/complaints/")
    my_tasks = page_a.locator("[data-test=my-tasks]")
    assert task.title in my_tasks.inner_text()
    with page_a.expect_navigation():
        my_tasks.locator("a", has_text=order.order_no).click()
    assert page_a.locator("[data-test=transition-form]").count() == 0  # A does not own it
    update = page_a.locator("[data-test=task-update]")
    update.locator("select[name=status]").select_option("done")
    update.locator("input[name=result]").fill(
        "杭州侧已核查：号码漫游配置正常，宁波小区需扩容，已协调"
    )
    submit(page_a, "[data-test=task-update] button")
    assert "任务已更新" in flash(page_a)
    task.refresh_from_db()
    assert task.status == InternalTask.Status.DONE and task.finished_at is not None

    # and the owner sees the task's status and result on the order, then resolves it
    page.reload()
    assert page.locator("[data-test=task-status]").inner_text().strip() == "已完成"
    assert "宁波小区需扩容" in page.locator("[data-test=timeline]").inner_text()
    page.select_option("[data-test=to-status]", "resolved")
    page.fill("[data-test=resolution]", RESULT)
    submit(page, "[data-test=transition-submit]")
    assert page.locator("[data-test=order-status]").inner_text().strip() == "已解决"

    # then the customer receives the result, then the survey link, by SMS and by e-mail
    relay_all()
    texts = sms_to(sms_gateway)
    assert len(texts) == 5 and {t["to"] for t in texts} == {CALL_BACK}
    assert RESULT in texts[3]["text"]
    sms_link = survey_link(texts[4]["text"], public_links)
    assert sms_link is not None
    mails = smtp_server.received
    assert len(mails) == 5 and all(m.to == [CUSTOMER_EMAIL] for m in mails)
    assert RESULT in mails[3].body and "处理结果" in mails[3].subject
    assert survey_link(mails[4].body, public_links) == sms_link

    # when the customer opens the survey link on their phone (no login) and answers
    phone = tablet(phone=True)
    phone.goto(sms_link)
    assert order.order_no in phone.locator("[data-test=survey]").inner_text()
    phone.check("input[name=csat][value='5']")
    phone.check("input[name=solved][value=yes]")
    phone.fill("textarea[name=comment]", "宁波客服一直跟进，没让我来回跑")
    submit(phone, "[data-test=survey-submit]")
    assert phone.locator("[data-test=survey-done]").is_visible()

    # and B records the revisit (回访) on the order page: solved
    page.reload()
    revisit_form = page.locator("[data-test=revisit-form]")
    revisit_form.locator("input[name=outcome][value=solved]").check()
    revisit_form.locator("input[name=notes]").fill("客户确认信号已恢复")
    submit(page, "[data-test=revisit-form] button")

    # then the order is closed, owned by B from the first contact to the end
    assert page.locator("[data-test=order-status]").inner_text().strip() == "已关闭"
    order.refresh_from_db()
    assert order.status == Status.CLOSED
    assert order.owner_unit == world.centre_b and order.owner_staff == world.agent_b
    assert not HandOver.objects.filter(order=order).exists()
    assert order.resolution == RESULT
    assert order.received_at <= order.in_progress_at <= order.resolved_at <= order.closed_at
    path = list(
        StatusChange.objects.filter(order=order)
        .order_by("at", "id")
        .values_list("to_status", flat=True)
    )
    assert path == [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
    revisit = Revisit.objects.get(order=order)
    assert revisit.outcome == Revisit.Outcome.SOLVED and revisit.done_by == world.agent_b.user
    survey = Survey.objects.get(order=order)
    assert (survey.csat, survey.solved) == (5, True)
    assert survey.agent == world.agent_b and survey.team == world.centre_b

    # and every notice about the order went out once, to the customer only, on both channels
    relay_all()
    notices = list(messages_for(related=order))
    assert {n.status for n in notices} == {OutboxMessage.Status.SENT}
    assert {(n.channel, n.recipient) for n in notices} == {
        ("sms", CALL_BACK),
        ("email", CUSTOMER_EMAIL),
    }
    assert len(sms_gateway.delivered) == len(sms_to(sms_gateway)) == 5
    assert len(sms_gateway.requests) == 5  # no retries, no duplicates
    assert all(r.signature_ok for r in sms_gateway.requests)
    assert len({m.idempotency_key for m in smtp_server.received}) == len(smtp_server.received) == 5
