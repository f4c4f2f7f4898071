"""Uplift: whom an offer would actually keep, learned from past campaigns' randomised
treatment and control groups; with Qini curves, uplift at k and a confidence interval for
the difference of two retention rates.

Plain module (no Django), scikit-learn conventions: ``UpliftModel.__init__`` stores its
parameters, ``fit`` returns the model, learned attributes end in ``_``.

Data: one row per campaign target with the features as of the campaign month, the arm
(``control`` or the code of the offer the target was given) and the outcome (1 = churned
within the campaign's window). For every offer the model estimates the **incremental
retention** of a line, ``tau(x) = P(churn | x, control) - P(churn | x, offer)``: positive
where the offer keeps customers who would otherwise leave (persuadables), about zero for
sure things and lost causes, negative where contact makes customers leave (sleeping dogs).

Learners (each fitted per offer on that offer's treated rows and the control rows of the
same campaigns):

- ``t_logistic``: two L2 logistic regressions (control, treated), tau = difference;
- ``t_lightgbm``: the same with two small LightGBM models;
- ``class_transformation``: one LightGBM model of ``Z = T*R + (1 - T)*(1 - R)`` (R =
  retained), rows weighted so that both arms weigh half, and ``tau = 2 P(Z = 1 | x) - 1``
  (Jaskowski and Jaroszewicz 2012).

``auto`` chooses by the cross-validated Qini coefficient (stratified folds over arm and
outcome), averaged over the offers. When an ``accepted`` column is given, a small
logistic model per offer also estimates how likely a targeted line is to accept (to price
the offer's expected cost).

Evaluation (Radcliffe 2007, "Using control groups to target on predicted lift"): order
lines by predicted uplift; the Qini curve at the top fraction phi is
``Q(phi) = R_T(phi) - R_C(phi) * N_T(phi) / N_C(phi)`` (retained treated minus retained
control scaled to the treated count); the Qini coefficient is the area between that curve
and the straight line of random targeting, per line of the population. Uplift at k is the
retention rate of the treated minus that of the control among the top k.

The artefact (``uplift_artefact_save`` / ``uplift_artefact_load``) follows the churn
artefact's conventions: a folder under an allowed models root with ``manifest.json``
(format, library versions, feature list, sha256 of every file), ``model.json`` and
LightGBM text models; nothing is pickled.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from wanliu.scoring.engine.artefact import (
    content_version,
    files_read,
    folder_target_check,
    folder_write,
    library_versions,
    manifest_read,
)
from wanliu.scoring.engine.errors import ArtefactError, EngineError, TableError, TargetError
from wanliu.scoring.engine.features import Note, Preprocessor, clean_text, features_infer
from wanliu.scoring.engine.model import LogisticModel, logistic_columns, sigmoid
from wanliu.scoring.engine.training import logistic_fit

CONTROL = "control"
LEARNERS = ("auto", "t_logistic", "t_lightgbm", "class_transformation")
FORMAT = "wanliu-uplift-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.json"
Z_95 = 1.959963984540054
LIGHTGBM_ROUNDS = 150


# --- evaluation -------------------------------------------------------------------------


def _arrays(response: Any, treated: Any, score: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = np.asarray(response, dtype=np.float64)
    t = np.asarray(treated, dtype=bool)
    s = np.asarray(score, dtype=np.float64)
    if not (r.shape == t.shape == s.shape) or r.ndim != 1:
        raise EngineError("response, treated and score must be 1-d arrays of the same length")
    if r.size == 0:
        raise EngineError("no rows to evaluate")
    if not np.all(np.isin(r, (0.0, 1.0))):
        raise EngineError("the response must be 0 or 1")
    if np.isnan(s).any():
        raise EngineError("the scores contain NaN")
    return r, t, s


def qini_curve(response: Any, treated: Any, score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Points of the Qini curve: the fraction of lines targeted (from 0) and the incremental
    responses there, as a fraction of all lines.

    Lines are taken in order of decreasing ``score``; lines with equal scores enter
    together (one point per distinct score). ``response`` is the good outcome (1 =
    retained). Where no control line has entered yet, the control term is 0.
    """
    r, t, s = _arrays(response, treated, score)
    n = r.size
    order = np.argsort(-s, kind="stable")
    r, t, s = r[order], t[order], s[order]
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    n_t = np.cumsum(t)[ends]
    n_c = np.cumsum(~t)[ends]
    r_t = np.cumsum(r * t)[ends]
    r_c = np.cumsum(r * ~t)[ends]
    scaled = np.divide(r_c * n_t, n_c, out=np.zeros(len(ends)), where=n_c > 0)
    gain = (r_t - scaled) / n
    x = (ends + 1) / n
    return np.r_[0.0, x], np.r_[0.0, gain]


