"""The 比算 page at /retention/compare/: form, HTMX partial, table, chart, read-out."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import PASSWORD, make_staff
from wanliu.org.models import Role

pytestmark = pytest.mark.django_db

URL = "/retention/compare/"

WORKED_EXAMPLE = {
    "current_monthly": "129",
    "horizon_months": "24",
    "offer1_discount_pct": "30",
    "offer1_months": "12",
    "competitor_promo_monthly": "59",
    "competitor_promo_months": "12",
    "competitor_monthly": "118",
}


def _month_rows(html: str) -> list[list[str]]:
    table = html[html.index('data-test="monthly-table"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr.*?</tr>", body, re.S)
    ]


@pytest.fixture
def clerk_browser():
    staff = make_staff(Role.CLERK)
    client = Client()
    assert client.login(username=staff.user.username, password=PASSWORD)
    return client, staff


def test_anonymous_is_sent_to_login():
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_empty_page_shows_the_form_and_loads_plotly_offline(clerk_browser):
    client, _ = clerk_browser
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="compare-form"' in html
    assert 'hx-get="/retention/compare/"' in html
    assert 'hx-target="#comparison-result"' in html
    assert '<script src="/static/plotly/plotly.min.js">' in html
    assert 'data-test="compare-hint"' in html
    assert 'data-test="comparison-table"' not in html
    # zh-hans is the default interface language: the labels are translated
    assert "比算" in html
    assert "现在月费（元）" in html


def test_worked_example_full_page(clerk_browser):
    client, _ = clerk_browser
    response = client.get(URL, WORKED_EXAMPLE)
    assert response.status_code == 200
    html = response.content.decode()
    # the table: stay 3096.00, the 30 % offer 2631.60, the competitor 2124.00
    assert 'data-test="total-stay">3096.00<' in html
    assert 'data-test="total-offer">2631.60<' in html
    assert 'data-test="total-competitor">2124.00<' in html
    assert "打七折，优惠12个月" in html
    # the read-out, Chinese first for a Chinese interface, English too
    zh_at = html.index('data-test="explanation-zh-hans"')
    en_at = html.index('data-test="explanation-en"')
    assert zh_at < en_at
    assert "竞争对手前12个月每月59元，之后每月118元；24个月共计2124元。" in html
    assert "We give you 30% off" in html
    # no break-even within 24 months; the chart is drawn in place
    assert "24个月内没有平衡点" in html
    assert 'id="comparison-chart"' in html
    assert "Plotly.newPlot" in html
    # the month table: month, stay, offer, competitor, kept cumulative, competitor cumulative
    rows = _month_rows(html)
    assert len(rows) == 24
    assert rows[11] == ["12", "129.00", "90.30", "59.00", "1083.60", "708.00"]
    assert rows[12] == ["13", "129.00", "129.00", "118.00", "1212.60", "826.00"]
    assert rows[23] == ["24", "129.00", "129.00", "118.00", "2631.60", "2124.00"]


def test_htmx_request_gets_only_the_result(clerk_browser):
    client, _ = clerk_browser
    response = client.get(URL, WORKED_EXAMPLE, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="compare-form"' not in html
    assert 'data-test="total-offer">2631.60<' in html
    assert 'id="comparison-chart"' in html


def test_break_even_and_second_offer(clerk_browser):
    client, _ = clerk_browser
    params = {
        **WORKED_EXAMPLE,
        "competitor_promo_months": "6",
        "offer1_months": "24",
        "offer2_discount_pct": "10",
        "offer2_months": "24",
    }
    html = client.get(URL, params, HTTP_HX_REQUEST="true").content.decode()
    # by hand (test_comparison.py): break-even in month 13, the 30 % offer is best
    assert "第13个月" in html
    assert 'class="break-even"' in html
    assert html.count('data-kind="offer"') == 2
    assert "最优惠" in html


def test_invalid_input_shows_the_field_error(clerk_browser):
    client, _ = clerk_browser
    params = {**WORKED_EXAMPLE, "offer1_discount_pct": "130", "horizon_months": "0"}
    response = client.get(URL, params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-test="compare-errors"' in html
    assert 'data-field="offer1_discount_pct"' in html
    assert 'data-field="horizon_months"' in html
    assert 'data-test="comparison-table"' not in html


def test_discount_without_months_is_refused(clerk_browser):
    client, _ = clerk_browser
    params = {**WORKED_EXAMPLE}
    del params["offer1_months"]
    html = client.get(URL, params, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-field="offer1_months"' in html
    assert "优惠持续几个月？" in html


def test_english_interface_puts_english_first(clerk_browser):
    client, staff = clerk_browser
    staff.language = "en"
    staff.save(update_fields=["language"])
    html = client.get(URL, WORKED_EXAMPLE).content.decode()
    assert html.index('data-test="explanation-en"') < html.index('data-test="explanation-zh-hans"')
    assert "30% off for 12 months" in html
    assert "Current monthly fee (yuan)" in html
    assert "No break-even within 24 months" in html
