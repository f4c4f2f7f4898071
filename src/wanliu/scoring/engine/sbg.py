"""The shifted-beta-geometric (sBG) retention model.

Fader, P. S. and Hardie, B. G. S. (2007), "How to project customer retention",
Journal of Interactive Marketing 21(1), 76-90: every customer has a constant churn
probability theta per period, theta ~ Beta(alpha, beta) across customers, so

    P(T = 1) = alpha / (alpha + beta)
    P(T = t) = (beta + t - 2) / (alpha + beta + t - 1) * P(T = t - 1)      (t >= 2)
    S(t)     = S(t - 1) - P(T = t),   S(0) = 1

and alpha, beta are fitted by maximum likelihood to a cohort's survivor counts
n_0, n_1, ..., n_T:  LL = sum_t (n_{t-1} - n_t) ln P(T = t) + n_T ln S(T).

Value: Fader, P. S. and Hardie, B. G. S. (2010), "Customer-base valuation in a
contractual setting: the perils of ignoring heterogeneity", Marketing Science 29(1),
85-93. For a customer who has made n - 1 renewals, the discounted expected residual
lifetime (in periods, the next renewal undiscounted) is

    DERL(d | alpha, beta, n - 1) = (beta + n - 1) / (alpha + beta + n - 1)
                                   * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))

and the discounted expected residual value is margin x DERL. The expected remaining
lifetime E[T - t0 | T > t0] = (alpha + beta + t0 - 1) / (alpha - 1) is finite only for
alpha > 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, hyp2f1

from wanliu.scoring.engine.errors import EngineError

CENT = Decimal("0.01")


@dataclass(frozen=True)
class SbgFit:
    alpha: float
    beta: float
    log_likelihood: float
    initial: float
    periods: int

    def churn_probabilities(self, horizon: int) -> np.ndarray:
        """P(T = t) for t = 1..horizon."""
        p = np.empty(horizon)
        if horizon == 0:
            return p
        p[0] = self.alpha / (self.alpha + self.beta)
        for t in range(2, horizon + 1):
            p[t - 1] = (self.beta + t - 2) / (self.alpha + self.beta + t - 1) * p[t - 2]
        return p

    def survival(self, horizon: int) -> np.ndarray:
        """S(t) for t = 0..horizon, S(0) = 1, from the closed form B(a, b + t) / B(a, b)."""
        t = np.arange(horizon + 1)
        return np.exp(betaln(self.alpha, self.beta + t) - betaln(self.alpha, self.beta))

    def retention_rates(self, horizon: int) -> np.ndarray:
        """r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1) for t = 1..horizon."""
        t = np.arange(1, horizon + 1)
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)

    def fitted(self) -> list[float]:
        """Survivors for the input periods 0..T on the scale of the input counts."""
        return [float(v) for v in self.initial * self.survival(self.periods)]

    def forecast(self, periods: int) -> list[float]:
        """Survivors for the next ``periods`` periods after the last input period."""
        survival = self.survival(self.periods + periods)
        return [float(v) for v in self.initial * survival[self.periods + 1 :]]

    def expected_remaining_lifetime(self, survived: int) -> float | None:
        """E[T - t0 | T > t0] in periods; None (infinite) when alpha <= 1."""
        if self.alpha <= 1:
            return None
        return (self.alpha + self.beta + survived - 1) / (self.alpha - 1)

    def derl(self, *, discount: float, renewals: int) -> float:
        """Discounted expected residual lifetime for a customer with ``renewals`` renewals."""
        if discount <= 0:
            raise EngineError("the discount rate must be above 0")
        n = renewals + 1
        lead = (self.beta + n - 1) / (self.alpha + self.beta + n - 1)
        return float(
            lead * hyp2f1(1.0, self.beta + n, self.alpha + self.beta + n, 1 / (1 + discount))
        )


def _survivors_check(survivors: list[float]) -> np.ndarray:
    counts = np.asarray(survivors, dtype=np.float64)
    if counts.size < 2:
        raise EngineError("give at least two survivor counts (the cohort size, then survivors)")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise EngineError("survivor counts must be non-negative numbers")
    if counts[0] <= 0:
        raise EngineError("the first survivor count (the cohort size) must be above 0")
    if np.any(np.diff(counts) > 0):
        raise EngineError("survivor counts cannot increase: a cohort only loses customers")
    if counts[-1] == counts[0]:
        raise EngineError("nobody churned: the sBG model needs at least one churner to fit")
    return counts


def sbg_log_likelihood(alpha: float, beta: float, survivors: np.ndarray) -> float:
    periods = survivors.size - 1
    fit = SbgFit(alpha=alpha, beta=beta, log_likelihood=0.0, initial=survivors[0], periods=periods)
    churned = survivors[:-1] - survivors[1:]
    p = fit.churn_probabilities(periods)
    survival_end = fit.survival(periods)[-1]
    with np.errstate(divide="ignore"):
        total = float(np.sum(churned * np.log(p)) + survivors[-1] * np.log(survival_end))
    return total if math.isfinite(total) else -math.inf


def sbg_fit(survivors: list[float]) -> SbgFit:
    """Maximum-likelihood alpha and beta for one cohort's survivor counts n_0..n_T."""
    counts = _survivors_check(survivors)

    def negative(log_params: np.ndarray) -> float:
        alpha, beta = np.exp(log_params)
        value = sbg_log_likelihood(float(alpha), float(beta), counts)
        return -value if math.isfinite(value) else 1e300

    best = None
    for start in ((0.0, 0.0), (math.log(0.5), math.log(2.0)), (math.log(2.0), math.log(5.0))):
        result = minimize(
            negative,
            np.asarray(start),
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
        )
        if best is None or result.fun < best.fun:
            best = result
    assert best is not None
    alpha, beta = (float(v) for v in np.exp(best.x))
    return SbgFit(
        alpha=alpha,
        beta=beta,
        log_likelihood=-float(best.fun),
        initial=float(counts[0]),
        periods=counts.size - 1,
    )


def residual_value(*, margin: Decimal, derl: float) -> Decimal:
    """Discounted expected residual value: margin per period x DERL, to the cent."""
    return (margin * Decimal(repr(derl))).quantize(CENT, rounding=ROUND_HALF_UP)


def value_at_risk(*, churn_probability: float, remaining_value: Decimal) -> Decimal:
    """Value at risk of a line: its churn probability x its remaining value, to the cent."""
    if not 0.0 <= churn_probability <= 1.0:
        raise EngineError("a churn probability lies between 0 and 1")
    return (Decimal(repr(churn_probability)) * remaining_value).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
