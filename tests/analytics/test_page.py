"""The monthly review page: scoping, drill-down to the cases, exports equal to the CLI's,
snapshots built on first look, bad input answered with the field to fix."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from tests.analytics.crafted import (
    add_complaints,
    add_lines,
    build_of,
    build_org,
    desk_september,
    local,
)
from tests.factories import PASSWORD
from wanliu.analytics.models import ReviewSnapshot
from wanliu.analytics.months import previous_month
from wanliu.analytics.review import TABLES
from wanliu.analytics.snapshots import snapshot_build
from wanliu.analytics.tasks import snapshot_build_task
from wanliu.customers.models import Account
from wanliu.retention.models import CancellationRequest

pytestmark = pytest.mark.django_db

URL = "/analytics/monthly/"
SEPT = dt.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org():
    org = build_org()
    add_lines(store=org.store_a, count=10, activated_on=dt.date(2025, 1, 1))
    add_lines(
        store=org.store_a,
        count=2,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 3),
    )
    add_lines(store=org.store_b, count=20, activated_on=dt.date(2025, 1, 1))
    add_lines(
        store=org.store_b,
        count=5,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 13),
    )
    add_complaints(
        store=org.store_b,
        category="cancellation-refused",
        count=3,
        received_at=local(2026, 9, 3, 10),
    )
    desk_september(org)
    return org


@pytest.fixture
def built(org):
    build_of(SEPT)
    return org


def _login(client, staff):
    assert client.login(username=staff.user.username, password=PASSWORD)


def test_supervisor_sees_every_branch_and_drills_down_to_a_refused_request(client, built, staff_of):
    org = built
    _login(client, staff_of("service_supervisor", unit=org.city))
    page = client.get(URL, {"month": "2026-09"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "西湖" in html and "拱墅" in html
    assert 'src="/static/plotly/plotly.min.js"' in html
    assert 'id="chart-churn-by-unit"' in html and 'id="chart-fcr-vs-csat"' in html
    # when drilling into branch B with HTMX, the fragment shows its grid only
    part = client.get(URL, {"month": "2026-09", "unit": org.branch_b.pk}, HTTP_HX_REQUEST="true")
    body = part.content.decode()
    assert "<html" not in body
    assert "网格B" in body and "网格A" not in body
    # then to the store that refused, to the clerk, to the refused request's own page
    store_page = client.get(f"/analytics/monthly/store/{org.store_a.pk}/", {"month": "2026-09"})
    assert store_page.status_code == 200
    refused = CancellationRequest.objects.get(refusal_flagged_at__isnull=False)
    assert f'href="/retention/requests/{refused.pk}/"' in store_page.content.decode()
    clerk = refused.opened_by.staff
    assert f"/analytics/monthly/staff/{clerk.pk}/" in store_page.content.decode()
    clerk_page = client.get(f"/analytics/monthly/staff/{clerk.pk}/", {"month": "2026-09"})
    assert refused.request_no in clerk_page.content.decode()
    assert client.get(f"/retention/requests/{refused.pk}/").status_code == 200


def test_branch_manager_sees_only_their_branch(client, built, staff_of):
    org = built
    _login(client, staff_of("branch_manager", unit=org.branch_a))
    html = client.get(URL, {"month": "2026-09"}).content.decode()
    drill = html[html.index('id="drill"') : html.index("</table>", html.index('id="drill"'))]
    assert "网格A" in drill and "拱墅" not in drill
    assert "网格B" not in html
    assert client.get(URL, {"month": "2026-09", "unit": org.branch_b.pk}).status_code == 404
    assert (
        client.get(URL + "export/", {"month": "2026-09", "unit": org.branch_b.pk}).status_code
        == 404
    )
    assert (
        client.get(f"/analytics/monthly/store/{org.store_b.pk}/", {"month": "2026-09"}).status_code
        == 404
    )
    assert (
        client.get(f"/analytics/monthly/store/{org.store_a.pk}/", {"month": "2026-09"}).status_code
        == 200
    )


def test_clerk_and_anonymous_cannot_open_the_review(client, org, staff_of):
    assert client.get(URL).status_code == 302
    _login(client, staff_of("clerk", store=org.store_a))
    assert client.get(URL, {"month": "2026-09"}).status_code == 404
    assert "/analytics/monthly/" not in client.get("/").content.decode()


def test_bad_input_names_the_field_and_the_fix(client, org, staff_of):
    _login(client, staff_of("service_supervisor", unit=org.city))
    for params, words in [
        ({"month": "2026/09"}, "YYYY-MM"),
        ({"month": "2026-13"}, "YYYY-MM"),
        ({"month": "2099-01"}, "还没有开始"),
        ({"month": "2026-09", "unit": "abc"}, "unit 必须是"),
    ]:
        response = client.get(URL, params)
        assert response.status_code == 400, params
        assert words in response.content.decode()
    assert client.get(URL, {"month": "2026-09", "unit": "999999"}).status_code == 404
    assert client.get(URL + "export/", {"month": "2026-09", "format": "pdf"}).status_code == 400


def test_a_month_without_a_snapshot_is_built_by_the_worker_meanwhile_the_page_says_so(
    client, org, staff_of, django_capture_on_commit_callbacks
):
    _login(client, staff_of("service_supervisor", unit=org.city))
    # when September is opened before anybody built its snapshot
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.get(URL, {"month": "2026-09"})
    # then the page says it is being prepared and the build is queued for the worker
    assert page.status_code == 202
    assert 'id="building"' in page.content.decode()
    assert len(callbacks) == 1
    assert set(ReviewSnapshot.objects.values_list("month", "status")) == {
        (dt.date(2026, 8, 1), "queued"),
        (SEPT, "queued"),
    }
    # when the worker runs the task, the page shows the figures
    snapshot_build_task.call(months=["2026-08", "2026-09"])
    page = client.get(URL, {"month": "2026-09"})
    assert page.status_code == 200
    assert 'id="table-churn_total"' in page.content.decode()


def test_a_build_whose_worker_is_gone_is_asked_for_again(
    client, org, staff_of, django_capture_on_commit_callbacks
):
    _login(client, staff_of("service_supervisor", unit=org.city))
    long_ago = timezone.now() - dt.timedelta(hours=2)
    for month in (dt.date(2026, 8, 1), SEPT):
        ReviewSnapshot.objects.create(
            month=month, status="building", requested_at=long_ago, started_at=long_ago
        )
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.get(URL, {"month": "2026-09"}).status_code == 202
    assert len(callbacks) == 1
    assert set(ReviewSnapshot.objects.values_list("status", flat=True)) == {"queued"}
    # a recent one is left to its worker
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.get(URL, {"month": "2026-09"}).status_code == 202
    assert callbacks == []


def test_with_an_immediate_backend_the_first_look_builds_it(
    client, org, staff_of, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _login(client, staff_of("service_supervisor", unit=org.city))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(URL, {"month": "2026-09"}).status_code == 202
    assert set(ReviewSnapshot.objects.values_list("status", flat=True)) == {"ready"}
    assert client.get(URL, {"month": "2026-09"}).status_code == 200


def test_a_late_import_outdates_the_snapshots_of_its_months_until_the_worker_rebuilds_them(
    client, org, staff_of, tmp_path, django_capture_on_commit_callbacks
):
    _login(client, staff_of("service_supervisor", unit=org.city))
    # given August, September and October reviewed from their snapshots
    snapshot_build(months=[dt.date(2026, 8, 1), SEPT, dt.date(2026, 10, 1)])
    assert client.get(URL, {"month": "2026-09"}).status_code == 200
    # when September's bills of an account arrive late
    account = Account.objects.order_by("pk").first()
    bills = tmp_path / "bills.csv"
    bills.write_text(f"account_no,month,total\n{account.account_no},2026-09,129.00\n")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("import", "bills", str(bills), "--no-progress", stdout=io.StringIO())
    # then September and the months after it are queued for a rebuild, August is kept
    states = dict(ReviewSnapshot.objects.values_list("month", "status"))
    assert states == {dt.date(2026, 8, 1): "ready", SEPT: "queued", dt.date(2026, 10, 1): "queued"}
    assert len(callbacks) == 1
    # and September's page says its figures are being prepared rather than show old ones
    assert client.get(URL, {"month": "2026-09"}).status_code == 202
    # when the worker has rebuilt them, the page shows the figures again
    snapshot_build_task.call(months=["2026-09", "2026-10"])
    assert client.get(URL, {"month": "2026-09"}).status_code == 200
    assert set(ReviewSnapshot.objects.values_list("status", flat=True)) == {"ready"}
    # and importing the same file again changes nothing, so nothing is outdated
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("import", "bills", str(bills), "--no-progress", stdout=io.StringIO())
    assert callbacks == []
    assert set(ReviewSnapshot.objects.values_list("status", flat=True)) == {"ready"}


def test_a_build_overtaken_by_a_late_import_leaves_the_month_queued(org, monkeypatch):
    # given September's build reading the data while an import outdates it
    from wanliu.analytics import snapshots

    real = snapshots.month_cells_compute

    def compute_then_import(months):
        cells = real(months)
        snapshots.snapshots_outdate(changed_from=dt.date(2026, 9, 5), reason="import bills")
        return cells

    snapshot_build(months=[dt.date(2026, 8, 1)])
    monkeypatch.setattr(snapshots, "month_cells_compute", compute_then_import)
    snapshot_build(months=[SEPT])
    # then the month stays queued for the build the import asked for
    assert ReviewSnapshot.objects.get(month=SEPT).status == "queued"
    assert ReviewSnapshot.objects.get(month=dt.date(2026, 8, 1)).status == "ready"


def test_the_running_month_is_computed_live(client, org, staff_of):
    _login(client, staff_of("service_supervisor", unit=org.city))
    # given the month before this one has its snapshot
    this_month = timezone.localdate().replace(day=1)
    snapshot_build(months=[previous_month(this_month)])
    # when this month is opened, it is computed now and nothing is stored for it
    page = client.get(URL, {"month": f"{this_month:%Y-%m}"})
    assert page.status_code == 200
    assert not ReviewSnapshot.objects.filter(month=this_month).exists()
    with pytest.raises(ValueError):
        snapshot_build(months=[this_month])


def test_page_export_equals_the_cli_report_with_charts(client, built, staff_of, tmp_path):
    org = built
    _login(client, staff_of("service_supervisor", unit=org.city))
    response = client.get(
        URL + "export/", {"month": "2026-09", "format": "xlsx", "unit": org.city.pk}
    )
    assert response.status_code == 200
    page_book = load_workbook(io.BytesIO(response.content))
    out = tmp_path / "cli.xlsx"
    call_command(
        "report",
        "monthly",
        "--month",
        "2026-09",
        "--format",
        "xlsx",
        "--out",
        str(out),
        "--unit",
        str(org.city.pk),
    )
    cli_book = load_workbook(out)
    assert page_book.sheetnames == cli_book.sheetnames == ["contents", *TABLES]
    for name in TABLES:
        assert list(page_book[name].values) == list(cli_book[name].values)
    # native Excel charts on the sheets they draw
    for name in ("churn_by_unit", "retention_by_store", "complaints_trend"):
        assert len(page_book[name]._charts) == 1, name
    total = list(page_book["churn_total"].values)
    assert dict(zip(total[0], total[1], strict=True))["disconnected"] == 7
    one = client.get(
        URL + "export/", {"month": "2026-09", "format": "csv", "table": "cancellation_complaints"}
    )
    assert one.content.decode().splitlines()[1].startswith("3,0,,3,100.0")
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(URL + "export/", {"month": "2026-09", "format": "csv"}).content)
    )
    assert sorted(archive.namelist()) == sorted(f"{n}.csv" for n in TABLES)


def test_html_report_inlines_plotly_and_needs_no_network(client, built, staff_of):
    _login(client, staff_of("service_supervisor", unit=built.city))
    response = client.get(URL + "export/", {"month": "2026-09", "format": "html"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script src=" not in html
    assert "plotly.js v" in html or "Plotly" in html
    assert html.count("<table") >= len(TABLES) - 6
    assert 'id="chart-retention_by_plan_family"' in html


def _static_charts(html: str) -> dict[str, Any]:
    """The report's static SVG charts by the table they draw, parsed as XML."""
    import xml.etree.ElementTree as ET

    charts = {}
    for part in html.split("<figure class='static-chart' data-chart='")[1:]:
        name, rest = part.split("'>", 1)
        charts[name] = ET.fromstring(rest[: rest.index("</svg>") + len("</svg>")])
    return charts


