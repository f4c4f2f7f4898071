"""A business calendar in use without the coming year's public holidays is reported (system
check and queue warning) instead of silently counting holidays as working days."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import make_staff
from wanliu.complaints import checks
from wanliu.complaints.models import BusinessCalendar, CalendarDay, SlaPolicy
from wanliu.org.models import Role, Staff

pytestmark = pytest.mark.django_db
OFFICE = "中国大陆工作日"


def on_day(monkeypatch, day: dt.date) -> None:
    monkeypatch.setattr(checks, "today", lambda: day)


def run_check() -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("check", "--database", "default", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_in_december_a_calendar_without_next_years_holidays_is_reported(monkeypatch, world):
    # given the seeded office calendar, which holds 2026's holidays only, on 1 December 2026
    on_day(monkeypatch, dt.date(2026, 12, 1))
    # when the system check runs
    output = run_check()
    # then it names the calendar, the year and what to do
    assert "complaints.W001" in output
    assert OFFICE in output and "2027" in output
    assert "make-up working days in the admin" in output
    # and the 24x7 calendar is not reported (it has no holidays to miss)
    assert "全天候" not in output


def test_earlier_in_the_year_the_next_years_schedule_is_not_expected(monkeypatch, world):
    # given the same calendar in June 2026, before the schedule is published
    on_day(monkeypatch, dt.date(2026, 6, 1))
    # then nothing is reported
    assert "complaints.W001" not in run_check()
    assert checks.calendars_missing_holidays() == []


def test_entering_the_years_holidays_clears_the_warning(monkeypatch, world):
    # given 1 December 2026, with the warning about 2027
    on_day(monkeypatch, dt.date(2026, 12, 1))
    office = BusinessCalendar.objects.get(name__startswith=OFFICE)
    assert [(m.calendar, m.year) for m in checks.calendars_missing_holidays()] == [(office, 2027)]
    # when the admin enters a 2027 holiday
    CalendarDay.objects.create(
        calendar=office, date=dt.date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦"
    )
    # then the check is quiet
    assert "complaints.W001" not in run_check()


def test_a_calendar_no_active_policy_uses_is_not_reported(monkeypatch, world):
    # given a calendar without holidays that no active policy counts on
    on_day(monkeypatch, dt.date(2026, 12, 1))
    spare = BusinessCalendar.objects.create(name="备用日历")
    SlaPolicy.objects.filter(calendar__name__startswith=OFFICE).update(calendar=spare, active=False)
    # then neither it nor the office calendar (no longer in use) is reported
    assert checks.calendars_missing_holidays() == []


def test_the_queue_warns_who_may_edit_calendars(monkeypatch, world):
    # given 1 December 2026 and an administrator and a hotline agent
    on_day(monkeypatch, dt.date(2026, 12, 1))
    admin = make_staff(Role.ADMIN, username="calendar_admin")
    Staff.objects.filter(pk=admin.pk).update(language="en")

    def queue(staff) -> str:
        client = Client()
        client.force_login(staff.user)
        return client.get("/complaints/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # then the administrator is told on the queue, with a link to the calendars
    page = queue(admin)
    assert 'data-test="calendar-warning"' in page
    assert "has no public holidays for 2027" in page
    assert "/admin/complaints/businesscalendar/" in page
    # and the agent, who cannot edit calendars, is not
    assert 'data-test="calendar-warning"' not in queue(world.agent_b)
