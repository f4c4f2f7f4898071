"""Every figure of the review on a generated operator (customers, retention desk and
complaints history) against independent naive recomputations; the report CLI gives the
same numbers as the review (and so as the page)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from lifelines import KaplanMeierFitter
from openpyxl import load_workbook

from tests.analytics import naive
from tests.analytics.crafted import build_of
from wanliu.analytics.models import ReviewSnapshot
from wanliu.analytics.review import TABLES
from wanliu.complaints.businesstime import add_working_minutes
from wanliu.complaints.generator import complaints_history_generate
from wanliu.complaints.models import Revisit, Survey, WorkOrder
from wanliu.complaints.services.sla import work_calendar_of
from wanliu.customers.models import Bill, Line
from wanliu.org.models import OrgUnit
from wanliu.retention.generator import retention_history_generate
from wanliu.retention.models import CancellationRequest
from wanliu.retention.selectors import missing_steps

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 5)
SEPT, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
TZ = naive.TZ


@pytest.fixture
def generated(db):
    call_command(
        "generate",
        lines=1500,
        months=6,
        seed=1,
        as_of=AS_OF.isoformat(),
        no_progress=True,
        stdout=io.StringIO(),
    )
    retention_history_generate(seed=1, as_of=AS_OF, progress=False)
    complaints_history_generate(seed=1, as_of=AS_OF)


def _local_month(instant) -> dt.date:
    return instant.astimezone(TZ).date().replace(day=1)


def _row(table, key):
    rows = table[table["key"] == key]
    assert len(rows) == 1, (key, table)
    return rows.iloc[0]


def test_churn_curves_value_and_customers_match_naive_computations(generated):
    review = build_of(SEPT)
    tables = review.tables
    # churn, per dimension and month over month, against a loop over every line
    assert Line.objects.filter(cancelled_on__gte=SEPT).exists()
    for name, key in [
        ("churn_total", lambda line: "total"),
        ("churn_by_value_tier", lambda line: line.account.customer.value_tier),
        (
            "churn_by_plan_family",
            lambda line: line.subscription.plan.family if line.subscription else "none",
        ),
        ("churn_by_store", lambda line: str(line.account.customer.store_id)),
    ]:
        expected, mom = naive.churn(SEPT, key=key), naive.churn_mom(SEPT, key=key)
        for k, (active, gone, rate) in expected.items():
            row = _row(tables[name], k)
            assert (row.active_at_start, row.disconnected) == (active, gone), (name, k)
            if rate is None:
                assert pd.isna(row.churn_rate)
            else:
                assert row.churn_rate == pytest.approx(rate)
            assert (pd.isna(row.mom_change) and mom[k] is None) or row.mom_change == pytest.approx(
                mom[k]
            )
    # the units under the operator add up to it
    by_unit, total = tables["churn_by_unit"], tables["churn_total"].iloc[0]
    assert by_unit["active_at_start"].sum() == total.active_at_start
    for path in by_unit["key"]:
        assert (
            tuple(_row(by_unit, path)[["active_at_start", "disconnected"]])
            == naive.churn(SEPT, unit_path=path)["total"][:2]
        )
    # retention curves by plan family: lifelines on the lines as of 30 September
    as_of = dt.date(2026, 9, 30)
    groups: dict[str, list] = defaultdict(list)
    for line in Line.objects.select_related("subscription__plan"):
        if line.activated_on > as_of:
            continue
        event = line.cancelled_on is not None and line.cancelled_on <= as_of
        end = line.cancelled_on if event else as_of
        family = line.subscription.plan.family if line.subscription else "none"
        groups[family].append(((end - line.activated_on).days, event))
    curves = tables["retention_by_plan_family"]
    assert sorted(curves["key"]) == sorted(groups)
    for family, data in groups.items():
        fitter = KaplanMeierFitter().fit([d for d, _ in data], event_observed=[e for _, e in data])
        row = _row(curves, family)
        assert row.lines == len(data)
        for months in (1, 6, 12, 36):
            assert row[f"m{months}"] == pytest.approx(
                float(fitter.predict(months * 30.4375)), abs=1e-4
            )
    # lifetime value: margin x the discounted survival sum of each segment's fit
    ltv = tables["lifetime_value"]
    assert len(ltv) and ltv["lifetime_value"].notna().any()
    for row in ltv.dropna(subset=["alpha"]).itertuples():
        expected = naive.sbg_value(
            float(row.alpha),
            float(row.beta),
            margin=float(row.monthly_margin),
            discount=(1.1 ** (1 / 12) - 1),
        )
        assert float(row.lifetime_value) == pytest.approx(expected, rel=1e-3, abs=0.05)
    # value customers: an exact sum of each customer's September bills
    totals = (
        Bill.objects.filter(month=SEPT)
        .values("account__customer_id")
        .annotate(t=Sum("total"))
        .order_by("-t", "account__customer_id")[:20]
    )
    assert list(tables["value_customers"]["customer_id"]) == [
        t["account__customer_id"] for t in totals
    ]
    assert list(tables["value_customers"]["bill_total"]) == [
        Decimal(t["t"]).quantize(Decimal("0.01")) for t in totals
    ]
    # churned customers: every customer with a line disconnected in September
    churned = {
        line.account.customer_id
        for line in Line.objects.select_related("account").filter(
            cancelled_on__gte=SEPT, cancelled_on__lt=OCT
        )
    }
    assert set(tables["churned_customers"]["customer_id"]) == churned
    assert tables["churn_reasons"]["customers"].sum() == len(churned)


def test_complaints_service_and_fcr_match_naive_computations(generated):
    review = build_of(SEPT)
    tables = review.tables
    orders = list(
        WorkOrder.objects.exclude(status="merged").select_related(
            "category__parent", "sla_policy", "sla_calendar"
        )
    )
    assert len(orders) > 50
    in_sept = [o for o in orders if _local_month(o.received_at) == SEPT]
    # complaints by category and channel, month over month
    for name, key in [
        ("complaints_by_category", lambda o: (o.category.parent or o.category).code),
        ("complaints_by_channel", lambda o: o.channel),
    ]:
        now = naive.complaint_counts(SEPT, key=key)
        before = naive.complaint_counts(dt.date(2026, 8, 1), key=key)
        for k, n in now.items():
            row = _row(tables[name], k)
            assert (row["count"], row.prev_count) == (n, before[k])
    cancellation = [o for o in in_sept if naive.is_cancellation(o)]
    row = tables["cancellation_complaints"].iloc[0]
    assert row["count"] == len(cancellation) > 0
    assert row.refusals == sum(o.category.code == "cancellation-refused" for o in cancellation)
    # SLA per target: the first-response due time from the policy on the order's calendar
    expected: dict[str, Counter] = defaultdict(Counter)
    _start, end = (dt.datetime.combine(d, dt.time(), TZ) for d in (SEPT, OCT))
    for o in in_sept:
        c = expected[o.sla_policy.name if o.sla_policy else ""]
        c["orders"] += 1
        due = add_working_minutes(
            work_calendar_of(o.sla_calendar), o.received_at, o.sla_policy.first_response_minutes
        )
        c["first_response_met"] += o.first_responded_at is not None and o.first_responded_at <= due
        c["resolution_met"] += (
            o.resolved_at is not None
            and o.resolved_at <= o.resolution_due_at
            and o.status in ("resolved", "closed")
        )
        c["overdue"] += o.resolution_due_at < end and (
            o.resolved_at is None or o.resolved_at > o.resolution_due_at
        )
        c["reopened"] += o.reopen_count > 0
    sla = tables["sla_attainment"].set_index("key")
    assert set(sla.index) == set(expected)
    for policy, counts in expected.items():
        for column in ("orders", "first_response_met", "resolution_met", "overdue", "reopened"):
            assert sla.loc[policy, column] == counts[column], (policy, column)
    assert len(tables["orders_overdue"]) == sum(c["overdue"] for c in expected.values())
    assert len(tables["orders_reopened"]) == sum(c["reopened"] for c in expected.values())
    # revisits due in September and CSAT of the answers received in it
    due = [r for r in Revisit.objects.all() if _local_month(r.due_at) == SEPT]
    visits = tables["revisit_completion"].iloc[0]
    assert visits.due == len(due)
    assert visits.done_on_time == sum(r.done_at is not None and r.done_at <= r.due_at for r in due)
    answers = [
        s.csat for s in Survey.objects.exclude(csat=None) if _local_month(s.responded_at) == SEPT
    ]
    csat = tables["csat"].iloc[0]
    assert csat.responses == len(answers)
    if answers:
        assert csat.mean_csat == pytest.approx(round(sum(answers) / len(answers), 2))
    # FCR by channel and topic, from the flags the generator wrote
    for name, key in [("fcr_by_channel", lambda c: c.channel), ("fcr_by_topic", lambda c: c.topic)]:
        for k, (n, r, rate) in naive.fcr(SEPT, key=key).items():
            row = _row(tables[name], k)
            assert (row.contacts, row.resolved_first_time) == (n, r)
            assert row.fcr == pytest.approx(rate)
    # FCR against CSAT: the slope of a least-squares line through the teams
    scatter = tables["fcr_vs_csat"]
    if len(scatter) >= 2:
        slope = np.polyfit(scatter["fcr"].astype(float), scatter["mean_csat"].astype(float), 1)[0]
        assert review.slope == pytest.approx(slope, rel=1e-2, abs=1e-3)


def test_desk_and_compliance_match_naive_computations(generated):
    tables = build_of(SEPT).tables
    for name, key in [
        ("retention_by_store", lambda r: "none" if r.store_id is None else str(r.store_id)),
        ("retention_by_reason", lambda r: r.reason or "unknown"),
        ("retention_by_clerk", lambda r: "none" if r.opened_by_id is None else str(r.opened_by_id)),
    ]:
        got = tables[name].set_index("key")
        expected = naive.retention(SEPT, key=key)
        assert set(got.index) == set(expected), name
        for k, (n, handled, retained, rate, cost, lines) in expected.items():
            assert tuple(got.loc[k, ["requests", "handled", "retained", "retained_lines"]]) == (
                n,
                handled,
                retained,
                lines,
            )
            assert got.loc[k, "offer_cost"] == pytest.approx(cost)
            assert (rate is None and pd.isna(got.loc[k, "success_rate"])) or got.loc[
                k, "success_rate"
            ] == pytest.approx(rate)
    requests = [
        r
        for r in CancellationRequest.objects.prefetch_related("step_records")
        if _local_month(r.opened_at) == SEPT
    ]
    missing = [
        r
        for r in requests
        if r.outcome and missing_steps(r, {s.step for s in r.step_records.all()})
    ]
    summary = tables["compliance_summary"].set_index("key")
    assert summary.loc["missing_steps", "offending"] == len(missing)
    assert set(tables["check_missing_steps"]["request_id"]) == {r.pk for r in missing}
    assert summary.loc["refusals", "cases"] == sum(
        r.refusal_flagged_at is not None for r in requests
    )
    month_end = dt.datetime.combine(OCT, dt.time(), TZ)
    not_closed = {
        o.pk
        for o in WorkOrder.objects.exclude(status="merged")
        if o.received_at < month_end
        and (o.resolution_due_at or o.received_at) < month_end - dt.timedelta(days=7)
        and (o.closed_at is None or o.closed_at >= month_end or o.status != "closed")
    }
    assert set(tables["check_orders_not_closed"]["order_id"]) == not_closed
    late = {
        r.pk
        for r in Revisit.objects.all()
        if _local_month(r.due_at) == SEPT and (r.done_at is None or r.done_at > r.due_at)
    }
    assert set(tables["check_revisits_overdue"]["revisit_id"]) == late
    # the rankings carry the figures behind them: a store's success rate is its desk figure
    stores = tables["ranking_stores"].set_index("key")
    by_store = tables["retention_by_store"].set_index("key")
    for key in stores.index:
        assert stores.loc[key, "retention_success_rate"] == pytest.approx(
            by_store.loc[key, "success_rate"]
        )


def _missing(value) -> bool:
    if isinstance(value, str):
        return value == ""
    return value is None or bool(pd.isna(value))


def _frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True).astype(str), right.reset_index(drop=True).astype(str)
    )


def test_cli_reports_have_the_review_numbers(generated, tmp_path):
    # when the report is written as XLSX (snapshots built by the command itself)
    out = tmp_path / "review.xlsx"
    call_command("report", "monthly", "--month", "2026-09", "--format", "xlsx", "--out", str(out))
    assert set(ReviewSnapshot.objects.values_list("status", flat=True)) == {"ready"}
    expected = build_of(SEPT).tables
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["contents", *TABLES]
    for name in TABLES:
        rows = list(workbook[name].values)
        sheet = pd.DataFrame(rows[1:], columns=rows[0])
        table = expected[name]
        assert list(sheet.columns) == list(table.columns), name
        assert len(sheet) == len(table), name
        for column in table.columns:
            for got, want in zip(sheet[column], table[column], strict=True):
                if _missing(want):
                    assert got is None or (isinstance(got, float) and np.isnan(got)), (name, column)
                elif isinstance(want, (int, float, Decimal, np.number)) and not isinstance(
                    want, bool
                ):
                    assert float(got) == pytest.approx(float(want)), (name, column)
                elif isinstance(want, pd.Timestamp):
                    assert pd.Timestamp(got) == want
                else:
                    assert str(got) == str(want), (name, column)
    # as zipped CSV, scoped to a unit
    unit = OrgUnit.objects.filter(kind=OrgUnit.Kind.BRANCH).order_by("path").first()
    out = tmp_path / "review.zip"
    call_command(
        "report",
        "monthly",
        "--month",
        "2026-09",
        "--format",
        "csv",
        "--out",
        str(out),
        "--unit",
        str(unit.pk),
    )
    expected = build_of(SEPT, unit.path).tables
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in TABLES)
        for name in TABLES:
            got = pd.read_csv(archive.open(f"{name}.csv"), dtype=str, keep_default_na=False)
            want = pd.read_csv(
                io.StringIO(expected[name].to_csv(index=False)), dtype=str, keep_default_na=False
            )
            _frames_equal(got, want)
    # as HTML with every table
    html = io.StringIO()
    call_command("report", "monthly", "--month", "2026-09", "--format", "html", stdout=html)
    for name in TABLES:
        assert f"id='{name}'" in html.getvalue()
    # and the snapshot command rebuilds a span of months
    out_text = io.StringIO()
    call_command("report", "snapshot", "--month", "2026-08", "--to", "2026-10", stdout=out_text)
    assert out_text.getvalue().count("ready") == 3


def test_cli_refuses_bad_input_naming_the_field(db):
    for argv, words in [
        (["--month", "2026/09"], "--month .*YYYY-MM"),
        (["--month", "2099-01"], "has not begun"),
        (["--month", "2026-09", "--unit", "999999"], "--unit 999999: no such organisation unit"),
    ]:
        with pytest.raises(CommandError, match=words):
            call_command("report", "monthly", *argv)
    with pytest.raises(CommandError, match="--to must not be before --month"):
        call_command("report", "snapshot", "--month", "2026-09", "--to", "2026-08")
