"""The business-time engine: the issue's calendar cases and properties against a
minute-by-minute oracle."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wanliu.complaints.businesstime import (
    CalendarError,
    WorkCalendar,
    add_working,
    add_working_minutes,
    working_between,
    working_minutes_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = [(540, 720), (780, 1080)]  # 09:00-12:00 and 13:00-18:00, lunch off
WEEKDAYS = {d: OFFICE for d in range(5)}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# The State Council's 2026 schedule as a calendar (New Year, Qingming, Spring Festival).
CHINA_2026 = WorkCalendar.build(
    timezone="Asia/Shanghai",
    weekly=WEEKDAYS,
    holidays=[
        *days(dt.date(2026, 1, 1), dt.date(2026, 1, 3)),
        *days(dt.date(2026, 2, 15), dt.date(2026, 2, 23)),
        *days(dt.date(2026, 4, 4), dt.date(2026, 4, 6)),
    ],
    make_up_days=[dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28)],
)


def test_friday_1755_before_a_holiday_is_due_after_it():
    # given a complaint at 17:55 on Friday 3 April 2026, before the Qingming holiday
    # (Saturday 4 to Monday 6 off), with a 4-working-hour target
    received = local(2026, 4, 3, 17, 55)
    # when the due time is computed
    due = add_working_minutes(CHINA_2026, received, 240)
    # then: 5 minutes on Friday, nothing over the holiday, 3 h on Tuesday morning,
    # lunch off, and the last 55 minutes after lunch
    assert due == local(2026, 4, 7, 13, 55)
    assert working_minutes_between(CHINA_2026, received, due) == 240


def test_friday_1755_before_spring_festival_counts_the_make_up_saturday():
    # given Friday 13 February 2026 17:55; Saturday 14 is a make-up working day (调休)
    # and the Spring Festival holiday runs from Sunday 15 to Monday 23
    received = local(2026, 2, 13, 17, 55)
    # then a 4-hour target is due on the make-up Saturday, not after the holiday
    assert add_working_minutes(CHINA_2026, received, 240) == local(2026, 2, 14, 13, 55)
    # and a 12-hour target uses the Saturday, skips nine holiday days and ends on Tuesday
    assert add_working_minutes(CHINA_2026, received, 720) == local(2026, 2, 24, 13, 55)


def test_holiday_then_make_up_sunday():
    # given 17:55 on Wednesday 31 December 2025; 1-3 January off, Sunday 4 worked
    received = local(2025, 12, 31, 17, 55)
    assert add_working_minutes(CHINA_2026, received, 240) == local(2026, 1, 4, 13, 55)


def test_without_the_make_up_day_the_saturday_is_off():
    plain = WorkCalendar.build(timezone="Asia/Shanghai", weekly=WEEKDAYS)
    assert add_working_minutes(plain, local(2026, 2, 13, 17, 55), 240) == local(2026, 2, 16, 13, 55)


def test_a_target_ending_at_closing_time_is_due_at_closing_time():
    assert add_working_minutes(CHINA_2026, local(2026, 3, 2, 13, 0), 300) == local(
        2026, 3, 2, 18, 0
    )


def test_twenty_four_seven_counts_every_minute():
    always = WorkCalendar.twenty_four_seven()
    start = local(2026, 2, 13, 17, 55)
    assert add_working_minutes(always, start, 15 * 24 * 60) == local(2026, 2, 28, 17, 55)
    assert working_minutes_between(always, start, local(2026, 2, 14, 17, 55)) == 1440


def test_other_time_zone_and_utc_input():
    # given a calendar in Urumqi time (UTC+6) and a UTC instant at 04:00 = 10:00 local
    urumqi = WorkCalendar.build(timezone="Asia/Urumqi", weekly={0: [(600, 1140)]})
    start = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)
    due = add_working_minutes(urumqi, start, 60)
    assert due == dt.datetime(2026, 3, 2, 5, 0, tzinfo=dt.UTC)
    assert due.tzinfo == ZoneInfo("Asia/Urumqi")


def test_dst_zone_counts_elapsed_time_not_wall_clock():
    # given a Berlin 24-hour working Sunday on which clocks jump from 02:00 to 03:00
    berlin = WorkCalendar.build(timezone="Europe/Berlin", weekly={6: [(0, 1440)]})
    start = dt.datetime(2026, 3, 29, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    end = dt.datetime(2026, 3, 30, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    # then that day holds 23 working hours
    assert working_minutes_between(berlin, start, end) == 23 * 60


def test_errors_are_clear():
    with pytest.raises(CalendarError, match="aware"):
        add_working_minutes(CHINA_2026, dt.datetime(2026, 1, 5, 9), 10)
    with pytest.raises(CalendarError, match="negative"):
        add_working_minutes(CHINA_2026, local(2026, 1, 5, 9), -1)
    with pytest.raises(CalendarError, match="no working time"):
        add_working_minutes(WorkCalendar(weekly={}), local(2026, 1, 5, 9), 1)
    with pytest.raises(CalendarError, match="both a holiday and a make-up day"):
        WorkCalendar.build(
            timezone="Asia/Shanghai",
            weekly=WEEKDAYS,
            holidays=[dt.date(2026, 1, 1)],
            make_up_days=[dt.date(2026, 1, 1)],
        )
    with pytest.raises(CalendarError, match="time zone"):
        WorkCalendar(timezone="Mars/Olympus")


# ---- properties ------------------------------------------------------------------------

intervals = st.lists(
    st.tuples(st.integers(0, 1439), st.integers(1, 600)).map(
        lambda p: (p[0], min(1440, p[0] + p[1]))
    ),
    max_size=3,
)
BASE = dt.date(2026, 1, 1)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    weekly = {d: draw(intervals) for d in range(7)}
    if not any(weekly.values()):
        weekly[0] = [(540, 1080)]
    holidays = draw(st.sets(st.integers(0, 40), max_size=8))
    make_up = draw(st.sets(st.integers(0, 40), max_size=4)) - holidays
    return WorkCalendar.build(
        timezone=draw(st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"])),
        weekly=weekly,
        holidays=[BASE + dt.timedelta(days=i) for i in holidays],
        make_up_days=[BASE + dt.timedelta(days=i) for i in make_up],
        make_up_hours=draw(intervals) or None,
    )


instants = st.integers(0, 20 * 1440).map(
    lambda m: dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=m)
)


def oracle_working_minutes(calendar: WorkCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Count working minutes one by one (slow, obviously right)."""
    count, moment = 0, start
    while moment < end:
        count += calendar.is_working(moment)
        moment += dt.timedelta(minutes=1)
    return count


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(calendar=calendars(), start=instants, span=st.integers(0, 3 * 1440))
def test_between_matches_minute_by_minute_count(calendar, start, span):
    end = start + dt.timedelta(minutes=span)
    assert working_minutes_between(calendar, start, end) == oracle_working_minutes(
        calendar, start, end
    )


