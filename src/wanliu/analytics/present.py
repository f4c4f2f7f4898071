"""The review's tables as the page shows them: translated column titles, formatted cells,
and links that drill down (unit, store, clerk or agent, the individual case)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from wanliu.analytics.review import SECTIONS, TITLES

PAGE_ROWS = 50


# Column titles have their own context: short words mean other things in other apps.
COLUMN_LABELS: dict[str, Any] = {
    "key": pgettext_lazy("review column", "key"),
    "name": pgettext_lazy("review column", "name"),
    "active_at_start": pgettext_lazy("review column", "lines active at the start"),
    "disconnected": pgettext_lazy("review column", "disconnected"),
    "churn_rate": pgettext_lazy("review column", "churn rate"),
    "prev_active_at_start": pgettext_lazy("review column", "previous month: active at the start"),
    "prev_disconnected": pgettext_lazy("review column", "previous month: disconnected"),
    "prev_churn_rate": pgettext_lazy("review column", "previous month: churn rate"),
    "mom_change": pgettext_lazy("review column", "month-over-month change (%)"),
    "requests": pgettext_lazy("review column", "requests"),
    "prev_requests": pgettext_lazy("review column", "previous month: requests"),
    "handled": pgettext_lazy("review column", "handled"),
    "retained": pgettext_lazy("review column", "retained"),
    "processed": pgettext_lazy("review column", "cancelled or suspended"),
    "cooling_off": pgettext_lazy("review column", "cooling off"),
    "success_rate": pgettext_lazy("review column", "retention success rate (%)"),
    "refusals": pgettext_lazy("review column", "refusals"),
    "transfers": pgettext_lazy("review column", "transfers"),
    "missing_steps": pgettext_lazy("review column", "with steps missing"),
    "missing_steps_share": pgettext_lazy("review column", "share with steps missing (%)"),
    "offer_cost": pgettext_lazy("review column", "offer cost (yuan)"),
    "retained_lines": pgettext_lazy("review column", "retained lines"),
    "cost_per_retained_line": pgettext_lazy("review column", "offer cost per retained line (yuan)"),
    "count": pgettext_lazy("review column", "count"),
    "prev_count": pgettext_lazy("review column", "previous month"),
    "refusal_share": pgettext_lazy("review column", "refusal share (%)"),
    "month": pgettext_lazy("review column", "month"),
    "complaints": pgettext_lazy("review column", "complaints"),
    "cancellation": pgettext_lazy("review column", "cancellation complaints"),
    "cancellation_mom_change": pgettext_lazy("review column", "cancellation: change (%)"),
    "orders": pgettext_lazy("review column", "orders"),
    "first_response_met": pgettext_lazy("review column", "first response in time"),
    "resolution_met": pgettext_lazy("review column", "resolved in time"),
    "overdue": pgettext_lazy("review column", "overdue"),
    "reopened": pgettext_lazy("review column", "reopened"),
    "first_response_attainment": pgettext_lazy("review column", "first response in time (%)"),
    "resolution_attainment": pgettext_lazy("review column", "resolved in time (%)"),
    "order_no": pgettext_lazy("review column", "order"),
    "received_at": pgettext_lazy("review column", "received"),
    "category": pgettext_lazy("review column", "category"),
    "channel": pgettext_lazy("review column", "channel"),
    "sla_policy": pgettext_lazy("review column", "SLA target"),
    "resolution_due_at": pgettext_lazy("review column", "resolution due"),
    "resolved_at": pgettext_lazy("review column", "resolved"),
    "status": pgettext_lazy("review column", "status"),
    "owner_unit": pgettext_lazy("review column", "owner unit"),
    "owner": pgettext_lazy("review column", "owner"),
    "reopened_at": pgettext_lazy("review column", "reopened"),
    "reopen_count": pgettext_lazy("review column", "times reopened"),
    "due": pgettext_lazy("review column", "due"),
    "done": pgettext_lazy("review column", "done"),
    "done_on_time": pgettext_lazy("review column", "done on time"),
    "not_solved": pgettext_lazy("review column", "not solved"),
    "on_time_rate": pgettext_lazy("review column", "on time (%)"),
    "responses": pgettext_lazy("review column", "answers"),
    "mean_csat": pgettext_lazy("review column", "mean CSAT (1-5)"),
    "satisfied_share": pgettext_lazy("review column", "satisfied, 4-5 (%)"),
    "contacts": pgettext_lazy("review column", "contacts"),
    "resolved_first_time": pgettext_lazy("review column", "resolved at first contact"),
    "fcr": pgettext_lazy("review column", "FCR (%)"),
    "teams": pgettext_lazy("review column", "teams"),
    "slope": pgettext_lazy("review column", "slope (CSAT points per FCR point)"),
    "intercept": pgettext_lazy("review column", "intercept"),
    "lines": pgettext_lazy("review column", "lines"),
    "events": pgettext_lazy("review column", "disconnected"),
    "plan_family": pgettext_lazy("review column", "plan family"),
    "value_tier": pgettext_lazy("review column", "value tier"),
    "monthly_fee": pgettext_lazy("review column", "monthly fee per line (yuan)"),
    "monthly_margin": pgettext_lazy("review column", "monthly margin per line (yuan)"),
    "fit_source": pgettext_lazy("review column", "fit"),
    "first_month_churn": pgettext_lazy("review column", "first-month churn (%)"),
    "discounted_lifetime_months": pgettext_lazy("review column", "discounted lifetime (months)"),
    "lifetime_value": pgettext_lazy("review column", "lifetime value per line (yuan)"),
    "customer_id": pgettext_lazy("review column", "customer id"),
    "bill_total": pgettext_lazy("review column", "bills this month (yuan)"),
    "contribution": pgettext_lazy("review column", "margin contributed (yuan)"),
    "task": pgettext_lazy("review column", "task"),
    "fee_lost": pgettext_lazy("review column", "monthly fee lost (yuan)"),
    "reason": pgettext_lazy("review column", "reason"),
    "reason_source": pgettext_lazy("review column", "told at"),
    "customers": pgettext_lazy("review column", "customers"),
    "share": pgettext_lazy("review column", "share (%)"),
    "check": pgettext_lazy("review column", "check"),
    "rule": pgettext_lazy("review column", "rule"),
    "limit": pgettext_lazy("review column", "limit"),
    "offending": pgettext_lazy("review column", "findings"),
    "cases": pgettext_lazy("review column", "cases"),
    "out_of": pgettext_lazy("review column", "out of"),
    "request_no": pgettext_lazy("review column", "request"),
    "opened_at": pgettext_lazy("review column", "opened"),
    "store": pgettext_lazy("review column", "store"),
    "clerk": pgettext_lazy("review column", "clerk"),
    "outcome": pgettext_lazy("review column", "outcome"),
    "store_count": pgettext_lazy("review column", "at this store"),
    "refusal_flagged_at": pgettext_lazy("review column", "flagged as refusal"),
    "days_past_due": pgettext_lazy("review column", "days past due"),
    "cycle": pgettext_lazy("review column", "cycle"),
    "due_at": pgettext_lazy("review column", "due"),
    "done_at": pgettext_lazy("review column", "done"),
    "hours_late": pgettext_lazy("review column", "hours late"),
    "purpose": pgettext_lazy("review column", "purpose"),
    "why": pgettext_lazy("review column", "why"),
    "role": pgettext_lazy("review column", "role"),
    "rank": pgettext_lazy("review column", "rank"),
    "score": pgettext_lazy("review column", "score"),
    "targets_met": pgettext_lazy("review column", "targets met"),
    "targets": pgettext_lazy("review column", "targets"),
    "volume": pgettext_lazy("review column", "volume"),
}
HIDDEN = {
    "request_id",
    "order_id",
    "revisit_id",
    "contact_id",
    "store_id",
    "owner_unit_id",
    "owner_staff_id",
    "opened_by_id",
}


@dataclass
class Cell:
    text: str
    href: str = ""
    numeric: bool = False
    key: str = ""


@dataclass
class Shown:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    total: int
    chart: str = ""
    keys: list[str] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    tables: list[Shown] = field(default_factory=list)


def column_label(column: str) -> str:
    if column in COLUMN_LABELS:
        return str(COLUMN_LABELS[column])
    if column.endswith("_target"):
        return f"{column_label(column[: -len('_target')])}: " + str(_("target"))
    if column.startswith("m") and column[1:].isdigit():
        return str(_("%(months)s months") % {"months": column[1:]})
    return column.replace("_", " ")


def text_of(value: Any) -> tuple[str, bool]:
    if value is None or (not isinstance(value, (str, list, dict)) and pd.isna(value)):
        return "", False
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return f"{value:%Y-%m-%d %H:%M}", False
    if isinstance(value, (bool, np.bool_)):
        return ("✓" if value else ""), False
    if isinstance(value, (int, np.integer)):
        return str(int(value)), True
    if isinstance(value, Decimal):
        return f"{value:.2f}", True
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.4f}".rstrip("0").rstrip(".")
        return ("0" if text in ("-0", "") else text), True
    return str(value), False


@dataclass
class Linker:
    """Where a cell leads, within what the viewer may open."""

    month_text: str
    unit_ids: dict[str, int]
    staff_of_user: dict[int, int]
    visible_unit_paths: dict[int, str]
    viewer_path: str | None  # None: the viewer sees the whole operator

    def unit(self, path: Any) -> str:
        pk = self.unit_ids.get(str(path))
        if pk is None:
            return ""
        return f"{reverse('analytics:monthly')}?month={self.month_text}&unit={pk}"

    def unit_id(self, pk: Any) -> str:
        if pd.isna(pk) or str(pk) in ("", "<NA>"):
            return ""
        return f"{reverse('analytics:monthly')}?month={self.month_text}&unit={int(pk)}"

    def store(self, pk: Any) -> str:
        if pk is None or not str(pk).replace(".0", "").isdigit():
            return ""
        return f"{reverse('analytics:store', args=[int(float(pk))])}?month={self.month_text}"

    def staff(self, pk: Any) -> str:
        if pk is None or not str(pk).replace(".0", "").isdigit():
            return ""
        return f"{reverse('analytics:staff', args=[int(float(pk))])}?month={self.month_text}"

    def clerk(self, user_id: Any) -> str:
        if user_id is None or not str(user_id).replace(".0", "").isdigit():
            return ""
        staff = self.staff_of_user.get(int(float(user_id)))
        return self.staff(staff) if staff is not None else ""

    def request(self, pk: Any) -> str:
        return reverse("retention:desk", args=[int(pk)]) if pd.notna(pk) else ""

    def order(self, pk: Any, owner_unit: Any) -> str:
        if pd.isna(pk):
            return ""
        if self.viewer_path is not None:
            path = self.visible_unit_paths.get(int(owner_unit)) if pd.notna(owner_unit) else None
            if not path or not path.startswith(self.viewer_path):
                return ""
        return reverse("complaints:order", args=[int(pk)])

    def customer(self, pk: Any) -> str:
        return reverse("customers:detail", args=[int(pk)]) if pd.notna(pk) else ""


def _choices() -> dict[str, dict[str, str]]:
    """Labels of the codes the tables carry (the exports keep the codes)."""
    from wanliu.complaints.models import Category, Channel
    from wanliu.complaints.models import Status as OrderStatus
    from wanliu.customers.models import Contact, Plan, ValueTier
    from wanliu.org.models import Role
    from wanliu.retention.models import Reason, RetentionContact
    from wanliu.retention.models import Status as RequestStatus

    def labels(choices: Any) -> dict[str, str]:
        return {str(value): str(label) for value, label in choices}

    english = (get_language() or "").startswith("en")
    categories = {
        code: (name_en or name) if english else name
        for code, name, name_en in Category.objects.values_list("code", "name", "name_en")
    }
    return {
        "channel": labels(Channel.choices) | labels(Contact.Channel.choices),
        "contact_channel": labels(Contact.Channel.choices),
        "topic": labels(Contact.Topic.choices),
        "status": labels(OrderStatus.choices),
        "outcome": labels(RequestStatus.choices),
        "reason": labels(Reason.choices),
        "purpose": labels(RetentionContact.Purpose.choices),
        "role": labels(Role.choices),
        "plan_family": labels(Plan.Family.choices),
        "value_tier": labels(ValueTier.choices),
        "category": categories,
    }


# The column whose codes a table's key holds.
KEY_CODES = {
    "complaints_by_channel": "channel",
    "fcr_by_channel": "contact_channel",
    "fcr_by_topic": "topic",
    "churn_by_plan_family": "plan_family",
    "churn_by_value_tier": "value_tier",
}


def _href(name: str, column: str, row: dict[str, Any], link: Linker) -> str:
    if column == "name":
        if name == "churn_by_unit":
            return link.unit(row.get("key"))
        if name in ("churn_by_store", "retention_by_store", "ranking_stores"):
            return link.store(row.get("key"))
        if name == "retention_by_clerk":
            return link.clerk(row.get("key"))
        if name == "ranking_teams":
            return link.unit_id(row.get("key"))
        if name == "ranking_agents":
            return link.staff(row.get("key"))
        if name in ("value_customers", "churned_customers"):
            return link.customer(row.get("customer_id"))
    if column == "store" and "store_id" in row:
        return link.store(row.get("store_id"))
    if column == "clerk" and "opened_by_id" in row:
        return link.clerk(row.get("opened_by_id"))
    if column == "owner" and "owner_staff_id" in row:
        return link.staff(row.get("owner_staff_id"))
    if column == "request_no" and "request_id" in row:
        return link.request(row.get("request_id"))
    if column == "order_no" and "order_id" in row:
        return link.order(row.get("order_id"), row.get("owner_unit_id"))
    return ""


def shown(
    name: str,
    table: pd.DataFrame,
    link: Linker,
    *,
    limit: int = PAGE_ROWS,
    codes: dict[str, dict[str, str]] | None = None,
) -> Shown:
    codes = codes if codes is not None else _choices()
    columns = [c for c in table.columns if c not in HIDDEN]
    rows = []
    records: list[dict[str, Any]] = table.head(limit).to_dict("records")  # type: ignore[assignment]
    for record in records:
        cells = []
        for column in columns:
            text, numeric = text_of(record[column])
            kind = KEY_CODES.get(name) if column == "key" else column
            if kind in codes and not numeric and text in codes[kind]:
                text = codes[kind][text]
            cells.append(
                Cell(
                    text=text,
                    href=_href(name, column, record, link),
                    numeric=numeric,
                    key=column,
                )
            )
        rows.append(cells)
    return Shown(
        name=name,
        title=str(TITLES.get(name, name)),
        columns=[column_label(c) for c in columns],
        rows=rows,
        total=len(table),
        keys=columns,
    )


def sections(
    tables: dict[str, pd.DataFrame], link: Linker, charts: dict[str, str]
) -> list[Section]:
    out = []
    codes = _choices()
    for key, title, names in SECTIONS:
        section = Section(key=key, title=str(title))
        for name in names:
            if name in tables:
                item = shown(name, tables[name], link, codes=codes)
                item.chart = charts.get(name, "")
                section.tables.append(item)
        out.append(section)
    return out
