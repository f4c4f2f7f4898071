"""Monthly snapshots: built once per closed month (by the worker, the report command, or on
the first look at a month), read back by every review of that month.

The month still running has no stored snapshot: its cells are computed when asked (they
change every day). A closed month without a snapshot raises :class:`SnapshotMissing`; the
page then asks for one (:func:`snapshot_request`, built by the worker) and says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from wanliu.analytics.cells import (
    AGENT_FCR_COLUMNS,
    CHURN_COLUMNS,
    CHURNED_COLUMNS,
    FCR_COLUMNS,
    HORIZONS,
    SEGMENT_COLUMNS,
    SURVIVAL_COLUMNS,
    VALUE_COLUMNS,
    MonthCells,
    as_int,
    month_cells_compute,
)
from wanliu.analytics.extract import frame_of
from wanliu.analytics.models import (
    AgentFcrCell,
    ChurnCell,
    ChurnedCustomerCell,
    FcrCell,
    ReviewSnapshot,
    SegmentFit,
    SurvivalCell,
    ValueCustomerCell,
)
from wanliu.analytics.months import is_closed, month_start
from wanliu.core.services import audit_record
from wanliu.core.tables import DEC2, INT, INT_NULL, JSON, TEXT, Table, table_write

log = logging.getLogger(__name__)
CELL_MODELS: tuple[type[Model], ...] = (
    ChurnCell,
    SurvivalCell,
    SegmentFit,
    FcrCell,
    AgentFcrCell,
    ValueCustomerCell,
    ChurnedCustomerCell,
)
FLOAT = "float"


class SnapshotMissing(Exception):
    """A closed month has no ready snapshot yet."""

    def __init__(self, month: dt.date, status: str | None) -> None:
        super().__init__(f"no snapshot of {month:%Y-%m} yet (status: {status or 'none'})")
        self.month = month
        self.status = status


# --- writing -------------------------------------------------------------------------------


def _floats(values: Any) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in values]


def _tables(snapshot: ReviewSnapshot, cells: MonthCells) -> list[Table]:
    pk = snapshot.pk

    def ids(n: int) -> np.ndarray:
        return np.full(n, pk, dtype=np.int64)

    c, s, g = cells.churn, cells.survival, cells.segments
    f, a, v, x = cells.fcr, cells.agent_fcr, cells.value_customers, cells.churned
    return [
        Table(
            ChurnCell,
            [
                ("snapshot", INT, ids(len(c))),
                ("unit", INT, as_int(c["unit_id"])),
                ("store", INT_NULL, as_int(c["store_id"])),
                ("plan_family", TEXT, list(c["plan_family"])),
                ("value_tier", TEXT, list(c["value_tier"])),
                ("active_at_start", INT, as_int(c["active_at_start"])),
                ("disconnected", INT, as_int(c["disconnected"])),
                ("fee_at_start", DEC2, c["fee_at_start"].astype(float).to_numpy()),
            ],
        ),
        Table(
            SurvivalCell,
            [
                ("snapshot", INT, ids(len(s))),
                ("unit", INT_NULL, as_int(s["unit_id"])),
                ("dimension", TEXT, list(s["dimension"])),
                ("key", TEXT, [str(k) for k in s["key"]]),
                ("lines", INT, as_int(s["lines"])),
                ("events", INT, as_int(s["events"])),
                *[(f"m{h}", TEXT, _floats(s[f"m{h}"])) for h in HORIZONS],
            ],
        ),
        Table(
            SegmentFit,
            [
                ("snapshot", INT, ids(len(g))),
                ("plan_family", TEXT, list(g["plan_family"])),
                ("value_tier", TEXT, list(g["value_tier"])),
                ("survivors", JSON, [_json_list(v) for v in g["survivors"]]),
                ("alpha", TEXT, _floats(g["alpha"])),
                ("beta", TEXT, _floats(g["beta"])),
                ("log_likelihood", TEXT, _floats(g["log_likelihood"])),
            ],
        ),
        Table(
            FcrCell,
            [
                ("snapshot", INT, ids(len(f))),
                ("customer_unit", INT, as_int(f["customer_unit_id"])),
                ("team", INT_NULL, as_int(f["team_id"])),
                ("channel", TEXT, list(f["channel"])),
                ("topic", TEXT, list(f["topic"])),
                ("contacts", INT, as_int(f["contacts"])),
                ("resolved", INT, as_int(f["resolved"])),
            ],
        ),
        Table(
            AgentFcrCell,
            [
                ("snapshot", INT, ids(len(a))),
                ("agent", INT, as_int(a["agent_id"])),
                ("team", INT, as_int(a["team_id"])),
                ("contacts", INT, as_int(a["contacts"])),
                ("resolved", INT, as_int(a["resolved"])),
            ],
        ),
        Table(
            ValueCustomerCell,
            [
                ("snapshot", INT, ids(len(v))),
                ("unit", INT, as_int(v["unit_id"])),
                ("customer", INT, as_int(v["customer_id"])),
                ("bill_total", DEC2, np.array([float(t) for t in v["bill_total"]], dtype=float)),
            ],
        ),
        Table(
            ChurnedCustomerCell,
            [
                ("snapshot", INT, ids(len(x))),
                ("unit", INT, as_int(x["unit_id"])),
                ("customer", INT, as_int(x["customer_id"])),
                ("lines", INT, as_int(x["lines"])),
                ("fee_lost", DEC2, x["fee_lost"].astype(float).to_numpy()),
            ],
        ),
    ]


def _json_list(values: Any) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def snapshot_build(
    *, months: Iterable[dt.date], actor: Any = None, today: dt.date | None = None
) -> list[ReviewSnapshot]:
    """Build (or rebuild) the snapshots of these closed months; returns them, ready.

    One read of the lines serves all the months; each month is written in its own
    transaction, its old cells replaced, with an audit row. Months still running are
    refused with ``ValueError``: their figures are not final."""
    today = today or timezone.localdate()
    wanted = sorted({month_start(m) for m in months})
    running = [m for m in wanted if not is_closed(m, today=today)]
    if running:
        raise ValueError(
            f"month {running[0]:%Y-%m} has not ended: only closed months get a snapshot"
        )
    if not wanted:
        return []
    began = time.perf_counter()
    began_at = timezone.now()
    for month in wanted:
        ReviewSnapshot.objects.update_or_create(
            month=month,
            defaults={"status": ReviewSnapshot.Status.BUILDING, "started_at": timezone.now()},
            create_defaults={
                "status": ReviewSnapshot.Status.BUILDING,
                "requested_at": timezone.now(),
                "started_at": timezone.now(),
            },
        )
    try:
        computed = month_cells_compute(wanted)
    except Exception as exc:
        ReviewSnapshot.objects.filter(month__in=wanted).update(
            status=ReviewSnapshot.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    seconds = (time.perf_counter() - began) / len(wanted)
    built = []
    for month in wanted:
        cells = computed[month]
        with transaction.atomic():
            snapshot = ReviewSnapshot.objects.select_for_update().get(month=month)
            if (
                snapshot.status == ReviewSnapshot.Status.QUEUED
                and snapshot.requested_at is not None
                and snapshot.requested_at > began_at
            ):
                # Its data changed while this build read it (a late import): the build
                # queued then makes it; these cells would already be out of date.
                continue
            for model in CELL_MODELS:
                model._default_manager.filter(snapshot=snapshot).delete()
            rows = {t.model._meta.model_name: table_write(t) for t in _tables(snapshot, cells)}
            snapshot.status = ReviewSnapshot.Status.READY
            snapshot.finished_at = timezone.now()
            snapshot.seconds = round(seconds, 3)
            snapshot.lines = cells.lines
            snapshot.error = ""
            snapshot.save(update_fields=["status", "finished_at", "seconds", "lines", "error"])
            audit_record(
                actor=actor,
                action="analytics.snapshot.build",
                obj=snapshot,
                after={"month": month.isoformat(), "rows": rows},
            )
        built.append(snapshot)
    log.info("snapshots built for %s in %.1f s", [f"{m:%Y-%m}" for m in wanted], seconds)
    return built


STALE_AFTER = dt.timedelta(minutes=30)


def _stale(snapshot: ReviewSnapshot) -> bool:
    """A failed build, or one queued or started so long ago that its worker must be gone."""
    if snapshot.status == ReviewSnapshot.Status.FAILED:
        return True
    if snapshot.status == ReviewSnapshot.Status.READY:
        return False
    since = (
        snapshot.started_at
        if snapshot.status == ReviewSnapshot.Status.BUILDING
        else snapshot.requested_at
    )
    return since is None or since < timezone.now() - STALE_AFTER


@transaction.atomic
def snapshot_request(*, months: Sequence[dt.date], actor: Any = None) -> list[ReviewSnapshot]:
    """Ask the worker to build the snapshots of these closed months (those not ready and not
    queued or being built already, unless that was more than half an hour ago); the task is
    queued when the transaction commits."""
    asked = []
    for month in sorted({month_start(m) for m in months}):
        snapshot, created = ReviewSnapshot.objects.get_or_create(
            month=month,
            defaults={"status": ReviewSnapshot.Status.QUEUED, "requested_at": timezone.now()},
        )
        if not created and not _stale(snapshot):
            continue
        if not created:
            _requeue(snapshot, timezone.now())
        audit_record(
            actor=actor,
            action="analytics.snapshot.request",
            obj=snapshot,
            after={"month": month.isoformat()},
        )
        asked.append(snapshot)
    _build_on_commit(asked)
    return asked


def _requeue(snapshot: ReviewSnapshot, now: dt.datetime) -> None:
    snapshot.status = ReviewSnapshot.Status.QUEUED
    snapshot.requested_at = now
    snapshot.started_at = None
    snapshot.save(update_fields=["status", "requested_at", "started_at"])


def _build_on_commit(snapshots: list[ReviewSnapshot]) -> None:
    """Queue the worker's build of these snapshots once the transaction commits."""
    from wanliu.analytics.tasks import snapshot_build_task

    if snapshots:
        names = [f"{s.month:%Y-%m}" for s in snapshots]
        transaction.on_commit(lambda: snapshot_build_task.enqueue(months=names))


