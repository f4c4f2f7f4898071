"""The fitted churn model at scoring time: raw log-odds, honest per-feature contributions,
calibrated probability and risk band.

Everything here is plain data (lists of floats, LightGBM's own text format), so an
artefact never needs unpickling. Contributions are in the raw model's log-odds space and
always add up, with ``base``, to the raw score:

- logistic regression: coefficient x (design value - its training mean), summed over the
  design columns of a feature (its standardised value and missing flag, or its one-hot
  levels);
- LightGBM, fast path: per-leaf attribution tables. Walking a tree from the root to a leaf,
  every split moves the node value from parent to child; that change is credited to the
  split's feature. So a tree's output is its root value plus the credits on the path, and
  a row's credits are a lookup of the leaf it lands in: as cheap as the prediction itself.
- LightGBM, exact path: TreeSHAP (``pred_contrib``), for explaining one customer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from wanliu.scoring.engine.features import Preprocessor

Z_CLIP = 5.0
DEFAULT_BAND_CUTS = [0.10, 0.30, 0.60]
BAND_LABELS = {
    1: ["low", "high"],
    2: ["low", "medium", "high"],
    3: ["low", "medium", "high", "very_high"],
}


@dataclass
class LogisticModel:
    """Scaled numerics (median-imputed, clipped z) + missing flags + one-hot levels."""

    medians: list[float]
    centers: list[float]
    scales: list[float]
    columns: list[tuple[int, str, int]]
    coef: list[float]
    intercept: float
    design_means: list[float]

    def design(self, matrix: np.ndarray, preprocessor: Preprocessor) -> np.ndarray:
        rows = matrix.shape[0]
        out = np.zeros((rows, len(self.columns)), dtype=np.float64)
        for j, (index, role, level) in enumerate(self.columns):
            values = matrix[:, index]
            if role == "missing":
                out[:, j] = np.isnan(values)
            elif role == "level":
                out[:, j] = values == level
            else:
                filled = np.where(np.isnan(values), self.medians[index], values)
                z = (filled - self.centers[index]) / self.scales[index]
                out[:, j] = np.clip(z, -Z_CLIP, Z_CLIP)
        return out

    def explain(
        self, matrix: np.ndarray, preprocessor: Preprocessor
    ) -> tuple[np.ndarray, np.ndarray, float]:
        design = self.design(matrix, preprocessor)
        coef = np.asarray(self.coef)
        means = np.asarray(self.design_means)
        parts = (design - means) * coef
        owner = np.asarray([index for index, _, _ in self.columns])
        grouping = sp.csr_matrix(
            (np.ones(len(owner)), (np.arange(len(owner)), owner)),
            shape=(len(owner), len(preprocessor.features)),
        )
        contributions = np.asarray(parts @ grouping)
        base = float(self.intercept + means @ coef)
        raw = design @ coef + self.intercept
        return raw, contributions, base

    def to_dict(self) -> dict[str, Any]:
        return {
            "medians": self.medians,
            "centers": self.centers,
            "scales": self.scales,
            "columns": [list(column) for column in self.columns],
            "coef": self.coef,
            "intercept": self.intercept,
            "design_means": self.design_means,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticModel:
        return cls(
            medians=list(data["medians"]),
            centers=list(data["centers"]),
            scales=list(data["scales"]),
            columns=[(int(i), str(r), int(level)) for i, r, level in data["columns"]],
            coef=list(data["coef"]),
            intercept=float(data["intercept"]),
            design_means=list(data["design_means"]),
        )


def logistic_columns(matrix: np.ndarray, preprocessor: Preprocessor) -> list[tuple[int, str, int]]:
    """The design layout for a training matrix: which columns each feature gets."""
    columns: list[tuple[int, str, int]] = []
    for index, feature in enumerate(preprocessor.features):
        has_missing = bool(np.isnan(matrix[:, index]).any())
        if feature.is_categorical:
            columns.extend((index, "level", level) for level in range(len(feature.levels) + 1))
        else:
            columns.append((index, "value", 0))
        if has_missing:
            columns.append((index, "missing", 0))
    return columns


@dataclass
class LeafTables:
    """Per-leaf values and per-leaf feature credits of a LightGBM model."""

    leaf_offsets: np.ndarray
    leaf_values: np.ndarray
    credits: np.ndarray
    base: float
    _joined: np.ndarray | None = field(default=None, repr=False)
    _ones: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_dump(cls, dump: dict[str, Any], n_features: int) -> LeafTables:
        offsets: list[int] = []
        values: list[float] = []
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        base = 0.0
        for tree in dump["tree_info"]:
            offset = len(values)
            offsets.append(offset)
            root = tree["tree_structure"]
            leaves = int(tree["num_leaves"])
            values.extend([0.0] * leaves)
            root_value = float(root.get("internal_value", root.get("leaf_value", 0.0)))
            base += root_value
            stack: list[tuple[dict[str, Any], float, dict[int, float]]] = [(root, root_value, {})]
            while stack:
                node, value, credit = stack.pop()
                if "leaf_index" in node or "split_feature" not in node:
                    leaf = offset + int(node.get("leaf_index", 0))
                    values[leaf] = float(node["leaf_value"])
                    for feature, amount in credit.items():
                        rows.append(leaf)
                        cols.append(feature)
                        data.append(amount)
                    continue
                feature = int(node["split_feature"])
                for side in ("left_child", "right_child"):
                    child = node[side]
                    child_value = float(child.get("internal_value", child.get("leaf_value")))
                    moved = dict(credit)
                    moved[feature] = moved.get(feature, 0.0) + (child_value - value)
                    stack.append((child, child_value, moved))
        credits = np.zeros((len(values), n_features), dtype=np.float64)
        np.add.at(
            credits,
            (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)),
            np.asarray(data, dtype=np.float64),
        )
        return cls(
            leaf_offsets=np.asarray(offsets, dtype=np.int64),
            leaf_values=np.asarray(values, dtype=np.float64),
            credits=credits,
            base=base,
        )

    def explain(self, leaves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores and credits of rows given the leaf each lands in, tree by tree.

        One sparse product: a row's indicator over all leaves times the table whose
        columns are the feature credits and, last, the leaf values.
        """
        rows, trees = leaves.shape
        if self._joined is None:
            self._joined = np.ascontiguousarray(
                np.hstack([self.credits, self.leaf_values[:, None]])
            )
        offsets = self.leaf_offsets.astype(leaves.dtype, copy=False)
        indices = (leaves + offsets[None, :]).ravel()
        if self._ones is None or len(self._ones) < rows * trees:
            self._ones = np.ones(rows * trees)
        indicator = sp.csr_matrix(
            (
                self._ones[: rows * trees],
                indices,
                np.arange(0, rows * trees + 1, trees, dtype=indices.dtype),
            ),
            shape=(rows, len(self.leaf_values)),
            copy=False,
        )
        joined = np.asarray(indicator @ self._joined)
        return joined[:, -1], joined[:, :-1]