def qini_coefficient(response: Any, treated: Any, score: Any) -> float:
    """Area between the Qini curve and the straight line of random targeting (trapezoids),
    in incremental responses per line of the population. 0 for a random order; positive
    when the order puts responders to treatment first."""
    x, gain = qini_curve(response, treated, score)
    random_line = x * gain[-1]
    diff = gain - random_line
    return float(np.sum((diff[1:] + diff[:-1]) * np.diff(x)) / 2.0)


def uplift_at_k(response: Any, treated: Any, score: Any, k: float) -> float:
    """Response rate of the treated minus that of the control among the top ``k`` share of
    lines by ``score`` (ties in the order given); NaN when an arm is missing there."""
    if not 0 < k <= 1:
        raise EngineError("k is a share of the lines, above 0 and at most 1")
    r, t, s = _arrays(response, treated, score)
    top = np.argsort(-s, kind="stable")[: max(1, math.ceil(k * r.size))]
    rt, tt = r[top], t[top]
    if not tt.any() or tt.all():
        return float("nan")
    return float(rt[tt].mean() - rt[~tt].mean())


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion."""
    if n <= 0:
        raise EngineError("a proportion needs at least one observation")
    if not 0 <= successes <= n:
        raise EngineError("successes must lie between 0 and n")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(
    x1: int, n1: int, x2: int, n2: int, z: float = Z_95
) -> tuple[float, float, float]:
    """``(p1 - p2, low, high)``: Newcombe's hybrid score interval (his method 10, from two
    Wilson intervals; Newcombe 1998, Statistics in Medicine 17, 873-890)."""
    p1, p2 = x1 / n1 if n1 else float("nan"), x2 / n2 if n2 else float("nan")
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


# --- fitted parts -----------------------------------------------------------------------


@dataclass
class ArmModel:
    """One fitted binary model on the preprocessed matrix: logistic, LightGBM or constant."""

    kind: str
    logistic: LogisticModel | None = None
    booster_text: str | None = None
    constant: float | None = None
    threads: int = 1
    _booster: Any = None

    def proba(self, matrix: np.ndarray, preprocessor: Preprocessor) -> np.ndarray:
        if self.kind == "constant":
            assert self.constant is not None
            return np.full(matrix.shape[0], self.constant)
        if self.kind == "logistic":
            assert self.logistic is not None
            return sigmoid(self.logistic.explain(matrix, preprocessor)[0])
        if self._booster is None:
            import lightgbm as lgb

            self._booster = lgb.Booster(model_str=self.booster_text)
        raw = self._booster.predict(matrix, raw_score=True, num_threads=self.threads)
        return sigmoid(np.asarray(raw))

    def to_dict(self, booster_file: str | None) -> dict[str, Any]:
        if self.kind == "constant":
            return {"kind": "constant", "p": self.constant}
        if self.kind == "logistic":
            assert self.logistic is not None
            return {"kind": "logistic", "logistic": self.logistic.to_dict()}
        return {"kind": "lightgbm", "booster_file": booster_file}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, boosters: dict[str, str], threads: int = 1) -> Any:
        kind = data["kind"]
        if kind == "constant":
            return cls(kind="constant", constant=float(data["p"]))
        if kind == "logistic":
            return cls(kind="logistic", logistic=LogisticModel.from_dict(data["logistic"]))
        if kind == "lightgbm":
            name = str(data["booster_file"])
            if name not in boosters:
                raise ArtefactError(f"the LightGBM model file {name} is missing")
            return cls(kind="lightgbm", booster_text=boosters[name], threads=threads)
        raise ArtefactError(f"unknown model kind {kind!r} in the artefact")


@dataclass
class OfferModel:
    """What was learned for one offer: ``two_model`` (control and treated outcome models)
    or ``class_transformation`` (one model); and the acceptance model."""

    offer: str
    kind: str
    control: ArmModel | None
    treated: ArmModel | None
    transformed: ArmModel | None
    acceptance: ArmModel | None
    rows_treated: int
    rows_control: int

    def uplift(self, matrix: np.ndarray, preprocessor: Preprocessor) -> np.ndarray:
        if self.kind == "class_transformation":
            assert self.transformed is not None
            return 2.0 * self.transformed.proba(matrix, preprocessor) - 1.0
        assert self.control is not None and self.treated is not None
        return self.control.proba(matrix, preprocessor) - self.treated.proba(matrix, preprocessor)

    def control_churn(self, matrix: np.ndarray, preprocessor: Preprocessor) -> np.ndarray | None:
        if self.control is None:
            return None
        return self.control.proba(matrix, preprocessor)


def _lightgbm_params(*, rows: int, seed: int, threads: int) -> dict[str, Any]:
    return {
        "objective": "binary",
        "verbosity": -1,
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": threads,
        "feature_pre_filter": False,
        "learning_rate": 0.05,
        "num_leaves": 7,
        "min_data_in_leaf": max(20, rows // 50),
        "lambda_l2": 5.0,
        "feature_fraction": 0.8,
        "min_data_per_group": 50,
        "cat_smooth": 10.0,
        "cat_l2": 10.0,
        "max_cat_to_onehot": 4,
    }


def _fit_arm(
    kind: str,
    matrix: np.ndarray,
    target: np.ndarray,
    preprocessor: Preprocessor,
    *,
    seed: int,
    threads: int,
    weight: np.ndarray | None = None,
    columns: list[tuple[int, str, int]] | None = None,
) -> ArmModel:
    """A binary model of ``target``; a constant when the rows hold a single class."""
    if target.size == 0:
        raise TargetError("an arm has no rows to learn from")
    if np.unique(target).size < 2:
        return ArmModel(kind="constant", constant=float(target.mean()))
    if kind == "logistic":
        layout = columns if columns is not None else logistic_columns(matrix, preprocessor)
        return ArmModel(
            kind="logistic",
            logistic=logistic_fit(matrix, target, preprocessor, columns=layout),
        )
    import lightgbm as lgb

    data = lgb.Dataset(
        matrix,
        label=target,
        weight=weight,
        feature_name=[f"f{i}" for i in range(matrix.shape[1])],
        categorical_feature=preprocessor.categorical_indices or "auto",
        free_raw_data=False,
    )
    params = _lightgbm_params(rows=target.size, seed=seed, threads=threads)
    booster = lgb.train(params, data, num_boost_round=LIGHTGBM_ROUNDS)
    return ArmModel(kind="lightgbm", booster_text=booster.model_to_string(), threads=threads)


def _fit_offer(
    learner: str,
    offer: str,
    matrix: np.ndarray,
    churned: np.ndarray,
    treated: np.ndarray,
    preprocessor: Preprocessor,
    *,
    seed: int,
    threads: int,
    accepted: np.ndarray | None = None,
    columns: list[tuple[int, str, int]] | None = None,
) -> OfferModel:
    """Fit one learner on one offer's rows (``treated`` marks the offer's rows)."""
    control_rows, treated_rows = ~treated, treated
    acceptance = None
    if accepted is not None:
        acceptance = _fit_arm(
            "logistic",
            matrix[treated_rows],
            accepted[treated_rows].astype(np.int64),
            preprocessor,
            seed=seed,
            threads=threads,
            columns=columns,
        )
    rows_treated, rows_control = int(treated_rows.sum()), int(control_rows.sum())
    if learner == "class_transformation":
        retained = 1 - churned
        z = np.where(treated, retained, 1 - retained).astype(np.int64)
        share = treated.mean()
        weight = np.where(treated, 0.5 / share, 0.5 / (1 - share))
        model = _fit_arm(
            "lightgbm", matrix, z, preprocessor, seed=seed, threads=threads, weight=weight
        )
        return OfferModel(
            offer=offer,
            kind="class_transformation",
            control=None,
            treated=None,
            transformed=model,
            acceptance=acceptance,
            rows_treated=rows_treated,
            rows_control=rows_control,
        )
    arm_kind = "logistic" if learner == "t_logistic" else "lightgbm"
    control = _fit_arm(
        arm_kind,
        matrix[control_rows],
        churned[control_rows],
        preprocessor,
        seed=seed,
        threads=threads,
        columns=columns,
    )
    treated_model = _fit_arm(
        arm_kind,
        matrix[treated_rows],
        churned[treated_rows],
        preprocessor,
        seed=seed,
        threads=threads,
        columns=columns,
    )
    return OfferModel(
        offer=offer,
        kind="two_model",
        control=control,
        treated=treated_model,
        transformed=None,
        acceptance=acceptance,
        rows_treated=rows_treated,
        rows_control=rows_control,
    )


# --- the model --------------------------------------------------------------------------


def _column_text(table: pa.Table, name: str) -> list[str | None]:
    return [None if v is None else str(v) for v in clean_text(table.column(name)).to_pylist()]


def _binary(table: pa.Table, name: str, *, what: str) -> np.ndarray:
    values = _column_text(table, name)
    truthy = {"1", "1.0", "true", "t", "yes", "y"}
    falsy = {"0", "0.0", "false", "f", "no", "n"}
    out = np.zeros(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        folded = (value or "").lower()
        if folded in truthy:
            out[i] = 1
        elif folded not in falsy:
            raise TargetError(
                f"{what} column {name!r} must be 0/1 (or true/false); row {i + 1} has {value!r}"
            )
    return out


class UpliftModel:
    """Incremental retention per offer, learned from treated and control rows.

    ``learner``: one of ``LEARNERS``; ``auto`` picks by cross-validated Qini.
    ``folds``/``repeats``: the stratified cross-validation used to choose.
    ``min_arm_rows``: the fewest rows an offer's treated or control arm may have.
    """

    def __init__(
        self,
        *,
        learner: str = "auto",
        folds: int = 3,
        repeats: int = 1,
        seed: int = 0,
        threads: int = 1,
        min_arm_rows: int = 30,
        progress: bool = False,
    ) -> None:
        self.learner = learner
        self.folds = folds
        self.repeats = repeats
        self.seed = seed
        self.threads = threads
        self.min_arm_rows = min_arm_rows
        self.progress = progress

    # fitted: preprocessor_, offers_, skipped_, learner_, models_, cv_, notes_, rows_,
    # churn_rate_, mean_attempts_, observed_

    def _check(self) -> None:
        if self.learner not in LEARNERS:
            raise EngineError(
                f"unknown learner {self.learner!r}; choose one of {', '.join(LEARNERS)}"
            )
        if self.folds < 2:
            raise EngineError("folds must be at least 2")
        if self.repeats < 1:
            raise EngineError("repeats must be at least 1")

    def fit(
        self,
        table: pa.Table,
        *,
        treatment: str = "arm",
        outcome: str = "churned",
        accepted: str | None = None,
        attempts: str | None = None,
        group: str | None = None,
        exclude: Sequence[str] = (),
    ) -> UpliftModel:
        """Learn from ``table``: features, ``treatment`` (``control`` or an offer code),
        ``outcome`` (1 = churned); optional ``accepted`` (0/1, treated rows),
        ``attempts`` (contact attempts per treated row) and ``group`` (e.g. the campaign:
        an offer is then compared with the control rows of the groups that gave it);
        ``exclude`` names more columns that are not features."""
        self._check()
        for name in (treatment, outcome, accepted, attempts, group):
            if name is not None and name not in table.column_names:
                raise TableError(
                    f"column {name!r} is not in the table; columns: {', '.join(table.column_names)}"
                )
        if table.num_rows == 0:
            raise TableError("the table has no rows")
        arms = np.asarray(_column_text(table, treatment), dtype=object)
        if any(a is None for a in arms):
            raise TableError(f"column {treatment!r} has empty values: every row needs its arm")
        churned = _binary(table, outcome, what="outcome")
        is_control = arms == CONTROL
        offers = sorted({str(a) for a in arms[~is_control]})
        if not is_control.any():
            raise TargetError(f"no control rows (arm {CONTROL!r}): uplift needs a control group")
        if not offers:
            raise TargetError("no treated rows: uplift needs rows that were given an offer")
        accepted_values = _binary(table, accepted, what="accepted") if accepted else None
        drop = {treatment, outcome, *(c for c in (accepted, attempts, group) if c), *exclude}
        preprocessor, notes = features_infer(table, target=churned, exclude=drop, family_sums=False)
        if not preprocessor.features:
            raise TableError("no usable feature columns are left")
        matrix = preprocessor.matrix(table)
        groups = np.asarray(_column_text(table, group), dtype=object) if group else None
        campaigns, skipped = self._offer_rows(arms, offers, groups)
        offers = [offer for offer in offers if offer in campaigns]
        columns = logistic_columns(matrix, preprocessor)
        learners = [n for n in LEARNERS if n != "auto"]
        if self.learner != "auto":
            learners = [self.learner]
        cv: dict[str, dict[str, Any]] = {}
        bar = tqdm(
            total=len(learners) * len(offers) + len(offers),
            desc="uplift train",
            file=sys.stderr,
            disable=not self.progress,
        )
        for learner in learners:
            per_offer = {}
            for offer in offers:
                rows = campaigns[offer]
                per_offer[offer] = self._cross_validate(
                    learner,
                    offer,
                    matrix[rows],
                    churned[rows],
                    arms[rows] == offer,
                    preprocessor,
                    columns,
                )
                bar.update(1)
            weights = np.asarray([campaigns[o].sum() for o in offers], dtype=np.float64)
            mean = float(np.average([per_offer[o]["qini"] for o in offers], weights=weights))
            cv[learner] = {"qini": round(mean, 6), "offers": per_offer}
        chosen = max(learners, key=lambda name: (cv[name]["qini"], -learners.index(name)))
        models: dict[str, OfferModel] = {}
        for offer in offers:
            rows = campaigns[offer]
            models[offer] = _fit_offer(
                chosen,
                offer,
                matrix[rows],
                churned[rows],
                arms[rows] == offer,
                preprocessor,
                seed=self.seed,
                threads=self.threads,
                accepted=accepted_values[rows] if accepted_values is not None else None,
                columns=columns,
            )
            bar.update(1)
        bar.close()
        self.preprocessor_ = preprocessor
        self.notes_: list[Note] = notes
        self.offers_ = offers
        self.skipped_ = skipped
        self.learner_ = chosen
        self.cv_ = cv
        self.models_ = models
        self.rows_ = int(table.num_rows)
        self.churn_rate_ = float(churned.mean())
        self.mean_attempts_ = self._mean_attempts(table, attempts, ~is_control)
        self.observed_ = {
            offer: self._observed(churned[campaigns[offer]], arms[campaigns[offer]] == offer)
            for offer in offers
        }
        return self

    def _offer_rows(
        self, arms: np.ndarray, offers: list[str], groups: np.ndarray | None
    ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        """Each offer's treated rows plus the control rows (of the groups that gave the
        offer, when groups are known); offers with an arm too small to learn from are left
        out with the reason. Refuses when no offer is left."""
        out, skipped = {}, {}
        for offer in offers:
            treated = arms == offer
            control = arms == CONTROL
            if groups is not None:
                control &= np.isin(groups, np.unique(groups[treated]))
            for what, count in (("treated", int(treated.sum())), ("control", int(control.sum()))):
                if count < self.min_arm_rows:
                    skipped[offer] = (
                        f"offer {offer}: only {count} {what} row(s); at least "
                        f"{self.min_arm_rows} are needed to learn its uplift"
                    )
                    break
            else:
                out[offer] = treated | control
        if not out:
            raise TargetError("; ".join(skipped.values()))
        return out, skipped

    @staticmethod
    def _mean_attempts(table: pa.Table, column: str | None, treated: np.ndarray) -> float | None:
        if column is None:
            return None
        values = np.asarray(
            pc.cast(table.column(column), pa.float64()).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )[treated]
        values = values[~np.isnan(values)]
        return float(values.mean()) if values.size else None

    @staticmethod
    def _observed(churned: np.ndarray, treated: np.ndarray) -> dict[str, float | int]:
        retained = 1 - churned
        return {
            "treated": int(treated.sum()),
            "control": int((~treated).sum()),
            "retention_treated": float(retained[treated].mean()),
            "retention_control": float(retained[~treated].mean()),
        }

    def _cross_validate(
        self,
        learner: str,
        offer: str,
        matrix: np.ndarray,
        churned: np.ndarray,
        treated: np.ndarray,
        preprocessor: Preprocessor,
        columns: list[tuple[int, str, int]],
    ) -> dict[str, float]:
        from sklearn.model_selection import RepeatedStratifiedKFold

        strata = treated.astype(np.int64) * 2 + churned
        smallest = int(np.bincount(strata, minlength=4)[np.bincount(strata, minlength=4) > 0].min())
        splits = max(2, min(self.folds, smallest))
        splitter = RepeatedStratifiedKFold(
            n_splits=splits, n_repeats=self.repeats, random_state=self.seed
        )
        scores, at_30 = [], []
        for train, test in splitter.split(np.zeros(len(strata)), strata):
            fitted = _fit_offer(
                learner,
                offer,
                matrix[train],
                churned[train],
                treated[train],
                preprocessor,
                seed=self.seed,
                threads=self.threads,
                columns=columns,
            )
            tau = fitted.uplift(matrix[test], preprocessor)
            retained = 1 - churned[test]
            scores.append(qini_coefficient(retained, treated[test], tau))
            at_30.append(uplift_at_k(retained, treated[test], tau, 0.3))
        return {
            "qini": round(float(np.mean(scores)), 6),
            "qini_std": round(float(np.std(scores)), 6),
            "uplift_at_30": round(float(np.nanmean(at_30)), 6),
        }

    # --- prediction ---------------------------------------------------------------------

    def _fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise EngineError("the uplift model is not fitted")

    def matrix(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        self._fitted()
        missing = [c for c in self.preprocessor_.source_columns if c not in table.column_names]
        if missing:
            raise TableError(
                "the table lacks columns the uplift model was trained with: " + ", ".join(missing)
            )
        return self.preprocessor_.matrix(table)

    def predict(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        """Incremental retention, rows x ``offers_`` (same order)."""
        matrix = self.matrix(table)
        return np.column_stack(
            [self.models_[o].uplift(matrix, self.preprocessor_) for o in self.offers_]
        )

    def predict_acceptance(self, table: pa.Table | pa.RecordBatch) -> np.ndarray | None:
        """Probability that a targeted line accepts each offer; None when not learned."""
        matrix = self.matrix(table)
        parts = []
        for offer in self.offers_:
            model = self.models_[offer].acceptance
            if model is None:
                return None
            parts.append(model.proba(matrix, self.preprocessor_))
        return np.column_stack(parts)

    def predict_control_churn(self, table: pa.Table | pa.RecordBatch) -> np.ndarray | None:
        """The churn probability without contact (two-model learners only), rows x offers."""
        matrix = self.matrix(table)
        parts = []
        for offer in self.offers_:
            churn = self.models_[offer].control_churn(matrix, self.preprocessor_)
            if churn is None:
                return None
            parts.append(churn)
        return np.column_stack(parts)


def uplift_evaluate(
    model: UpliftModel,
    table: pa.Table,
    *,
    treatment: str = "arm",
    outcome: str = "churned",
    group: str | None = None,
    shares: Sequence[float] = (0.1, 0.2, 0.3),
) -> dict[str, Any]:
    """Held-out Qini coefficient and uplift at k per offer of the model found in the table,
    plus the Qini of a random order (a fixed seed) to compare against. With ``group``, an
    offer's treated rows are compared with the control rows of the groups that gave it."""
    arms = np.asarray(_column_text(table, treatment), dtype=object)
    churned = _binary(table, outcome, what="outcome")
    groups = np.asarray(_column_text(table, group), dtype=object) if group else None
    predictions = model.predict(table)
    offers: dict[str, Any] = {}
    rng = np.random.default_rng(0)
    for j, offer in enumerate(model.offers_):
        control = arms == CONTROL
        if groups is not None:
            control &= np.isin(groups, np.unique(groups[arms == offer]))
        rows = (arms == offer) | control
        treated = arms[rows] == offer
        if not treated.any() or treated.all():
            continue
        retained = 1 - churned[rows]
        tau = predictions[rows, j]
        noise = rng.random(int(rows.sum()))
        entry: dict[str, Any] = {
            "n_treated": int(treated.sum()),
            "n_control": int((~treated).sum()),
            "observed_uplift": float(retained[treated].mean() - retained[~treated].mean()),
            "qini": qini_coefficient(retained, treated, tau),
            "qini_random": qini_coefficient(retained, treated, noise),
        }
        for share in shares:
            entry[f"uplift_at_{round(share * 100)}"] = uplift_at_k(retained, treated, tau, share)
        offers[offer] = entry
    if not offers:
        raise TargetError(
            "the table has no treated and control rows for any offer of the model: "
            f"model offers are {', '.join(model.offers_)}"
        )
    return {"n": int(table.num_rows), "offers": offers}


