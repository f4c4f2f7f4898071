"""The shifted-beta-geometric model against the published example, and ``wanliu clv sbg``.

Reference: Fader, P. S. and Hardie, B. G. S. (2007), "How to project customer retention",
Journal of Interactive Marketing 21(1), 76-90, Table 1 and section "Estimation": the
survivors of 1,000 customers of a "high end" and a "regular" cohort over seven years, with
maximum-likelihood estimates alpha = 0.668, beta = 3.806 (high end) and alpha = 0.704,
beta = 1.182 (regular).
"""

from __future__ import annotations

import io
import json
import math
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wanliu.scoring.engine.errors import EngineError
from wanliu.scoring.engine.sbg import sbg_fit, value_at_risk

HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta"),
    [(HIGH_END, 0.668, 3.806), (REGULAR, 0.704, 1.182)],
)
def test_reproduces_the_published_estimates(survivors, alpha, beta):
    fit = sbg_fit(survivors)
    assert round(fit.alpha, 3) == alpha
    assert round(fit.beta, 3) == beta


def test_fitted_and_forecast_survivors_follow_the_survival_function():
    fit = sbg_fit(REGULAR)
    fitted = fit.fitted()
    assert len(fitted) == len(REGULAR) and fitted[0] == pytest.approx(1000)
    # S(t) = prod of retention rates r_i = (beta + i - 1) / (alpha + beta + i - 1)
    rates = [(fit.beta + i - 1) / (fit.alpha + fit.beta + i - 1) for i in range(1, 11)]
    expected = 1000 * np.cumprod(rates)
    np.testing.assert_allclose(fitted[1:], expected[:7], rtol=1e-10)
    np.testing.assert_allclose(fit.forecast(3), expected[7:10], rtol=1e-10)
    # and the fit is close to the data it was fitted to (within 2% of the cohort)
    assert max(abs(a - b) for a, b in zip(fitted, REGULAR, strict=True)) < 20


def test_derl_equals_its_defining_sum():
    # DERL = sum_{t >= n} S(t) / S(n - 1) / (1 + d)^(t - n), with n - 1 renewals made
    fit = sbg_fit(HIGH_END)
    survival = fit.survival(3000)
    n = 8
    explicit = sum(survival[t] / survival[n - 1] / 1.1 ** (t - n) for t in range(n, 3000))
    assert fit.derl(discount=0.1, renewals=7) == pytest.approx(explicit, rel=1e-9)


def test_expected_remaining_lifetime_is_finite_only_for_alpha_above_one():
    fit = sbg_fit(REGULAR)
    assert fit.alpha < 1 and fit.expected_remaining_lifetime(7) is None
    steady = sbg_fit([1000, 500, 260, 140, 80])
    assert steady.alpha > 1
    survival = steady.survival(20000)
    explicit = sum(survival[t] / survival[4] for t in range(4, 20000))
    assert steady.expected_remaining_lifetime(4) == pytest.approx(explicit, rel=1e-3)


def test_value_at_risk_is_probability_times_remaining_value():
    assert value_at_risk(churn_probability=0.25, remaining_value=Decimal("240.10")) == Decimal(
        "60.03"
    )
    with pytest.raises(EngineError):
        value_at_risk(churn_probability=1.5, remaining_value=Decimal("1"))


