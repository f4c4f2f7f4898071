"""One versioned artefact directory per trained model, and the checks before loading one.

Layout::

    DIR/manifest.json     what, when, from which data, with which libraries, file digests
    DIR/model.json        preprocessing, logistic coefficients, calibration, risk bands
    DIR/booster.txt       LightGBM's own text model (LightGBM models only)
    DIR/model_card.html   metrics, most important features, data summary

Nothing is pickled: every file is JSON or LightGBM text. Before anything is parsed,
``artefact_load`` checks that the directory lies under an allowed models root, that every
file's sha256 matches the manifest, that the library versions match this install (same
major.minor) and that the feature lists agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from wanliu.scoring.engine.errors import ArtefactError
from wanliu.scoring.engine.features import Preprocessor
from wanliu.scoring.engine.model import BAND_LABELS, ChurnModel, LogisticModel

FORMAT = "wanliu-churn-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.json"
BOOSTER_FILE = "booster.txt"
CARD_FILE = "model_card.html"
CHECKED_LIBRARIES = ("lightgbm", "scikit-learn", "numpy")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("wanliu", "numpy", "pyarrow", "scikit-learn", "lightgbm", "scipy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _model_document(model: ChurnModel) -> dict[str, Any]:
    return {
        "algorithm": model.algorithm,
        "preprocessor": model.preprocessor.to_dict(),
        "logistic": model.logistic.to_dict() if model.logistic is not None else None,
        "calibration": model.calibration,
        "band_cuts": model.band_cuts,
    }


@dataclass
class Artefact:
    """A loaded, verified model with its manifest."""

    path: Path
    manifest: dict[str, Any]
    model: ChurnModel

    @property
    def version(self) -> str:
        return str(self.manifest["model_version"])

    @property
    def id_column(self) -> str | None:
        value = self.manifest.get("id_column")
        return str(value) if value else None

    @property
    def target(self) -> str:
        return str(self.manifest["target"])

    @property
    def positive(self) -> str:
        return str(self.manifest["positive"])


def folder_target_check(directory: Path, *, overwrite: bool) -> Path:
    """The resolved folder a model may be written to; refuses one holding something else,
    or a model when ``overwrite`` is not given."""
    directory = directory.resolve()
    if directory.exists():
        if not directory.is_dir():
            raise ArtefactError(f"{directory} exists and is not a directory")
        if any(directory.iterdir()) and not (directory / MANIFEST).exists():
            raise ArtefactError(f"{directory} is not empty and holds no model; choose another")
        if (directory / MANIFEST).exists() and not overwrite:
            raise ArtefactError(f"{directory} already holds a model; pass --force to replace it")
    return directory


def content_version(prefix: str, files: dict[str, bytes]) -> str:
    """A model version from its files' names and bytes: same model, same version."""
    content = hashlib.sha256()
    for name in sorted(files):
        content.update(name.encode())
        content.update(files[name])
    return f"{prefix}-{content.hexdigest()[:12]}"


def folder_write(directory: Path, files: dict[str, bytes], manifest: dict[str, Any]) -> None:
    """Write the files and the manifest (with every file's sha256) into ``directory``
    atomically: into a sibling temporary folder, then renamed over it."""
    manifest["files"] = {name: sha256_bytes(data) for name, data in sorted(files.items())}
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(staging, directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def artefact_save(result: Any, directory: Path, *, overwrite: bool = False) -> Artefact:
    """Write a ``TrainingResult`` as an artefact directory (atomically, via a sibling temp dir)."""
    from wanliu.scoring.engine.card import model_card_html

    directory = folder_target_check(directory, overwrite=overwrite)
    model: ChurnModel = result.model
    files: dict[str, bytes] = {
        MODEL_FILE: json.dumps(_model_document(model), sort_keys=True).encode(),
    }
    if model.booster_text is not None:
        files[BOOSTER_FILE] = model.booster_text.encode()
    version = content_version("churn", files)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": library_versions(),
        "target": result.target,
        "positive": result.positive,
        "id_column": result.id_column,
        "algorithm": model.algorithm,
        "chosen": result.chosen,
        "candidates": result.candidates,
        "calibration": model.calibration["method"],
        "band_cuts": model.band_cuts,
        "band_labels": BAND_LABELS[len(model.band_cuts)],
        "features": model.preprocessor.names,
        "source_columns": model.preprocessor.source_columns,
        "data": result.fingerprint.as_dict(),
        "rows": result.rows,
        "churn_rate": result.churn_rate,
        "seed": result.seed,
        "cv_metrics": result.cv_calibrated,
        "importance": result.importance,
        "notes": [asdict(note) for note in result.notes],
        "training_options": result.training_options,
        "training_seconds": round(result.seconds, 2),
    }
    files[CARD_FILE] = model_card_html(manifest).encode()
    folder_write(directory, files, manifest)
    return Artefact(path=directory, manifest=manifest, model=model)


