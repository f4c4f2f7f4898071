"""Training: target resolution, candidate models compared by repeated stratified
cross-validation, calibration from out-of-fold scores, and the final fit.

Candidates (all well regularised):
- ``logistic``: L2 logistic regression on clipped z-scores, missing flags and one-hot levels;
- ``lightgbm``: LightGBM with a small learning rate, few leaves (7, 15 or 31, one candidate
  each), L2 on leaf values, column subsampling, smoothed categorical splits, and the number
  of trees chosen by early stopping on the mean cross-validated log loss.

Folds: repeated stratified folds; when the id column repeats (one customer in several rows)
each id's rows stay in one fold; with a period column (a table stacking months) each fold
leaves one period out, which is how the model is used: on a month it was not trained on
(early stopping then picks the number of trees that carries over to a new month).

``auto`` picks the candidate with the best mean cross-validated ROC AUC. The probabilities
are then calibrated on the out-of-fold raw scores, by Platt scaling (``sigmoid``) or
isotonic regression, whichever gives the lower Brier score on rows it was not fitted on.
``lightgbm-default`` (LightGBM's stock settings) exists as a baseline to compare against.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from wanliu.scoring.engine.errors import TableError, TargetError
from wanliu.scoring.engine.features import Note, Preprocessor, clean_text, features_infer
from wanliu.scoring.engine.metrics import churn_metrics
from wanliu.scoring.engine.model import (
    DEFAULT_BAND_CUTS,
    ChurnModel,
    LogisticModel,
    logistic_columns,
    sigmoid,
)
from wanliu.scoring.engine.table import (
    DataFingerprint,
    table_fingerprint,
    table_format,
    table_read,
)

POSITIVE_TOKENS = {
    "yes",
    "y",
    "true",
    "t",
    "1",
    "1.0",
    "churn",
    "churned",
    "churner",
    "left",
    "lost",
    "leaver",
    "positive",
    "pos",
    "exited",
    "cancelled",
    "canceled",
    "terminated",
    "是",
    "流失",
}
ALGORITHMS = ("auto", "logistic", "lightgbm", "lightgbm-default")
CALIBRATIONS = ("auto", "sigmoid", "isotonic", "none")
LOGISTIC_C = 0.1
LEAVES = (7, 15, 31)
MAX_ROUNDS = 2000
EARLY_STOP = 60
# rows explained at once for the global importance (its leaf indicators take rows x trees)
IMPORTANCE_CHUNK_ROWS = 20_000


@dataclass
class Candidate:
    name: str
    algorithm: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class CandidateResult:
    candidate: Candidate
    fold_metrics: list[dict[str, float | int]]
    oof_raw: list[np.ndarray]
    rounds: int = 0

    def mean(self, key: str) -> float:
        return float(np.mean([m[key] for m in self.fold_metrics]))

    def std(self, key: str) -> float:
        return float(np.std([m[key] for m in self.fold_metrics]))

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.candidate.name}
        for key in ("roc_auc", "pr_auc", "brier"):
            out[key] = round(self.mean(key), 5)
            out[f"{key}_std"] = round(self.std(key), 5)
        if self.rounds:
            out["trees"] = self.rounds
        return out


@dataclass
class TrainingResult:
    model: ChurnModel
    target: str
    positive: str
    id_column: str | None
    notes: list[Note]
    fingerprint: DataFingerprint
    candidates: list[dict[str, Any]]
    chosen: str
    rows: int
    churn_rate: float
    seed: int
    cv_calibrated: dict[str, float | int]
    importance: list[dict[str, Any]]
    seconds: float
    training_options: dict[str, Any]


def _norm_label(value: str) -> str:
    text = value.strip().lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def target_resolve(
    column: pa.Array | pa.ChunkedArray, *, name: str, positive: str | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """0/1 target, mask of rows that have one, and the positive label (as written)."""
    text = clean_text(column)
    present = np.asarray(pc.is_valid(text).to_numpy(zero_copy_only=False))
    labels = [_norm_label(v) if v is not None else None for v in text.to_pylist()]
    seen = sorted({label for label in labels if label is not None})
    shown = ", ".join(repr(v) for v in seen[:12]) + (" ..." if len(seen) > 12 else "")
    if not seen:
        raise TargetError(f"target column {name!r} has no values")
    if len(seen) == 1:
        raise TargetError(
            f"target column {name!r} has a single class ({seen[0]!r}): "
            "training needs both churners and stayers"
        )
    if len(seen) > 2:
        raise TargetError(
            f"target column {name!r} has {len(seen)} values ({shown}): a binary target is needed"
        )
    if positive is not None:
        wanted = _norm_label(positive)
        if wanted not in seen:
            raise TargetError(
                f"positive label {positive!r} is not a value of {name!r}; values seen: {shown}"
            )
    else:
        matches = [label for label in seen if label in POSITIVE_TOKENS]
        if len(matches) != 1:
            raise TargetError(
                f"cannot tell which value of {name!r} means churn; values seen: {shown}. "
                "Name it with --positive VALUE"
            )
        wanted = matches[0]
    target = np.asarray([1 if label == wanted else 0 for label in labels], dtype=np.int64)
    return target, present, wanted


def _folds(
    target: np.ndarray,
    seed: int,
    splits: int,
    repeats: int,
    groups: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Repeated stratified folds; with ``groups`` (ids that repeat, e.g. one line seen in
    several months) every group's rows stay in one fold, so no fold is validated on rows
    of an id it was trained on."""
    from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold

    minority = int(min(target.sum(), len(target) - target.sum()))
    if minority < 2:
        raise TargetError(
            f"only {minority} row(s) of the rarer class: too few to cross-validate (need 2 or more)"
        )
    splits = min(splits, minority)
    rows = np.zeros(len(target))
    if groups is None:
        splitter = RepeatedStratifiedKFold(n_splits=splits, n_repeats=repeats, random_state=seed)
        return list(splitter.split(rows, target))
    folds: list[tuple[np.ndarray, np.ndarray]] = []
    for repeat in range(repeats):
        grouped = StratifiedGroupKFold(n_splits=splits, shuffle=True, random_state=seed + repeat)
        folds.extend(grouped.split(rows, target, groups))
    return folds