# --- artefact ---------------------------------------------------------------------------


@dataclass
class UpliftArtefact:
    path: Path
    manifest: dict[str, Any]
    model: UpliftModel

    @property
    def version(self) -> str:
        return str(self.manifest["model_version"])


def uplift_artefact_save(
    model: UpliftModel,
    directory: Path,
    *,
    overwrite: bool = False,
    extra: dict[str, Any] | None = None,
) -> UpliftArtefact:
    """Write a fitted model as an artefact folder (atomically, via a sibling temp folder);
    ``extra`` adds plain data to the manifest (e.g. the campaigns it learned from)."""
    model._fitted()
    directory = folder_target_check(directory, overwrite=overwrite)
    files: dict[str, bytes] = {}
    offers_doc = []
    for index, offer in enumerate(model.offers_):
        fitted = model.models_[offer]
        parts: dict[str, Any] = {}
        for role in ("control", "treated", "transformed", "acceptance"):
            arm: ArmModel | None = getattr(fitted, role)
            if arm is None:
                parts[role] = None
                continue
            name = None
            if arm.kind == "lightgbm":
                assert arm.booster_text is not None
                name = f"booster-{index}-{role}.txt"
                files[name] = arm.booster_text.encode()
            parts[role] = arm.to_dict(name)
        offers_doc.append(
            {
                "offer": offer,
                "kind": fitted.kind,
                "rows_treated": fitted.rows_treated,
                "rows_control": fitted.rows_control,
                **parts,
            }
        )
    document = {
        "learner": model.learner_,
        "preprocessor": model.preprocessor_.to_dict(),
        "offers": offers_doc,
        "mean_attempts": model.mean_attempts_,
    }
    files[MODEL_FILE] = json.dumps(document, sort_keys=True).encode()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_version": content_version("uplift", files),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "libraries": library_versions(),
        "learner": model.learner_,
        "offers": model.offers_,
        "skipped_offers": model.skipped_,
        "features": model.preprocessor_.names,
        "source_columns": model.preprocessor_.source_columns,
        "rows": model.rows_,
        "churn_rate": model.churn_rate_,
        "cv": model.cv_,
        "observed": model.observed_,
        "mean_attempts": model.mean_attempts_,
        "notes": [note.__dict__ for note in model.notes_],
        "seed": model.seed,
        **(extra or {}),
    }
    folder_write(directory, files, manifest)
    return UpliftArtefact(path=directory, manifest=manifest, model=model)


