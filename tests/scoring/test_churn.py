"""``wanliu churn`` train / evaluate / score on synthetic extracts, through the command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.scoring.conftest import churn_rows, run_json, write_csv
from wanliu.scoring.engine.scorer import score_batch
from wanliu.scoring.engine.table import table_read
from wanliu.scoring.selectors import churn_model_get

METRIC_KEYS = {"roc_auc", "pr_auc", "lift_at_10", "brier", "ece", "n"}


def test_train_reports_json_and_drops_ids_constants_and_leaks(trained, roots):
    # given a messy extract, when trained without --id
    result = trained("base")
    features = set(result["features"])
    dropped = {n["column"]: n["reason"] for n in result["notes"] if n["action"] == "dropped"}
    # then ids, the row counter, the constant and the leaking copy of the target are dropped
    assert {"customer_id", "seq", "country", "churn_flag"} <= set(dropped)
    assert "leak" in dropped["churn_flag"]
    assert "id-like" in dropped["customer_id"] and "id-like" in dropped["seq"]
    assert features.isdisjoint({"customer_id", "seq", "country", "churn_flag", "churned"})
    # and numbers stored as text, high-cardinality columns and dates are handled
    notes = {n["column"]: n["action"] for n in result["notes"]}
    assert notes["monthly_bill"] == "converted" and notes["region"] == "grouped"
    assert {"monthly_bill", "tenure_months", "plan", "region", "contract_end"} <= features
    assert result["positive"] == "yes"
    assert result["cv"]["n"] > 0 and {c["name"] for c in result["candidates"]} >= {
        "logistic",
        "lightgbm_7_leaves",
    }
    assert (roots / "base" / "model_card.html").read_text().count("Most important features") == 1


def test_evaluate_prints_one_json_object_with_the_metrics(trained, roots, tables):
    trained("base")
    metrics = run_json(
        "churn", "evaluate", "--model", "base", "--table", str(tables["test"]), "--json"
    )
    assert set(metrics) >= METRIC_KEYS
    assert metrics["n"] == 2500
    assert 0.7 < metrics["roc_auc"] <= 1.0 and metrics["lift_at_10"] > 2.0


def test_calibrated_probabilities_on_held_out_rows(trained, roots, tables):
    # the expected calibration error on 2,500 unseen rows stays small
    trained("base")
    metrics = run_json(
        "churn", "evaluate", "--model", "base", "--table", str(tables["test"]), "--json"
    )
    assert metrics["ece"] < 0.04
    assert metrics["brier"] < 0.1


def test_score_writes_ids_probabilities_bands_and_reasons(trained, roots, tables, tmp_path):
    trained("base")
    out = tmp_path / "scores.parquet"
    summary = run_json(
        "churn",
        "score",
        "--model",
        "base",
        "--table",
        str(tables["test"]),
        "--out",
        str(out),
        "--reasons",
        "2",
        "--json",
    )
    scored = pq.read_table(out).to_pandas()
    assert summary["rows"] == len(scored) == 2500
    # without --id at training, the row number is the id
    assert scored["id"].tolist() == list(range(1, 2501))
    assert {"reason_1_feature", "reason_1_value", "reason_2_contribution"} <= set(scored)
    assert "reason_3_feature" not in scored
    assert scored["probability"].between(0, 1).all()
    assert set(scored["risk_band"]) <= {"low", "medium", "high", "very_high"}
    # reasons are sorted, most risk-raising first
    assert (scored["reason_1_contribution"] >= scored["reason_2_contribution"]).all()
    assert scored["model_version"].nunique() == 1


def test_risk_bands_follow_the_cut_points_stored_in_the_artefact(trained, roots, tables, tmp_path):
    trained("bands", "--bands", "0.2,0.5", "--algorithm", "logistic")
    out = tmp_path / "bands.parquet"
    run_json(
        "churn",
        "score",
        "--model",
        "bands",
        "--table",
        str(tables["test"]),
        "--out",
        str(out),
        "--reasons",
        "0",
        "--json",
    )
    scored = pq.read_table(out).to_pandas()
    expected = np.where(
        scored["probability"] < 0.2, "low", np.where(scored["probability"] < 0.5, "medium", "high")
    )
    assert (scored["risk_band"].to_numpy() == expected).all()


def test_with_an_id_column_the_id_is_kept_and_never_a_feature(tables, roots, tmp_path):
    # given an id that is sorted by the outcome (it would predict churn if it were used)
    rows = churn_rows(400, seed=5)
    rows.sort(key=lambda r: r["churned"])
    for i, row in enumerate(rows):
        row["line_ref"] = f"L{i:05d}"
    table = write_csv(tmp_path / "sorted.csv", rows)
    result = run_json(
        "churn",
        "train",
        "--table",
        str(table),
        "--id",
        "line_ref",
        "--target",
        "churned",
        "--model",
        "with_id",
        "--algorithm",
        "logistic",
        "--json",
    )
    assert "line_ref" not in result["features"]
    out = tmp_path / "with_id.parquet"
    run_json(
        "churn", "score", "--model", "with_id", "--table", str(table), "--out", str(out), "--json"
    )
    assert pq.read_table(out).column("id").to_pylist() == [r["line_ref"] for r in rows]
    # and a table without that id column is refused rather than scored with row numbers
    anonymous = write_csv(tmp_path / "anonymous.csv", churn_rows(30, seed=6))
    with pytest.raises(CommandError, match=r"line_ref \(the id column\)"):
        call_command(
            "churn",
            "score",
            "--model",
            "with_id",
            "--table",
            str(anonymous),
            "--out",
            str(tmp_path / "anonymous.parquet"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_reasons_add_up_to_the_raw_score(trained, roots, tables):
    # for both model kinds, base + all contributions = the raw log-odds the model produced
    trained("base")
    trained("lgb", "--algorithm", "lightgbm")
    table = table_read(tables["test"])
    for name in ("base", "lgb"):
        artefact = churn_model_get(name)
        matrix = artefact.model.preprocessor.matrix(table)
        raw, contributions, base = artefact.model.explain(matrix)
        np.testing.assert_allclose(base + contributions.sum(axis=1), raw, atol=1e-9)
        np.testing.assert_allclose(raw, artefact.model.raw_score(matrix), atol=1e-9)
        everything = score_batch(
            artefact,
            table,
            ids=pa.array(np.arange(table.num_rows)),
            reasons=len(artefact.model.preprocessor.features),
        ).to_pandas()
        total = sum(
            everything[f"reason_{k}_contribution"]
            for k in range(1, len(artefact.model.preprocessor.features) + 1)
        )
        np.testing.assert_allclose(base + total, everything["raw_score"], atol=1e-9)
    exact_raw, exact, exact_base = churn_model_get("lgb").model.explain(
        churn_model_get("lgb").model.preprocessor.matrix(table), exact=True
    )
    np.testing.assert_allclose(exact_base + exact.sum(axis=1), exact_raw, atol=1e-9)


def test_same_seed_gives_the_same_artefact_and_predictions(trained, roots, tables, tmp_path):
    first = trained("lgb", "--algorithm", "lightgbm")
    second = trained("lgb_again", "--algorithm", "lightgbm")
    assert first["model_version"] == second["model_version"]
    outputs = []
    for name in ("lgb", "lgb_again"):
        out = tmp_path / f"{name}.parquet"
        run_json(
            "churn",
            "score",
            "--model",
            name,
            "--table",
            str(tables["test"]),
            "--out",
            str(out),
            "--json",
        )
        outputs.append(pq.read_table(out).drop_columns(["model_version"]))
    assert outputs[0].equals(outputs[1])


def test_parquet_tables_with_native_types(tmp_path, roots):
    # given the extract as Parquet with real numbers, dates and missing values
    rows = churn_rows(500, seed=7)
    table = pacsv.read_csv(write_csv(tmp_path / "t.csv", rows))
    bill = pa.array(
        [
            None
            if r["monthly_bill"] == "NA"
            else float(r["monthly_bill"].replace("$", "").replace(",", ""))
            for r in rows
        ]
    )
    table = table.set_column(table.schema.get_field_index("monthly_bill"), "monthly_bill", bill)
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    result = run_json(
        "churn",
        "train",
        "--table",
        str(path),
        "--target",
        "churned",
        "--model",
        "parquet",
        "--algorithm",
        "logistic",
        "--json",
    )
    assert {"monthly_bill", "contract_end", "tenure_months"} <= set(result["features"])
    metrics = run_json("churn", "evaluate", "--model", "parquet", "--table", str(path), "--json")
    assert metrics["n"] == 500


@pytest.mark.django_db
def test_registry_lists_compares_and_promotes(trained, roots, tables):
    base = trained("base")
    trained("bands", "--bands", "0.2,0.5", "--algorithm", "logistic")
    compared = run_json(
        "churn",
        "compare",
        "--model",
        "base",
        "--model",
        "bands",
        "--table",
        str(tables["test"]),
        "--json",
    )
    assert compared["models"][0]["model_version"] == base["model_version"]
    assert all(set(m) >= METRIC_KEYS for m in compared["models"])
    call_command("churn", "promote", "--model", "base", stdout=io.StringIO())
    listed = run_json("churn", "models", "--json")["models"]
    promoted = [m for m in listed if m["promoted"]]
    assert promoted and all(m["model_version"] == base["model_version"] for m in promoted)
    from wanliu.core.models import AuditEvent

    assert AuditEvent.objects.filter(action="scoring.model.promote").count() == 1


# --- errors -----------------------------------------------------------------------------


def _train_error(table: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(
            "churn",
            "train",
            "--table",
            str(table),
            "--model",
            "bad",
            "--json",
            *extra,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    return str(caught.value)


def test_missing_target_column(tables, roots):
    message = _train_error(tables["train"], "--target", "cancelled")
    assert "'cancelled' is not in the table" in message and "churned" in message


def test_single_class(tmp_path, roots):
    rows = [dict(r, churned="No") for r in churn_rows(60, seed=3)]
    message = _train_error(write_csv(tmp_path / "one.csv", rows), "--target", "churned")
    assert "single class" in message


def test_unknown_positive_label(tables, tmp_path, roots):
    message = _train_error(tables["train"], "--target", "churned", "--positive", "gone")
    assert "'gone' is not a value" in message and "'yes'" in message and "'no'" in message
    rows = [dict(r, churned="A" if r["churned"] == "Yes" else "B") for r in churn_rows(60, 3)]
    message = _train_error(write_csv(tmp_path / "ab.csv", rows), "--target", "churned")
    assert "cannot tell which value" in message and "'a'" in message and "--positive" in message


def test_empty_and_unreadable_files(tmp_path, roots):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in _train_error(empty, "--target", "churned")
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b,churned\n")
    assert "no rows" in _train_error(header_only, "--target", "churned")
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"\x00\x01not parquet at all" * 10)
    assert "cannot read" in _train_error(garbage, "--target", "churned")
    assert "no such file" in _train_error(tmp_path / "absent.csv", "--target", "churned")


def test_scoring_a_table_missing_features(trained, roots, tmp_path):
    trained("base")
    rows = churn_rows(20, seed=9)
    table = write_csv(
        tmp_path / "partial.csv",
        rows,
        columns=[c for c in rows[0] if c not in ("plan", "complaints")],
    )
    with pytest.raises(CommandError, match="lacks columns the model needs: complaints, plan"):
        call_command(
            "churn",
            "score",
            "--model",
            "base",
            "--table",
            str(table),
            "--out",
            str(tmp_path / "x.parquet"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_folds_keep_each_repeated_id_in_one_fold():
    # given rows of 300 lines seen in three months each (the operator's stacked months)
    from wanliu.scoring.engine.training import _folds

    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(300), 3)
    target = (rng.random(groups.size) < 0.2).astype(np.int64)
    # when folds are made with the ids as groups
    folds = _folds(target, 0, 3, 2, groups)
    # then no id is both trained on and validated in the same fold, every row is validated
    # once per repeat, and each validation fold holds both classes
    assert len(folds) == 6
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert 0 < target[test].sum() < len(test)
    for repeat in range(2):
        seen = np.concatenate([test for _, test in folds[repeat * 3 : repeat * 3 + 3]])
        assert sorted(seen.tolist()) == list(range(groups.size))


def test_a_period_column_makes_folds_that_leave_one_period_out(tmp_path, roots):
    # given the same 300 customers in three months, the month stacked as a column
    rows = []
    for month in ("2026-01", "2026-02", "2026-03"):
        for row in churn_rows(300, seed=int(month[-1])):
            rows.append(dict(row, month=month))
    table = write_csv(tmp_path / "stacked.csv", rows)
    # when trained with the month as the period column
    result = run_json(
        "churn",
        "train",
        "--table",
        str(table),
        "--target",
        "churned",
        "--id",
        "customer_id",
        "--period",
        "month",
        "--model",
        "by_period",
        "--algorithm",
        "logistic",
        "--json",
    )
    # then each fold leaves one month out, and the month is not a feature
    manifest = json.loads((roots / "by_period" / "manifest.json").read_text())
    assert manifest["training_options"]["period_column"] == "month"
    assert manifest["training_options"]["folds"] == 3
    assert "month" not in result["features"]
    assert any(note["action"] == "period folds" for note in manifest["notes"])
    # and the folds themselves: every month validated once, never trained on in its fold
    from wanliu.scoring.engine.training import _period_folds

    periods = np.asarray([r["month"] for r in rows], dtype=object)
    target = np.asarray([r["churned"] == "Yes" for r in rows], dtype=np.int64)
    folds = _period_folds(target, periods, column="month")
    assert [sorted(set(periods[test])) for _, test in folds] == [
        ["2026-01"],
        ["2026-02"],
        ["2026-03"],
    ]
    assert all(not set(periods[train]) & set(periods[test]) for train, test in folds)


def test_a_period_column_needs_two_periods(tables, roots):
    message = _train_error(tables["train"], "--target", "churned", "--period", "country")
    assert "one value only" in message
    message = _train_error(tables["train"], "--target", "churned", "--period", "quarter")
    assert "'quarter' is not in the table" in message


def test_feature_importance_is_the_same_explained_in_chunks(trained, roots, monkeypatch):
    # the global importance is explained a chunk of rows at a time (bounded memory at 1M
    # lines); chunks of 7 rows give the mean absolute contributions of the whole table
    from wanliu.scoring.engine import training

    def importance(name: str) -> list[dict[str, object]]:
        trained(name, "--algorithm", "lightgbm")
        manifest = json.loads((roots / name / "manifest.json").read_text())
        return list(manifest["importance"])

    whole = importance("whole")
    monkeypatch.setattr(training, "IMPORTANCE_CHUNK_ROWS", 7)
    chunked = importance("chunked")
    assert whole and [f["feature"] for f in chunked] == [f["feature"] for f in whole]
    for a, b in zip(chunked, whole, strict=True):
        assert a["mean_abs_contribution"] == pytest.approx(b["mean_abs_contribution"], abs=2e-5)