def _period_folds(
    target: np.ndarray, periods: np.ndarray, *, column: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Leave one period out: each fold validates on one period, trained on the others.

    For a table that stacks the same customers over several periods (e.g. months), this is
    what the model will face: scoring a period it was not trained on."""
    names = sorted(set(periods.tolist()))
    if len(names) < 2:
        raise TableError(
            f"--period column {column!r} has one value only: leaving one period out needs two "
            "or more"
        )
    folds = []
    for name in names:
        test = np.flatnonzero(periods == name)
        train = np.flatnonzero(periods != name)
        positives = int(target[test].sum())
        if positives == 0 or positives == len(test):
            raise TableError(
                f"period {name!r} of column {column!r} has only one class: each period needs "
                "churners and stayers"
            )
        folds.append((train, test))
    return folds


def _repeated_ids(table: pa.Table, id_column: str | None) -> np.ndarray | None:
    """The id column as group labels when some id has more than one row, else None."""
    if id_column is None:
        return None
    column = table.column(id_column)
    if pc.count_distinct(column).as_py() == table.num_rows:
        return None
    codes = pc.dictionary_encode(column.combine_chunks()).indices
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.int64)


def logistic_fit(
    matrix: np.ndarray,
    target: np.ndarray,
    preprocessor: Preprocessor,
    *,
    columns: list[tuple[int, str, int]],
    c: float = LOGISTIC_C,
) -> LogisticModel:
    from sklearn.linear_model import LogisticRegression

    count = matrix.shape[1]
    medians = [0.0] * count
    centers = [0.0] * count
    scales = [1.0] * count
    for index, feature in enumerate(preprocessor.features):
        if feature.is_categorical:
            continue
        values = matrix[:, index]
        finite = values[~np.isnan(values)]
        median = float(np.median(finite)) if finite.size else 0.0
        filled = np.where(np.isnan(values), median, values)
        scale = float(np.std(filled))
        medians[index] = median
        centers[index] = float(np.mean(filled))
        scales[index] = scale if scale > 0 else 1.0
    model = LogisticModel(
        medians=medians,
        centers=centers,
        scales=scales,
        columns=columns,
        coef=[],
        intercept=0.0,
        design_means=[],
    )
    design = model.design(matrix, preprocessor)
    fitted = LogisticRegression(C=c, max_iter=2000).fit(design, target)
    model.coef = [float(v) for v in fitted.coef_[0]]
    model.intercept = float(fitted.intercept_[0])
    model.design_means = [float(v) for v in design.mean(axis=0)]
    return model


def lightgbm_params(candidate: Candidate, *, seed: int, threads: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        "objective": "binary",
        "metric": "binary_logloss",
        "verbosity": -1,
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": threads,
        "feature_pre_filter": False,
    }
    params.update(candidate.params)
    return params


def _lightgbm_dataset(matrix: np.ndarray, target: np.ndarray, preprocessor: Preprocessor) -> Any:
    import lightgbm as lgb

    return lgb.Dataset(
        matrix,
        label=target,
        feature_name=[f"f{i}" for i in range(matrix.shape[1])],
        categorical_feature=preprocessor.categorical_indices or "auto",
        free_raw_data=False,
    )


def _fold_metrics(target: np.ndarray, raw: np.ndarray) -> dict[str, float | int]:
    return churn_metrics(target, sigmoid(raw))


def _cv_logistic(
    candidate: Candidate,
    matrix: np.ndarray,
    target: np.ndarray,
    preprocessor: Preprocessor,
    folds: list[tuple[np.ndarray, np.ndarray]],
    repeats: int,
) -> CandidateResult:
    columns = logistic_columns(matrix, preprocessor)
    oof = [np.zeros(len(target)) for _ in range(repeats)]
    metrics = []
    per_repeat = len(folds) // repeats
    for k, (train, test) in enumerate(folds):
        model = logistic_fit(matrix[train], target[train], preprocessor, columns=columns)
        raw = model.explain(matrix[test], preprocessor)[0]
        oof[k // per_repeat][test] = raw
        metrics.append(_fold_metrics(target[test], raw))
    return CandidateResult(candidate=candidate, fold_metrics=metrics, oof_raw=oof)


def _cv_lightgbm(
    candidate: Candidate,
    matrix: np.ndarray,
    target: np.ndarray,
    preprocessor: Preprocessor,
    folds: list[tuple[np.ndarray, np.ndarray]],
    repeats: int,
    *,
    seed: int,
    threads: int,
) -> CandidateResult:
    import lightgbm as lgb

    params = lightgbm_params(candidate, seed=seed, threads=threads)
    fixed = candidate.algorithm == "lightgbm-default"
    rounds = int(params.pop("num_iterations", MAX_ROUNDS))
    callbacks: list[Any] = [] if fixed else [lgb.early_stopping(EARLY_STOP, verbose=False)]
    result = lgb.cv(
        params,
        _lightgbm_dataset(matrix, target, preprocessor),
        num_boost_round=rounds,
        folds=folds,
        callbacks=callbacks,
        return_cvbooster=True,
    )
    cvbooster: Any = result["cvbooster"]
    best = int(cvbooster.best_iteration) if cvbooster.best_iteration > 0 else rounds
    oof = [np.zeros(len(target)) for _ in range(repeats)]
    metrics = []
    per_repeat = len(folds) // repeats
    for k, (booster, (_, test)) in enumerate(zip(cvbooster.boosters, folds, strict=True)):
        raw = booster.predict(matrix[test], raw_score=True, num_iteration=best)
        oof[k // per_repeat][test] = raw
        metrics.append(_fold_metrics(target[test], raw))
    return CandidateResult(candidate=candidate, fold_metrics=metrics, oof_raw=oof, rounds=best)


def candidates_for(algorithm: str) -> list[Candidate]:
    conservative = {
        "learning_rate": 0.05,
        "min_data_in_leaf": 20,
        "lambda_l2": 1.0,
        "feature_fraction": 0.8,
        "min_data_per_group": 50,
        "cat_smooth": 10.0,
        "cat_l2": 10.0,
        "max_cat_to_onehot": 4,
    }
    lightgbm = [
        Candidate(f"lightgbm_{leaves}_leaves", "lightgbm", {**conservative, "num_leaves": leaves})
        for leaves in LEAVES
    ]
    if algorithm == "logistic":
        return [Candidate("logistic", "logistic")]
    if algorithm == "lightgbm":
        return lightgbm
    if algorithm == "lightgbm-default":
        return [Candidate("lightgbm_default", "lightgbm-default", {"num_iterations": 100})]
    return [Candidate("logistic", "logistic"), *lightgbm]


def _platt(raw: np.ndarray, target: np.ndarray) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), target)
    return {
        "method": "sigmoid",
        "slope": float(fitted.coef_[0][0]),
        "intercept": float(fitted.intercept_[0]),
    }


def _isotonic(raw: np.ndarray, target: np.ndarray) -> dict[str, Any]:
    from sklearn.isotonic import IsotonicRegression

    fitted = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, target)
    return {
        "method": "isotonic",
        "x": [float(v) for v in fitted.X_thresholds_],
        "y": [float(v) for v in fitted.y_thresholds_],
    }


def calibration_fit(
    oof_raw: list[np.ndarray], target: np.ndarray, *, method: str, seed: int
) -> tuple[dict[str, Any], np.ndarray]:
    """Fit the calibration on out-of-fold raw scores.

    Returns the calibration and cross-fitted calibrated out-of-fold probabilities (each half
    of the rows calibrated by a calibrator fitted on the other half), for honest metrics.
    ``auto`` picks the method whose cross-fitted Brier score is lower.
    """
    from sklearn.metrics import brier_score_loss
    from sklearn.model_selection import StratifiedKFold

    from wanliu.scoring.engine.model import calibrate

    raw_all = np.concatenate(oof_raw)
    if method == "none":
        return {"method": "none"}, calibrate(raw_all, {"method": "none"})
    fitters = {"sigmoid": _platt, "isotonic": _isotonic}
    names = list(fitters) if method == "auto" else [method]
    halves = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    crossed = {name: [np.zeros(len(target)) for _ in oof_raw] for name in names}
    for fit_rows, check_rows in halves.split(np.zeros(len(target)), target):
        fit_raw = np.concatenate([raw[fit_rows] for raw in oof_raw])
        fit_target = np.tile(target[fit_rows], len(oof_raw))
        for name in names:
            calibration = fitters[name](fit_raw, fit_target)
            for repeat, raw in enumerate(oof_raw):
                crossed[name][repeat][check_rows] = calibrate(raw[check_rows], calibration)
    scores = {
        name: float(brier_score_loss(np.tile(target, len(oof_raw)), np.concatenate(crossed[name])))
        for name in names
    }
    best = min(names, key=lambda name: (scores[name], name != "sigmoid"))
    return fitters[best](raw_all, np.tile(target, len(oof_raw))), np.concatenate(crossed[best])


def _final_fit(
    result: CandidateResult,
    matrix: np.ndarray,
    target: np.ndarray,
    preprocessor: Preprocessor,
    *,
    seed: int,
    threads: int,
) -> tuple[LogisticModel | None, str | None]:
    import lightgbm as lgb

    if result.candidate.algorithm == "logistic":
        columns = logistic_columns(matrix, preprocessor)
        return logistic_fit(matrix, target, preprocessor, columns=columns), None
    params = lightgbm_params(result.candidate, seed=seed, threads=threads)
    params.pop("num_iterations", None)
    booster = lgb.train(
        params, _lightgbm_dataset(matrix, target, preprocessor), num_boost_round=result.rounds
    )
    return None, booster.model_to_string()


def _importance(model: ChurnModel, matrix: np.ndarray, top: int = 15) -> list[dict[str, Any]]:
    """Mean absolute contribution of each feature over every training row, explained a
    chunk of rows at a time: the explanation's leaf indicators take rows x trees entries,
    which for the whole table at 1M lines would be several times the table itself."""
    total = np.zeros(len(model.preprocessor.names))
    for start in range(0, len(matrix), IMPORTANCE_CHUNK_ROWS):
        _, contributions, _ = model.explain(matrix[start : start + IMPORTANCE_CHUNK_ROWS])
        total += np.abs(contributions).sum(axis=0)
    magnitude = total / max(len(matrix), 1)
    order = np.argsort(-magnitude, kind="stable")[:top]
    names = model.preprocessor.names
    return [
        {
            "feature": names[i],
            "mean_abs_contribution": round(float(magnitude[i]), 5),
            "kind": model.preprocessor.features[i].kind,
        }
        for i in order
        if magnitude[i] > 0
    ]


def band_cuts_check(cuts: list[float]) -> list[float]:
    if not 1 <= len(cuts) <= 3:
        raise TableError("give 1 to 3 risk band cut points, e.g. 0.1,0.3,0.6")
    if any(not 0 < c < 1 for c in cuts) or sorted(set(cuts)) != list(cuts):
        raise TableError("risk band cut points must be increasing probabilities between 0 and 1")
    return list(cuts)


def churn_model_train(
    *,
    table_path: Path,
    target: str,
    positive: str | None = None,
    id_column: str | None = None,
    period_column: str | None = None,
    seed: int = 0,
    algorithm: str = "auto",
    calibration: str = "auto",
    family_sums: bool = True,
    band_cuts: list[float] | None = None,
    folds: int = 3,
    repeats: int = 2,
    threads: int = 1,
    progress: bool = True,
) -> TrainingResult:
    """Train, compare, calibrate and refit a churn model on one table."""
    started = time.perf_counter()
    if algorithm not in ALGORITHMS:
        raise TableError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    if calibration not in CALIBRATIONS:
        raise TableError(
            f"unknown calibration {calibration!r}; choose one of {', '.join(CALIBRATIONS)}"
        )
    cuts = band_cuts_check(band_cuts if band_cuts is not None else list(DEFAULT_BAND_CUTS))
    table = table_read(table_path)
    if target not in table.column_names:
        raise TargetError(
            f"target column {target!r} is not in the table; columns: "
            + ", ".join(table.column_names)
        )
    if id_column is not None and id_column not in table.column_names:
        raise TableError(f"id column {id_column!r} is not in the table")
    if id_column == target:
        raise TableError("the id column cannot be the target")
    if period_column is not None:
        if period_column not in table.column_names:
            raise TableError(f"period column {period_column!r} is not in the table")
        if period_column in (target, id_column):
            raise TableError("the period column must differ from the target and the id column")
    fingerprint = table_fingerprint(table_path, table)
    labels, present, positive_label = target_resolve(
        table.column(target), name=target, positive=positive
    )
    notes: list[Note] = []
    if not present.all():
        missing = int((~present).sum())
        notes.append(Note(target, "rows dropped", f"{missing} row(s) without a target value"))
        table = table.filter(pa.array(present))
        labels = labels[present]
    candidates = candidates_for(algorithm)
    bar = tqdm(total=len(candidates) + 3, desc="churn train", file=sys.stderr, disable=not progress)
    bar.set_postfix_str("columns")
    exclude = {target} | ({id_column} if id_column else set())
    exclude |= {period_column} if period_column else set()
    preprocessor, column_notes = features_infer(
        table,
        target=labels,
        exclude=exclude,
        family_sums=family_sums,
        text_source=table_format(table_path) == "csv",
    )
    notes.extend(column_notes)
    if not preprocessor.features:
        bar.close()
        raise TableError(
            "no usable feature columns are left after dropping id-like, constant "
            "and leaking columns"
        )
    matrix = preprocessor.matrix(table)
    bar.update(1)
    if period_column is not None:
        periods = np.asarray(
            table.column(period_column).cast(pa.string()).to_pylist(), dtype=object
        )
        fold_list = _period_folds(labels, periods, column=period_column)
        repeats = 1
        notes.append(
            Note(period_column, "period folds", "each fold validates on one period left out")
        )
    else:
        groups = _repeated_ids(table, id_column)
        if groups is not None:
            notes.append(
                Note(
                    id_column or "",
                    "grouped folds",
                    "ids repeat: each id's rows are kept in one cross-validation fold",
                )
            )
        fold_list = _folds(labels, seed, folds, repeats, groups)
    del table  # from here on the matrix holds what training needs
    results: list[CandidateResult] = []
    for candidate in candidates:
        bar.set_postfix_str(candidate.name)
        if candidate.algorithm == "logistic":
            results.append(
                _cv_logistic(candidate, matrix, labels, preprocessor, fold_list, repeats)
            )
        else:
            results.append(
                _cv_lightgbm(
                    candidate,
                    matrix,
                    labels,
                    preprocessor,
                    fold_list,
                    repeats,
                    seed=seed,
                    threads=threads,
                )
            )
        bar.update(1)
    best = max(results, key=lambda r: r.mean("roc_auc"))
    bar.set_postfix_str("calibration")
    calibration_spec, crossed = calibration_fit(best.oof_raw, labels, method=calibration, seed=seed)
    calibrated_oof = churn_metrics(np.tile(labels, len(best.oof_raw)), crossed)
    bar.update(1)
    bar.set_postfix_str("final fit")
    logistic, booster_text = _final_fit(
        best, matrix, labels, preprocessor, seed=seed, threads=threads
    )
    model = ChurnModel(
        algorithm="logistic" if logistic is not None else "lightgbm",
        preprocessor=preprocessor,
        calibration=calibration_spec,
        band_cuts=cuts,
        logistic=logistic,
        booster_text=booster_text,
        threads=threads,
    )
    importance = _importance(model, matrix)
    bar.update(1)
    bar.close()
    return TrainingResult(
        model=model,
        target=target,
        positive=positive_label,
        id_column=id_column,
        notes=notes,
        fingerprint=fingerprint,
        candidates=[r.summary() for r in results],
        chosen=best.candidate.name,
        rows=len(labels),
        churn_rate=float(labels.mean()),
        seed=seed,
        cv_calibrated=calibrated_oof,
        importance=importance,
        seconds=time.perf_counter() - started,
        training_options={
            "algorithm": algorithm,
            "calibration": calibration,
            "family_sums": family_sums,
            "folds": len(fold_list) // repeats,
            "repeats": repeats,
            "period_column": period_column,
        },
    )
