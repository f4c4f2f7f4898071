"""Monthly scoring: every line active at the start of a month gets its churn probability,
risk band, reasons, remaining value and value at risk, from one model version.

``scoring_run_request`` queues a run (the worker picks it up: ``wanliu.scoring.tasks``);
``scoring_run_execute`` does the work and is safe to call twice or from two workers (the
first to claim the queued run does it; the other returns). A run:

1. extracts the operator tables to Parquet and builds the features as of the month
   (``wanliu.scoring.operator``);
2. fits the shifted-beta-geometric lifetime model per segment and values every line
   (``wanliu.scoring.value``), with the active ``ValuePolicy``;
3. scores the lines in batches with the model (per-leaf reasons), and replaces the
   month's ``ChurnScore`` rows and ``LifetimeValueFit`` rows in one transaction;
4. keeps the feature table of the month (``<var>/scoring/features-YYYY-MM.parquet``) so
   the customer 360 can explain one customer exactly (TreeSHAP) with the same inputs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from wanliu.core.services import audit_record
from wanliu.core.tables import AS_IS, INT, JSON, TEXT, Table, table_write
from wanliu.customers.models import Bill
from wanliu.scoring.engine.artefact import Artefact
from wanliu.scoring.engine.errors import ArtefactError, EngineError
from wanliu.scoring.engine.sbg import value_at_risk
from wanliu.scoring.engine.scorer import required_columns, score_batch
from wanliu.scoring.models import ChurnScore, LifetimeValueFit, ScoringRun, ValuePolicy
from wanliu.scoring.operator import features_as_of, month_add, operator_extract
from wanliu.scoring.selectors import (
    churn_model_get,
    churn_model_promoted_path,
    value_policy_current,
)
from wanliu.scoring.value import (
    ValueTerms,
    line_values,
    segment_fits,
    segment_lifetimes,
)

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
REASONS = 3
BATCH_ROWS = 20_000
WRITE_BATCH = 5_000
FEATURES_KEPT = 3
STALE_AFTER = dt.timedelta(hours=6)
FEATURE_MONTHS = 6  # the longest look-back of ``features_as_of``
ACTIVE = (ScoringRun.Status.QUEUED, ScoringRun.Status.RUNNING)


class ScoringError(EngineError):
    """A scoring run cannot be requested or done; the message says why and what to do."""


def features_dir() -> Path:
    return Path(settings.VAR_DIR) / "scoring"


def features_path(as_of: dt.date) -> Path:
    return features_dir() / f"features-{as_of:%Y-%m}.parquet"


def scoring_month_default(*, today: dt.date | None = None) -> dt.date:
    """The month to score: this month, or the month after the newest billed one if the
    data stop earlier (a restored or generated database)."""
    current = (today or timezone.localdate()).replace(day=1)
    newest = Bill.objects.aggregate(newest=Max("month"))["newest"]
    if newest is None:
        return current
    return min(current, month_add(newest.replace(day=1), 1))


def _terms(policy: ValuePolicy) -> ValueTerms:
    return ValueTerms(
        margin_share=float(policy.margin_share),
        annual_discount_rate=float(policy.annual_discount_rate),
        horizon_months=int(policy.horizon_months),
    )


@transaction.atomic
def scoring_run_request(
    *, as_of: dt.date | None = None, actor: Any = None, model: str | None = None
) -> ScoringRun:
    """Queue the scoring of a month with the promoted model (or ``model``).

    A run of the same month and model already queued or running is returned instead of a
    second one. The worker starts it once this transaction commits."""
    month = (as_of or scoring_month_default()).replace(day=1)
    artefact = _artefact(model)
    existing = ScoringRun.objects.filter(
        as_of=month, model_version=artefact.version, status__in=ACTIVE
    ).first()
    if existing is not None:
        return existing
    run = ScoringRun.objects.create(
        as_of=month,
        model_version=artefact.version,
        model_path=str(artefact.path),
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="scoring.run.request",
        obj=run,
        after={"as_of": f"{month:%Y-%m}", "model_version": artefact.version},
    )
    from wanliu.scoring.tasks import scoring_run_task

    transaction.on_commit(lambda: scoring_run_task.enqueue(run.pk))
    return run


def _artefact(model: str | None) -> Artefact:
    if model is None:
        path = churn_model_promoted_path()
        if path is None:
            raise ScoringError(
                "no churn model is promoted: run `wanliu churn train-operator` (or "
                "`wanliu churn promote --model ...`) first"
            )
        model = str(path)
    return churn_model_get(model, threads=2)


def scoring_monthly_ensure(*, now: dt.datetime | None = None) -> ScoringRun | None:
    """The periodic job: make sure this month is scored with the promoted model.

    Returns the run queued now, or None when there is nothing to do (no promoted model, the
    month already scored or being scored). A run left running by a worker that died more
    than ``STALE_AFTER`` ago is marked failed and queued again."""
    now = now or timezone.now()
    path = churn_model_promoted_path()
    if path is None:
        return None
    month = scoring_month_default(today=timezone.localdate(now))
    stale = ScoringRun.objects.filter(
        status=ScoringRun.Status.RUNNING, started_at__lt=now - STALE_AFTER
    )
    for run in stale:
        _finish_failed(run.pk, "the worker stopped during the run; queued again")
    artefact = churn_model_get(str(path), threads=2)
    if ScoringRun.objects.filter(
        as_of=month,
        model_version=artefact.version,
        status__in=(*ACTIVE, ScoringRun.Status.DONE),
    ).exists():
        return None
    return scoring_run_request(as_of=month, model=str(path))


def _claim(run_id: int) -> bool:
    claimed = ScoringRun.objects.filter(pk=run_id, status=ScoringRun.Status.QUEUED).update(
        status=ScoringRun.Status.RUNNING, started_at=timezone.now(), error=""
    )
    return claimed == 1


def _finish_failed(run_id: int, message: str) -> None:
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        before = run.status
        run.status = ScoringRun.Status.FAILED
        run.error = message[:4000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            actor=None,
            action="scoring.run.fail",
            obj=run,
            before={"status": before},
            after={"status": run.status, "error": run.error},
        )


def scoring_run_execute(*, run_id: int, progress: bool = False) -> ScoringRun:
    """Do a queued run. Safe to call twice: a run that is not queued is returned as is."""
    if not _claim(run_id):
        return ScoringRun.objects.get(pk=run_id)
    run = ScoringRun.objects.get(pk=run_id)
    try:
        _execute(run, progress=progress)
    except (EngineError, ArtefactError, OSError, ValueError) as exc:
        _finish_failed(run.pk, str(exc))
        raise
    run.refresh_from_db()
    return run


def _execute(run: ScoringRun, *, progress: bool) -> None:
    artefact = churn_model_get(run.model_path or run.model_version, threads=2)
    if artefact.version != run.model_version:
        raise ScoringError(
            f"{run.model_path} now holds model {artefact.version}, not {run.model_version}: "
            "request a new run"
        )
    if artefact.id_column != "line_id":
        raise ScoringError(
            f"model {artefact.version} was not trained on operator features (its id column is "
            f"{artefact.id_column!r}, not 'line_id'): train one with `wanliu churn train-operator`"
        )
    policy = value_policy_current()
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(now - clock, 2)
        clock = now

    with tempfile.TemporaryDirectory(prefix="wanliu-scoring-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, since=month_add(run.as_of, -FEATURE_MONTHS), progress=progress)
        lap("extract")
        features = features_as_of(tables, as_of=run.as_of)
        if features.num_rows == 0:
            raise ScoringError(f"no line was active on {run.as_of:%Y-%m-%d}: nothing to score")
        lap("features")
        lifetimes = segment_lifetimes(tables, as_of=run.as_of)
        fits = segment_fits(lifetimes)
        values = line_values(tables, as_of=run.as_of, fits=fits, terms=_terms(policy))
        lap("value")
    scored = _score(artefact, features, progress=progress)
    lap("score")
    summary = _write(run, scored=scored, values=values, fits=fits, progress=progress)
    lap("store")
    _keep_features(features, run.as_of)
    lap("keep_features")
    summary["seconds"] = seconds
    with transaction.atomic():
        locked = ScoringRun.objects.select_for_update().get(pk=run.pk)
        locked.status = ScoringRun.Status.DONE
        locked.lines_scored = scored.num_rows
        locked.summary = summary
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "lines_scored", "summary", "finished_at"])
        audit_record(
            actor=None,
            action="scoring.run.done",
            obj=locked,
            before={"status": ScoringRun.Status.RUNNING},
            after={"status": locked.status, "lines_scored": locked.lines_scored, **summary},
        )


def _score(artefact: Artefact, features: pa.Table, *, progress: bool) -> pa.Table:
    columns = required_columns(artefact, features.column_names)
    table = features.select(columns)
    parts = []
    bar = tqdm(
        total=table.num_rows,
        desc="churn score",
        unit="lines",
        file=sys.stderr,
        disable=not progress,
    )
    for start in range(0, table.num_rows, BATCH_ROWS):
        batch = table.slice(start, BATCH_ROWS)
        parts.append(
            score_batch(
                artefact, batch, ids=batch.column("line_id").combine_chunks(), reasons=REASONS
            )
        )
        bar.update(batch.num_rows)
    bar.close()
    return pa.concat_tables(parts)


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(CENT, rounding=ROUND_HALF_UP)


def _reasons(scored: pa.Table) -> list[list[dict[str, Any]]]:
    rows = scored.num_rows
    out: list[list[dict[str, Any]]] = [[] for _ in range(rows)]
    for k in range(1, REASONS + 1):
        features = scored.column(f"reason_{k}_feature").to_pylist()
        values = scored.column(f"reason_{k}_value").to_pylist()
        contributions = scored.column(f"reason_{k}_contribution").to_pylist()
        for i in range(rows):
            if features[i] is None:
                continue
            out[i].append(
                {
                    "feature": features[i],
                    "value": values[i],
                    "contribution": round(float(contributions[i]), 4),
                }
            )
    return out


def _write(
    run: ScoringRun,
    *,
    scored: pa.Table,
    values: pa.Table,
    fits: dict[tuple[str, str, str], Any],
    progress: bool,
) -> dict[str, Any]:
    value_of = dict(
        zip(
            values.column("line_id").to_pylist(),
            zip(
                values.column("remaining_value").to_pylist(),
                values.column("segment").to_pylist(),
                strict=True,
            ),
            strict=True,
        )
    )
    ids = scored.column("id").to_pylist()
    probability = scored.column("probability").to_numpy()
    bands = scored.column("risk_band").to_pylist()
    reasons = _reasons(scored)
    bar = tqdm(
        total=len(ids), desc="store scores", unit="lines", file=sys.stderr, disable=not progress
    )
    total_at_risk = Decimal("0")
    with transaction.atomic():
        ChurnScore.objects.filter(as_of=run.as_of).delete()
        LifetimeValueFit.objects.filter(as_of=run.as_of).delete()
        LifetimeValueFit.objects.bulk_create(
            LifetimeValueFit(
                as_of=run.as_of,
                plan_family=segment.plan_family,
                value_tier=segment.value_tier,
                cohort=segment.cohort,
                alpha=segment.fit.alpha,
                beta=segment.fit.beta,
                lines=segment.lines,
                churned=segment.churned,
                log_likelihood=segment.fit.log_likelihood,
            )
            for segment in fits.values()
        )
        for start in range(0, len(ids), WRITE_BATCH):
            stop = min(start + WRITE_BATCH, len(ids))
            remaining_values: list[str | None] = []
            at_risk_values: list[str | None] = []
            segments: list[str] = []
            for i in range(start, stop):
                remaining, segment = value_of.get(ids[i], (None, ""))
                segments.append(segment)
                if remaining is None:
                    remaining_values.append(None)
                    at_risk_values.append(None)
                    continue
                remaining_value = _money(remaining)
                at_risk = value_at_risk(
                    churn_probability=float(probability[i]), remaining_value=remaining_value
                )
                total_at_risk += at_risk
                remaining_values.append(str(remaining_value))
                at_risk_values.append(str(at_risk))
            n = stop - start
            table_write(
                Table(
                    ChurnScore,
                    [
                        ("line", INT, ids[start:stop]),
                        ("run", INT, [run.pk] * n),
                        ("as_of", AS_IS, [run.as_of.isoformat()] * n),
                        ("model_version", TEXT, [run.model_version] * n),
                        ("probability", AS_IS, probability[start:stop].astype(float).tolist()),
                        ("risk_band", TEXT, bands[start:stop]),
                        ("reasons", JSON, [json.dumps(r) for r in reasons[start:stop]]),
                        ("remaining_value", AS_IS, remaining_values),
                        ("value_at_risk", AS_IS, at_risk_values),
                        ("value_segment", TEXT, segments),
                    ],
                )
            )
            bar.update(n)
    bar.close()
    return {
        "bands": dict(sorted(Counter(bands).items())),
        "mean_probability": round(float(np.mean(probability)), 6) if len(ids) else None,
        "value_at_risk": str(total_at_risk),
        "segments_fitted": len(fits),
    }


def _keep_features(features: pa.Table, as_of: dt.date) -> None:
    """Write the month's feature table atomically; keep the newest ``FEATURES_KEPT``."""
    folder = features_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=".features-", suffix=".parquet", dir=folder)
    os.close(handle)
    pq.write_table(features.sort_by("line_id"), staging, row_group_size=10_000)
    os.replace(staging, features_path(as_of))
    kept = sorted(folder.glob("features-*.parquet"), reverse=True)
    for old in kept[FEATURES_KEPT:]:
        old.unlink(missing_ok=True)
