"""The retention desk in a real browser (Chromium): the worked example of the domain brief
from "I want to cancel" to "retained with 30% off", with the comparison and a level-2 offer
approved by the branch manager on their own tablet; and a customer who insists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.retention.world import World, world_create
from wanliu.core.models import AuditEvent
from wanliu.customers.models import Line
from wanliu.retention.models import CancellationRequest, OfferGrant, RetentionContact, Status

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(transactional_db: None) -> World:
    return world_create()


@pytest.fixture
def second_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """Another tablet (its own cookies): the branch manager's."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1024, "height": 768},
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def _desk_swap(page: Any, click_selector: str, done_selector: str) -> None:
    """Click a desk button; htmx swaps the desk; wait for the sign that it is recorded."""
    page.click(click_selector)
    page.locator(done_selector).wait_for(state="visible")


def test_worked_example_retained_with_a_level2_offer(page, second_page, world, tmp_path):
    # given the clerk of the direct-operated store at the counter, and the customer who
    # pays 129 yuan for 3 lines, 300M broadband and TV, tempted by 中国移动's 59 yuan
    log_in(page, "clerk", next_path="/retention/new/")

    # when the customer says "I want to cancel": the clerk finds them and opens a request
    page.fill("[data-test=customer-search]", "王秀英")
    page.locator("[data-test=pick-customer]").first.wait_for(state="visible")
    with page.expect_navigation():
        page.click("[data-test=pick-customer]")
    page.check("[data-test=target-subscription-FAM129]")
    page.select_option("select[name=kind]", "cancel")
    with page.expect_navigation():
        page.click("[data-test=open-request]")
    request = CancellationRequest.objects.get(customer=world.customer)
    assert page.url.endswith(f"/retention/requests/{request.pk}/")
    assert page.locator("[data-test=status]").inner_text().strip() == "已受理"

    # step 1: calm the customer, write down what they say
    step1 = page.locator("[data-test=step-1]")
    step1.locator("textarea[name=stated_complaint]").fill("移动给我59元一个月，你们要129，我要拆机")
    step1.locator("input[name=mood][value=angry]").check()
    _desk_swap(page, "[data-test=record-calm]", "[data-test=step-1-done]")

    # step 2: the consumption is on the screen: 6 years on the network, the 129 bundle
    step2 = page.locator("[data-test=step-2]")
    assert "6" in step2.locator("[data-test=tenure]").inner_text()
    bundle = step2.locator("[data-test=bundle]").inner_text()
    assert "129.00" in bundle and "300M" in bundle
    assert step2.locator("[data-test=mobile-lines]").inner_text().strip() == "3"
    assert step2.locator("[data-test=bills] tbody tr").count() == 3
    step2.locator("input[name=reviewed_with_customer]").check()
    _desk_swap(page, "[data-test=record-consumption]", "[data-test=step-2-done]")

    # step 3: the competitor's offer is prefilled from this month's promotion in the grid
    step3 = page.locator("[data-test=step-3]")
    assert step3.locator("[data-test=promotion-prefilled]").is_visible()
    assert step3.locator("input[name=competitor_promo_monthly]").input_value() == "59.00"
    assert step3.locator("input[name=competitor_promo_months]").input_value() == "12"
    assert step3.locator("input[name=competitor_regular_monthly]").input_value() == "118.00"
    step3.locator("select[name=reason]").select_option("competitor_offer")
    _desk_swap(page, "[data-test=record-reason]", "[data-test=step-3-done]")
    assert page.locator("[data-test=route-compare]").is_visible()

    # step 4: compare over 36 months: 129 a month, the competitor 59 x 12 then 118, and
    # the level-2 offer of 30% off for 36 months (90.30 a month)
    step4 = page.locator("[data-test=step-4]")
    horizon = step4.locator("[data-test=horizon]")
    horizon.fill("36")
    with page.expect_response(lambda r: "/comparison/" in r.url):
        horizon.dispatch_event("change")
    result = page.locator("[data-test=desk-comparison]")
    result.locator("text=36").first.wait_for(state="visible")
    assert result.locator("[data-test=total-stay]").inner_text() == "4644.00"
    assert result.locator("[data-test=total-competitor]").inner_text() == "3540.00"
    assert result.locator("tr.best [data-test=total-offer]").inner_text() == "3250.80"
    assert "26" in result.locator("[data-test=break-even]").inner_text()
    explanation = result.locator("[data-test=explanation-zh-hans]").inner_text()
    assert "118" in explanation and "第26个月" in explanation
    offers = step4.locator("[data-test=offers]")
    assert "¥90.30" in offers.locator("[data-test=offer-T-L2-30OFF36]").inner_text()
    step4.locator("textarea[name=words_used]").fill(
        "59元只是携转新用户前12个月的价格，之后118元才是真实价格；转网后再转回来很慢。"
        "我们给您申请月费七折，每月90.30元，36个月。"
    )
    _desk_swap(page, "[data-test=record-compare]", "[data-test=step-4-done]")
    page.screenshot(path=str(tmp_path / "desk-compared.png"), full_page=True)

    # the clerk may not grant the level-2 offer: they ask the branch for approval
    assert page.locator("[data-test=grant-T-L2-30OFF36]").count() == 0
    page.fill("[data-test=approval-note-T-L2-30OFF36]", "竞对携转低价，客户在网6年")
    _desk_swap(page, "[data-test=ask-approval-T-L2-30OFF36]", "[data-grant-status=pending]")

    # when the branch manager opens the approval queue on their tablet and approves
    log_in(second_page, "manager", next_path="/retention/approvals/")
    assert second_page.locator("[data-test=pending-approvals]").inner_text().strip() == "1"
    row = second_page.locator("[data-test=approval-row]")
    assert "90.30" in row.inner_text() and request.request_no in row.inner_text()
    # the queue filters in place: a number nobody waits for, then the request's own
    search = second_page.locator("[data-test=approval-filters] input[name=q]")
    with second_page.expect_response(lambda r: "/retention/approvals/?" in r.url):
        search.fill("NOBODY")
        search.press("Enter")
    second_page.locator("[data-test=approval-queue-empty]").wait_for(state="visible")
    assert (
        "没有符合筛选条件" in second_page.locator("[data-test=approval-queue-empty]").inner_text()
    )
    with second_page.expect_response(lambda r: "/retention/approvals/?" in r.url):
        search.fill(request.request_no)
        search.press("Enter")
    row.wait_for(state="visible")
    row.locator("[data-test=approve]").click()
    second_page.locator("[data-test=decision]").wait_for(state="visible")
    assert second_page.locator("[data-test=decision]").inner_text().strip() == "已批准"
    second_page.screenshot(path=str(tmp_path / "approval-queue.png"), full_page=True)

    # then the clerk sees the approval and the customer accepts: retained with the offer
    page.reload()
    page.locator("[data-grant-status=approved]").wait_for(state="visible")
    _desk_swap(page, "[data-test=accept-grant-T-L2-30OFF36]", "[data-test=new-fee]")
    assert page.locator("[data-test=new-fee]").inner_text() == "¥90.30"
    assert page.locator("#desk").get_attribute("data-status") == Status.RETAINED_WITH_OFFER

    # step 5: care: the clerk adds the customer on enterprise WeChat for a follow-up
    step5 = page.locator("[data-test=step-5]")
    step5.locator("select[name=channel]").select_option("wecom")
    step5.locator("input[name=note]").fill("企业微信回访：确认七折已生效")
    _desk_swap(page, "[data-test=record-care]", "[data-test=step-5-done]")
    _desk_swap(page, "[data-test=close]", "#desk[data-status=closed]")
    page.screenshot(path=str(tmp_path / "desk-closed.png"), full_page=True)

    # and everything is on record: the grant approved by the manager, the steps, the audit
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert request.outcome == Status.RETAINED_WITH_OFFER
    grant = OfferGrant.objects.get(request=request)
    assert grant.status == OfferGrant.Status.APPROVED
    assert grant.decided_by == world.manager.user
    assert str(grant.new_monthly_fee) == "90.30"
    assert sorted(request.step_records.values_list("step", flat=True)) == [1, 2, 3, 4, 5]
    assert RetentionContact.objects.get(request=request).channel == "wecom"
    actions = set(
        AuditEvent.objects.filter(object_id=str(request.pk)).values_list("action", flat=True)
    )
    assert {
        "retention.request.open",
        "retention.step4.record",
        "retention.request.transition",
    } <= actions
    print(f"\nscreenshots: {tmp_path}")


