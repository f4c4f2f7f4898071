"""Demo data: past cancellation requests for the generated operator."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wanliu.customers.generator.services import operator_generate
from wanliu.customers.models import Line
from wanliu.retention.generator import RetentionHistoryExists, retention_history_generate
from wanliu.retention.models import (
    CancellationRequest,
    OfferGrant,
    Status,
    StepRecord,
    Transfer,
    WinBackEntry,
)
from wanliu.retention.selectors import missing_steps, recorded_steps_by_request

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 23)
SEED = 7


@pytest.fixture
def operator(db: None) -> None:
    operator_generate(lines=3000, months=6, seed=SEED, as_of=AS_OF, progress=False)


def _fingerprint() -> list[tuple[object, ...]]:
    return [
        (
            r.customer_id,
            r.opened_at,
            r.store_id,
            r.status,
            r.outcome,
            r.reason,
            r.refusal_flagged_at is not None,
            r.step_records.count(),
            r.grants.count(),
        )
        for r in CancellationRequest.objects.order_by("opened_at", "customer_id")
    ]


def _wipe() -> None:
    CancellationRequest.objects.update(accepted_grant=None)
    CancellationRequest.objects.all().delete()


def test_history_follows_the_generated_churn_with_realistic_mixes(operator):
    report = retention_history_generate(seed=SEED, as_of=AS_OF, progress=False)
    requests = CancellationRequest.objects.all()
    assert report["retention.cancellationrequest"] == requests.count() > 100
    # every request is finished: closed with an outcome, cancelled or retained
    assert set(requests.values_list("status", flat=True)) == {Status.CLOSED}
    outcomes = set(requests.values_list("outcome", flat=True))
    assert {Status.CANCELLED, Status.RETAINED_WITH_OFFER, Status.RETAINED_SAME_PLAN} <= outcomes
    # churned bundles end cancelled: nearly every churned line has its request
    churned_subs = set(
        Line.objects.filter(status=Line.Status.CANCELLED).values_list("subscription_id", flat=True)
    )
    cancelled_subs = set(
        requests.filter(outcome=Status.CANCELLED).values_list("subscription_id", flat=True)
    )
    assert len(churned_subs & cancelled_subs) >= 0.9 * len(churned_subs)
    # stores differ: refusals flagged, transfers, steps skipped, offers decided by the branch
    assert report["refusals"] == requests.filter(refusal_flagged_at__isnull=False).count() > 0
    assert Transfer.objects.filter(kind=Transfer.Kind.TRANSFER).count() == report["transfers"] > 0
    finished = list(requests)
    recorded = recorded_steps_by_request([r.pk for r in finished])
    missing = sum(1 for r in finished if missing_steps(r, recorded[r.pk]))
    assert 0.1 * len(finished) < missing < 0.6 * len(finished)
    statuses = set(OfferGrant.objects.values_list("status", flat=True))
    assert {OfferGrant.Status.APPROVED, OfferGrant.Status.GRANTED} <= statuses
    approved = OfferGrant.objects.filter(status=OfferGrant.Status.APPROVED).first()
    assert approved is not None and approved.decided_by.staff.role == "branch_manager"
    # the cancelled get a win-back entry, the retained care contacts
    assert WinBackEntry.objects.count() == requests.filter(outcome=Status.CANCELLED).count()
    assert StepRecord.objects.filter(step=5).exists()
    # refusals were processed later than the deadline
    refused = requests.filter(refusal_flagged_at__isnull=False).first()
    assert refused.cancelled_at > refused.due_at


def test_history_is_deterministic_for_a_seed_and_runs_once(operator):
    retention_history_generate(seed=SEED, as_of=AS_OF, progress=False)
    first = _fingerprint()
    with pytest.raises(RetentionHistoryExists):
        retention_history_generate(seed=SEED, as_of=AS_OF, progress=False)
    _wipe()
    retention_history_generate(seed=SEED, as_of=AS_OF, progress=False)
    assert _fingerprint() == first
    _wipe()
    retention_history_generate(seed=SEED + 1, as_of=AS_OF, progress=False)
    assert _fingerprint() != first


def test_the_command(operator):
    out = StringIO()
    call_command(
        "retention",
        "history",
        "--seed",
        str(SEED),
        "--as-of",
        "2026-11-23",
        "--no-progress",
        stdout=out,
    )
    assert "past cancellation requests" in out.getvalue()
    assert CancellationRequest.objects.exists()
    with pytest.raises(CommandError):
        call_command(
            "retention", "history", "--seed", str(SEED), "--no-progress", stdout=StringIO()
        )


def test_the_scan_command(world):
    out = StringIO()
    call_command("retention", "scan", stdout=out)
    assert "Flagged 0 refusal(s); expired 0 approval(s)." in out.getvalue()
