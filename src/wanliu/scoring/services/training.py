"""Train the churn model on the operator database (features from ``wanliu.scoring.operator``).

The operator model predicts cancellation within one month, so its risk bands are cut at
monthly probabilities (``OPERATOR_BAND_CUTS``), and it is trained without "family totals"
(sums of columns that share a word), which would make the reasons shown to clerks
harder to read without adding much to features built for the purpose."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from wanliu.scoring.engine.artefact import artefact_save, path_within
from wanliu.scoring.engine.errors import ArtefactError
from wanliu.scoring.engine.scorer import churn_evaluate
from wanliu.scoring.engine.training import churn_model_train
from wanliu.scoring.operator import (
    features_as_of,
    last_month,
    month_add,
    operator_extract,
    training_table,
)
from wanliu.scoring.selectors import model_path, model_roots
from wanliu.scoring.services.registry import churn_model_promote

# low < 3% <= medium < 10% <= high < 30% <= very high, for churn within the month
OPERATOR_BAND_CUTS = [0.03, 0.10, 0.30]


def operator_train(
    *,
    model: str | None = None,
    months: int = 6,
    holdout: bool = False,
    algorithm: str = "auto",
    seed: int = 0,
    threads: int = 1,
    promote: bool = True,
    progress: bool = False,
    actor: Any = None,
) -> dict[str, Any]:
    """Extract the operator's tables, build labelled rows for ``months`` past as-of months
    (ending with the newest month, or the one before it when ``holdout``), train with the
    churn engine, save the artefact in the models root and promote it.

    With ``holdout`` the newest month is kept out and its held-out metrics are returned."""
    if months < 1:
        raise ArtefactError("--months must be at least 1")
    with tempfile.TemporaryDirectory(prefix="wanliu-operator-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, progress=progress)
        newest = last_month(tables)
        last_train = month_add(newest, -1) if holdout else newest
        as_ofs = [month_add(last_train, -k) for k in reversed(range(months))]
        table = training_table(tables, months=as_ofs, progress=progress)
        train_path = Path(folder) / "train.parquet"
        pq.write_table(table, train_path)
        del table  # the engine reads the file: one copy of the rows in memory, not two
        result = churn_model_train(
            table_path=train_path,
            target="churned",
            positive="1",
            id_column="line_id",
            # validate on a month left out, as the model will be used (one month is too
            # few to leave one out: then folds keep each line's rows together)
            period_column="as_of" if months >= 2 else None,
            seed=seed,
            algorithm=algorithm,
            threads=threads,
            family_sums=False,
            band_cuts=OPERATOR_BAND_CUTS,
            progress=progress,
        )
        name = model or f"operator-{last_train.isoformat()[:7]}-{algorithm}"
        directory = model_path(name)
        if not path_within(directory, model_roots()):
            raise ArtefactError(f"--model must be a folder inside the models roots: {name}")
        artefact = artefact_save(result, directory, overwrite=True)
        summary: dict[str, Any] = {
            "model": str(artefact.path),
            "model_version": artefact.version,
            "chosen": result.chosen,
            "rows": result.rows,
            "churn_rate": result.churn_rate,
            "first": as_ofs[0].isoformat()[:7],
            "last": as_ofs[-1].isoformat()[:7],
            "cv": result.cv_calibrated,
        }
        if holdout:
            test_path = Path(folder) / "holdout.parquet"
            pq.write_table(features_as_of(tables, as_of=newest, label=True), test_path)
            summary["holdout_month"] = newest.isoformat()[:7]
            summary["holdout"] = churn_evaluate(artefact, table_path=test_path)
    if promote:
        summary["previous"] = churn_model_promote(artefact=artefact, actor=actor)
        summary["promoted"] = True
    return summary
