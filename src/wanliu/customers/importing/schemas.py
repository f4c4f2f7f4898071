"""The columns of each kind of import file, its natural key and its cross-column rules.

docs/import-formats.md documents these for the people who prepare the files; keep the two
in step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from wanliu.customers.importing import fields as f
from wanliu.customers.importing.fields import Column
from wanliu.customers.models import Contact, Line, ValueTier

# A rule over a whole parsed row: returns (column or None, problem) pairs.
RowCheck = Callable[[dict[str, Any]], list[tuple[str | None, str]]]

# Columns the rejects file adds; accepted and ignored so a fixed rejects file imports as is.
REJECT_ROW = "reject_row"
REJECT_REASON = "reject_reason"
IGNORED_COLUMNS = (REJECT_ROW, REJECT_REASON)


@dataclass(frozen=True)
class KindSchema:
    kind: str
    columns: Sequence[Column]
    key: tuple[str, ...]
    extra_prefix: str | None = None  # bills: ``item_<code>`` columns
    extra_parse: f.Parser | None = None
    exclusive_with_extra: str | None = None  # bills: ``items`` or ``item_*``, not both
    row_check: RowCheck | None = None
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {column.name: column for column in self.columns})

    @property
    def required(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    @property
    def optional(self) -> list[str]:
        return [column.name for column in self.columns if not column.required]

    def column_for(self, name: str) -> Column | None:
        """The definition of a header column, including ``item_<code>`` extras."""
        known = self.by_name.get(name)
        if known is not None:
            return known
        if (
            self.extra_prefix
            and self.extra_parse is not None
            and name.startswith(self.extra_prefix)
            and f.ITEM_CODE.match(name[len(self.extra_prefix) :])
        ):
            return Column(name, self.extra_parse, required=False, decimal_places=2)
        return None


def _line_dates(row: dict[str, Any]) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    status = row["status"]
    for status_needing, column in (
        (Line.Status.SUSPENDED, "suspended_on"),
        (Line.Status.CANCELLED, "cancelled_on"),
    ):
        if status == status_needing and row.get(column) is None:
            problems.append(
                (
                    column,
                    _("has no date but status is {status}; give the date it happened").format(
                        status=status
                    ),
                )
            )
    activated = row["activated_on"]
    for column in ("suspended_on", "cancelled_on"):
        value = row.get(column)
        if value is not None and value < activated:
            problems.append(
                (
                    column,
                    _("{date} is before activated_on {activated}").format(
                        date=value.isoformat(), activated=activated.isoformat()
                    ),
                )
            )
    return problems


def _contact_times(row: dict[str, Any]) -> list[tuple[str | None, str]]:
    ended = row.get("ended_at")
    if ended is not None and ended < row["started_at"]:
        return [("ended_at", _("is before started_at; the contact must end after it starts"))]
    return []


CUSTOMERS = KindSchema(
    kind="customers",
    key=("customer_no",),
    columns=(
        Column("customer_no", f.code(32)),
        Column("name", f.text(64)),
        Column("national_id", f.national_id),
        Column("store_code", f.code(32)),
        Column("value_tier", f.choice(ValueTier.values)),
        Column("joined_on", f.date),
        Column("contact_phone", f.phone, required=False),
        Column("marketing_opt_out", f.boolean, required=False),
    ),
)

LINES = KindSchema(
    kind="lines",
    key=("number",),
    columns=(
        Column("number", f.code(32)),
        Column("customer_no", f.code(32)),
        Column("account_no", f.code(32)),
        Column("kind", f.choice(Line.Kind.values)),
        Column("status", f.choice(Line.Status.values)),
        Column("activated_on", f.date),
        Column("suspended_on", f.date, required=False),
        Column("cancelled_on", f.date, required=False),
        Column("home_region_code", f.code(16)),
        Column("plan_code", f.code(32), required=False),
    ),
    row_check=_line_dates,
)

BILLS = KindSchema(
    kind="bills",
    key=("account_no", "month"),
    columns=(
        Column("account_no", f.code(32)),
        Column("month", f.month),
        Column("total", f.decimal(12, 2, negative=True), decimal_places=2),
        Column("items", f.bill_items, required=False),
    ),
    extra_prefix="item_",
    extra_parse=f.item_amount,
    exclusive_with_extra="items",
)

USAGE = KindSchema(
    kind="usage",
    key=("number", "month"),
    columns=(
        Column("number", f.code(32)),
        Column("month", f.month),
        Column("data_gb", f.decimal(9, 3), decimal_places=3),
        Column("voice_minutes", f.whole_number(), decimal_places=0),
        Column("sms", f.whole_number(), decimal_places=0),
        Column("roaming_minutes", f.whole_number(), decimal_places=0),
        Column("overage_charge", f.decimal(12, 2), decimal_places=2),
    ),
)

CONTACTS = KindSchema(
    kind="contacts",
    key=("external_id",),
    columns=(
        Column("external_id", f.code(40)),
        Column("customer_no", f.code(32)),
        Column("number", f.code(32), required=False),
        Column("channel", f.choice(Contact.Channel.values)),
        Column("topic", f.choice(Contact.Topic.values)),
        Column("agent_employee_no", f.code(32), required=False),
        Column("started_at", f.datetime),
        Column("ended_at", f.datetime, required=False),
        Column("transferred", f.boolean, required=False),
        Column("resolved_at_contact", f.boolean, required=False),
        Column("note", f.text(), required=False),
    ),
    row_check=_contact_times,
)

SCHEMAS: dict[str, KindSchema] = {
    schema.kind: schema for schema in (CUSTOMERS, LINES, BILLS, USAGE, CONTACTS)
}