@transaction.atomic
def snapshots_outdate(
    *, changed_from: dt.date, actor: Any = None, reason: str = ""
) -> list[ReviewSnapshot]:
    """The data of months from ``changed_from`` on has changed (a late import): the
    snapshots of those months are queued to be built again, and until they are, their
    reviews say the figures are being prepared rather than show the old ones. A snapshot
    of a month covers the twelve months to it, so every later month is outdated too."""
    first = month_start(changed_from) if changed_from > dt.date.min else dt.date.min
    outdated = list(
        ReviewSnapshot.objects.select_for_update().filter(month__gte=first).order_by("month")
    )
    now = timezone.now()
    for snapshot in outdated:
        before = snapshot.status
        _requeue(snapshot, now)
        audit_record(
            actor=actor,
            action="analytics.snapshot.outdated",
            obj=snapshot,
            before={"status": before},
            after={"status": snapshot.status, "changed_from": changed_from.isoformat()},
            note=reason,
        )
    _build_on_commit(outdated)
    return outdated


# --- reading -------------------------------------------------------------------------------


def snapshot_states(months: Sequence[dt.date]) -> dict[dt.date, str | None]:
    found = dict(
        ReviewSnapshot.objects.filter(month__in=list(months)).values_list("month", "status")
    )
    return {m: found.get(m) for m in months}