def test_html_report_draws_every_chart_as_static_svg_too(client, built, staff_of):
    # mail clients run no scripts and paper has none: each chart is also an SVG with the
    # review's own figures (hidden on screen unless scripts are off, shown when printed)
    from wanliu.analytics.review import monthly_review

    _login(client, staff_of("service_supervisor", unit=built.city))
    html = client.get(URL + "export/", {"month": "2026-09", "format": "html"}).content.decode()
    assert "<noscript><style>.static-chart{display:block}</style></noscript>" in html
    assert "@media print{.static-chart{display:block}" in html
    charts = _static_charts(html)
    assert set(charts) == {
        "churn_by_unit",
        "retention_by_store",
        "complaints_trend",
        "fcr_vs_csat",
        "retention_by_plan_family",
    }
    ns = "{http://www.w3.org/2000/svg}"
    tables = monthly_review(month=dt.date(2026, 9, 1))  # the supervisor: the operator
    bars = [
        float(r.get("data-value"))
        for r in charts["churn_by_unit"].iter(f"{ns}rect")
        if r.get("data-value") is not None
    ]
    expected = [round(float(v) * 100, 4) for v in tables["churn_by_unit"]["churn_rate"].dropna()]
    assert bars == pytest.approx(expected, rel=1e-5) and bars
    points = [float(c.get("data-value")) for c in charts["complaints_trend"].iter(f"{ns}circle")]
    trend = tables["complaints_trend"]
    assert points == [*map(float, trend["cancellation"]), *map(float, trend["refusals"])]
    labels = [t.text for t in charts["churn_by_unit"].iter(f"{ns}text")]
    assert all(str(name)[:3] in " ".join(labels) for name in tables["churn_by_unit"]["name"])
