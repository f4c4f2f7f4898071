"""Resolve references and upsert one chunk of validated rows per kind.

Each writer looks up what the rows refer to (stores, customers, accounts, lines, regions,
plans, staff) with a few batched queries, rejects rows whose references do not exist, then
compares the rows with what is stored under the same natural key: new keys are created with
``bulk_create``, changed ones saved with ``bulk_update``, equal ones counted as unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.customers.models import (
    Account,
    Bill,
    Contact,
    Customer,
    Line,
    Plan,
    Subscription,
    Usage,
)
from wanliu.org.models import Region, Staff, Store

WRITE_BATCH = 1000  # rows per INSERT / UPDATE statement (the database may lower it)
LOOKUP_BATCH = 900  # values per IN (...) lookup, below SQLite's 999-parameter default


@dataclass(slots=True)
class Row:
    index: int  # position in its chunk
    number: int  # spreadsheet row number
    values: dict[str, Any]


Reject = Callable[[Row, str | None, str], None]


def _batches(values: Sequence[Any], size: int = LOOKUP_BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _lookup(
    queryset: models.QuerySet[Any], field: str, values: Iterable[Any], *columns: str
) -> dict[Any, Any]:
    """``{value of field: row of columns}`` for the rows whose ``field`` is in ``values``."""
    wanted = sorted(set(values))
    found: dict[Any, Any] = {}
    for part in _batches(wanted):
        for record in queryset.filter(**{f"{field}__in": part}).values_list(field, *columns):
            found[record[0]] = record[1] if len(columns) == 1 else record[1:]
    return found


class _Cache:
    """Reference data that stays small (stores, regions, plans, staff), fetched once per code."""

    def __init__(self, queryset: models.QuerySet[Any], field: str, *columns: str) -> None:
        self.queryset = queryset
        self.field = field
        self.columns = columns
        self.known: dict[Any, Any] = {}

    def resolve(self, values: Iterable[Any]) -> dict[Any, Any]:
        missing = {value for value in values if value is not None} - self.known.keys()
        if missing:
            found = _lookup(self.queryset, self.field, missing, *self.columns)
            for value in missing:
                self.known[value] = found.get(value)
        return self.known


class Writer:
    """Upserts one kind; ``present`` is the set of columns the file has."""

    entity = ""
    model: type[models.Model]
    # The record field that dates a row (its month or start); None: a change may touch
    # every month (customers and lines carry history: units, tiers, activation dates).
    dated_by: str | None = None

    def __init__(self, *, present: frozenset[str]) -> None:
        self.present = present
        self.counts: dict[str, Counter[str]] = {self.entity: Counter()}
        self.changed_from: dt.date | None = None  # the earliest day a created/updated row is of

    def _changed(self, records: Iterable[dict[str, Any]]) -> None:
        if self.dated_by is None:
            self.changed_from = dt.date.min
            return
        for values in records:
            day = values[self.dated_by]
            if isinstance(day, dt.datetime):
                day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
            if self.changed_from is None or day < self.changed_from:
                self.changed_from = day

    def write(self, rows: list[Row], reject: Reject) -> None:
        raise NotImplementedError

    def _upsert(
        self,
        wanted: list[tuple[Hashable, dict[str, Any]]],
        existing: Mapping[Any, tuple[Any, ...]],
        fields: Sequence[str],
    ) -> None:
        """Create the keys not in ``existing`` (key -> (pk, *fields)); update those whose
        ``fields`` differ; count the rest as unchanged."""
        creates: list[models.Model] = []
        created: list[dict[str, Any]] = []
        updates: list[tuple[Any, dict[str, Any]]] = []
        unchanged = 0
        model = self.model
        for key, values in wanted:
            stored = existing.get(key)
            if stored is None:
                creates.append(model(**values))
                created.append(values)
            elif any(stored[i] != values[name] for i, name in enumerate(fields, start=1)):
                updates.append((stored[0], values))
            else:
                unchanged += 1
        model._default_manager.bulk_create(creates, batch_size=WRITE_BATCH)
        _update_rows(model, updates, fields)
        if creates or updates:
            self._changed([*created, *(values for _, values in updates)])
        counts = self.counts[self.entity]
        counts["created"] += len(creates)
        counts["updated"] += len(updates)
        counts["unchanged"] += unchanged


def _update_rows(
    model: type[models.Model], updates: list[tuple[Any, dict[str, Any]]], fields: Sequence[str]
) -> None:
    """Save ``fields`` of the rows ``(pk, values)``: one parameterised UPDATE run for many rows.

    Not ``bulk_update``: its CASE WHEN statements grow with the batch and cost milliseconds
    per row on SQLite (30,000 usage rows took over two minutes); this takes microseconds.
    Values go through each field's ``get_db_prep_save`` as the ORM's own saves do.
    """
    if not updates:
        return
    meta = model._meta
    targets = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in targets)
    key = quote(str(cast("models.Field[Any, Any]", meta.pk).column))
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {key} = %s"
    with connection.cursor() as cursor:
        for part in _batches(updates, WRITE_BATCH):
            cursor.executemany(
                sql,
                [
                    [
                        field.get_db_prep_save(values[name], connection)
                        for field, name in zip(targets, fields, strict=True)
                    ]
                    + [pk]
                    for pk, values in part
                ],
            )


def _stored(
    queryset: models.QuerySet[Any], field: str, keys: Sequence[Any], fields: Sequence[str]
) -> dict[Any, tuple[Any, ...]]:
    """``{key: (pk, *fields)}`` of the stored rows whose ``field`` is one of ``keys``."""
    found: dict[Any, tuple[Any, ...]] = {}
    for part in _batches(keys):
        for record in queryset.filter(**{f"{field}__in": part}).values_list(field, "pk", *fields):
            found[record[0]] = record[1:]
    return found


def _no_such(what: str, value: str) -> str:
    """The message for a reference to something that is not in the database."""
    messages = {
        "store": _('there is no store "{code}"; check the code or add the store first'),
        "customer": _('there is no customer "{code}"; import the customers first'),
        "region": _('there is no region "{code}"; check the code or add the region first'),
        "plan": _('there is no plan "{code}"; check the code or add the plan first'),
        "account": _(
            'there is no account "{code}"; import the lines first (they open the accounts)'
        ),
        "line": _('there is no line "{code}"; import the lines first'),
        "staff": _('there is no staff member "{code}"; check the employee number'),
    }
    return messages[what].format(code=value)


class CustomersWriter(Writer):
    entity = "customers"
    model = Customer

    def __init__(self, *, present: frozenset[str]) -> None:
        super().__init__(present=present)
        self.stores = _Cache(Store.objects.all(), "code", "id", "unit_id")

    def write(self, rows: list[Row], reject: Reject) -> None:
        stores = self.stores.resolve(row.values["store_code"] for row in rows)
        fields = ["name", "national_id", "store_id", "unit_id", "value_tier", "joined_on"]
        if "contact_phone" in self.present:
            fields.append("contact_phone")
        if "marketing_opt_out" in self.present:
            fields.append("marketing_opt_out")
        wanted: list[tuple[Hashable, dict[str, Any]]] = []
        for row in rows:
            values = row.values
            store = stores.get(values["store_code"])
            if store is None:
                reject(
                    row,
                    "store_code",
                    _no_such("store", values["store_code"]),
                )
                continue
            record = {
                "customer_no": values["customer_no"],
                "name": values["name"],
                "national_id": values["national_id"],
                "store_id": store[0],
                "unit_id": store[1],
                "value_tier": values["value_tier"],
                "joined_on": values["joined_on"],
            }
            if "contact_phone" in self.present:
                record["contact_phone"] = values["contact_phone"] or ""
            if "marketing_opt_out" in self.present:
                record["marketing_opt_out"] = bool(values["marketing_opt_out"])
            wanted.append((values["customer_no"], record))
        keys = [key for key, _record in wanted]
        self._upsert(wanted, _stored(Customer.objects.all(), "customer_no", keys, fields), fields)


class LinesWriter(Writer):
    """Lines by number; creates the account (for the row's customer) and the account's active
    subscription of ``plan_code`` when they do not exist yet."""

    entity = "lines"
    model = Line

    def __init__(self, *, present: frozenset[str]) -> None:
        super().__init__(present=present)
        self.counts["accounts"] = Counter()
        self.counts["subscriptions"] = Counter()
        self.regions = _Cache(Region.objects.all(), "code", "id")
        self.plans = _Cache(Plan.objects.all(), "code", "id")

    def write(self, rows: list[Row], reject: Reject) -> None:
        customers = _lookup(
            Customer.objects.all(), "customer_no", (r.values["customer_no"] for r in rows), "id"
        )
        account_nos = [row.values["account_no"] for row in rows]
        accounts = _lookup(
            Account.objects.all(), "account_no", account_nos, "id", "customer__customer_no"
        )
        regions = self.regions.resolve(row.values["home_region_code"] for row in rows)
        with_plan = "plan_code" in self.present
        plans = self.plans.resolve(row.values.get("plan_code") for row in rows) if with_plan else {}

        new_accounts: dict[str, dict[str, Any]] = {}
        accepted: list[Row] = []
        for row in rows:
            values = row.values
            customer_id = customers.get(values["customer_no"])
            if customer_id is None:
                reject(
                    row,
                    "customer_no",
                    _no_such("customer", values["customer_no"]),
                )
                continue
            if regions.get(values["home_region_code"]) is None:
                reject(
                    row,
                    "home_region_code",
                    _no_such("region", values["home_region_code"]),
                )
                continue
            plan_code = values.get("plan_code")
            if plan_code is not None and plans.get(plan_code) is None:
                reject(
                    row,
                    "plan_code",
                    _no_such("plan", plan_code),
                )
                continue
            account_no = values["account_no"]
            owner = accounts[account_no][1] if account_no in accounts else None
            if owner is None and account_no in new_accounts:
                owner = new_accounts[account_no]["customer_no"]
            if owner is not None and owner != values["customer_no"]:
                reject(
                    row,
                    "account_no",
                    _('account "{account}" belongs to customer "{owner}", not "{customer}"').format(
                        account=account_no, owner=owner, customer=values["customer_no"]
                    ),
                )
                continue
            if account_no not in accounts:
                opening = new_accounts.setdefault(
                    account_no,
                    {
                        "customer_no": values["customer_no"],
                        "customer_id": customer_id,
                        "opened_on": values["activated_on"],
                    },
                )
                opening["opened_on"] = min(opening["opened_on"], values["activated_on"])
            accepted.append(row)

        if new_accounts:
            Account.objects.bulk_create(
                [
                    Account(
                        account_no=number,
                        customer_id=new["customer_id"],
                        opened_on=new["opened_on"],
                    )
                    for number, new in new_accounts.items()
                ],
                batch_size=WRITE_BATCH,
            )
            self.counts["accounts"]["created"] += len(new_accounts)
        account_ids = _lookup(
            Account.objects.all(),
            "account_no",
            {row.values["account_no"] for row in accepted},
            "id",
        )
        subscriptions = self._subscriptions(accepted, account_ids, plans) if with_plan else {}

        fields = ["account_id", "kind", "status", "activated_on", "home_region_id"]
        fields += [name for name in ("suspended_on", "cancelled_on") if name in self.present]
        if with_plan:
            fields.append("subscription_id")
        wanted: list[tuple[Hashable, dict[str, Any]]] = []
        for row in accepted:
            values = row.values
            record = {
                "number": values["number"],
                "account_id": account_ids[values["account_no"]],
                "kind": values["kind"],
                "status": values["status"],
                "activated_on": values["activated_on"],
                "home_region_id": regions[values["home_region_code"]],
            }
            for name in ("suspended_on", "cancelled_on"):
                if name in self.present:
                    record[name] = values[name]
            if with_plan:
                plan_code = values["plan_code"]
                record["subscription_id"] = (
                    None
                    if plan_code is None
                    else subscriptions[(record["account_id"], plans[plan_code])]
                )
            wanted.append((values["number"], record))
        keys = [key for key, _record in wanted]
        self._upsert(wanted, _stored(Line.objects.all(), "number", keys, fields), fields)

    def _subscriptions(
        self, rows: list[Row], account_ids: dict[str, int], plans: dict[Any, Any]
    ) -> dict[tuple[int, int], int]:
        """The active subscription id per (account, plan) of the rows; missing ones created."""
        started: dict[tuple[int, int], dt.date] = {}
        for row in rows:
            plan_code = row.values["plan_code"]
            if plan_code is None:
                continue
            pair: tuple[int, int] = (account_ids[row.values["account_no"]], plans[plan_code])
            activated: dt.date = row.values["activated_on"]
            started[pair] = min(started.get(pair, activated), activated)
        found = self._active_subscriptions(started)
        missing = [pair for pair in started if pair not in found]
        if missing:
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        account_id=account, plan_id=plan, started_on=started[(account, plan)]
                    )
                    for account, plan in missing
                ],
                batch_size=WRITE_BATCH,
            )
            self.counts["subscriptions"]["created"] += len(missing)
            found = self._active_subscriptions(started)
        return found

    @staticmethod
    def _active_subscriptions(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
        wanted = set(pairs)
        found: dict[tuple[int, int], int] = {}
        accounts = sorted({account for account, _plan in wanted})
        for part in _batches(accounts):
            active = (
                Subscription.objects.filter(account_id__in=part, ended_on__isnull=True)
                .order_by("id")
                .values_list("account_id", "plan_id", "id")
            )
            for account, plan, subscription in active:
                if (account, plan) in wanted:
                    found.setdefault((account, plan), subscription)
        return found


def _by_key_in_months(
    model: type[models.Model],
    owner: str,
    wanted: list[tuple[Hashable, dict[str, Any]]],
    fields: Sequence[str],
) -> dict[Any, tuple[Any, ...]]:
    """Stored bills or usage for the (owner id, month) keys of ``wanted``: (pk, *fields)."""
    owners_by_month: dict[dt.date, list[int]] = defaultdict(list)
    for _key, record in wanted:
        owners_by_month[record["month"]].append(record[owner])
    found: dict[Any, tuple[Any, ...]] = {}
    for month, owners in owners_by_month.items():
        for part in _batches(sorted(owners)):
            stored = model._default_manager.filter(**{f"{owner}__in": part, "month": month})
            for record in stored.values_list(owner, "pk", *fields):
                found[(record[0], month)] = record[1:]
    return found


class BillsWriter(Writer):
    entity = "bills"
    model = Bill
    dated_by = "month"

    def write(self, rows: list[Row], reject: Reject) -> None:
        accounts = _lookup(
            Account.objects.all(), "account_no", (r.values["account_no"] for r in rows), "id"
        )
        item_columns = [name for name in self.present if name.startswith("item_")]
        set_items = "items" in self.present or bool(item_columns)
        fields = ["total", *(["items"] if set_items else [])]
        wanted: list[tuple[Hashable, dict[str, Any]]] = []
        for row in rows:
            values = row.values
            account_id = accounts.get(values["account_no"])
            if account_id is None:
                reject(
                    row,
                    "account_no",
                    _no_such("account", values["account_no"]),
                )
                continue
            record: dict[str, Any] = {
                "account_id": account_id,
                "month": values["month"],
                "total": values["total"],
            }
            if "items" in self.present:
                record["items"] = values["items"] or {}
            elif item_columns:
                record["items"] = {
                    name.removeprefix("item_"): values[name]
                    for name in sorted(item_columns)
                    if values[name] is not None
                }
            wanted.append(((account_id, values["month"]), record))
        self._upsert(wanted, _by_key_in_months(Bill, "account_id", wanted, fields), fields)


class UsageWriter(Writer):
    entity = "usage"
    model = Usage
    dated_by = "month"
    fields = ("data_gb", "voice_minutes", "sms", "roaming_minutes", "overage_charge")

    def write(self, rows: list[Row], reject: Reject) -> None:
        lines = _lookup(Line.objects.all(), "number", (r.values["number"] for r in rows), "id")
        wanted: list[tuple[Hashable, dict[str, Any]]] = []
        for row in rows:
            values = row.values
            line_id = lines.get(values["number"])
            if line_id is None:
                reject(
                    row,
                    "number",
                    _no_such("line", values["number"]),
                )
                continue
            record = {"line_id": line_id, "month": values["month"]}
            for name in self.fields:
                record[name] = values[name]
            wanted.append(((line_id, values["month"]), record))
        self._upsert(wanted, _by_key_in_months(Usage, "line_id", wanted, self.fields), self.fields)


class ContactsWriter(Writer):
    entity = "contacts"
    model = Contact
    dated_by = "started_at"
    optional = ("ended_at", "transferred", "resolved_at_contact", "note")

    def __init__(self, *, present: frozenset[str]) -> None:
        super().__init__(present=present)
        self.staff = _Cache(Staff.objects.all(), "employee_no", "id")

    def write(self, rows: list[Row], reject: Reject) -> None:
        customers = _lookup(
            Customer.objects.all(), "customer_no", (r.values["customer_no"] for r in rows), "id"
        )
        with_line = "number" in self.present
        with_agent = "agent_employee_no" in self.present
        lines = (
            _lookup(
                Line.objects.all(),
                "number",
                (r.values["number"] for r in rows if r.values["number"] is not None),
                "id",
                "account__customer__customer_no",
            )
            if with_line
            else {}
        )
        staff = (
            self.staff.resolve(r.values["agent_employee_no"] for r in rows) if with_agent else {}
        )
        fields = ["customer_id", "channel", "topic", "started_at"]
        fields += ["line_id"] if with_line else []
        fields += ["agent_id"] if with_agent else []
        fields += [name for name in self.optional if name in self.present]
        wanted: list[tuple[Hashable, dict[str, Any]]] = []
        for row in rows:
            values = row.values
            customer_id = customers.get(values["customer_no"])
            if customer_id is None:
                reject(
                    row,
                    "customer_no",
                    _no_such("customer", values["customer_no"]),
                )
                continue
            record: dict[str, Any] = {
                "external_id": values["external_id"],
                "customer_id": customer_id,
                "channel": values["channel"],
                "topic": values["topic"],
                "started_at": values["started_at"],
            }
            if with_line:
                number = values["number"]
                line = lines.get(number) if number is not None else (None, None)
                if line is None:
                    reject(row, "number", _no_such("line", number))
                    continue
                if number is not None and line[1] != values["customer_no"]:
                    reject(
                        row,
                        "number",
                        _('line "{number}" belongs to customer "{owner}", not "{customer}"').format(
                            number=number, owner=line[1], customer=values["customer_no"]
                        ),
                    )
                    continue
                record["line_id"] = line[0]
            if with_agent:
                employee_no = values["agent_employee_no"]
                agent_id = staff.get(employee_no) if employee_no is not None else None
                if employee_no is not None and agent_id is None:
                    reject(
                        row,
                        "agent_employee_no",
                        _no_such("staff", employee_no),
                    )
                    continue
                record["agent_id"] = agent_id
            if "ended_at" in self.present:
                record["ended_at"] = values["ended_at"]
            for flag in ("transferred", "resolved_at_contact"):
                if flag in self.present:
                    record[flag] = bool(values[flag])
            if "note" in self.present:
                record["note"] = values["note"] or ""
            wanted.append((values["external_id"], record))
        keys = [key for key, _record in wanted]
        self._upsert(wanted, _stored(Contact.objects.all(), "external_id", keys, fields), fields)


WRITERS: dict[str, type[Writer]] = {
    "customers": CustomersWriter,
    "lines": LinesWriter,
    "bills": BillsWriter,
    "usage": UsageWriter,
    "contacts": ContactsWriter,
}
