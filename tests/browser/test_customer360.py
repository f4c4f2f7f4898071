"""A clerk at the counter opens the customer 360 in a real browser (Chromium)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.customers.test_pages import MASKED_ID, NATIONAL_ID, customer_with_history
from tests.factories import OrgUnitFactory, StoreFactory, make_staff
from wanliu.core.models import AuditEvent
from wanliu.org.models import OrgUnit, Role

pytestmark = pytest.mark.browser


@pytest.fixture
def stores(transactional_db: None) -> dict[str, Any]:
    branch = OrgUnitFactory(kind=OrgUnit.Kind.BRANCH)
    grid_a = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, region=branch.region)
    grid_b = OrgUnitFactory(kind=OrgUnit.Kind.GRID, parent=branch, region=branch.region)
    return {"a": StoreFactory(unit=grid_a), "b": StoreFactory(unit=grid_b)}


def test_clerk_logs_in_and_reads_the_360_in_chinese_and_english(page, stores, tmp_path):
    # given a clerk of store A and a customer of A with bills, 12 months of usage, contacts
    clerk = make_staff(Role.CLERK, store=stores["a"])
    history = customer_with_history(store=stores["a"])
    url = f"/customers/{history.customer.pk}/"

    # when the clerk logs in through the login page and lands on the 360 page
    log_in(page, clerk.user.username, next_path=url)

    # then it is in Chinese, with the last 3 bills, the contacts and a drawn Plotly chart
    assert page.url.endswith(url)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.locator("#usage-chart svg.main-svg").first.wait_for(state="visible")
    bills = page.locator("[data-test=bills]")
    for total in history.bill_totals:
        assert f"¥{total}" in bills.inner_text()
    assert history.old_bill_total not in page.content()
    contacts = page.locator("[data-test=contacts]")
    assert history.latest_note in contacts.inner_text()
    assert page.get_by_role("heading", name="近3个月账单").is_visible()
    assert page.get_by_text(MASKED_ID).is_visible()
    assert NATIONAL_ID not in page.content()
    assert page.locator("[data-test=reveal-id]").count() == 0
    page.screenshot(path=str(tmp_path / "customer360-zh.png"), full_page=True)

    # when the clerk switches to English
    with page.expect_navigation():
        page.click("[data-test=lang-en]")

    # then the same page shows English labels and the chart is drawn again
    assert page.url.endswith(url)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Bills, last 3 months").is_visible()
    assert page.get_by_role("heading", name="Latest contacts").is_visible()
    page.locator("#usage-chart svg.main-svg").first.wait_for(state="visible")
    assert "Data (GB)" in page.locator("#usage-chart").inner_text()
    page.screenshot(path=str(tmp_path / "customer360-en.png"), full_page=True)

    # when the clerk switches back to Chinese
    with page.expect_navigation():
        page.click("[data-test=lang-zh]")

    # then the Chinese labels are back
    assert page.get_by_role("heading", name="近3个月账单").is_visible()
    assert page.get_by_role("heading", name="Bills, last 3 months").count() == 0
    print(f"\nscreenshots: {tmp_path}")


def test_clerk_of_another_store_gets_404(page, stores):
    # given a customer of store A and a clerk of store B
    history = customer_with_history(store=stores["a"])
    outsider = make_staff(Role.CLERK, store=stores["b"])
    log_in(page, outsider.user.username)

    # when the clerk of B opens the customer's 360 page
    response = page.goto(f"/customers/{history.customer.pk}/")

    # then it does not exist for them and nothing of it shows
    assert response is not None and response.status == 404
    assert history.customer.name not in page.content()
    assert history.latest_note not in page.content()


def test_search_updates_as_the_clerk_types(page, stores):
    # given a clerk of store A and the customer of A
    clerk = make_staff(Role.CLERK, store=stores["a"])
    history = customer_with_history(store=stores["a"])
    log_in(page, clerk.user.username, next_path="/customers/")

    # when the clerk types the start of the mobile number (no submit)
    page.fill("input[name=q]", "1330057")

    # then htmx swaps the results in place and updates the address, and the row links the 360
    link = page.locator("#results").get_by_role("link", name=history.customer.name)
    link.wait_for(state="visible")
    page.wait_for_url(re.compile(r"q=1330057"))
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/customers/{history.customer.pk}/")


def test_supervisor_reveals_the_national_id_and_it_is_audited(page, stores):
    # given a service supervisor on a customer's 360 page
    history = customer_with_history(store=stores["a"])
    supervisor = make_staff(Role.SERVICE_SUPERVISOR)
    log_in(page, supervisor.user.username, next_path=f"/customers/{history.customer.pk}/")
    assert page.get_by_text(MASKED_ID).is_visible()

    # when the supervisor presses "show"
    page.click("[data-test=reveal-id]")

    # then the full ID replaces the masked one in place, and the read is in the audit trail
    page.get_by_text(NATIONAL_ID).wait_for(state="visible")
    assert page.locator("[data-test=reveal-id]").count() == 0
    reads = AuditEvent.objects.filter(
        action="customer.national_id.read", object_id=str(history.customer.pk)
    )
    assert list(reads.values_list("actor_id", flat=True)) == [supervisor.user.pk]
