"""Names next to the ids in the review's tables (units, stores, staff, categories, reasons),
looked up once per review."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import pandas as pd
from django.utils.translation import get_language

from wanliu.analytics.extract import missing
from wanliu.analytics.months import local_zone
from wanliu.complaints.models import Category
from wanliu.org.models import OrgUnit, Staff, Store
from wanliu.retention.models import Reason

NAME_OF_KEY = {
    "churn_by_unit": "unit_path",
    "churn_by_store": "store",
    "retention_by_store": "store",
    "retention_by_clerk": "user",
    "retention_by_reason": "reason",
    "complaints_by_category": "category",
    "churn_reasons": "reason",
}
# id column -> (lookup, name column to add after it)
NAMED_COLUMNS = {
    "store_id": ("store", "store"),
    "owner_unit_id": ("unit", "owner_unit"),
    "owner_staff_id": ("staff", "owner"),
    "opened_by_id": ("user", "clerk"),
}


class Labels:
    @cached_property
    def unit_path(self) -> dict[str, str]:
        return dict(OrgUnit.objects.values_list("path", "name"))

    @cached_property
    def unit(self) -> dict[str, str]:
        return {str(k): v for k, v in OrgUnit.objects.values_list("id", "name")}

    @cached_property
    def store(self) -> dict[str, str]:
        return {str(k): v for k, v in Store.objects.values_list("id", "name")}

    @cached_property
    def staff(self) -> dict[str, str]:
        return {str(k): v for k, v in Staff.objects.values_list("id", "name")}

    @cached_property
    def user(self) -> dict[str, str]:
        return {str(k): v for k, v in Staff.objects.values_list("user_id", "name")}

    @cached_property
    def category(self) -> dict[str, str]:
        english = (get_language() or "").startswith("en")
        return {
            code: (name_en or name) if english else name
            for code, name, name_en in Category.objects.values_list("code", "name", "name_en")
        }

    @cached_property
    def reason(self) -> dict[str, str]:
        return {str(value): str(label) for value, label in Reason.choices}

    def lookup(self, kind: str, keys: Iterable[object]) -> list[str]:
        table: dict[str, str] = getattr(self, kind)
        out = []
        for key in keys:
            if not isinstance(key, str) and missing(key):
                out.append("")
                continue
            text = str(int(key)) if isinstance(key, float) else str(key)
            out.append(table.get(text, ""))
        return out


def label_frame(name: str, table: pd.DataFrame, labels: Labels | None = None) -> pd.DataFrame:
    """The table with a ``name`` column after ``key`` and a name after each known id."""
    labels = labels or Labels()
    table = table.copy()
    kind = NAME_OF_KEY.get(name)
    if kind and "key" in table.columns and "name" not in table.columns:
        table.insert(1, "name", labels.lookup(kind, table["key"]))
    for column, (lookup, out) in NAMED_COLUMNS.items():
        if column in table.columns and out not in table.columns:
            table.insert(
                list(table.columns).index(column) + 1, out, labels.lookup(lookup, table[column])
            )
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]):
            table[column] = (
                table[column].dt.tz_localize("UTC").dt.tz_convert(local_zone()).dt.tz_localize(None)
            )
    return table
