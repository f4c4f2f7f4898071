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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, hyp2f1
from threadpoolctl import threadpool_limits

from wanliu.scoring.engine.errors import EngineError

CENT = Decimal("0.01")
LIFETIME_PARAMETER_MIN = 1e-3
LIFETIME_PARAMETER_MAX = 1e5
DERL_TERMS = 20_000


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
        value = float(
            lead * hyp2f1(1.0, self.beta + n, self.alpha + self.beta + n, 1 / (1 + discount))
        )
        if math.isfinite(value):
            return value
        # the series fails for very large alpha and beta (a nearly geometric lifetime):
        # sum it instead, until the terms no longer count
        return float(
            discounted_remaining_periods(
                self, survived=np.asarray([renewals]), discount=discount, horizon=DERL_TERMS
            )[0]
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


def _maximise(
    negative: Callable[[np.ndarray], Any], *, jac: bool = False
) -> tuple[float, float, float]:
    """Minimise ``negative`` over (ln alpha, ln beta) within bounds, from a few starts.

    Bounded: a segment whose churn is nearly the same for everyone has its maximum at
    alpha, beta -> infinity (a plain geometric lifetime); the bound stops the search there
    in milliseconds instead of following the ridge. Returns alpha, beta and the minimum."""
    bounds = [(math.log(LIFETIME_PARAMETER_MIN), math.log(LIFETIME_PARAMETER_MAX))] * 2
    best = None
    starts = ((0.0, 0.0), (math.log(0.5), math.log(2.0)), (math.log(2.0), math.log(20.0)))
    # one BLAS thread: L-BFGS-B makes tens of thousands of tiny BLAS calls, which BLAS
    # threads left spinning by earlier work in the process slow down a hundredfold
    with np.errstate(all="ignore"), threadpool_limits(limits=1):
        for start in starts:
            result = minimize(
                negative,
                np.asarray(start),
                jac=jac,
                method="L-BFGS-B",
                bounds=bounds,
                options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
            )
            if best is None or result.fun < best.fun:
                best = result
    assert best is not None
    alpha, beta = (float(v) for v in np.exp(best.x))
    return alpha, beta, float(best.fun)


def sbg_fit(survivors: Sequence[float]) -> SbgFit:
    """Maximum-likelihood alpha and beta for one cohort's survivor counts n_0..n_T."""
    counts = _survivors_check(list(survivors))

    def negative(log_params: np.ndarray) -> float:
        alpha, beta = np.exp(log_params)
        value = sbg_log_likelihood(float(alpha), float(beta), counts)
        return -value if math.isfinite(value) else 1e300

    alpha, beta, minimum = _maximise(negative)
    return SbgFit(
        alpha=alpha,
        beta=beta,
        log_likelihood=-minimum,
        initial=float(counts[0]),
        periods=counts.size - 1,
    )


def _lifetime_log_likelihood(
    alpha: float,
    beta: float,
    entered: np.ndarray,
    ended: np.ndarray,
    churned: np.ndarray,
    weight: np.ndarray,
) -> tuple[float, np.ndarray]:
    """LL of lifetimes observed from ``entered`` periods on (left truncation), churning in
    period ``ended`` or still there after ``ended`` periods (right censoring), and its
    gradient in (ln alpha, ln beta).

    log S(t) = ln B(a, b + t) - ln B(a, b);  log P(T = t) = ln B(a + 1, b + t - 1) - ln B(a, b)
    (as B(a, b + t - 1) - B(a, b + t) = B(a + 1, b + t - 1)); each row is divided by
    S(entered), so ln B(a, b) cancels. d ln B(x, y) / dx = psi(x) - psi(x + y).
    """
    a, b = alpha, beta
    first = np.where(churned, a + 1.0, a)
    second = np.where(churned, b + ended - 1.0, b + ended)
    total = float(np.sum(weight * (betaln(first, second) - betaln(a, b + entered))))
    if not math.isfinite(total):
        return -math.inf, np.zeros(2)
    at_end = digamma(first + second)
    at_entry = digamma(a + b + entered)
    d_alpha = (digamma(first) - at_end) - (digamma(a) - at_entry)
    d_beta = (digamma(second) - at_end) - (digamma(b + entered) - at_entry)
    gradient = np.asarray([a * np.sum(weight * d_alpha), b * np.sum(weight * d_beta)])
    return total, gradient


def sbg_fit_lifetimes(
    *,
    entered: np.ndarray,
    ended: np.ndarray,
    churned: np.ndarray,
    weight: np.ndarray | None = None,
) -> SbgFit:
    """Maximum-likelihood sBG for individual (or grouped) lifetimes of a segment.

    ``entered``: periods each customer had already survived when observation began (0 for
    one who joined inside the window; the fit then conditions on survival to that point, so
    customers who left before the window do not bias it). ``ended``: the period in which the
    customer churned (``churned`` true, at least ``entered + 1``), or the periods survived at
    the end of the window (``churned`` false, at least ``entered``). ``weight``: how many
    customers share the row (default 1). With every ``entered`` 0 and one censoring point
    this is the cohort likelihood of ``sbg_fit``.
    """
    entered = np.asarray(entered, dtype=np.float64)
    ended = np.asarray(ended, dtype=np.float64)
    churned = np.asarray(churned, dtype=bool)
    weight = np.ones(entered.size) if weight is None else np.asarray(weight, dtype=np.float64)
    if not (entered.size == ended.size == churned.size == weight.size):
        raise EngineError("entered, ended, churned and weight must have the same length")
    if entered.size == 0 or weight.sum() <= 0:
        raise EngineError("no customers to fit the sBG model to")
    if np.any(entered < 0) or np.any(weight < 0):
        raise EngineError("periods survived and weights cannot be negative")
    if np.any(churned & (ended < entered + 1)) or np.any(~churned & (ended < entered)):
        raise EngineError("a lifetime ends before its observation began")
    if not np.any(churned & (weight > 0)):
        raise EngineError("nobody churned: the sBG model needs at least one churner to fit")

    def negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        alpha, beta = np.exp(log_params)
        value, gradient = _lifetime_log_likelihood(
            float(alpha), float(beta), entered, ended, churned, weight
        )
        if not math.isfinite(value):
            return 1e300, np.zeros(2)
        return -value, -gradient

    alpha, beta, minimum = _maximise(negative, jac=True)
    return SbgFit(
        alpha=alpha,
        beta=beta,
        log_likelihood=-minimum,
        initial=float(weight.sum()),
        periods=int(ended.max()),
    )


def discounted_remaining_periods(
    fit: SbgFit, *, survived: np.ndarray, discount: float, horizon: int
) -> np.ndarray:
    """For customers who have survived ``survived`` periods (T > n): the expected discounted
    number of further renewals, the next one undiscounted, counting at most ``horizon``:

        sum_{k=0}^{horizon-1} S(n + 1 + k) / S(n) / (1 + d)^k    (n = survived)

    With an infinite horizon this is ``fit.derl(discount=d, renewals=n)``; vectorised over
    ``survived``, and bounded so that a fit with alpha <= 1 still gives a finite value.
    """
    if discount < 0:
        raise EngineError("the discount rate cannot be negative")
    if horizon < 1:
        raise EngineError("the horizon must be at least one period")
    n = np.asarray(survived, dtype=np.float64)
    k = np.arange(horizon, dtype=np.float64)
    # ln S(n + 1 + k) - ln S(n) = ln B(a, b + n + 1 + k) - ln B(a, b + n)
    log_ratio = betaln(fit.alpha, fit.beta + n[:, None] + 1.0 + k[None, :]) - betaln(
        fit.alpha, fit.beta + n[:, None]
    )
    factors = np.exp(np.minimum(log_ratio, 0.0) - k[None, :] * math.log1p(discount))
    return np.asarray(factors.sum(axis=1))


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
