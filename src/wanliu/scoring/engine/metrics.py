"""Held-out metrics for a churn model: ranking, top-decile lift and calibration."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

ECE_BINS = 10


def lift_at(target: np.ndarray, probability: np.ndarray, share: float = 0.10) -> float:
    """Churn rate among the ``share`` highest scores divided by the overall churn rate."""
    count = max(1, math.ceil(len(target) * share))
    order = np.argsort(-probability, kind="stable")
    base = float(np.mean(target))
    if base == 0:
        return float("nan")
    return float(np.mean(target[order[:count]]) / base)


def expected_calibration_error(
    target: np.ndarray, probability: np.ndarray, bins: int = ECE_BINS
) -> float:
    """Weighted mean |observed rate - mean probability| over equal-width probability bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probability, edges[1:-1], right=False), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(float(target[mask].mean()) - float(probability[mask].mean()))
    return float(total / len(target))


def churn_metrics(target: np.ndarray, probability: np.ndarray) -> dict[str, float | int]:
    """roc_auc, pr_auc (average precision), lift_at_10, brier, ece, n and the churn rate."""
    target = np.asarray(target, dtype=np.int64)
    probability = np.asarray(probability, dtype=np.float64)
    both = np.unique(target).size == 2
    return {
        "roc_auc": float(roc_auc_score(target, probability)) if both else float("nan"),
        "pr_auc": float(average_precision_score(target, probability)) if both else float("nan"),
        "lift_at_10": lift_at(target, probability, 0.10),
        "brier": float(brier_score_loss(target, probability)),
        "ece": expected_calibration_error(target, probability),
        "n": len(target),
        "churn_rate": float(np.mean(target)),
    }
