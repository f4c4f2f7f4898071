"""Reads of the churn model registry: the models roots, the artefacts in them, the promoted one.

Artefacts live as folders under the models roots (``WANLIU_MODEL_ROOTS``, a list separated
by ``os.pathsep``; default ``<WANLIU_VAR_DIR>/models``). Models are only ever loaded from
there. The promoted model of a root is named by ``promoted.json`` in it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from wanliu.scoring.engine.artefact import MANIFEST, Artefact, artefact_load, manifest_read
from wanliu.scoring.engine.errors import ArtefactError

PROMOTED_FILE = "promoted.json"


def model_roots() -> list[Path]:
    """The folders models may be written to and loaded from, first one the default."""
    configured = os.environ.get("WANLIU_MODEL_ROOTS", "")
    roots = [Path(p).expanduser() for p in configured.split(os.pathsep) if p.strip()]
    if not roots:
        roots = [Path(settings.VAR_DIR) / "models"]
    return [root.resolve() for root in roots]


def model_path(text: str) -> Path:
    """A ``--model`` argument as a path: a bare name is a folder in the default root."""
    if (
        os.sep not in text
        and (os.altsep is None or os.altsep not in text)
        and text not in (".", "..")
    ):
        return model_roots()[0] / text
    return Path(text).expanduser().resolve()


def churn_model_get(text: str, *, threads: int = 1) -> Artefact:
    """Load and verify one artefact (see ``artefact_load`` for the checks)."""
    return artefact_load(model_path(text), roots=model_roots(), threads=threads)


@dataclass
class ModelEntry:
    path: Path
    manifest: dict[str, Any]
    promoted: bool

    def as_dict(self) -> dict[str, Any]:
        cv = self.manifest.get("cv_metrics", {})
        return {
            "path": str(self.path),
            "model_version": self.manifest.get("model_version"),
            "created_at": self.manifest.get("created_at"),
            "chosen": self.manifest.get("chosen"),
            "target": self.manifest.get("target"),
            "rows": self.manifest.get("rows"),
            "cv_roc_auc": cv.get("roc_auc"),
            "cv_brier": cv.get("brier"),
            "promoted": self.promoted,
        }


def churn_model_promoted(root: Path | None = None) -> str | None:
    """The model version promoted in ``root`` (default: the first models root), if any."""
    folder = root if root is not None else model_roots()[0]
    marker = folder / PROMOTED_FILE
    if not marker.is_file():
        return None
    try:
        return str(json.loads(marker.read_text())["model_version"])
    except (ValueError, KeyError, TypeError):
        return None


def churn_models_list() -> list[ModelEntry]:
    """Every artefact directly inside a models root, newest first (manifests only)."""
    roots = model_roots()
    entries: list[ModelEntry] = []
    for root in roots:
        if not root.is_dir():
            continue
        promoted = churn_model_promoted(root)
        for folder in sorted(root.iterdir()):
            if not (folder / MANIFEST).is_file():
                continue
            try:
                manifest = manifest_read(folder, roots=roots)
            except ArtefactError:
                continue
            entries.append(
                ModelEntry(
                    path=folder,
                    manifest=manifest,
                    promoted=promoted == manifest.get("model_version"),
                )
            )
    entries.sort(key=lambda e: str(e.manifest.get("created_at", "")), reverse=True)
    return entries