def path_within(path: Path, roots: Sequence[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


def read_checked(directory: Path, name: str, expected: str) -> bytes:
    file = directory / name
    if file.is_symlink() or not file.is_file():
        raise ArtefactError(f"{directory}: {name} is missing or not a regular file")
    data = file.read_bytes()
    if sha256_bytes(data) != expected:
        raise ArtefactError(
            f"{directory}: {name} does not match the sha256 in the manifest; the artefact "
            "was changed after training and will not be loaded"
        )
    return data


def manifest_read(
    directory: Path,
    *,
    roots: Sequence[Path],
    format: str = FORMAT,
    format_version: int = FORMAT_VERSION,
    kind: str = "churn model",
) -> dict[str, Any]:
    """The manifest of an artefact (of ``format``) under an allowed root; nothing else is
    read."""
    if not path_within(directory, roots):
        shown = ", ".join(str(root) for root in roots) or "(none)"
        raise ArtefactError(
            f"refusing to load a model from {directory}: it is outside the allowed model "
            f"roots ({shown}); move it there or add its folder to WANLIU_MODEL_ROOTS"
        )
    directory = directory.resolve()
    manifest_file = directory / MANIFEST
    if not manifest_file.is_file() or manifest_file.is_symlink():
        raise ArtefactError(f"{directory}: no model here (manifest.json is missing)")
    try:
        manifest = json.loads(manifest_file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtefactError(f"{directory}: manifest.json is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != format:
        raise ArtefactError(f"{directory}: manifest.json is not a Wanliu {kind} manifest")
    if manifest.get("format_version") != format_version:
        raise ArtefactError(
            f"{directory}: {kind} artefact format version {manifest.get('format_version')} is "
            f"not supported (this install reads version {format_version}); retrain the model"
        )
    return manifest


def versions_check(manifest: dict[str, Any]) -> None:
    """Refuse an artefact trained with other major.minor versions of the model libraries."""
    recorded = manifest.get("libraries", {})
    installed = library_versions()
    problems = []
    for name in CHECKED_LIBRARIES:
        was, now = str(recorded.get(name, "absent")), installed[name]
        if _major_minor(was) != _major_minor(now):
            problems.append(f"{name} {was} (this install has {now})")
    if problems:
        raise ArtefactError(
            "the model was trained with other library versions: "
            + "; ".join(problems)
            + ". Retrain it with this install, or install the versions it was trained with"
        )


def files_read(
    directory: Path, manifest: dict[str, Any]
) -> tuple[dict[str, bytes], dict[str, Any], Preprocessor]:
    """Every file the manifest lists, each checked against its sha256, after the library
    versions; the model document and its preprocessing, checked against the feature list."""
    files = manifest.get("files")
    if not isinstance(files, dict) or MODEL_FILE not in files:
        raise ArtefactError(f"{directory}: the manifest lists no model file")
    versions_check(manifest)
    data = {name: read_checked(directory, name, str(digest)) for name, digest in files.items()}
    document = json.loads(data[MODEL_FILE])
    preprocessor = Preprocessor.from_dict(document["preprocessor"])
    if preprocessor.names != manifest.get("features"):
        raise ArtefactError(
            f"{directory}: the feature list in model.json does not match the manifest "
            f"({len(preprocessor.names)} vs {len(manifest.get('features') or [])} features)"
        )
    return data, document, preprocessor


def artefact_load(directory: Path, *, roots: Sequence[Path], threads: int = 1) -> Artefact:
    """Verify and load an artefact; every refusal is an ``ArtefactError`` saying why."""
    manifest = manifest_read(directory, roots=roots)
    directory = directory.resolve()
    data, document, preprocessor = files_read(directory, manifest)
    algorithm = document["algorithm"]
    booster_text = data[BOOSTER_FILE].decode() if algorithm == "lightgbm" else None
    if algorithm == "lightgbm" and booster_text is None:
        raise ArtefactError(f"{directory}: the LightGBM model file is missing")
    model = ChurnModel(
        algorithm=algorithm,
        preprocessor=preprocessor,
        calibration=document["calibration"],
        band_cuts=list(document["band_cuts"]),
        logistic=LogisticModel.from_dict(document["logistic"]) if document["logistic"] else None,
        booster_text=booster_text,
        threads=threads,
    )
    if booster_text is not None and model.booster.num_feature() != len(preprocessor.names):
        raise ArtefactError(
            f"{directory}: the LightGBM model expects {model.booster.num_feature()} features "
            f"but the feature list has {len(preprocessor.names)}"
        )
    return Artefact(path=directory, manifest=manifest, model=model)


def artefact_payload(artefact: Artefact) -> dict[str, Any]:
    """The verified artefact as plain data, to rebuild it on Spark executors."""
    return {
        "manifest": artefact.manifest,
        "document": _model_document(artefact.model),
        "booster_text": artefact.model.booster_text,
    }


def artefact_from_payload(payload: dict[str, Any], *, threads: int = 1) -> Artefact:
    document = payload["document"]
    model = ChurnModel(
        algorithm=document["algorithm"],
        preprocessor=Preprocessor.from_dict(document["preprocessor"]),
        calibration=document["calibration"],
        band_cuts=list(document["band_cuts"]),
        logistic=LogisticModel.from_dict(document["logistic"]) if document["logistic"] else None,
        booster_text=payload["booster_text"],
        threads=threads,
    )
    return Artefact(path=Path("."), manifest=payload["manifest"], model=model)
