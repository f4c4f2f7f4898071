"""The scheduled monthly report: the first working day (business calendar, else Monday to
Friday), each unit's supervisors through the outbox, once per month and unit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from tests.analytics.crafted import SHANGHAI, add_lines, build_org, desk_september
from wanliu.analytics.models import MonthlyReport, ReportSchedule, ReviewSnapshot
from wanliu.analytics.reports import first_working_day, monthly_reports_send, report_due
from wanliu.complaints.models import BusinessCalendar
from wanliu.core.scheduler import PERIODIC_JOBS, tasks_autodiscover
from wanliu.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_the_first_working_day_follows_the_business_calendar():
    schedule = ReportSchedule.objects.get()
    # the seeded schedule uses the office calendar with the 2026 holidays
    assert schedule.calendar is not None and not schedule.calendar.always_open
    # National Day: 1-7 October are holidays, so the report waits for Thursday 8 October
    assert first_working_day(dt.date(2026, 10, 1), schedule) == dt.date(2026, 10, 8)
    # New Year: 1-3 January are holidays, 4 January (a Sunday) is a make-up working day
    assert first_working_day(dt.date(2026, 1, 1), schedule) == dt.date(2026, 1, 4)
    # without a calendar: Monday to Friday (1 August 2026 is a Saturday)
    schedule.calendar = None
    assert first_working_day(dt.date(2026, 8, 1), schedule) == dt.date(2026, 8, 3)
    assert first_working_day(dt.date(2026, 12, 1), schedule) == dt.date(2026, 12, 1)
    # it is due from the sending hour of that day on, for the previous month
    schedule.calendar = BusinessCalendar.objects.get(always_open=False)
    assert report_due(now=_at(2026, 10, 7, 12), schedule=schedule) is None
    assert report_due(now=_at(2026, 10, 8, 7, 59), schedule=schedule) is None
    assert report_due(now=_at(2026, 10, 8, 8, 0), schedule=schedule) == dt.date(2026, 9, 1)
    assert report_due(now=_at(2026, 10, 9, 15), schedule=schedule) == dt.date(2026, 9, 1)


def test_reports_go_to_each_units_supervisors_once(staff_of):
    org = build_org()
    add_lines(store=org.store_a, count=5, activated_on=dt.date(2025, 1, 1))
    add_lines(
        store=org.store_a,
        count=1,
        activated_on=dt.date(2025, 1, 1),
        cancelled_on=dt.date(2026, 9, 3),
    )
    desk_september(org)
    supervisor = staff_of("service_supervisor", unit=org.city)
    supervisor.user.email = "duty@wanliu.test"
    supervisor.user.save()
    supervisor.language = "en"
    supervisor.save()
    manager_a = staff_of("branch_manager", unit=org.branch_a)
    manager_a.user.email = "xihu@wanliu.test"
    manager_a.user.save()
    staff_of("branch_manager", unit=org.branch_b)  # no e-mail address
    # before the first working day of October nothing goes out
    assert monthly_reports_send(now=_at(2026, 10, 7, 9)) == 0
    # when the job runs on 8 October at 09:00
    made = monthly_reports_send(now=_at(2026, 10, 8, 9))
    # then the September review went to the operator and to each branch with managers
    assert made == 3
    reports = {r.scope_key: r for r in MonthlyReport.objects.all()}
    assert set(reports) == {"operator", f"unit:{org.branch_a.pk}", f"unit:{org.branch_b.pk}"}
    assert all(r.month == dt.date(2026, 9, 1) for r in reports.values())
    assert reports[f"unit:{org.branch_b.pk}"].without_address == 1
    assert set(ReviewSnapshot.objects.values_list("status", flat=True)) == {"ready"}
    mails = {m.recipient: m for m in OutboxMessage.objects.filter(channel="email")}
    assert set(mails) == {"duty@wanliu.test", "xihu@wanliu.test"}
    english = mails["duty@wanliu.test"]
    assert english.subject == "Monthly review 2026-09: Whole operator"
    assert "Retention success rate" in english.body or "retention success rate" in english.body
    assert "/analytics/monthly/?month=2026-09" in english.body
    assert "format=xlsx" in english.body
    chinese = mails["xihu@wanliu.test"]
    assert f"unit={org.branch_a.pk}" in chinese.body
    assert reports[f"unit:{org.branch_a.pk}"].summary["retention_success_rate"] == pytest.approx(
        55.56
    )
    # when the job runs again (or later that day), nothing is sent twice
    assert monthly_reports_send(now=_at(2026, 10, 8, 9, 15)) == 0
    assert monthly_reports_send(now=_at(2026, 10, 12, 9)) == 0
    assert OutboxMessage.objects.filter(channel="email").count() == 2
    # a schedule switched off sends nothing
    ReportSchedule.objects.update(active=False)
    MonthlyReport.objects.all().delete()
    assert monthly_reports_send(now=_at(2026, 10, 8, 9)) == 0


def test_the_worker_runs_the_job_every_quarter_hour():
    tasks_autodiscover()
    job = PERIODIC_JOBS["analytics.monthly_reports"]
    assert job.every_seconds == 900
    call_command("check")
