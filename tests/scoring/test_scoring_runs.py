"""Monthly scoring of the operator: stored scores with their model version, lifetime value
per segment, value at risk, the worker's job, and risk on the customer 360 and step 2.

One small generated operator per test (identical for the seed); the operator model is
trained once per session and promoted in each test's models root.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import shutil
from contextlib import redirect_stderr
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from scipy.special import betaln

from tests.factories import make_staff
from wanliu.customers.generator.services import operator_generate
from wanliu.customers.models import Customer, Line
from wanliu.org.models import Role
from wanliu.scoring.models import ChurnScore, LifetimeValueFit, ScoringRun
from wanliu.scoring.selectors import churn_model_get
from wanliu.scoring.services import churn_model_promote
from wanliu.scoring.services.runs import (
    scoring_monthly_ensure,
    scoring_run_execute,
    scoring_run_request,
)
from wanliu.scoring.services.training import operator_train

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 7, 1)  # the operator's data end with 2026-06
SEED = 11


def _generate() -> None:
    operator_generate(lines=1500, months=12, seed=SEED, as_of=dt.date(2026, 7, 10), progress=False)


@pytest.fixture(scope="session")
def operator_model(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: Any, django_db_blocker: Any
) -> Path:
    """The operator model of the seed's operator, trained once (in a throw-away root)."""
    root = tmp_path_factory.mktemp("operator-models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WANLIU_MODEL_ROOTS", str(root))
        from django.db import transaction

        with django_db_blocker.unblock(), transaction.atomic():
            _generate()
            result = operator_train(
                model="operator-test", months=3, algorithm="lightgbm", promote=False
            )
            transaction.set_rollback(True)
    return Path(result["model"])


@pytest.fixture
def scored_world(operator_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings):
    """The operator in the database and its model promoted in this test's models root."""
    root = tmp_path / "models"
    shutil.copytree(operator_model, root / operator_model.name)
    monkeypatch.setenv("WANLIU_MODEL_ROOTS", str(root))
    settings.VAR_DIR = tmp_path / "var"
    _generate()
    churn_model_promote(artefact=churn_model_get(str(root / operator_model.name)))
    return root


