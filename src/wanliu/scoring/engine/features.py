"""Column type inference and the preprocessing that turns any churn table into a matrix.

``features_infer`` looks at a training table once and decides, for every column but the
id and the target, whether it is a number (also numbers stored as text, with thousands
separators, currency signs or percent signs), a date, a category (rare and unseen levels
grouped as "other"), or something to drop with a note: empty, constant, id-like, or a
column that on its own predicts the target almost perfectly (a leak, e.g. a copy of the
target or a post-churn field). It also adds "family totals": the row sum of numeric
columns whose names share a word (``day_charge`` + ``eve_charge`` ...; ``bill_m1`` +
``bill_m2`` ...), a generic construction that lets trees use totals they cannot build.

``Preprocessor.matrix`` applies the same decisions to any batch, vectorised in Arrow and
NumPy: one float64 column per feature, categories as integer codes, missing as NaN.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MISSING_TOKENS = ["", "na", "n/a", "nan", "null", "none", "?", "-", "--", "#n/a", "nil", "missing"]
NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
NUMBER_NOISE_PATTERN = r"[,\s$€£¥%]|^\+|元$"
ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}"
ID_NAME_PATTERN = re.compile(
    r"(^|[_\s-])(id|uuid|guid|key|msisdn|imsi|imei|phone|phone_number|account_number)$"
    r"|^(id|uuid|guid|msisdn|phone|phone_number|customer_id|account_id|line_id)$",
    re.IGNORECASE,
)

NUMERIC_SHARE = 0.95
MAX_LEVELS = 50
LEAK_AUC = 0.99
MAX_FAMILY_SIZE = 12
MAX_FAMILIES = 16


@dataclass
class FeatureSpec:
    """One model input. ``kind`` is numeric, datetime, categorical or family_sum."""

    name: str
    kind: str
    source: str | None = None
    levels: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    from_text: bool = False

    @property
    def is_categorical(self) -> bool:
        return self.kind == "categorical"


@dataclass
class Note:
    """Why a column was dropped or changed, for the command output and the model card."""

    column: str
    action: str
    reason: str


def _plain(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def _is_text(array: pa.Array) -> bool:
    return pa.types.is_string(array.type) or pa.types.is_large_string(array.type)


def _is_number(array: pa.Array) -> bool:
    kind = array.type
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def _is_temporal(array: pa.Array) -> bool:
    return pa.types.is_timestamp(array.type) or pa.types.is_date(array.type)


def clean_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Trimmed text with the usual missing-value tokens as nulls (any input type)."""
    array = _plain(values)
    if pa.types.is_boolean(array.type):
        array = pc.if_else(array, "true", "false")
    elif not _is_text(array):
        array = pc.cast(array, pa.string())
    array = pc.utf8_trim_whitespace(array)
    missing = pc.is_in(pc.utf8_lower(array), value_set=pa.array(MISSING_TOKENS))
    return pc.if_else(missing, pa.scalar(None, pa.string()), array)


def _text_to_number(text: pa.Array) -> pa.Array:
    stripped = pc.replace_substring_regex(text, pattern=NUMBER_NOISE_PATTERN, replacement="")
    valid = pc.match_substring_regex(stripped, NUMBER_PATTERN)
    kept = pc.if_else(valid, stripped, pa.scalar(None, pa.string()))
    return pc.cast(kept, pa.float64())


def _text_to_days(text: pa.Array) -> pa.Array:
    head = pc.utf8_slice_codeunits(text, 0, 10)
    stamps = pc.strptime(head, format="%Y-%m-%d", unit="s", error_is_null=True)
    return pc.divide(pc.cast(pc.cast(stamps, pa.int64()), pa.float64()), 86400.0)


def _temporal_to_days(array: pa.Array) -> pa.Array:
    stamps = pc.cast(array, pa.timestamp("s")) if pa.types.is_date(array.type) else array
    if pa.types.is_timestamp(stamps.type) and stamps.type.tz is not None:
        stamps = pc.cast(stamps, pa.timestamp(stamps.type.unit))
    seconds = pc.cast(pc.cast(stamps, pa.timestamp("s")), pa.int64())
    return pc.divide(pc.cast(seconds, pa.float64()), 86400.0)


