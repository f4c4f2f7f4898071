"""Writes of the churn model registry."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from wanliu.core.services import audit_record
from wanliu.scoring.engine.artefact import Artefact
from wanliu.scoring.selectors import PROMOTED_FILE, churn_model_promoted, model_roots


@dataclass(frozen=True)
class PromotedModel:
    """What the audit row names: the promoted model version."""

    pk: str


@transaction.atomic
def churn_model_promote(*, artefact: Artefact, actor: Any = None) -> str | None:
    """Make a verified artefact the promoted model of its models root; returns the previous one."""
    root = next((r for r in model_roots() if artefact.path.is_relative_to(r)), artefact.path.parent)
    previous = churn_model_promoted(root)
    record = {
        "model_version": artefact.version,
        "path": artefact.path.name,
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    audit_record(
        actor=actor,
        action="scoring.model.promote",
        obj=PromotedModel(pk=artefact.version),
        before={"model_version": previous},
        after=record,
    )
    handle, staging = tempfile.mkstemp(prefix=".promoted-", dir=root)
    with os.fdopen(handle, "w") as out:
        json.dump(record, out, indent=2)
    os.replace(staging, root / PROMOTED_FILE)
    return previous