def uplift_manifest_read(directory: Path, *, roots: Sequence[Path]) -> dict[str, Any]:
    """The manifest of an uplift artefact under an allowed root (nothing else is read)."""
    return manifest_read(
        directory, roots=roots, format=FORMAT, format_version=FORMAT_VERSION, kind="uplift model"
    )


def uplift_artefact_load(
    directory: Path, *, roots: Sequence[Path], threads: int = 1
) -> UpliftArtefact:
    """Verify (root, format, library versions, every file's sha256, feature list) and load."""
    manifest = uplift_manifest_read(directory, roots=roots)
    directory = directory.resolve()
    data, document, preprocessor = files_read(directory, manifest)
    boosters = {name: raw.decode() for name, raw in data.items() if name != MODEL_FILE}
    model = UpliftModel(learner=str(document["learner"]), seed=int(manifest.get("seed", 0)))
    models: dict[str, OfferModel] = {}
    for item in document["offers"]:
        arms = {
            role: (
                ArmModel.from_dict(item[role], boosters=boosters, threads=threads)
                if item.get(role)
                else None
            )
            for role in ("control", "treated", "transformed", "acceptance")
        }
        models[str(item["offer"])] = OfferModel(
            offer=str(item["offer"]),
            kind=str(item["kind"]),
            rows_treated=int(item["rows_treated"]),
            rows_control=int(item["rows_control"]),
            **arms,
        )
    model.preprocessor_ = preprocessor
    model.notes_ = []
    model.offers_ = [str(o) for o in manifest["offers"]]
    model.skipped_ = dict(manifest.get("skipped_offers") or {})
    if sorted(models) != sorted(model.offers_):
        raise ArtefactError(f"{directory}: the offers in model.json do not match the manifest")
    model.learner_ = str(document["learner"])
    model.models_ = models
    model.cv_ = manifest.get("cv", {})
    model.rows_ = int(manifest.get("rows", 0))
    model.churn_rate_ = float(manifest.get("churn_rate", 0.0))
    model.mean_attempts_ = document.get("mean_attempts")
    model.observed_ = manifest.get("observed", {})
    return UpliftArtefact(path=directory, manifest=manifest, model=model)


