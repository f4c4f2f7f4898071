"""The review on a small generated operator, and the report CLI against the same tables."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.analytics import naive
from wanliu.analytics import figures
from wanliu.analytics.review import TABLES, monthly_review
from wanliu.customers.models import Line
from wanliu.org.models import OrgUnit

pytestmark = pytest.mark.django_db

MONTH = dt.date(2026, 9, 1)


@pytest.fixture
def generated(db):
    call_command(
        "generate",
        lines=300,
        months=4,
        seed=1,
        as_of="2026-11-05",
        no_progress=True,
        stdout=io.StringIO(),
    )


def test_generated_operator_churn_matches_naive_loops(generated):
    # given a generated operator with churned lines
    assert Line.objects.filter(cancelled_on__gte=dt.date(2026, 8, 1)).exists()
    lines = figures.lines_frame()
    for month in (dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)):
        for by, key in [
            ("total", lambda line: "total"),
            ("value_tier", lambda line: line.account.customer.value_tier),
            (
                "plan_family",
                lambda line: line.subscription.plan.family if line.subscription else "none",
            ),
        ]:
            table = figures.churn_rates(lines=lines, month=month, by=by)
            expected = naive.churn(month, key=key)
            mom = naive.churn_mom(month, key=key)
            for k, (active, gone, rate) in expected.items():
                row = table[table["key"] == k].iloc[0]
                assert (row.active_at_start, row.disconnected) == (active, gone), (month, by, k)
                if rate is None:
                    assert pd.isna(row.churn_rate)
                else:
                    assert row.churn_rate == pytest.approx(rate)
                if mom[k] is None:
                    assert pd.isna(row.mom_change)
                else:
                    assert row.mom_change == pytest.approx(mom[k])


def test_generated_operator_branches_add_up_to_the_operator(generated):
    # when each top-level unit is reviewed on its own, its lines add up to the whole
    whole = monthly_review(month=MONTH)
    total = whole["churn_total"].iloc[0]
    by_unit = whole["churn_by_unit"]
    assert by_unit["active_at_start"].sum() == total.active_at_start
    assert by_unit["disconnected"].sum() == total.disconnected
    for path in by_unit["key"]:
        expected = naive.churn(MONTH, unit_path=path)["total"]
        row = by_unit[by_unit["key"] == path].iloc[0]
        assert (row.active_at_start, row.disconnected) == expected[:2]


def _frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True).astype(str), right.reset_index(drop=True).astype(str)
    )


def test_cli_xlsx_has_one_sheet_per_table_with_the_review_numbers(generated, tmp_path):
    # when the report is written as XLSX
    out = tmp_path / "review.xlsx"
    call_command("report", "monthly", "--month", "2026-09", "--format", "xlsx", "--out", str(out))
    # then each table is a sheet with the review's numbers
    expected = monthly_review(month=MONTH)
    workbook = load_workbook(out)
    assert workbook.sheetnames == list(TABLES)
    for name in TABLES:
        rows = list(workbook[name].values)
        sheet = pd.DataFrame(rows[1:], columns=rows[0])
        table = expected[name]
        assert list(sheet.columns) == list(table.columns)
        assert len(sheet) == len(table)
        for column in table.columns:
            for got, want in zip(sheet[column], table[column], strict=True):
                if pd.isna(want):
                    assert pd.isna(got)
                elif isinstance(want, (int, float, Decimal, np.number)):
                    assert float(got) == pytest.approx(float(want))
                else:
                    assert str(got) == str(want)


def test_cli_csv_is_a_zip_of_one_file_per_table_scoped_to_a_unit(generated, tmp_path):
    unit = OrgUnit.objects.filter(parent__isnull=False).order_by("path").first()
    assert unit is not None
    out = tmp_path / "review.zip"
    call_command(
        "report",
        "monthly",
        "--month",
        "2026-09",
        "--format",
        "csv",
        "--out",
        str(out),
        "--unit",
        str(unit.pk),
    )
    expected = monthly_review(month=MONTH, unit_path=unit.path)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in TABLES)
        for name in TABLES:
            got = pd.read_csv(archive.open(f"{name}.csv"), dtype=str, keep_default_na=False)
            want = pd.read_csv(
                io.StringIO(expected[name].to_csv(index=False)), dtype=str, keep_default_na=False
            )
            _frames_equal(got, want)


def test_cli_html_lists_every_table(generated):
    out = io.StringIO()
    call_command("report", "monthly", "--month", "2026-09", "--format", "html", stdout=out)
    html = out.getvalue()
    for name in TABLES:
        assert f"id='{name}'" in html


def test_cli_refuses_a_bad_month_and_an_unknown_unit(db):
    with pytest.raises(CommandError):
        call_command("report", "monthly", "--month", "2026/09")
    with pytest.raises(CommandError):
        call_command("report", "monthly", "--month", "2026-09", "--unit", "999999")
