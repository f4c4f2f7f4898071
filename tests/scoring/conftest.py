"""Synthetic churn tables and a shared models root for the scoring tests."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command

PLANS = ["basic", "family", "unlimited", "prepaid"]
FEATURES_IN_TABLE = [
    "customer_id",
    "seq",
    "tenure_months",
    "monthly_bill",
    "complaints",
    "plan",
    "region",
    "country",
    "data_m1",
    "data_m2",
    "data_m3",
    "contract_end",
    "churn_flag",
    "churned",
]


def churn_rows(rows: int, seed: int) -> list[dict[str, str]]:
    """A churn extract with the usual mess: ids, a row counter, a constant, text numbers,
    missing values, a high-cardinality column, dates and a copy of the target (a leak)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 120, rows)
    bill = rng.gamma(4.0, 20.0, rows).round(2)
    complaints = rng.poisson(0.8, rows)
    plan = rng.choice(PLANS, rows, p=[0.4, 0.25, 0.2, 0.15])
    region = rng.choice([f"R{i:03d}" for i in range(90)], rows)
    usage = rng.gamma(3.0, 2.0, rows)
    decline = rng.random(rows)
    logit = (
        -2.0
        + 0.9 * complaints
        - 0.025 * tenure
        + 0.015 * (bill - 80)
        + np.where(plan == "prepaid", 0.9, 0.0)
        + 1.5 * (decline - 0.5)
    )
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    start = np.datetime64("2025-01-01")
    out = []
    for i in range(rows):
        text_bill = f"{bill[i]:.2f}"
        if i % 5 == 0:
            text_bill = f"${bill[i]:,.2f}"
        if i % 20 == 3:
            text_bill = "NA"
        out.append(
            {
                "customer_id": f"C{100000 + (i * 7919) % 900000:06d}",
                "seq": str(i + 1),
                "tenure_months": "" if i % 33 == 0 else str(int(tenure[i])),
                "monthly_bill": text_bill,
                "complaints": str(int(complaints[i])),
                "plan": plan[i] if i % 50 else " Prepaid ",
                "region": region[i],
                "country": "CN",
                "data_m1": f"{usage[i]:.3f}",
                "data_m2": f"{usage[i] * (1 - 0.3 * decline[i]):.3f}",
                "data_m3": f"{usage[i] * (1 - 0.6 * decline[i]):.3f}",
                "contract_end": str(start + int(rng.integers(0, 700))),
                "churn_flag": "1" if churned[i] else "0",
                "churned": "Yes" if churned[i] else "No",
            }
        )
    return out


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    names = columns or list(rows[0])
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tables")
    return {
        "train": write_csv(folder / "train.csv", churn_rows(900, seed=1)),
        "test": write_csv(folder / "test.csv", churn_rows(2500, seed=2)),
    }


@pytest.fixture(scope="session")
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def roots(models_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Models may be loaded from ``models_root`` only."""
    monkeypatch.setenv("WANLIU_MODEL_ROOTS", str(models_root))
    return models_root


def run_json(*args: str) -> Any:
    """Run a ``wanliu`` command through Django and parse its one JSON object."""
    out = io.StringIO()
    with redirect_stderr(io.StringIO()):
        call_command(*args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture(scope="session")
def trained(tables: dict[str, Path], models_root: Path) -> Callable[..., dict[str, Any]]:
    """Train once per distinct set of arguments; returns the train command's JSON."""
    cache: dict[tuple[str, ...], dict[str, Any]] = {}

    def train(name: str, *extra: str, table: str = "train") -> dict[str, Any]:
        key = (name, table, *extra)
        if key not in cache:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("WANLIU_MODEL_ROOTS", str(models_root))
                cache[key] = run_json(
                    "churn",
                    "train",
                    "--table",
                    str(tables[table]),
                    "--target",
                    "churned",
                    "--model",
                    name,
                    "--json",
                    "--force",
                    *extra,
                )
        return cache[key]

    return train