@FAST
@given(calendar=calendars(), start=instants, minutes=st.integers(1, 2000))
def test_add_lands_after_exactly_n_working_minutes(calendar, start, minutes):
    due = add_working_minutes(calendar, start, minutes)
    assert working_minutes_between(calendar, start, due) == minutes
    # the last counted minute is working time: nothing idle is added at the end
    assert calendar.is_working(due - dt.timedelta(minutes=1))


@FAST
@given(calendar=calendars(), start=instants, a=st.integers(0, 1500), b=st.integers(0, 1500))
def test_adding_in_two_steps_equals_adding_once(calendar, start, a, b):
    once = add_working_minutes(calendar, start, a + b)
    twice = add_working_minutes(calendar, add_working_minutes(calendar, start, a), b)
    assert once == twice
    assert add_working_minutes(calendar, start, a) <= once


@FAST
@given(calendar=calendars(), a=instants, b=instants, c=instants)
def test_between_is_additive_and_bounded_by_wall_time(calendar, a, b, c):
    a, b, c = sorted([a, b, c])
    ab = working_between(calendar, a, b)
    assert ab + working_between(calendar, b, c) == working_between(calendar, a, c)
    assert dt.timedelta(0) <= ab <= b - a
    assert working_between(calendar, b, a) == -ab


@FAST
@given(start=instants, seconds=st.integers(0, 10**7))
def test_twenty_four_seven_is_wall_time(start, seconds):
    always = WorkCalendar.twenty_four_seven()
    assert add_working(always, start, dt.timedelta(seconds=seconds)) == start + dt.timedelta(
        seconds=seconds
    )