def _stored(
    snapshot_id: int,
    month: dt.date,
    lines: int,
    *,
    churn_only: bool = False,
    unit_path: str | None = None,
) -> MonthCells:
    def read(model: type[Model], columns: dict[str, str], scope: str | None = None) -> pd.DataFrame:
        cells = model._default_manager.filter(snapshot_id=snapshot_id)
        if unit_path and scope:  # only the subtree's cells (the reviewer scopes them again)
            cells = cells.filter(**{f"{scope}__path__startswith": unit_path})
        return frame_of(cells.values_list(*[_FIELD.get(name, name) for name in columns]), columns)

    churn = read(
        ChurnCell,
        {
            "unit_id": "int",
            "store_id": "int",
            "plan_family": "text",
            "value_tier": "text",
            "active_at_start": "int",
            "disconnected": "int",
            "fee_at_start": FLOAT,
        },
        "unit",
    )[CHURN_COLUMNS]
    if churn_only:
        return MonthCells(month=month, churn=churn, lines=lines)
    survival = read(
        SurvivalCell,
        {
            "unit_id": "int",
            "dimension": "text",
            "key": "text",
            "lines": "int",
            "events": "int",
            **{f"m{h}": FLOAT for h in HORIZONS},
        },
    )
    survival["unit_id"] = survival["unit_id"].astype("Int64").fillna(-1).astype("int64")
    segments = read(
        SegmentFit,
        {
            "plan_family": "text",
            "value_tier": "text",
            "survivors": "text",
            "alpha": FLOAT,
            "beta": FLOAT,
            "log_likelihood": FLOAT,
        },
    )
    segments["survivors"] = [_parse_list(v) for v in segments["survivors"]]
    return MonthCells(
        month=month,
        churn=churn,
        survival=survival[SURVIVAL_COLUMNS],
        segments=segments[SEGMENT_COLUMNS],
        fcr=read(
            FcrCell,
            {
                "customer_unit_id": "int",
                "team_id": "int",
                "channel": "text",
                "topic": "text",
                "contacts": "int",
                "resolved": "int",
            },
            "customer_unit",
        )[FCR_COLUMNS],
        agent_fcr=read(
            AgentFcrCell,
            {"agent_id": "int", "team_id": "int", "contacts": "int", "resolved": "int"},
            "team",
        )[AGENT_FCR_COLUMNS],
        value_customers=read(
            ValueCustomerCell,
            {"unit_id": "int", "customer_id": "int", "bill_total": "decimal"},
            "unit",
        )[VALUE_COLUMNS],
        churned=read(
            ChurnedCustomerCell,
            {"unit_id": "int", "customer_id": "int", "lines": "int", "fee_lost": FLOAT},
            "unit",
        )[CHURNED_COLUMNS],
        lines=lines,
    )