def test_cli_prints_parameters_fitted_and_forecast_on_the_input_scale():
    out = io.StringIO()
    call_command(
        "clv",
        "sbg",
        "--survivors",
        ",".join(map(str, REGULAR)),
        "--forecast",
        "4",
        "--margin",
        "30.00",
        "--json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert round(data["alpha"], 3) == 0.704 and round(data["beta"], 3) == 1.182
    assert len(data["fitted"]) == 8 and len(data["forecast"]) == 4
    assert data["fitted"][0] == pytest.approx(1000)
    assert data["forecast"][0] < data["fitted"][-1]
    assert data["expected_remaining_lifetime"] is None
    assert Decimal(data["residual_value"]) == (
        Decimal("30.00") * Decimal(repr(data["derl"]))
    ).quantize(Decimal("0.01"))


def test_cli_rejects_series_it_cannot_fit():
    for bad in ("1000,1100,900", "1000", "1000,1000,1000", "1000,x"):
        with pytest.raises(CommandError):
            call_command("clv", "sbg", "--survivors", bad, "--json", stdout=io.StringIO())


# --- lifetimes of a segment: left-truncated, right-censored ---------------------------------

from wanliu.scoring.engine.sbg import (  # noqa: E402
    discounted_remaining_periods,
    sbg_fit_lifetimes,
)


def _cohort_as_lifetimes(survivors):
    """A survivor series as individual lifetimes: churners per period, survivors censored."""
    churned_per_period = -np.diff(survivors)
    periods = len(survivors) - 1
    ended = np.concatenate([np.arange(1, periods + 1), [periods]])
    churned = np.concatenate([np.ones(periods, dtype=bool), [False]])
    weight = np.concatenate([churned_per_period, [survivors[-1]]]).astype(float)
    return np.zeros(periods + 1), ended.astype(float), churned, weight


def test_lifetimes_of_one_cohort_give_the_cohort_fit():
    # given the published "regular" cohort written as grouped lifetimes
    entered, ended, churned, weight = _cohort_as_lifetimes(REGULAR)
    # when fitted as lifetimes
    fit = sbg_fit_lifetimes(entered=entered, ended=ended, churned=churned, weight=weight)
    # then it is the published cohort fit (F&H 2007: alpha 0.704, beta 1.182)
    assert round(fit.alpha, 3) == 0.704
    assert round(fit.beta, 3) == 1.182


def test_left_truncation_recovers_the_parameters_of_simulated_lifetimes():
    # given 40,000 customers with theta ~ Beta(1.5, 6), seen only from a window that began
    # when each had already been there a random number of periods (those gone before are
    # never seen), and followed for 12 periods
    rng = np.random.default_rng(3)
    theta = rng.beta(1.5, 6.0, size=200_000)
    lifetime = rng.geometric(theta)  # T >= 1
    already = rng.integers(0, 40, size=theta.size)
    seen = lifetime > already
    lifetime, already = lifetime[seen], already[seen]
    end_of_window = already + 12
    churned = lifetime <= end_of_window
    ended = np.where(churned, lifetime, end_of_window)
    # when fitted with the truncation taken into account
    fit = sbg_fit_lifetimes(entered=already, ended=ended, churned=churned)
    # then the parameters come back; ignoring the truncation would not find them
    assert fit.alpha == pytest.approx(1.5, rel=0.12)
    assert fit.beta == pytest.approx(6.0, rel=0.12)
    naive = sbg_fit_lifetimes(entered=np.zeros(already.size), ended=ended, churned=churned)
    assert abs(naive.beta - 6.0) > 3 * abs(fit.beta - 6.0)


def test_lifetime_inputs_are_checked():
    with pytest.raises(EngineError, match="nobody churned"):
        sbg_fit_lifetimes(entered=[0, 0], ended=[3, 4], churned=[False, False])
    with pytest.raises(EngineError, match="ends before"):
        sbg_fit_lifetimes(entered=[5], ended=[5], churned=[True])
    with pytest.raises(EngineError, match="same length"):
        sbg_fit_lifetimes(entered=[0], ended=[1, 2], churned=[True])


def test_discounted_remaining_periods_is_derl_when_the_horizon_is_long():
    fit = sbg_fit(HIGH_END)
    values = discounted_remaining_periods(
        fit, survived=np.asarray([0, 7, 30]), discount=0.1, horizon=3000
    )
    for value, n in zip(values, (0, 7, 30), strict=True):
        assert value == pytest.approx(fit.derl(discount=0.1, renewals=n), rel=1e-9)
    # a short horizon counts fewer periods, and a longer tenure is worth more (heterogeneity)
    short = discounted_remaining_periods(fit, survived=np.asarray([7]), discount=0.1, horizon=5)
    assert short[0] < values[1] and short[0] <= 5
    assert values[0] < values[1] < values[2]


def test_derl_of_a_nearly_geometric_segment_is_finite_and_geometric():
    # given a fit at the bound (everyone leaves with 1% a period), where the series fails
    from wanliu.scoring.engine.sbg import SbgFit

    fit = SbgFit(alpha=1e3, beta=99e3, log_likelihood=0.0, initial=1.0, periods=0)
    derl = fit.derl(discount=0.01, renewals=12)
    # then DERL is the geometric sum r / (1 - r / (1 + d)) with r = 0.99
    r, d = 0.99, 0.01
    assert derl == pytest.approx(r / (1 - r / (1 + d)), rel=1e-3)


def test_the_lifetime_gradient_matches_finite_differences():
    from wanliu.scoring.engine.sbg import _lifetime_log_likelihood

    rng = np.random.default_rng(5)
    entered = rng.integers(0, 30, 200).astype(float)
    churned = rng.random(200) < 0.4
    ended = entered + rng.integers(1, 12, 200)
    weight = rng.integers(1, 50, 200).astype(float)
    for log_a, log_b in ((0.3, 1.2), (-1.0, 3.0), (2.0, 6.0)):
        value, gradient = _lifetime_log_likelihood(
            math.exp(log_a), math.exp(log_b), entered, ended, churned, weight
        )
        h = 1e-6
        numeric = [
            (
                _lifetime_log_likelihood(
                    math.exp(log_a + da), math.exp(log_b + db), entered, ended, churned, weight
                )[0]
                - value
            )
            / h
            for da, db in ((h, 0.0), (0.0, h))
        ]
        np.testing.assert_allclose(gradient, numeric, rtol=1e-4)