@dataclass
class ChurnModel:
    """A trained, calibrated churn model with its preprocessing and risk bands."""

    algorithm: str
    preprocessor: Preprocessor
    calibration: dict[str, Any]
    band_cuts: list[float] = field(default_factory=lambda: list(DEFAULT_BAND_CUTS))
    logistic: LogisticModel | None = None
    booster_text: str | None = None
    threads: int = 1
    _booster: Any = field(default=None, repr=False)
    _tables: LeafTables | None = field(default=None, repr=False)

    @property
    def booster(self) -> Any:
        if self._booster is None:
            import lightgbm as lgb

            assert self.booster_text is not None
            self._booster = lgb.Booster(model_str=self.booster_text)
        return self._booster

    @property
    def tables(self) -> LeafTables:
        if self._tables is None:
            self._tables = LeafTables.from_dump(
                self.booster.dump_model(), len(self.preprocessor.features)
            )
        return self._tables

    def explain(
        self, matrix: np.ndarray, *, exact: bool = False
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Raw log-odds, per-feature contributions (rows x features) and the base value."""
        if self.algorithm == "logistic":
            assert self.logistic is not None
            return self.logistic.explain(matrix, self.preprocessor)
        if exact:
            full = self.booster.predict(matrix, pred_contrib=True, num_threads=self.threads)
            contributions = np.asarray(full[:, :-1])
            bias = np.asarray(full[:, -1])
            return contributions.sum(axis=1) + bias, contributions, float(bias[0])
        leaves = self.booster.predict(matrix, pred_leaf=True, num_threads=self.threads)
        raw, contributions = self.tables.explain(np.asarray(leaves).reshape(len(matrix), -1))
        return raw, contributions, self.tables.base

    def raw_score(self, matrix: np.ndarray) -> np.ndarray:
        if self.algorithm == "logistic":
            assert self.logistic is not None
            return self.logistic.explain(matrix, self.preprocessor)[0]
        return np.asarray(self.booster.predict(matrix, raw_score=True, num_threads=self.threads))

    def probability(self, raw: np.ndarray) -> np.ndarray:
        return calibrate(raw, self.calibration)

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        return self.probability(self.raw_score(matrix))

    def bands(self, probability: np.ndarray) -> np.ndarray:
        which = np.searchsorted(np.asarray(self.band_cuts), probability, side="right")
        return np.asarray(BAND_LABELS[len(self.band_cuts)], dtype=object)[which]


def sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def calibrate(raw: np.ndarray, calibration: dict[str, Any]) -> np.ndarray:
    """Map raw log-odds to a probability with the stored calibration."""
    method = calibration["method"]
    if method == "sigmoid":
        return sigmoid(calibration["slope"] * raw + calibration["intercept"])
    if method == "isotonic":
        return np.interp(raw, calibration["x"], calibration["y"])
    return sigmoid(raw)