_FIELD = {
    "unit_id": "unit_id",
    "store_id": "store_id",
    "customer_unit_id": "customer_unit_id",
    "team_id": "team_id",
    "agent_id": "agent_id",
    "customer_id": "customer_id",
}


def _parse_list(text: Any) -> list[int]:
    if isinstance(text, list):
        return [int(v) for v in text]
    inner = str(text).strip().strip("[]")
    return [int(v) for v in inner.split(",") if v.strip()]


def month_cells(
    month: dt.date,
    *,
    today: dt.date | None = None,
    churn_only: bool = False,
    unit_path: str | None = None,
) -> MonthCells:
    """The cells of ``month``: stored for a closed month (``SnapshotMissing`` when there is
    no ready snapshot), computed now for the month still running or a later one
    (``churn_only``: only the churn cells are read, for the month before the reviewed one).
    With ``unit_path`` a stored month's unit-level cells are read for that subtree only."""
    today = today or timezone.localdate()
    month = month_start(month)
    if not is_closed(month, today=today):
        return month_cells_compute([month])[month]
    snapshot = ReviewSnapshot.objects.filter(month=month).first()
    if snapshot is None or snapshot.status != ReviewSnapshot.Status.READY:
        raise SnapshotMissing(month, snapshot.status if snapshot else None)
    return _stored(snapshot.pk, month, snapshot.lines, churn_only=churn_only, unit_path=unit_path)


def months_missing(months: Sequence[dt.date], *, today: dt.date | None = None) -> list[dt.date]:
    """The closed months among these without a ready snapshot."""
    today = today or timezone.localdate()
    closed = [month_start(m) for m in months if is_closed(m, today=today)]
    states = snapshot_states(closed)
    return [m for m in closed if states[m] != ReviewSnapshot.Status.READY]