def numeric_values(values: pa.Array | pa.ChunkedArray, *, kind: str) -> np.ndarray:
    """A column as float64 with NaN for missing, whatever type it was stored as."""
    array = _plain(values)
    if kind == "datetime":
        days = _temporal_to_days(array) if _is_temporal(array) else _text_to_days(clean_text(array))
        return np.asarray(days.to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_boolean(array.type) or _is_number(array):
        number = pc.cast(array, pa.float64())
    else:
        number = _plain_text_to_number(array)
        if number is None:
            number = _text_to_number(clean_text(array))
    values = np.array(number.to_numpy(zero_copy_only=False), dtype=np.float64)
    values[np.isinf(values)] = np.nan
    return values


def _plain_text_to_number(text: pa.Array) -> pa.Array | None:
    """Fast path for text that is plain numbers or empty; None when anything needs cleaning."""
    blank = pc.equal(text, "")
    try:
        return pc.cast(pc.if_else(blank, pa.scalar(None, text.type), text), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def category_codes(values: pa.Array | pa.ChunkedArray, *, levels: list[str]) -> np.ndarray:
    """Codes 0..L-1 for known levels, L for any other value, NaN for missing."""
    text = clean_text(values)
    folded = pc.utf8_lower(text)
    index = pc.index_in(folded, value_set=pa.array(levels, pa.string()))
    codes = pc.fill_null(index, len(levels))
    result = np.array(pc.cast(codes, pa.float64()).to_numpy(zero_copy_only=False))
    result[np.asarray(pc.is_null(text).to_numpy(zero_copy_only=False))] = np.nan
    return result


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    words = [re.sub(r"\d+", "", word).lower() for word in re.split(r"[^A-Za-z0-9]+", spaced)]
    return [word for word in words if word]


def _families(numeric_names: list[str]) -> list[tuple[str, list[str]]]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name in numeric_names:
        words = _name_words(name)
        if len(words) < 2:
            continue
        if len(words[0]) >= 3:
            groups[("first", words[0])].append(name)
        if len(words[-1]) >= 3:
            groups[("last", words[-1])].append(name)
    sized = {
        key: frozenset(members)
        for key, members in groups.items()
        if 2 <= len(members) <= MAX_FAMILY_SIZE and len(members) < len(numeric_names)
    }
    families: list[tuple[str, list[str]]] = []
    seen: set[frozenset[str]] = set()
    for (position, word), members in sorted(groups.items()):
        key = frozenset(members)
        if (position, word) not in sized or key in seen:
            continue
        inside = [other for other in sized.values() if other < key]
        if len(inside) >= 2:
            continue  # a word shared across several families (``total_*``) mixes units
        seen.add(key)
        label = f"sum({word}_*)" if position == "first" else f"sum(*_{word})"
        families.append((label, list(members)))
    return families[:MAX_FAMILIES]


def _single_feature_auc(column: np.ndarray, target: np.ndarray, *, categorical: bool) -> float:
    """How well one column alone ranks the target (0.5 = not at all, 1.0 = perfectly)."""
    from sklearn.metrics import roc_auc_score

    values = column.copy()
    missing = np.isnan(values)
    if categorical:
        codes = np.where(missing, -1, values).astype(np.int64)
        offset = codes + 1
        totals = np.bincount(offset)
        positives = np.bincount(offset, weights=target)
        rates = positives / np.maximum(totals, 1)
        values = rates[offset]
    elif missing.all():
        return 0.5
    else:
        values[missing] = np.nanmin(values) - 1.0
    if np.unique(values).size < 2:
        return 0.5
    auc = float(roc_auc_score(target, values))
    return max(auc, 1.0 - auc)


def _looks_like_id(name: str, text: pa.Array, *, numeric: np.ndarray | None) -> str | None:
    present = text.filter(pc.is_valid(text))
    count = len(present)
    if count < 20:
        return None
    distinct = len(pc.unique(present))
    ratio = distinct / count
    if ID_NAME_PATTERN.search(name) and ratio >= 0.5:
        return f"its name and {ratio:.0%} distinct values mark an identifier"
    if numeric is None and ratio >= 0.95:
        return f"{ratio:.0%} of its text values are distinct"
    if numeric is not None and distinct == count:
        finite = numeric[~np.isnan(numeric)]
        whole = bool(np.all(finite == np.round(finite)))
        steps = np.diff(finite)
        if whole and (np.all(steps > 0) or np.all(steps < 0)):
            return "whole numbers, all distinct and in order: a row counter"
    return None


def _text_number_note(cleaned: int, unreadable: int) -> str:
    details = []
    if cleaned:
        details.append(f"{cleaned} value(s) cleaned of separators or signs")
    if unreadable:
        details.append(f"{unreadable} unreadable value(s) treated as missing")
    return "numbers stored as text" + (f" ({', '.join(details)})" if details else "")


@dataclass
class Preprocessor:
    """The fitted column decisions; ``matrix`` applies them to a table or batch."""

    features: list[FeatureSpec]

    @property
    def names(self) -> list[str]:
        return [feature.name for feature in self.features]

    @property
    def source_columns(self) -> list[str]:
        columns: list[str] = []
        for feature in self.features:
            if feature.source is not None and feature.source not in columns:
                columns.append(feature.source)
        return columns

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, feature in enumerate(self.features) if feature.is_categorical]

    def matrix(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        """One float64 row per input row, one column per feature (NaN = missing)."""
        out = np.empty((table.num_rows, len(self.features)), dtype=np.float64)
        position = {feature.name: i for i, feature in enumerate(self.features)}
        for i, feature in enumerate(self.features):
            if feature.kind == "family_sum":
                parts = out[:, [position[part] for part in feature.parts]]
                present = ~np.isnan(parts)
                total = np.where(present, parts, 0.0).sum(axis=1)
                out[:, i] = np.where(present.any(axis=1), total, np.nan)
                continue
            assert feature.source is not None
            column = table.column(feature.source)
            if feature.is_categorical:
                out[:, i] = category_codes(column, levels=feature.levels)
            else:
                out[:, i] = numeric_values(column, kind=feature.kind)
        return out

    def display_text(self, table: pa.Table | pa.RecordBatch, index: int) -> pa.Array:
        """The cleaned source text of feature ``index`` (categories, dates) for every row."""
        feature = self.features[index]
        assert feature.source is not None
        return clean_text(table.column(feature.source)).cast(pa.string())

    def to_dict(self) -> dict[str, Any]:
        return {"features": [asdict(feature) for feature in self.features]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessor:
        return cls(features=[FeatureSpec(**item) for item in data["features"]])


def _levels(text: pa.Array, *, rows: int) -> tuple[list[str], int]:
    folded = pc.utf8_lower(text.filter(pc.is_valid(text)))
    counts = pc.value_counts(folded)
    pairs = sorted(
        zip(
            counts.field("values").to_pylist(),
            counts.field("counts").to_pylist(),
            strict=True,
        ),
        key=lambda pair: (-pair[1], pair[0]),
    )
    minimum = max(5, math.ceil(rows * 0.002))
    kept = [value for value, count in pairs if count >= minimum][:MAX_LEVELS]
    return kept, len(pairs)


def features_infer(
    table: pa.Table,
    *,
    target: np.ndarray,
    exclude: set[str],
    family_sums: bool = True,
    text_source: bool = False,
) -> tuple[Preprocessor, list[Note]]:
    """Decide every column's role from the training table; notes say what was dropped.

    ``text_source`` says every column arrived as text (CSV), so plain numbers in text are
    not worth a note; cleaned or unreadable values always are.
    """
    notes: list[Note] = []
    features: list[FeatureSpec] = []
    rows = table.num_rows
    for name in table.column_names:
        if name in exclude:
            continue
        raw = _plain(table.column(name))
        text = clean_text(raw)
        present = rows - text.null_count
        if present == 0:
            notes.append(Note(name, "dropped", "every value is missing"))
            continue
        kind: str
        numeric: np.ndarray | None = None
        from_text = False
        if _is_temporal(raw):
            kind = "datetime"
        elif _is_number(raw) or pa.types.is_boolean(raw.type):
            kind = "numeric"
        else:
            parsed = numeric_values(raw, kind="numeric")
            dated = pc.sum(pc.match_substring_regex(text, ISO_DATE_PATTERN)).as_py() or 0
            numbers = int(np.count_nonzero(~np.isnan(parsed)))
            if numbers >= NUMERIC_SHARE * present:
                kind, from_text = "numeric", True
                plain = pc.sum(pc.match_substring_regex(text, NUMBER_PATTERN)).as_py() or 0
                cleaned, unreadable = numbers - min(plain, numbers), present - numbers
                if not text_source or cleaned or unreadable:
                    notes.append(Note(name, "converted", _text_number_note(cleaned, unreadable)))
            elif dated >= NUMERIC_SHARE * present:
                kind = "datetime"
            else:
                kind = "categorical"
        if kind != "categorical":
            numeric = numeric_values(raw, kind=kind)
        distinct = len(pc.unique(text.filter(pc.is_valid(text))))
        if distinct <= 1:
            notes.append(Note(name, "dropped", "constant: a single value"))
            continue
        id_reason = _looks_like_id(name, text, numeric=numeric if kind == "numeric" else None)
        if id_reason is not None:
            notes.append(Note(name, "dropped", "id-like: " + id_reason))
            continue
        if kind == "categorical":
            levels, seen = _levels(text, rows=rows)
            if not levels:
                notes.append(Note(name, "dropped", "no value is frequent enough to learn from"))
                continue
            if seen > len(levels):
                notes.append(
                    Note(
                        name,
                        "grouped",
                        f"{seen} distinct values: kept the {len(levels)} most frequent, "
                        "the rest as other",
                    )
                )
            features.append(FeatureSpec(name=name, kind="categorical", source=name, levels=levels))
        else:
            features.append(FeatureSpec(name=name, kind=kind, source=name, from_text=from_text))

    preprocessor = Preprocessor(features=features)
    matrix = preprocessor.matrix(table)
    kept: list[FeatureSpec] = []
    for index, feature in enumerate(features):
        auc = _single_feature_auc(matrix[:, index], target, categorical=feature.is_categorical)
        if auc >= LEAK_AUC:
            notes.append(
                Note(
                    feature.name,
                    "dropped",
                    (
                        f"predicts the target almost perfectly on its own (AUC {auc:.3f}): "
                        "treated as a leak"
                    ),
                )
            )
            continue
        kept.append(feature)
    if family_sums:
        numeric_names = [feature.name for feature in kept if feature.kind == "numeric"]
        taken = {feature.name for feature in kept}
        for label, members in _families(numeric_names):
            name = label
            while name in taken:
                name = f"{name}_"
            taken.add(name)
            kept.append(FeatureSpec(name=name, kind="family_sum", parts=members))
    return Preprocessor(features=kept), notes
