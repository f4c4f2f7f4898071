"""Reads of the churn engine: the models roots, the artefacts in them, the promoted one;
the value policy; stored scores of lines and their exact explanation for one customer.

Artefacts live as folders under the models roots (``WANLIU_MODEL_ROOTS``, a list separated
by ``os.pathsep``; default ``<WANLIU_VAR_DIR>/models``). Models are only ever loaded from
there. The promoted model of a root is named by ``promoted.json`` in it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from wanliu.scoring.engine.artefact import MANIFEST, Artefact, artefact_load, manifest_read
from wanliu.scoring.engine.errors import ArtefactError
from wanliu.scoring.models import ChurnScore, LifetimeValueFit, ValuePolicy

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


def churn_model_promoted_path(root: Path | None = None) -> Path | None:
    """The folder of the promoted model of ``root`` (default: the first models root)."""
    folder = root if root is not None else model_roots()[0]
    marker = folder / PROMOTED_FILE
    if not marker.is_file():
        return None
    try:
        name = str(json.loads(marker.read_text())["path"])
    except (ValueError, KeyError, TypeError):
        return None
    path = (folder / name).resolve()
    return path if (path / MANIFEST).is_file() else None


def value_policy_current() -> ValuePolicy:
    """The active value policy (the seeded row); its defaults if every row was removed."""
    policy = ValuePolicy.objects.filter(active=True).order_by("pk").first()
    return policy if policy is not None else ValuePolicy()


def churn_scores_latest(*, line_ids: Sequence[int]) -> dict[int, ChurnScore]:
    """The newest stored score of each line (lines never scored are absent).

    The caller has already decided the user may see these lines (e.g. through the
    customer 360's ``customer_get_for``)."""
    latest: dict[int, ChurnScore] = {}
    scores = ChurnScore.objects.filter(line_id__in=list(line_ids)).order_by("line_id", "-as_of")
    for score in scores:
        latest.setdefault(score.line_id, score)
    return latest


@lru_cache(maxsize=4)
def _artefact_cached(path: str, stamp: float) -> Artefact:
    return artefact_load(Path(path), roots=model_roots(), threads=1)


def _artefact_for(score: ChurnScore) -> Artefact | None:
    """The artefact that gave a score (loaded once per process), if it is still there."""
    path = Path(score.run.model_path) if score.run.model_path else None
    if path is None or not (path / MANIFEST).is_file():
        return None
    try:
        artefact = _artefact_cached(str(path), (path / MANIFEST).stat().st_mtime)
    except ArtefactError:
        return None
    return artefact if artefact.version == score.model_version else None


def churn_scores_explained(
    *, scores: dict[int, ChurnScore], reasons: int = 5
) -> dict[int, list[dict[str, Any]]]:
    """Exact reasons (TreeSHAP) for a few lines' stored scores, from the same model and the
    same inputs (the month's kept feature table). Lines whose model or inputs are gone are
    left out: show their stored reasons instead."""
    import pyarrow.parquet as pq

    from wanliu.scoring.engine.scorer import required_columns, score_batch
    from wanliu.scoring.services.runs import features_path

    explained: dict[int, list[dict[str, Any]]] = {}
    by_month: dict[tuple[Any, str], list[ChurnScore]] = {}
    for score in scores.values():
        by_month.setdefault((score.as_of, score.model_version), []).append(score)
    for (as_of, _version), group in by_month.items():
        path = features_path(as_of)
        artefact = _artefact_for(group[0])
        if artefact is None or not path.is_file():
            continue
        ids = [score.line_id for score in group]
        table = pq.read_table(path, filters=[("line_id", "in", ids)])
        if table.num_rows == 0:
            continue
        table = table.select(required_columns(artefact, table.column_names))
        scored = score_batch(
            artefact,
            table,
            ids=table.column("line_id").combine_chunks(),
            reasons=reasons,
            exact=True,
        )
        for i, line_id in enumerate(scored.column("id").to_pylist()):
            rows = []
            for k in range(1, reasons + 1):
                feature = scored.column(f"reason_{k}_feature")[i].as_py()
                if feature is None:
                    continue
                rows.append(
                    {
                        "feature": feature,
                        "value": scored.column(f"reason_{k}_value")[i].as_py(),
                        "contribution": round(
                            float(scored.column(f"reason_{k}_contribution")[i].as_py()), 4
                        ),
                    }
                )
            explained[int(line_id)] = rows
    return explained


def lifetime_value_segments(*, as_of: Any = None) -> tuple[Any, list[dict[str, Any]]]:
    """The stored per-segment sBG fits of a month (default: the newest), each with what it
    forecasts for a line joining now: churn in its first month, survival after 12, 24 and
    36 months, expected lifetime and discounted expected months (the value policy's rate
    and horizon). Returns ``(as_of, rows)``; ``(None, [])`` when nothing was fitted yet."""
    import math

    import numpy as np

    from wanliu.scoring.engine.sbg import SbgFit, discounted_remaining_periods

    fits = LifetimeValueFit.objects.all()
    if as_of is None:
        newest = fits.order_by("-as_of").values_list("as_of", flat=True).first()
        if newest is None:
            return None, []
        as_of = newest
    policy = value_policy_current()
    monthly = math.expm1(math.log1p(float(policy.annual_discount_rate)) / 12)
    rows = []
    for stored in fits.filter(as_of=as_of).order_by("plan_family", "value_tier", "cohort"):
        fit = SbgFit(
            alpha=stored.alpha,
            beta=stored.beta,
            log_likelihood=stored.log_likelihood,
            initial=1.0,
            periods=0,
        )
        survival = fit.survival(36)
        months = discounted_remaining_periods(
            fit, survived=np.asarray([0]), discount=monthly, horizon=policy.horizon_months
        )
        lifetime = fit.expected_remaining_lifetime(0)
        rows.append(
            {
                "plan_family": stored.plan_family,
                "value_tier": stored.value_tier,
                "cohort": stored.cohort,
                "alpha": round(stored.alpha, 6),
                "beta": round(stored.beta, 6),
                "lines": stored.lines,
                "churned": stored.churned,
                "first_month_churn": round(stored.alpha / (stored.alpha + stored.beta), 6),
                "survival_12": round(float(survival[12]), 6),
                "survival_24": round(float(survival[24]), 6),
                "survival_36": round(float(survival[36]), 6),
                "expected_lifetime_months": round(lifetime, 2) if lifetime is not None else None,
                "discounted_months": round(float(months[0]), 4),
            }
        )
    return as_of, rows