def _score_cli(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    with redirect_stderr(io.StringIO()):
        call_command("churn", "score-operator", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _active_at(day: dt.date) -> set[int]:
    lines = Line.objects.filter(activated_on__lt=day).exclude(cancelled_on__lt=day)
    return set(lines.values_list("pk", flat=True))


def test_every_active_line_gets_a_score_with_the_model_version(scored_world):
    # given a generated operator and a promoted operator model
    version = churn_model_get(str(next(scored_world.glob("operator-*")))).version
    # when the month is scored from the command line
    result = _score_cli("--as-of", "2026-07")
    # then every line active on the first of the month has one score, from that model
    assert result["status"] == "done" and result["model_version"] == version
    scores = ChurnScore.objects.filter(as_of=AS_OF)
    assert set(scores.values_list("line_id", flat=True)) == _active_at(AS_OF)
    assert result["lines_scored"] == scores.count()
    assert set(scores.values_list("model_version", flat=True)) == {version}
    # with a probability, a band, three reasons, a value and the value at risk
    for score in scores[:200]:
        assert 0.0 <= score.probability <= 1.0
        assert score.risk_band in {"low", "medium", "high", "very_high"}
        assert len(score.reasons) == 3
        assert score.remaining_value > 0
        expected = (Decimal(repr(score.probability)) * score.remaining_value).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert score.value_at_risk == expected
    total = sum(scores.values_list("value_at_risk", flat=True), Decimal("0"))
    assert Decimal(result["value_at_risk"]) == total
    assert sum(result["bands"].values()) == scores.count()


def test_risky_lines_churn_more_in_the_scored_month(scored_world):
    # given the month scored (the generated data hold what happened in July)
    _score_cli("--as-of", "2026-06")
    scores = list(ChurnScore.objects.filter(as_of=dt.date(2026, 6, 1)).select_related("line"))
    churned = np.asarray(
        [
            s.line.cancelled_on is not None and s.line.cancelled_on < dt.date(2026, 7, 1)
            for s in scores
        ]
    )
    probability = np.asarray([s.probability for s in scores])
    # then the riskiest tenth holds several times its share of the month's churners
    top = probability >= np.quantile(probability, 0.9)
    assert churned.sum() >= 5
    assert churned[top].mean() > 3 * churned.mean()


def test_remaining_value_is_margin_times_the_segment_survival_sum(scored_world):
    # given the month scored with the default value policy (60% margin, 10% a year, 120 months)
    _score_cli("--as-of", "2026-07")
    score = (
        ChurnScore.objects.filter(as_of=AS_OF, line__subscription__isnull=False)
        .select_related("line__subscription__plan")
        .order_by("line_id")
        .first()
    )
    assert score is not None
    family, tier, cohort = score.value_segment.split("/")
    fit = LifetimeValueFit.objects.get(
        as_of=AS_OF, plan_family=family, value_tier=tier, cohort=cohort
    )
    line = score.line
    # when recomputed by hand: margin = 60% of the plan fee shared by its active lines,
    # months = sum_k S(n + 1 + k) / S(n) / (1 + d)^k with d the monthly rate of 10% a year
    sharing = len(_active_at(AS_OF) & set(line.subscription.lines.values_list("pk", flat=True)))
    margin = 0.6 * float(line.subscription.plan.monthly_fee) / sharing
    n = (AS_OF.year - line.activated_on.year) * 12 + AS_OF.month - line.activated_on.month
    monthly = 1.1 ** (1 / 12) - 1

    def log_survival(t: float) -> float:
        return float(betaln(fit.alpha, fit.beta + t) - betaln(fit.alpha, fit.beta))

    months = sum(
        math.exp(log_survival(n + 1 + k) - log_survival(n)) / (1 + monthly) ** k for k in range(120)
    )
    # then the stored value is the same to the cent
    assert float(score.remaining_value) == pytest.approx(margin * months, abs=0.011)
    # and the operator-wide fit is always there for lines of small segments
    assert LifetimeValueFit.objects.filter(as_of=AS_OF, plan_family="*").exists()


def test_a_run_is_done_once_even_when_executed_twice(scored_world):
    # given a queued run
    run = scoring_run_request(as_of=AS_OF)
    assert run.status == ScoringRun.Status.QUEUED
    # when two workers execute it
    first = scoring_run_execute(run_id=run.pk)
    second = scoring_run_execute(run_id=run.pk)
    # then it ran once and scored each line once
    assert first.status == second.status == ScoringRun.Status.DONE
    assert ChurnScore.objects.filter(as_of=AS_OF).count() == len(_active_at(AS_OF))
    # and requesting the same month again while one is queued gives the queued one
    again = scoring_run_request(as_of=AS_OF)
    assert scoring_run_request(as_of=AS_OF).pk == again.pk != run.pk
    scoring_run_execute(run_id=again.pk)
    assert ChurnScore.objects.filter(as_of=AS_OF).count() == len(_active_at(AS_OF))


def test_the_monthly_job_queues_one_run_per_month_and_model(scored_world, monkeypatch):
    # given the worker's clock in July 2026 (the data end with June)
    now = dt.datetime(2026, 7, 3, 2, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "localdate", lambda value=None: dt.date(2026, 7, 3))
    # when the job fires twice
    run = scoring_monthly_ensure(now=now)
    # then one run is queued for July with the promoted model, and nothing the second time
    assert run is not None and run.as_of == AS_OF
    assert scoring_monthly_ensure(now=now) is None
    # and a run whose worker died long ago is marked failed and queued again
    ScoringRun.objects.filter(pk=run.pk).update(
        status=ScoringRun.Status.RUNNING, started_at=now - dt.timedelta(hours=7)
    )
    replacement = scoring_monthly_ensure(now=now)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED and "worker stopped" in run.error
    assert replacement is not None and replacement.status == ScoringRun.Status.QUEUED


def test_scoring_without_a_promoted_model_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("WANLIU_MODEL_ROOTS", str(tmp_path))
    assert scoring_monthly_ensure() is None
    with pytest.raises(CommandError, match="train-operator"):
        _score_cli("--as-of", "2026-07")
    with pytest.raises(CommandError, match="--as-of"):
        _score_cli("--as-of", "July")


def _customer_with_risky_line() -> tuple[Customer, ChurnScore]:
    score = (
        ChurnScore.objects.filter(as_of=AS_OF)
        .select_related("line__account__customer__store")
        .order_by("-probability")
        .first()
    )
    assert score is not None
    return score.line.account.customer, score


def test_the_360_shows_risk_exact_reasons_and_value(scored_world, api_client, client):
    # given the month scored and a clerk of the customer's store
    _score_cli("--as-of", "2026-07")
    customer, score = _customer_with_risky_line()
    clerk = make_staff(Role.CLERK, store=customer.store)
    # when the clerk opens the customer 360 through the API
    api_client.login_token(clerk.user.username)
    body = api_client.get(f"/api/v1/customers/{customer.pk}").json()
    # then the riskiest line's stored probability, band and value are there
    churn = body["churn"]
    assert churn["model_version"] == score.model_version and churn["as_of"] == "2026-07"
    top = churn["highest"]
    assert top["line_id"] == score.line_id
    assert top["probability"] == round(score.probability, 4)
    assert top["risk_band"] == score.risk_band
    assert Decimal(str(top["value_at_risk"])) == score.value_at_risk
    # with exact (TreeSHAP) reasons from the same model and inputs, read in words
    assert top["reasons_exact"] is True
    assert len(top["reasons"]) == 5
    assert all(r["label"] and r["text"] for r in top["reasons"])
    contributions = [r["contribution"] for r in top["reasons"]]
    assert contributions == sorted(contributions, reverse=True)
    # and the page shows them too
    client.force_login(clerk.user)
    page = client.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-test="risk-band"' in page and 'data-test="reasons-exact"' in page
    assert top["reasons"][0]["label"] in page


def test_a_customer_never_scored_shows_no_risk(scored_world, api_client):
    customer = Customer.objects.order_by("pk").first()
    clerk = make_staff(Role.CLERK, store=customer.store)
    api_client.login_token(clerk.user.username)
    assert api_client.get(f"/api/v1/customers/{customer.pk}").json()["churn"] is None


def test_step_two_shows_the_risk_of_the_lines_to_go(scored_world, api_client):
    # given the month scored and a cancellation request for the riskiest line
    _score_cli("--as-of", "2026-07")
    customer, score = _customer_with_risky_line()
    clerk = make_staff(Role.CLERK, store=customer.store)
    api_client.login_token(clerk.user.username)
    opened = api_client.post(
        "/api/v1/retention/requests",
        {"customer_id": customer.pk, "target": "line", "line_id": score.line_id, "kind": "cancel"},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    request_id = opened.json()["id"]
    # when step 2 is read
    body = api_client.get(f"/api/v1/retention/requests/{request_id}/consumption").json()
    # then it carries that line's risk and value from the newest score
    assert body["churn"]["highest"]["line_id"] == score.line_id
    assert Decimal(str(body["churn"]["value_at_risk_total"])) == score.value_at_risk


def test_clv_segments_lists_each_fit_with_its_forecasts(scored_world):
    # given no scoring yet, the command says what to run
    with pytest.raises(CommandError, match="score-operator"):
        call_command("clv", "segments", stdout=io.StringIO())
    # when the month is scored and the segments listed
    _score_cli("--as-of", "2026-07")
    out = io.StringIO()
    call_command("clv", "segments", "--as-of", "2026-07", "--json", stdout=out)
    body = json.loads(out.getvalue())
    # then every stored fit is there with its survival forecast for a line joining now
    assert body["as_of"] == "2026-07"
    assert len(body["segments"]) == LifetimeValueFit.objects.filter(as_of=AS_OF).count()
    for row in body["segments"]:
        a, b = row["alpha"], row["beta"]
        assert row["survival_12"] == pytest.approx(
            math.exp(betaln(a, b + 12) - betaln(a, b)), rel=1e-4
        )
        assert row["first_month_churn"] == pytest.approx(a / (a + b), rel=1e-4)
        assert 1 > row["survival_12"] > row["survival_24"] > row["survival_36"] > 0


def test_a_line_cancelled_after_scoring_has_no_risk_left_on_the_360(scored_world, api_client):
    # given the month scored, then the riskiest line of a customer cancelled at the desk
    from wanliu.customers.services import lines_cancel

    _score_cli("--as-of", "2026-07")
    customer, score = _customer_with_risky_line()
    clerk = make_staff(Role.CLERK, store=customer.store)
    lines_cancel(lines=[score.line], on=dt.date(2026, 7, 5), actor=clerk.user, reason="insisted")
    # when the 360 is read
    api_client.login_token(clerk.user.username)
    churn = api_client.get(f"/api/v1/customers/{customer.pk}").json()["churn"]
    # then that line is no longer among the lines at risk
    assert churn is None or score.line_id not in [row["line_id"] for row in churn["lines"]]