# --- policies on a past experiment ------------------------------------------------------


@dataclass
class PolicyValue:
    """What a targeting policy would have saved on a past randomised campaign."""

    targets: int
    matched_treated: int
    matched_control: int
    saved: float
    cost: float

    @property
    def net(self) -> float:
        return self.saved - self.cost

    def as_dict(self) -> dict[str, float | int]:
        return {
            "targets": self.targets,
            "matched_treated": self.matched_treated,
            "matched_control": self.matched_control,
            "value_saved": round(self.saved, 2),
            "cost": round(self.cost, 2),
            "net_value": round(self.net, 2),
        }


def policy_value_estimate(
    *,
    selected: np.ndarray,
    chosen_offer: np.ndarray,
    planned_offer: np.ndarray,
    offer_probability: np.ndarray,
    control: np.ndarray,
    churned: np.ndarray,
    value: np.ndarray,
    spent: np.ndarray,
) -> PolicyValue:
    """Estimate, from a past campaign whose arms were randomised, the value a policy would
    have saved: it targets the ``selected`` lines, each with ``chosen_offer``.

    In that campaign every line had a planned offer drawn at random (``planned_offer``,
    with ``offer_probability`` of drawing the one the policy chose) and was then treated
    with it or kept as control at random. The selected lines whose planned offer is the
    one the policy chose are a random sample of the selection (weighted by 1 / that
    probability), split at random into treated and control; so the value-weighted churn of
    that control part minus that of the treated part estimates the value saved per selected
    line, and the treated part's ``spent`` (the offers they accepted, their contact
    attempts) what it cost (Hajek weighted means). Totals are per-line estimates x the
    number of selected lines."""
    selected = np.asarray(selected, dtype=bool)
    match = selected & (np.asarray(planned_offer) == np.asarray(chosen_offer))
    weight = 1.0 / np.asarray(offer_probability, dtype=np.float64)
    control = np.asarray(control, dtype=bool)
    loss = np.asarray(churned, dtype=np.float64) * np.asarray(value, dtype=np.float64)
    spent = np.asarray(spent, dtype=np.float64)
    in_c, in_t = match & control, match & ~control
    n = int(selected.sum())
    if n == 0:
        return PolicyValue(targets=0, matched_treated=0, matched_control=0, saved=0.0, cost=0.0)
    if not in_c.any() or not in_t.any():
        raise EngineError(
            "the selection holds no treated or no control line of the past campaign with the "
            "chosen offer: it cannot be evaluated on this campaign"
        )
    per_line_saved = np.average(loss[in_c], weights=weight[in_c]) - np.average(
        loss[in_t], weights=weight[in_t]
    )
    per_line_cost = np.average(spent[in_t], weights=weight[in_t])
    return PolicyValue(
        targets=n,
        matched_treated=int(in_t.sum()),
        matched_control=int(in_c.sum()),
        saved=float(per_line_saved * n),
        cost=float(per_line_cost * n),
    )
