"""``wanliu import KIND FILE``: formats, validation messages, all-or-nothing, rejects, upsert."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests.factories import (
    AccountFactory,
    CustomerFactory,
    LineFactory,
    OrgUnitFactory,
    PlanFactory,
    RegionFactory,
    StoreFactory,
    SubscriptionFactory,
    make_staff,
)
from wanliu.core.models import AuditEvent
from wanliu.customers.models import (
    Account,
    Bill,
    Contact,
    Customer,
    Line,
    Subscription,
    Usage,
)
from wanliu.org.models import OrgUnit, Role

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def org():
    """A region HZ, a grid with store S1 and plan FAM129."""
    region = RegionFactory(code="HZ", name="杭州")
    grid = OrgUnitFactory(kind=OrgUnit.Kind.GRID, region=region)
    store = StoreFactory(code="S1", unit=grid)
    plan = PlanFactory(code="FAM129")
    return {"region": region, "grid": grid, "store": store, "plan": plan}


@pytest.fixture
def agent(org, settings):
    """A hotline agent with employee number E-AGENT."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = make_staff(Role.HOTLINE_AGENT)
    staff.employee_no = "E-AGENT"
    staff.save(update_fields=["employee_no"])
    return staff


def write_csv(
    path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_parquet(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    """The same table as Parquet with every column as text."""
    table = pa.table({name: [str(row[i]) for row in rows] for i, name in enumerate(header)})
    pq.write_table(table, path)
    return path


def write_table(tmp_path: Path, name: str, fmt: str, header: list[str], rows: list[list[Any]]):
    path = tmp_path / f"{name}.{fmt}"
    return (write_csv if fmt == "csv" else write_parquet)(path, header, rows)


def run_import(kind: str, path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", kind, str(path), *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(kind: str, path: Path, *args: str) -> tuple[str, str]:
    """Run an import that must fail; returns (CommandError text, stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(
            "import", kind, str(path), *args, "--no-progress", stdout=io.StringIO(), stderr=err
        )
    return str(failure.value), err.getvalue()


def summary_json(kind: str, path: Path, *args: str) -> dict[str, Any]:
    out, _err = run_import(kind, path, "--json", *args)
    return json.loads(out)


CUSTOMER_HEADER = [
    "customer_no",
    "name",
    "national_id",
    "store_code",
    "value_tier",
    "joined_on",
    "contact_phone",
    "marketing_opt_out",
]
CUSTOMER_ROWS = [
    ["C001", "王芳", "33010219900101123X", "S1", "A", "2019-05-10", "13800000001", "false"],
    ["C002", "李雷", "330102199202021234", "S1", "c", "2021-11-01", "", "yes"],
]
LINE_HEADER = [
    "number",
    "customer_no",
    "account_no",
    "kind",
    "status",
    "activated_on",
    "suspended_on",
    "cancelled_on",
    "home_region_code",
    "plan_code",
]
LINE_ROWS = [
    ["13300000001", "C001", "A001", "mobile", "active", "2019-05-10", "", "", "HZ", "FAM129"],
    ["KD0571001", "C001", "A001", "broadband", "active", "2019-05-12", "", "", "HZ", "FAM129"],
    [
        "13300000002",
        "C002",
        "A002",
        "mobile",
        "cancelled",
        "2021-11-01",
        "",
        "2024-06-30",
        "HZ",
        "",
    ],
]
USAGE_HEADER = [
    "number",
    "month",
    "data_gb",
    "voice_minutes",
    "sms",
    "roaming_minutes",
    "overage_charge",
]
USAGE_ROWS = [
    ["13300000001", "2024-05", "12.345", "320", "12", "0", "0"],
    ["13300000001", "2024-06", "30.5", "410", "3", "25", "15.50"],
]
BILL_HEADER = ["account_no", "month", "total", "items"]
BILL_ROWS = [
    ["A001", "2024-05", "129.00", '{"plan_fee": "129.00"}'],
    ["A001", "2024-06", "144.50", '{"plan_fee": 129, "overage": "15.5"}'],
]
CONTACT_HEADER = [
    "external_id",
    "customer_no",
    "number",
    "channel",
    "topic",
    "agent_employee_no",
    "started_at",
    "ended_at",
    "transferred",
    "resolved_at_contact",
    "note",
]
CONTACT_ROWS = [
    [
        "CT1",
        "C001",
        "13300000001",
        "hotline",
        "billing",
        "E-AGENT",
        "2024-06-03 09:30:00",
        "2024-06-03T09:41:00+08:00",
        "false",
        "true",
        "问账单, 已解释",
    ],
    ["CT2", "C002", "", "store", "cancellation", "", "2024-06-04T02:00:00Z", "", "1", "0", ""],
]


@pytest.fixture
def customers(org):
    c1 = CustomerFactory(customer_no="C001", store=org["store"])
    c2 = CustomerFactory(customer_no="C002", store=org["store"])
    return c1, c2


@pytest.fixture
def lines(customers, org):
    account = AccountFactory(account_no="A001", customer=customers[0])
    line = LineFactory(number="13300000001", account=account, home_region=org["region"])
    return account, line


# --- happy paths, CSV and Parquet -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_customers_import_creates_customers_in_the_stores_grid(tmp_path, org, fmt):
    # given a customers file of two rows
    path = write_table(tmp_path, "customers", fmt, CUSTOMER_HEADER, CUSTOMER_ROWS)
    # when it is imported
    out, _err = run_import("customers", path)
    # then both customers exist with the store's grid as their unit
    assert "customers: created 2, updated 0, unchanged 0, rejected 0" in out
    wang = Customer.objects.get(customer_no="C001")
    assert (wang.name, wang.national_id, wang.value_tier) == ("王芳", "33010219900101123X", "A")
    assert wang.store == org["store"] and wang.unit == org["grid"]
    assert wang.joined_on == dt.date(2019, 5, 10)
    assert wang.contact_phone == "13800000001" and wang.marketing_opt_out is False
    li = Customer.objects.get(customer_no="C002")
    assert li.value_tier == "C" and li.marketing_opt_out is True and li.contact_phone == ""


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_lines_import_opens_accounts_and_subscriptions(tmp_path, customers, org, fmt):
    path = write_table(tmp_path, "lines", fmt, LINE_HEADER, LINE_ROWS)
    out, _err = run_import("lines", path)
    assert "lines: created 3, updated 0, unchanged 0, rejected 0" in out
    assert "accounts: created 2" in out and "subscriptions: created 1" in out
    mobile = Line.objects.get(number="13300000001")
    broadband = Line.objects.get(number="KD0571001")
    assert mobile.account.account_no == "A001" and mobile.account.customer == customers[0]
    assert mobile.account.opened_on == dt.date(2019, 5, 10)
    # both lines of A001 share the account's one active FAM129 subscription
    assert mobile.subscription_id == broadband.subscription_id
    assert mobile.subscription.plan == org["plan"]
    assert mobile.subscription.started_on == dt.date(2019, 5, 10)
    assert mobile.home_region == org["region"] and broadband.kind == Line.Kind.BROADBAND
    cancelled = Line.objects.get(number="13300000002")
    assert cancelled.status == Line.Status.CANCELLED
    assert cancelled.cancelled_on == dt.date(2024, 6, 30) and cancelled.subscription is None


def test_lines_import_attaches_to_the_existing_active_subscription(tmp_path, customers, org):
    account = AccountFactory(account_no="A001", customer=customers[0])
    active = SubscriptionFactory(account=account, plan=org["plan"])
    path = write_csv(tmp_path / "lines.csv", LINE_HEADER, LINE_ROWS[:1])
    run_import("lines", path)
    assert Line.objects.get(number="13300000001").subscription == active
    assert Subscription.objects.count() == 1 and Account.objects.count() == 1


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_usage_import(tmp_path, lines, fmt):
    path = write_table(tmp_path, "usage", fmt, USAGE_HEADER, USAGE_ROWS)
    out, _err = run_import("usage", path)
    assert "usage: created 2, updated 0, unchanged 0, rejected 0" in out
    june = Usage.objects.get(line=lines[1], month=dt.date(2024, 6, 1))
    assert june.data_gb == Decimal("30.5") and june.voice_minutes == 410 and june.sms == 3
    assert june.roaming_minutes == 25 and june.overage_charge == Decimal("15.50")
    assert Usage.objects.get(month=dt.date(2024, 5, 1)).data_gb == Decimal("12.345")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bills_import_with_items_as_json(tmp_path, lines, fmt):
    path = write_table(tmp_path, "bills", fmt, BILL_HEADER, BILL_ROWS)
    out, _err = run_import("bills", path)
    assert "bills: created 2, updated 0, unchanged 0, rejected 0" in out
    june = Bill.objects.get(account=lines[0], month=dt.date(2024, 6, 1))
    assert june.total == Decimal("144.50")
    assert june.items == {"plan_fee": "129.00", "overage": "15.50"}


def test_bills_import_with_item_columns(tmp_path, lines):
    path = write_csv(
        tmp_path / "bills.csv",
        ["account_no", "month", "total", "item_plan_fee", "item_overage"],
        [["A001", "2024-05", "129", "129", ""], ["A001", "2024-06", "140.5", "129", "11.5"]],
    )
    run_import("bills", path)
    may, june = Bill.objects.order_by("month")
    assert may.items == {"plan_fee": "129.00"} and may.total == Decimal("129.00")
    assert june.items == {"overage": "11.50", "plan_fee": "129.00"}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_contacts_import_reads_local_and_offset_times(tmp_path, lines, agent, fmt):
    path = write_table(tmp_path, "contacts", fmt, CONTACT_HEADER, CONTACT_ROWS)
    out, _err = run_import("contacts", path)
    assert "contacts: created 2, updated 0, unchanged 0, rejected 0" in out
    call = Contact.objects.get(external_id="CT1")
    assert call.line == lines[1] and call.agent == agent
    # a time without offset is Asia/Shanghai
    assert call.started_at == dt.datetime(2024, 6, 3, 9, 30, tzinfo=SHANGHAI)
    assert call.ended_at == dt.datetime(2024, 6, 3, 9, 41, tzinfo=SHANGHAI)
    assert call.resolved_at_contact is True and call.transferred is False
    assert call.note == "问账单, 已解释"
    visit = Contact.objects.get(external_id="CT2")
    assert visit.started_at == dt.datetime(2024, 6, 4, 10, 0, tzinfo=SHANGHAI)
    assert visit.line is None and visit.agent is None and visit.ended_at is None
    assert visit.transferred is True and visit.channel == "store"


def test_parquet_with_typed_columns_as_pandas_writes_them(tmp_path, lines):
    # given a Parquet file written by pandas: datetime64, float and int columns, an index
    frame = pd.DataFrame(
        {
            "number": ["13300000001", "13300000001"],
            "month": pd.to_datetime(["2024-05-01", "2024-06-01"]),
            "data_gb": [0.1 + 0.2, 12.0],
            "voice_minutes": [320, 410],
            "sms": [12.0, 3.0],
            "roaming_minutes": [0, 25],
            "overage_charge": [0.0, 15.5],
        },
        index=[10, 11],
    )
    path = tmp_path / "usage.parquet"
    frame.to_parquet(path)
    # when it is imported
    run_import("usage", path)
    # then floats are read as the decimals they stand for
    may = Usage.objects.get(month=dt.date(2024, 5, 1))
    assert may.data_gb == Decimal("0.300") and may.sms == 12
    assert Usage.objects.get(month=dt.date(2024, 6, 1)).overage_charge == Decimal("15.50")


def test_utf8_with_bom_and_spaces_around_values_is_accepted(tmp_path, org):
    path = tmp_path / "customers.csv"
    rows = [[f" {cell} " for cell in row] for row in CUSTOMER_ROWS]
    write_csv(path, CUSTOMER_HEADER, rows, encoding="utf-8-sig")
    out, _err = run_import("customers", path)
    assert "created 2" in out
    assert Customer.objects.get(customer_no="C001").name == "王芳"


# --- idempotence and updates -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,header,rows,fixture",
    [
        ("customers", CUSTOMER_HEADER, CUSTOMER_ROWS, "org"),
        ("lines", LINE_HEADER, LINE_ROWS, "customers"),
        ("bills", BILL_HEADER, BILL_ROWS, "lines"),
        ("usage", USAGE_HEADER, USAGE_ROWS, "lines"),
        ("contacts", CONTACT_HEADER, CONTACT_ROWS, "lines+agent"),
    ],
)
def test_reimporting_the_same_file_changes_nothing(
    tmp_path, request, kind, header, rows, fixture, org
):
    for name in fixture.split("+"):
        request.getfixturevalue(name)
    path = write_csv(tmp_path / f"{kind}.csv", header, rows)
    first = summary_json(kind, path)
    assert first["created"] == len(rows)
    models = [Customer, Account, Subscription, Line, Bill, Usage, Contact]
    before = {model: list(model.objects.order_by("pk").values()) for model in models}
    # when the same file is imported again
    second = summary_json(kind, path)
    # then every row is unchanged and no table differs
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, len(rows))
    assert second["also_created"] in ({}, {"accounts": 0, "subscriptions": 0})
    assert {model: list(model.objects.order_by("pk").values()) for model in models} == before


def test_a_changed_row_is_updated_by_its_natural_key(tmp_path, lines):
    path = write_csv(tmp_path / "usage.csv", USAGE_HEADER, USAGE_ROWS)
    run_import("usage", path)
    changed = [USAGE_ROWS[0], [*USAGE_ROWS[1][:2], "31", *USAGE_ROWS[1][3:]]]
    write_csv(path, USAGE_HEADER, changed)
    summary = summary_json("usage", path)
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 1, 1)
    assert Usage.objects.get(month=dt.date(2024, 6, 1)).data_gb == Decimal("31")
    assert Usage.objects.count() == 2


def _changed(rows: list[list[Any]], header: list[str], **changes: str) -> list[list[Any]]:
    first = list(rows[0])
    for column, value in changes.items():
        first[header.index(column)] = value
    return [first, *rows[1:]]


@pytest.mark.parametrize(
    "kind,header,rows,changes,check",
    [
        (
            "customers",
            CUSTOMER_HEADER,
            CUSTOMER_ROWS,
            {"name": "王芳芳", "marketing_opt_out": "true"},
            lambda: Customer.objects.filter(name="王芳芳", marketing_opt_out=True).count() == 1,
        ),
        (
            "lines",
            LINE_HEADER,
            LINE_ROWS,
            {"status": "suspended", "suspended_on": "2024-07-01", "plan_code": ""},
            lambda: Line.objects.filter(
                number="13300000001",
                status="suspended",
                suspended_on=dt.date(2024, 7, 1),
                subscription=None,
            ).exists(),
        ),
        (
            "bills",
            BILL_HEADER,
            BILL_ROWS,
            {"items": '{"plan_fee": "100", "tv": "29"}'},
            lambda: (
                Bill.objects.get(month=dt.date(2024, 5, 1)).items
                == {"plan_fee": "100.00", "tv": "29.00"}
            ),
        ),
        (
            "contacts",
            CONTACT_HEADER,
            CONTACT_ROWS,
            {"ended_at": "2024-06-03 10:00", "note": "改了", "agent_employee_no": ""},
            lambda: Contact.objects.filter(
                external_id="CT1",
                ended_at=dt.datetime(2024, 6, 3, 10, 0, tzinfo=SHANGHAI),
                note="改了",
                agent=None,
            ).exists(),
        ),
    ],
)
def test_changed_rows_are_updated_in_place(
    tmp_path, lines, agent, kind, header, rows, changes, check
):
    path = write_csv(tmp_path / f"{kind}.csv", header, rows)
    if kind == "customers":
        Customer.objects.all().delete()
    run_import(kind, path)
    ids = set(Customer.objects.values_list("pk", flat=True))
    # when the first row changes and the file is imported again
    write_csv(path, header, _changed(rows, header, **changes))
    summary = summary_json(kind, path)
    # then that row is updated, the others are unchanged, and nothing is created
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 1, len(rows) - 1)
    assert check()
    assert set(Customer.objects.values_list("pk", flat=True)) == ids


def test_optional_column_left_out_keeps_the_stored_value(tmp_path, org):
    CustomerFactory(customer_no="C001", store=org["store"], contact_phone="13999999999")
    header = CUSTOMER_HEADER[:6]
    path = write_csv(tmp_path / "customers.csv", header, [CUSTOMER_ROWS[0][:6]])
    run_import("customers", path)
    assert Customer.objects.get(customer_no="C001").contact_phone == "13999999999"


def test_every_import_writes_one_audit_row(tmp_path, org):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, CUSTOMER_ROWS)
    run_import("customers", path)
    event = AuditEvent.objects.get(action="import.customers")
    assert event.object_id == "customers.csv"
    assert event.after["created"] == 2 and event.after["file"] == str(path)
    # a failed import leaves one audit row too, and saves nothing else
    bad = write_csv(tmp_path / "bad.csv", CUSTOMER_HEADER, [["C9", "x", "1", "S1", "A", "no"]])
    run_failing("customers", bad)
    failed = AuditEvent.objects.get(action="import.customers.failed")
    assert failed.after["rejected"] == 1 and "bad.csv row 2" in failed.after["first_problems"][0]
    assert AuditEvent.objects.filter(action__startswith="import.").count() == 2


def test_actor_option_records_who_imported(tmp_path, agent):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, CUSTOMER_ROWS)
    run_import("customers", path, "--actor", agent.user.username)
    assert AuditEvent.objects.get(action="import.customers").actor == agent.user
    message, _err = run_failing("customers", path, "--actor", "nobody")
    assert message == "no user is called nobody"


def test_json_summary(tmp_path, customers):
    path = write_csv(tmp_path / "lines.csv", LINE_HEADER, LINE_ROWS)
    summary = summary_json("lines", path)
    assert summary["kind"] == "lines" and summary["format"] == "csv" and summary["rows"] == 3
    assert summary["created"] == 3 and summary["rejected"] == 0 and summary["loaded"] is True
    assert summary["also_created"] == {"accounts": 2, "subscriptions": 1}


def test_dry_run_counts_but_saves_nothing(tmp_path, org):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, CUSTOMER_ROWS)
    out, _err = run_import("customers", path, "--dry-run")
    assert "created 2" in out and "Dry run" in out
    assert not Customer.objects.exists()


def test_chunked_import_spans_chunks(tmp_path, customers):
    # accounts opened by one chunk are found by the next
    rows = [
        [f"1330000{i:04d}", "C001", "A001", "mobile", "active", "2020-01-01", "", "", "HZ", ""]
        for i in range(7)
    ]
    path = write_csv(tmp_path / "lines.csv", LINE_HEADER, rows)
    summary = summary_json("lines", path, "--chunk-rows", "2")
    assert summary["created"] == 7 and summary["also_created"]["accounts"] == 1
    assert Account.objects.get().lines.count() == 7


# --- bad files: each says what is wrong, where, and loads nothing ------------------------------


def test_wrong_columns_name_the_missing_and_unexpected_ones(tmp_path, org):
    header = ["customer_no", "name", "store_code", "value_tier", "joined_on", "contact_phon"]
    path = write_csv(
        tmp_path / "customers.csv", header, [["C001", "王芳", "S1", "A", "2019-05-10", ""]]
    )
    message, _err = run_failing("customers", path)
    assert "customers.csv" in message
    assert "missing columns: national_id" in message
    assert "unexpected columns: contact_phon (did you mean contact_phone?)" in message
    assert not Customer.objects.exists()


def test_semicolon_separated_file_gets_a_separator_hint(tmp_path, org):
    path = tmp_path / "customers.csv"
    path.write_text(";".join(CUSTOMER_HEADER) + "\n" + ";".join(CUSTOMER_ROWS[0]) + "\n")
    message, _err = run_failing("customers", path)
    assert "another separator than the comma" in message


def test_bad_dates_are_reported_for_every_row_and_nothing_is_saved(tmp_path, org):
    rows = [
        CUSTOMER_ROWS[0],
        ["C002", "李雷", "330102199202021234", "S1", "B", "2023-13-01", "", ""],
        ["C003", "韩梅", "330102199303031234", "S1", "B", "2023-02-30", "", ""],
    ]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    message, err = run_failing("customers", path)
    assert "nothing was saved; 2 rows have problems" in message
    assert (
        'customers.csv row 3, column joined_on: "2023-13-01" is not a date; use YYYY-MM-DD' in err
    )
    assert (
        'customers.csv row 4, column joined_on: "2023-02-30" is not a date; use YYYY-MM-DD' in err
    )
    assert not Customer.objects.exists()  # the good first row was not saved either


def test_bad_numbers(tmp_path, lines):
    rows = [
        USAGE_ROWS[0],
        ["13300000001", "2024-06", "abc", "12.5", "-1", "0", "1,200.00"],
        ["13300000001", "2024-07", "1.2345", "1", "1", "1", "0.001"],
    ]
    path = write_csv(tmp_path / "usage.csv", USAGE_HEADER, rows)
    _message, err = run_failing("usage", path)
    assert 'usage.csv row 3, column data_gb: "abc" is not a number' in err
    assert 'usage.csv row 3, column voice_minutes: "12.5" is not a whole number' in err
    assert 'usage.csv row 3, column sms: "-1" is negative' in err
    assert (
        'usage.csv row 3, column overage_charge: "1,200.00" is not a number; '
        "write it without thousands separators" in err
    )
    assert 'usage.csv row 4, column data_gb: "1.2345" has more than 3 decimal places' in err
    assert 'usage.csv row 4, column overage_charge: "0.001" has more than 2 decimal places' in err
    assert not Usage.objects.exists()


def test_unknown_enum_values_list_the_allowed_ones(tmp_path, customers):
    rows = [["13300000009", "C001", "A009", "satellite", "gone", "2020-01-01", "", "", "HZ", ""]]
    path = write_csv(tmp_path / "lines.csv", LINE_HEADER, rows)
    _message, err = run_failing("lines", path)
    assert (
        'lines.csv row 2, column kind: "satellite" is not allowed; '
        "use one of: mobile, broadband, tv, fixed" in err
    )
    assert (
        'lines.csv row 2, column status: "gone" is not allowed; '
        "use one of: active, suspended, cancelled" in err
    )
    assert not Line.objects.exists() and not Account.objects.exists()


def test_row_rules_across_columns(tmp_path, customers):
    rows = [
        ["13300000009", "C001", "A009", "mobile", "cancelled", "2020-01-01", "", "", "HZ", ""],
        [
            "13300000008",
            "C001",
            "A009",
            "mobile",
            "suspended",
            "2020-01-01",
            "2019-01-01",
            "",
            "HZ",
            "",
        ],
    ]
    path = write_csv(tmp_path / "lines.csv", LINE_HEADER, rows)
    _message, err = run_failing("lines", path)
    assert "lines.csv row 2, column cancelled_on: has no date but status is cancelled" in err
    assert (
        "lines.csv row 3, column suspended_on: 2019-01-01 is before activated_on 2020-01-01" in err
    )


def test_duplicate_keys_in_the_file_are_reported_even_across_chunks(tmp_path, org):
    rows = [
        CUSTOMER_ROWS[0],
        CUSTOMER_ROWS[1],
        [*CUSTOMER_ROWS[1][:1], "别人", *CUSTOMER_ROWS[1][2:]],
        CUSTOMER_ROWS[0],
    ]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    _message, err = run_failing("customers", path, "--chunk-rows", "1")
    assert "customers.csv row 4: repeats the customer_no of row 3; each may appear only once" in err
    assert "customers.csv row 5: repeats the customer_no of row 2" in err
    assert not Customer.objects.exists()


def test_duplicate_composite_keys(tmp_path, lines):
    path = write_csv(tmp_path / "usage.csv", USAGE_HEADER, [USAGE_ROWS[0], USAGE_ROWS[0]])
    _message, err = run_failing("usage", path)
    assert "usage.csv row 3: repeats the number + month of row 2" in err


@pytest.mark.parametrize(
    "kind,header,row,expected",
    [
        (
            "customers",
            CUSTOMER_HEADER,
            ["C009", "王", "330102199001011234", "S404", "A", "2020-01-01", "", ""],
            'customers.csv row 2, column store_code: there is no store "S404"',
        ),
        (
            "lines",
            LINE_HEADER,
            ["13300000009", "C404", "A009", "mobile", "active", "2020-01-01", "", "", "HZ", ""],
            'lines.csv row 2, column customer_no: there is no customer "C404"; '
            "import the customers first",
        ),
        (
            "lines",
            LINE_HEADER,
            ["13300000009", "C001", "A009", "mobile", "active", "2020-01-01", "", "", "XX", ""],
            'lines.csv row 2, column home_region_code: there is no region "XX"',
        ),
        (
            "lines",
            LINE_HEADER,
            ["13300000009", "C002", "A001", "mobile", "active", "2020-01-01", "", "", "HZ", ""],
            'lines.csv row 2, column account_no: account "A001" belongs to customer "C001", '
            'not "C002"',
        ),
        (
            "lines",
            LINE_HEADER,
            ["13300000009", "C001", "A001", "mobile", "active", "2020-01-01", "", "", "HZ", "NOPE"],
            'lines.csv row 2, column plan_code: there is no plan "NOPE"',
        ),
        (
            "bills",
            BILL_HEADER,
            ["A404", "2024-05", "10", ""],
            'bills.csv row 2, column account_no: there is no account "A404"',
        ),
        (
            "usage",
            USAGE_HEADER,
            ["13900000000", "2024-05", "1", "1", "1", "0", "0"],
            'usage.csv row 2, column number: there is no line "13900000000"; '
            "import the lines first",
        ),
        (
            "contacts",
            CONTACT_HEADER,
            ["CT9", "C404", "", "hotline", "billing", "", "2024-06-03 09:30", "", "", "", ""],
            'contacts.csv row 2, column customer_no: there is no customer "C404"',
        ),
        (
            "contacts",
            CONTACT_HEADER,
            [
                "CT9",
                "C002",
                "13300000001",
                "hotline",
                "billing",
                "",
                "2024-06-03 09:30",
                "",
                "",
                "",
                "",
            ],
            'contacts.csv row 2, column number: line "13300000001" belongs to customer "C001", '
            'not "C002"',
        ),
        (
            "contacts",
            CONTACT_HEADER,
            ["CT9", "C001", "", "hotline", "billing", "E404", "2024-06-03 09:30", "", "", "", ""],
            'contacts.csv row 2, column agent_employee_no: there is no staff member "E404"',
        ),
    ],
)
def test_unknown_references(tmp_path, lines, kind, header, row, expected):
    before = {m: m.objects.count() for m in (Customer, Account, Line, Bill, Usage, Contact)}
    path = write_csv(tmp_path / f"{kind}.csv", header, [row])
    _message, err = run_failing(kind, path)
    assert expected in err
    assert {m: m.objects.count() for m in before} == before


def test_non_utf8_csv_names_the_encoding_and_the_fix(tmp_path, org):
    # given a file saved by Excel on Chinese Windows (GBK)
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, CUSTOMER_ROWS, encoding="gbk")
    message, _err = run_failing("customers", path)
    assert "customers.csv is not UTF-8 text (the first non-UTF-8 byte is at line 2" in message
    assert "it looks like GBK" in message
    assert "iconv -f GBK -t UTF-8 customers.csv > customers-utf8.csv" in message
    assert not Customer.objects.exists()


def test_utf16_csv_is_recognised(tmp_path, org):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, CUSTOMER_ROWS, encoding="utf-16")
    message, _err = run_failing("customers", path)
    assert "looks like UTF-16" in message and "iconv -f UTF-16 -t UTF-8" in message


def test_empty_file(tmp_path, org):
    path = tmp_path / "customers.csv"
    path.write_bytes(b"")
    message, _err = run_failing("customers", path)
    assert message.startswith("customers.csv is empty")


def test_header_without_rows(tmp_path, org):
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, [])
    message, _err = run_failing("customers", path)
    assert "customers.csv has a header but no data rows" in message


def test_unreadable_parquet(tmp_path, org):
    path = tmp_path / "customers.parquet"
    path.write_bytes(b"this is not parquet at all")
    message, _err = run_failing("customers", path)
    assert message.startswith("customers.parquet is not a readable Parquet file")
    assert AuditEvent.objects.filter(action="import.customers.failed").count() == 1


def test_row_with_too_many_values(tmp_path, org):
    path = tmp_path / "customers.csv"
    lines_of_text = [
        ",".join(CUSTOMER_HEADER),
        ",".join(CUSTOMER_ROWS[0]),
        "C002,李,雷,330102199202021234,S1,B,2021-11-01,,",
        "",
        ",".join(["C003", "韩梅", "330102199303031234", "S1", "B", "2023-02-30", "", ""]),
    ]
    path.write_text("\n".join(lines_of_text) + "\n", encoding="utf-8")
    _message, err = run_failing("customers", path)
    assert "customers.csv row 3: has 9 values but the header has 8 columns" in err
    # the blank row 4 is skipped but counted, so the next row is row 5 as in a spreadsheet
    assert 'customers.csv row 5, column joined_on: "2023-02-30" is not a date' in err


def test_value_in_scientific_notation_gets_a_spreadsheet_hint(tmp_path, org):
    rows = [["C001", "王芳", "3.30102E+17", "S1", "A", "2019-05-10", "", ""]]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    _message, err = run_failing("customers", path)
    assert (
        'column national_id: "3.30102E+17" looks like a number a spreadsheet turned into '
        "scientific notation" in err
    )


def test_bad_items_json(tmp_path, lines):
    path = write_csv(
        tmp_path / "bills.csv", BILL_HEADER, [["A001", "2024-05", "10", "{plan_fee: 1}"]]
    )
    _message, err = run_failing("bills", path)
    assert 'bills.csv row 2, column items: "{plan_fee: 1}" is not JSON' in err


def test_bad_month_and_time(tmp_path, lines):
    bills = write_csv(tmp_path / "bills.csv", BILL_HEADER, [["A001", "2024-5-15", "10", ""]])
    _message, err = run_failing("bills", bills)
    assert 'bills.csv row 2, column month: "2024-5-15" is not a month; use YYYY-MM' in err
    contacts = write_csv(
        tmp_path / "contacts.csv",
        CONTACT_HEADER,
        [["CT9", "C001", "", "hotline", "billing", "", "03/06/2024 9:30", "", "", "", ""]],
    )
    _message, err = run_failing("contacts", contacts)
    assert 'contacts.csv row 2, column started_at: "03/06/2024 9:30" is not a date and time' in err


def test_missing_file(tmp_path, org):
    message, _err = run_failing("customers", tmp_path / "nowhere.csv")
    assert message.endswith("nowhere.csv: no such file")


@pytest.mark.parametrize(
    "header,expected",
    [
        ([*CUSTOMER_HEADER, ""], "customers.csv: header column 9 has no name"),
        ([*CUSTOMER_HEADER, "Name"], "customers.csv: the header has name more than once"),
    ],
)
def test_unnamed_or_repeated_header_columns(tmp_path, org, header, expected):
    path = write_csv(tmp_path / "customers.csv", header, [[*CUSTOMER_ROWS[0], "x"]])
    message, _err = run_failing("customers", path)
    assert message.startswith(expected)


def test_parquet_with_a_nested_column_is_refused(tmp_path, org):
    table = pa.table(
        {name: [value] for name, value in zip(CUSTOMER_HEADER, CUSTOMER_ROWS[0], strict=True)}
    )
    table = table.append_column("tags", pa.array([["a", "b"]]))
    pq.write_table(table, tmp_path / "customers.parquet")
    message, _err = run_failing("customers", tmp_path / "customers.parquet")
    assert "customers.parquet: columns tags are not plain values" in message


def test_format_option_and_sniffing_decide_how_a_file_is_read(tmp_path, org):
    # a Parquet file with an unusual name is recognised by its content
    parquet = write_parquet(tmp_path / "export.dat", CUSTOMER_HEADER, CUSTOMER_ROWS[:1])
    assert summary_json("customers", parquet)["format"] == "parquet"
    # and --format reads a CSV file whatever it is called
    text = write_csv(tmp_path / "export.parquet", CUSTOMER_HEADER, CUSTOMER_ROWS[1:])
    assert summary_json("customers", text, "--format", "csv")["created"] == 1


def test_contact_ending_before_it_starts(tmp_path, lines):
    row = ["CT9", "C001", "", "hotline", "billing", "", "2024-06-03 09:30", "2024-06-03 09:00"]
    path = write_csv(tmp_path / "contacts.csv", CONTACT_HEADER[:8], [row])
    _message, err = run_failing("contacts", path)
    assert "contacts.csv row 2, column ended_at: is before started_at" in err


def test_items_json_and_item_columns_together_are_refused(tmp_path, lines):
    path = write_csv(tmp_path / "bills.csv", [*BILL_HEADER, "item_tv"], [[*BILL_ROWS[0], "10"]])
    message, _err = run_failing("bills", path)
    assert "either as the items column or as item_<code> columns, not both" in message


# --- --skip-bad-rows and the rejects file -------------------------------------------------------


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_skip_bad_rows_loads_the_good_rows_and_writes_rejects_beside_the_file(tmp_path, org):
    rows = [
        CUSTOMER_ROWS[0],
        ["C002", "李雷", "330102199202021234", "S1", "B", "2023-13-01", "", ""],
        ["C003", "韩梅", "330102199303031234", "S404", "vip", "2020-01-01", "", ""],
        ["C004", "赵四", "330102199404041234", "S1", "D", "2020-02-02", "", ""],
    ]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    out, _err = run_import("customers", path, "--skip-bad-rows")
    assert "customers: created 2, updated 0, unchanged 0, rejected 2" in out
    assert set(Customer.objects.values_list("customer_no", flat=True)) == {"C001", "C004"}
    rejects_path = tmp_path / "customers.rejects.csv"
    assert f"Rejected rows written to {rejects_path}" in out
    rejected = read_rejects(rejects_path)
    assert [r["reject_row"] for r in rejected] == ["3", "4"]
    assert rejected[0]["customer_no"] == "C002" and rejected[0]["name"] == "李雷"
    assert rejected[0]["joined_on"] == "2023-13-01"
    assert 'joined_on: "2023-13-01" is not a date' in rejected[0]["reject_reason"]
    assert 'value_tier: "vip" is not allowed' in rejected[1]["reject_reason"]
    # the reference is only checked once the row's values are valid
    assert "store_code" not in rejected[1]["reject_reason"]


def test_fixed_rejects_file_can_be_imported_as_it_is(tmp_path, org):
    rows = [
        CUSTOMER_ROWS[0],
        ["C002", "李雷", "330102199202021234", "S1", "B", "2023-13-01", "", ""],
    ]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    rejects_path = tmp_path / "out" / "bad-customers.csv"
    rejects_path.parent.mkdir()
    run_import("customers", path, "--skip-bad-rows", "--rejects", str(rejects_path))
    fixed = read_rejects(rejects_path)
    fixed[0]["joined_on"] = "2023-12-01"
    with rejects_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fixed[0]))
        writer.writeheader()
        writer.writerows(fixed)
    out, _err = run_import("customers", rejects_path)
    assert "created 1" in out
    assert Customer.objects.get(customer_no="C002").joined_on == dt.date(2023, 12, 1)


def test_skip_bad_rows_with_parquet_and_reference_errors(tmp_path, lines):
    rows = [*USAGE_ROWS, ["13900000000", "2024-05", "1", "1", "1", "0", "0"]]
    path = write_parquet(tmp_path / "usage.parquet", USAGE_HEADER, rows)
    summary = summary_json("usage", path, "--skip-bad-rows")
    assert (summary["created"], summary["rejected"]) == (2, 1)
    rejected = read_rejects(tmp_path / "usage.rejects.csv")
    assert rejected[0]["number"] == "13900000000" and rejected[0]["reject_row"] == "4"
    assert 'number: there is no line "13900000000"' in rejected[0]["reject_reason"]


def test_rejects_option_without_skipping_writes_the_file_and_saves_nothing(tmp_path, org):
    rows = [CUSTOMER_ROWS[0][:6], ["C002", "李雷", "330102199202021234", "S1", "B", "2023-13-01"]]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER[:6], rows)
    rejects_path = tmp_path / "why.csv"
    run_failing("customers", path, "--rejects", str(rejects_path))
    assert [r["customer_no"] for r in read_rejects(rejects_path)] == ["C002"]
    assert not Customer.objects.exists()


def test_skip_bad_rows_when_every_row_is_bad_fails(tmp_path, org):
    rows = [["C002", "李雷", "330102199202021234", "S1", "B", "2023-13-01", "", ""]]
    path = write_csv(tmp_path / "customers.csv", CUSTOMER_HEADER, rows)
    message, err = run_failing("customers", path, "--skip-bad-rows")
    assert "nothing was saved" in message
    assert (tmp_path / "customers.rejects.csv").exists()
    assert "Rejected rows written to" in err


def test_skip_bad_rows_still_refuses_a_bad_file(tmp_path, org):
    path = write_csv(tmp_path / "customers.csv", ["customer_no"], [["C1"]])
    message, _err = run_failing("customers", path, "--skip-bad-rows")
    assert "missing columns: name, national_id, store_code, value_tier, joined_on" in message
    assert not (tmp_path / "customers.rejects.csv").exists()
