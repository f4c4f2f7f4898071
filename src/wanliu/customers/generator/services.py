"""``operator_generate``: fill an empty database with a generated operator."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Model
from tqdm import tqdm

from wanliu.core.database import bulk_load_finish
from wanliu.core.services import audit_record
from wanliu.core.tables import table_write
from wanliu.customers.generator.market import market_create
from wanliu.customers.generator.org import organisation_create, plans_create
from wanliu.customers.generator.simulate import (
    Calendar,
    Context,
    Sequences,
    number_scrambles,
    simulate_chunk,
)
from wanliu.customers.models import (
    Account,
    Bill,
    ChurnTruth,
    Contact,
    Customer,
    Line,
    Plan,
    PlanChange,
    Subscription,
    Usage,
)
from wanliu.org.models import OrgUnit, Region, Staff, Store

# Lines simulated and written per chunk (one transaction each). Part of what a seed
# means: changing it changes the generated operator.
CHUNK_LINES = 50_000
MAX_LINES = 20_000_000
MAX_MONTHS = 60
SQLITE_LOAD_CACHE_KIB = 512 * 1024

_ID_TABLES: dict[str, type[Model]] = {
    "customer": Customer,
    "account": Account,
    "subscription": Subscription,
    "line": Line,
    "plan_change": PlanChange,
    "churn_truth": ChurnTruth,
    "usage": Usage,
    "bill": Bill,
    "contact": Contact,
}


class OperatorDataExists(Exception):
    """The database already holds operator data; generation only fills an empty one."""


@dataclass(frozen=True)
class GeneratedOperator:
    """What the audit row points at: one generation run, named by its parameters."""

    pk: str


@dataclass
class GenerationReport:
    lines: int
    months: list[dt.date]
    seed: int
    as_of: dt.date
    rows: dict[str, int] = field(default_factory=dict)
    churned_lines: int = 0
    staff_by_role: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def operator_data_counts() -> dict[str, int]:
    """Rows that make a database 'not empty' for the generator."""
    return {
        "customers": Customer.objects.count(),
        "organisation units": OrgUnit.objects.count(),
        "tariff plans": Plan.objects.count(),
        "regions": Region.objects.count(),
    }


def _check_empty() -> None:
    counts = operator_data_counts()
    if any(counts.values()):
        held = ", ".join(f"{n} {label}" for label, n in counts.items() if n)
        raise OperatorDataExists(
            f"this database already holds operator data ({held}); `wanliu generate` only "
            "fills an empty database and never adds to or replaces existing data. Use a "
            "fresh database: set DATABASE_URL (or WANLIU_VAR_DIR) to a new one, or remove "
            "the SQLite file, then run `wanliu migrate` and `wanliu generate` again."
        )


def _next_ids() -> dict[str, int]:
    return {
        label: (model._default_manager.aggregate(top=Max("id"))["top"] or 0) + 1
        for label, model in _ID_TABLES.items()
    }


@contextmanager
def _bulk_load_settings() -> Iterator[None]:
    """Session settings for the bulk load, restored afterwards.

    SQLite: a larger page cache (random inserts into the unique number and name indexes
    stay in memory). PostgreSQL: no wait for the WAL flush at each chunk's commit, and,
    where the role may (superusers, as ``pg_restore --disable-triggers`` does), no
    row-by-row foreign-key triggers: the ids are allocated here and consistent.
    """
    before = None
    replica = False
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            before = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size={-SQLITE_LOAD_CACHE_KIB}")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit = off")
            try:
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
                replica = True
            except DatabaseError:
                pass  # not allowed for this role: foreign keys are checked as usual
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if before is not None:
                cursor.execute(f"PRAGMA cache_size={int(before)}")
            if connection.vendor == "postgresql":
                if replica:
                    cursor.execute("RESET session_replication_role")
                cursor.execute("RESET synchronous_commit")


@contextmanager
def _postgres_indexes_built_after_load() -> Iterator[None]:
    """PostgreSQL: drop the secondary indexes of the bulk tables (not those behind primary
    keys or unique constraints), and build them again once the rows are in, which is much
    cheaper than maintaining them row by row (the documented way to populate a database).
    They are rebuilt on errors too; inside an outer transaction a rollback restores them."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in _ID_TABLES.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
            "ORDER BY i.indexname",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                for _name, definition in indexes:
                    cursor.execute(definition)
        except DatabaseError:
            if not connection.in_atomic_block:
                raise
            # the outer transaction is failing: its rollback brings the indexes back


