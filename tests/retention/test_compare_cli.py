"""``wanliu retention compare``: the cost comparison from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

WORKED_EXAMPLE = [
    "--current-monthly", "129",
    "--offer-discount-pct", "30",
    "--offer-months", "12",
    "--competitor-promo-monthly", "59",
    "--competitor-promo-months", "12",
    "--competitor-monthly", "118",
    "--switching-cost", "0",
    "--horizon-months", "24",
]  # fmt: skip


def run(*args: str) -> str:
    out = StringIO()
    call_command("retention", "compare", *args, stdout=out)
    return out.getvalue()


def test_worked_example_prints_one_json_object():
    output = run(*WORKED_EXAMPLE, "--json")
    body = json.loads(output)  # the whole output is one JSON object
    # hand-computed in test_comparison.py::test_worked_example_totals_by_hand
    assert body["stay_total"] == "3096.00"
    assert body["offer_total"] == "2631.60"
    assert body["competitor_total"] == "2124.00"
    assert body["break_even_month"] is None
    assert body["monthly"]["stay"] == ["129.00"] * 24
    assert body["monthly"]["offer"] == ["90.30"] * 12 + ["129.00"] * 12
    assert body["monthly"]["competitor"] == ["59.00"] * 12 + ["118.00"] * 12
    assert body["explanation_zh"].startswith("竞争对手前12个月每月59元")
    assert body["explanation_en"].startswith("The competitor charges 59 yuan")


def test_switching_cost_breakdown_and_break_even():
    body = json.loads(
        run(
            "--current-monthly",
            "129",
            "--offer-discount-pct",
            "30",
            "--offer-months",
            "24",
            "--competitor-promo-monthly",
            "59",
            "--competitor-promo-months",
            "6",
            "--competitor-monthly",
            "118",
            "--horizon-months",
            "24",
            "--json",
        )
    )
    assert body["break_even_month"] == 13
    body = json.loads(
        run(
            *WORKED_EXAMPLE,
            "--installation-fee",
            "100",
            "--device-cost",
            "30",
            "--early-termination-fee",
            "200",
            "--lost-points-value",
            "15.50",
            "--bundle-breakup-monthly",
            "20",
            "--json",
        )
    )
    # 59 + 20 + 345.50 = 424.50 in month 1; 79 in months 2-12; 138 in 13-24
    assert body["monthly"]["competitor"][0] == "424.50"
    assert body["competitor_total"] == "2949.50"  # 424.50 + 11 x 79 + 12 x 138
    assert body["competitor"]["switching"]["total"] == "345.50"
    assert body["break_even_month"] == 1


def test_without_an_offer_compares_staying():
    body = json.loads(run("--current-monthly", "129", "--competitor-monthly", "99", "--json"))
    assert body["offer_total"] is None
    assert body["break_even_against"] == "stay"
    assert body["competitor_total"] == "2376.00"  # 24 x 99


def test_table_output_without_json():
    output = run(*WORKED_EXAMPLE)
    assert "2631.60" in output
    assert "我们给您打七折" in output
    assert "We give you 30% off" in output


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        (["--current-monthly", "-1"], "--current-monthly"),
        (["--offer-discount-pct", "101"], "--offer-discount-pct"),
        (["--horizon-months", "0"], "--horizon-months"),
        (["--horizon-months", "121"], "--horizon-months"),
        (["--competitor-monthly", "-118"], "--competitor-monthly"),
        (["--switching-cost", "-5"], "--switching-cost"),
        (["--offer-months", "0"], "--offer-months"),
        (["--current-monthly", "abc"], "--current-monthly"),
        (["--current-monthly", "129.001"], "--current-monthly"),
    ],
)
def test_invalid_flags_raise_command_error_naming_the_flag(change, flag):
    args = dict(zip(WORKED_EXAMPLE[::2], WORKED_EXAMPLE[1::2], strict=True))
    args[change[0]] = change[1]
    with pytest.raises(CommandError) as info:
        run(*[part for pair in args.items() for part in pair], "--json")
    assert flag in str(info.value)


def test_promo_months_without_a_promo_price_is_refused():
    with pytest.raises(CommandError, match="--competitor-promo-monthly"):
        run("--current-monthly", "129", "--competitor-monthly", "118",
            "--competitor-promo-months", "12")  # fmt: skip


def test_console_script_prints_json_on_stdout():
    wanliu = Path(sys.executable).with_name("wanliu")
    result = subprocess.run(
        [str(wanliu), "retention", "compare", *WORKED_EXAMPLE, "--json"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["offer_total"] == "2631.60"
    bad = subprocess.run(
        [str(wanliu), "retention", "compare", *WORKED_EXAMPLE, "--offer-discount-pct", "130"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "--offer-discount-pct" in bad.stderr
