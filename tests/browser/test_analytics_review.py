"""The monthly review in a real browser (Chromium): the service supervisor drills from the
operator down to a store that refused a cancellation and opens the refused request; exports
the review as XLSX and finds the page's numbers in it; the branch manager sees only their
branch."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from openpyxl import load_workbook

from tests.analytics.crafted import add_complaints, add_lines, build_org, desk_september, local
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.complaints.world import seed_policy
from tests.factories import make_staff
from wanliu.org.models import Role
from wanliu.retention.models import CancellationRequest

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def snapshots_built_at_once(settings: Any) -> None:
    """No worker runs here: the first look at a month builds its snapshot in the request."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _seed() -> None:
    """The data the migrations seed (another transactional test may have flushed it)."""
    seed_policy()
    importlib.import_module("wanliu.analytics.migrations.0003_seed_policy").seed(django_apps, None)


@pytest.fixture
def operator(transactional_db: None) -> Any:
    _seed()
    org = build_org()
    add_lines(store=org.store_a, count=40, activated_on=dt.date(2025, 1, 1))
    add_lines(
        store=org.store_a,
        count=3,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 3),
    )
    add_lines(store=org.store_b, count=30, activated_on=dt.date(2025, 1, 1))
    add_lines(
        store=org.store_b,
        count=4,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 13),
    )
    add_complaints(
        store=org.store_a,
        category="cancellation-refused",
        count=4,
        received_at=local(2026, 9, 9, 10),
    )
    add_complaints(
        store=org.store_b, category="network-speed", count=2, received_at=local(2026, 9, 9, 11)
    )
    desk_september(org)
    make_staff(Role.SERVICE_SUPERVISOR, unit=org.city, username="supervisor")
    make_staff(Role.BRANCH_MANAGER, unit=org.branch_a, username="xihu_manager")
    return org


@pytest.fixture
def second_page(browser: Any, live_server: Any) -> Iterator[Any]:
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


def _cells(page: Any, table: str) -> dict[str, str]:
    """The first row of a review table on the page, by column."""
    row = page.locator(f"#table-{table} tbody tr").first
    return {
        cell.get_attribute("data-col"): cell.inner_text().strip()
        for cell in row.locator("td").all()
    }


def _sheet_row(book: Any, name: str) -> dict[str, Any]:
    rows = list(book[name].values)
    return dict(zip(rows[0], rows[1], strict=True))


def test_supervisor_drills_down_to_a_refused_request_and_exports_the_same_numbers(
    page, operator, tmp_path
):
    org = operator
    # given the service supervisor opens the September review of the whole operator
    log_in(page, "supervisor", next_path="/analytics/monthly/?month=2026-09")
    page.locator("#drill").wait_for(state="visible")
    assert "月度" in page.locator("h1").inner_text() or page.locator("h1").count() == 1
    summary = _cells(page, "retention_summary")
    assert summary["requests"] == "20"
    assert summary["success_rate"] == "80"
    assert summary["missing_steps_share"] == "35"
    churn = _cells(page, "churn_total")
    assert churn["disconnected"] == "7"
    # when they drill down: the city, then the branch 西湖, whose grid shows
    page.locator("#drill a", has_text="市公司").click()
    page.locator("#drill a", has_text="西湖").wait_for(state="visible")
    page.locator("#drill a", has_text="西湖").click()
    page.locator("#drill a", has_text="网格A").wait_for(state="visible")
    assert page.locator("#drill", has_text="拱墅").count() == 0
    # then the store that refused, from the retention table, then the refused request
    with page.expect_navigation():
        page.locator("#table-retention_by_store a", has_text="西湖厅").click()
    refused = CancellationRequest.objects.get(refusal_flagged_at__isnull=False)
    link = page.locator(f"a[href='/retention/requests/{refused.pk}/']")
    assert link.count() == 1
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/retention/requests/{refused.pk}/")
    assert refused.request_no in page.content()
    # when they export the whole review as XLSX from the operator's page
    page.goto("/analytics/monthly/?month=2026-09")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    path = tmp_path / "review.xlsx"
    download.value.save_as(path)
    # then the file opens with the numbers the page shows
    book = load_workbook(path)
    sheet = _sheet_row(book, "retention_summary")
    assert sheet["requests"] == int(summary["requests"])
    assert sheet["success_rate"] == pytest.approx(float(summary["success_rate"]))
    assert sheet["missing_steps_share"] == pytest.approx(float(summary["missing_steps_share"]))
    assert sheet["offer_cost"] == pytest.approx(float(summary["offer_cost"]))
    assert _sheet_row(book, "churn_total")["disconnected"] == int(churn["disconnected"])
    complaints = _cells(page, "cancellation_complaints")
    assert _sheet_row(book, "cancellation_complaints")["count"] == int(complaints["count"]) == 4
    assert len(book["churn_by_unit"]._charts) == 1
    del org


def test_branch_manager_sees_only_their_branch(second_page, operator):
    org = operator
    page = second_page
    log_in(page, "xihu_manager", next_path="/analytics/monthly/?month=2026-09")
    page.locator("#drill").wait_for(state="visible")
    drill = page.locator("#drill").inner_text()
    assert "网格A" in drill and "拱墅" not in drill and "网格B" not in drill
    assert "西湖" in page.locator("#review-head h2").inner_text()
    # the branch's own figures: the requests handled in it
    assert _cells(page, "retention_summary")["requests"] == "9"
    # another branch answers 404
    response = page.goto(f"/analytics/monthly/?month=2026-09&unit={org.branch_b.pk}")
    assert response.status == 404