def _finish_database() -> None:
    """Sequences past our explicit ids (PostgreSQL) and fresh planner statistics."""
    bulk_load_finish(explicit_ids=list(_ID_TABLES.values()), app_labels=["org", "customers"])


def operator_generate(
    *,
    lines: int,
    months: int,
    seed: int,
    as_of: dt.date,
    progress: bool = True,
    chunk_lines: int = CHUNK_LINES,
) -> GenerationReport:
    """Generate an operator with ``lines`` lines and ``months`` months of history ending
    with the last whole month before ``as_of``. Same arguments, same rows.

    Raises ``OperatorDataExists`` when the database is not empty, ``ValueError`` on bad
    arguments. ``chunk_lines`` is part of what a seed means (the default is what the
    command uses); one transaction per chunk.
    """
    if not 1 <= lines <= MAX_LINES:
        raise ValueError(f"lines must be between 1 and {MAX_LINES:,}, not {lines}")
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}, not {months}")
    if seed < 0:
        raise ValueError(f"seed must be zero or a positive whole number, not {seed}")
    if chunk_lines < 1:
        raise ValueError("chunk_lines must be positive")
    began = time.perf_counter()
    _check_empty()
    calendar = Calendar.ending_before(as_of, months)
    report = GenerationReport(lines=lines, months=calendar.month_starts, seed=seed, as_of=as_of)
    rows: Counter[str] = Counter()
    with transaction.atomic():
        org = organisation_create(lines=lines, seed=seed, as_of=as_of)
        plans = plans_create()
        market = market_create(org=org, month_starts=calendar.month_starts, seed=seed)
    rows.update(
        {
            "org.region": Region.objects.count(),
            "org.orgunit": OrgUnit.objects.count(),
            "org.store": Store.objects.count(),
            "org.staff": Staff.objects.count(),
            "customers.plan": Plan.objects.count(),
            "customers.competitorpromotion": market.rows,
        }
    )
    report.staff_by_role = org.staff_by_role
    context = Context(seed=seed, calendar=calendar, org=org, plans=plans, market=market)
    sequences = Sequences(next_id=_next_ids(), scramble=number_scrambles(seed))
    # Ids are allocated here, so SQLite's row-by-row foreign-key lookups are skipped while
    # loading (Django turns them back on after; inside an outer transaction, as in tests,
    # they cannot be turned off and stay on).
    with (
        _bulk_load_settings(),
        connection.constraint_checks_disabled(),
        _postgres_indexes_built_after_load(),
        tqdm(
            total=lines,
            unit=" lines",
            unit_scale=True,
            desc="Generating operator",
            file=sys.stderr,
            disable=not progress,
        ) as bar,
    ):
        for chunk_index, first in enumerate(range(0, lines, chunk_lines)):
            target = min(chunk_lines, lines - first)
            chunk = simulate_chunk(
                context, chunk_index=chunk_index, target_lines=target, seq=sequences
            )
            with transaction.atomic():
                for table in chunk.tables:
                    rows[table.model._meta.label_lower] += table_write(table)
            report.churned_lines += chunk.churned_lines
            bar.update(target)
    with transaction.atomic():
        _finish_database()
        report.rows = dict(rows)
        report.seconds = time.perf_counter() - began
        audit_record(
            actor=None,
            action="operator.generate",
            obj=GeneratedOperator(pk=f"seed={seed}"),
            after={
                "lines": lines,
                "months": months,
                "seed": seed,
                "as_of": as_of.isoformat(),
                "rows": report.rows,
                "churned_lines": report.churned_lines,
            },
            note=f"generated {lines} lines x {months} months",
        )
    return report