def test_customer_who_insists_is_cancelled_in_the_same_visit(page, world):
    # given a request opened at the direct-operated store
    log_in(page, "clerk", next_path=f"/retention/new/?customer={world.customer.pk}")
    with page.expect_navigation():
        page.click("[data-test=open-request]")
    step1 = page.locator("[data-test=step-1]")
    step1.locator("textarea[name=stated_complaint]").fill("我就是要拆，不用多说")
    step1.locator("input[name=mood][value=upset]").check()
    _desk_swap(page, "[data-test=record-calm]", "[data-test=step-1-done]")

    # when the customer insists
    page.once("dialog", lambda dialog: dialog.accept())
    _desk_swap(page, "[data-test=insist]", "#desk[data-status=cancelled]")

    # then the cancellation is processed in this visit; step 6 leaves the door open
    request = CancellationRequest.objects.get(customer=world.customer)
    assert request.status == Status.CANCELLED and request.insisted_at is not None
    step6 = page.locator("[data-test=step-6]")
    step6.locator("input[name=contact_channel]").fill("电话")
    _desk_swap(page, "[data-test=record-part-well]", "[data-test=win-back]")
    _desk_swap(page, "[data-test=close]", "#desk[data-status=closed]")

    # and the bundle's lines are cancelled today: the customer 360 shows them so
    today = timezone.localdate()
    assert set(
        Line.objects.filter(subscription=world.bundle).values_list("status", "cancelled_on")
    ) == {(Line.Status.CANCELLED, today)}
    page.goto(f"/customers/{world.customer.pk}/")
    lines = page.locator("[data-test=lines]")
    assert lines.locator(".badge.cancelled").count() == len(world.lines)
    assert today.isoformat() in lines.inner_text()
