"""The monthly review page: scoping, drill-down, exports equal to the CLI's numbers."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tests.analytics.crafted import add_complaints, add_lines, build_org, local
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/analytics/monthly/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org():
    org = build_org()
    add_lines(store=org.store_a, count=10, activated_on=dt.date(2025, 1, 1))
    add_lines(
        store=org.store_a,
        count=2,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 3),
    )
    add_lines(store=org.store_b, count=20, activated_on=dt.date(2025, 1, 1))
    add_lines(
        store=org.store_b,
        count=5,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 13),
    )
    add_complaints(
        store=org.store_b,
        category="cancellation-refused",
        count=3,
        received_at=local(2026, 9, 3, 10),
    )
    return org


def _login(client, staff):
    assert client.login(username=staff.user.username, password=PASSWORD)


def test_supervisor_sees_every_branch_and_drills_down(client, org, staff_of):
    _login(client, staff_of("service_supervisor", unit=org.city))
    page = client.get(URL, {"month": "2026-09"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "西湖" in html and "拱墅" in html
    assert 'src="/static/plotly/plotly.min.js"' in html
    # when drilling into branch B with HTMX, the fragment shows its grid only
    part = client.get(URL, {"month": "2026-09", "unit": org.branch_b.pk}, HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert "<html" not in body
    assert "网格B" in body and "网格A" not in body


def test_branch_manager_sees_only_their_branch(client, org, staff_of):
    _login(client, staff_of("branch_manager", unit=org.branch_a))
    html = client.get(URL, {"month": "2026-09"}).content.decode()
    assert "网格A" in html and "拱墅" not in html and "网格B" not in html
    assert client.get(URL, {"month": "2026-09", "unit": org.branch_b.pk}).status_code == 404
    assert (
        client.get(URL + "export/", {"month": "2026-09", "unit": org.branch_b.pk}).status_code
        == 404
    )


def test_clerk_and_anonymous_cannot_open_the_review(client, org, staff_of):
    assert client.get(URL).status_code == 302
    _login(client, staff_of("clerk", store=org.store_a))
    assert client.get(URL, {"month": "2026-09"}).status_code == 404


def test_page_export_equals_the_cli_report(client, org, staff_of, tmp_path):
    _login(client, staff_of("service_supervisor", unit=org.city))
    response = client.get(
        URL + "export/", {"month": "2026-09", "format": "xlsx", "unit": org.city.pk}
    )
    assert response.status_code == 200
    page_book = load_workbook(io.BytesIO(response.content))
    out = tmp_path / "cli.xlsx"
    call_command(
        "report",
        "monthly",
        "--month",
        "2026-09",
        "--format",
        "xlsx",
        "--out",
        str(out),
        "--unit",
        str(org.city.pk),
    )
    cli_book = load_workbook(out)
    assert page_book.sheetnames == cli_book.sheetnames
    for name in cli_book.sheetnames:
        assert list(page_book[name].values) == list(cli_book[name].values)
    total = list(page_book["churn_total"].values)
    header, row = total[0], total[1]
    assert dict(zip(header, row, strict=True))["disconnected"] == 7
    one = client.get(
        URL + "export/", {"month": "2026-09", "format": "csv", "table": "cancellation_complaints"}
    )
    assert one.content.decode().splitlines()[1].startswith("3,0,,3,100.0")
