"""Artefact checks: models load only from the models roots, untampered, with the same
library versions and feature list they were trained with."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.fixture
def copy_of(trained, roots: Path):
    """A fresh copy of the logistic model to tamper with."""
    trained("bands", "--bands", "0.2,0.5", "--algorithm", "logistic")
    trained("lgb", "--algorithm", "lightgbm")

    def make(source: str, name: str) -> Path:
        target = roots / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(roots / source, target)
        return target

    return make


def _evaluate_error(model: str, table: Path) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(
            "churn",
            "evaluate",
            "--model",
            model,
            "--table",
            str(table),
            "--json",
            stdout=io.StringIO(),
        )
    return str(caught.value)


def _edit_manifest(folder: Path, change) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_refuses_a_model_outside_the_models_roots(copy_of, tables, tmp_path):
    outside = tmp_path / "elsewhere"
    shutil.copytree(copy_of("bands", "to_move"), outside)
    message = _evaluate_error(str(outside), tables["test"])
    assert "outside the allowed model roots" in message


def test_refuses_a_model_file_changed_after_training(copy_of, tables):
    folder = copy_of("lgb", "tampered_booster")
    booster = folder / "booster.txt"
    booster.write_text(booster.read_text().replace("learning_rate", "learning_rate ", 1))
    assert "does not match the sha256" in _evaluate_error("tampered_booster", tables["test"])
    folder = copy_of("bands", "tampered_json")
    document = json.loads((folder / "model.json").read_text())
    document["calibration"] = {"method": "none"}
    (folder / "model.json").write_text(json.dumps(document))
    assert "model.json does not match the sha256" in _evaluate_error(
        "tampered_json", tables["test"]
    )


def test_refuses_other_library_versions(copy_of, tables):
    folder = copy_of("lgb", "old_versions")
    _edit_manifest(folder, lambda m: m["libraries"].update({"lightgbm": "3.1.0"}))
    message = _evaluate_error("old_versions", tables["test"])
    assert "other library versions" in message and "lightgbm 3.1.0" in message


def test_refuses_a_feature_list_that_does_not_match(copy_of, tables):
    folder = copy_of("bands", "other_features")
    _edit_manifest(folder, lambda m: m["features"].append("handset_age"))
    assert "feature list" in _evaluate_error("other_features", tables["test"])


def test_refuses_unknown_formats_and_missing_manifests(copy_of, tables, roots):
    folder = copy_of("bands", "future_format")
    _edit_manifest(folder, lambda m: m.update({"format_version": 99}))
    assert "format version 99" in _evaluate_error("future_format", tables["test"])
    (roots / "not_a_model").mkdir(exist_ok=True)
    assert "manifest.json is missing" in _evaluate_error("not_a_model", tables["test"])


def test_training_refuses_a_folder_outside_the_roots(tables, roots, tmp_path):
    # the message (translated) names the allowed roots
    with pytest.raises(CommandError, match=str(roots)):
        call_command(
            "churn",
            "train",
            "--table",
            str(tables["train"]),
            "--target",
            "churned",
            "--model",
            str(tmp_path / "out"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
