"""Business time: working minutes on a calendar. Pure Python, no Django, no database.

A :class:`WorkCalendar` says which minutes of which local day are working time: working
hours per weekday, special days that override a weekday (public holidays with no hours,
and the Chinese adjusted working days 调休 when a Saturday or Sunday is worked with the
hours of an ordinary weekday), in one time zone. A 24x7 calendar counts every minute.

Two operations, exact to the second and safe across time-zone offset changes:

- :func:`add_working` / :func:`add_working_minutes`: the instant when a duration of
  working time, started at ``start``, is used up;
- :func:`working_between` / :func:`working_minutes_between`: how much working time lies
  between two instants.

``working_between(a, add_working(a, d)) == d`` for every ``a`` and ``d >= 0``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
# A calendar with no working time at all must not loop forever: give up after this long.
MAX_SEARCH_DAYS = 3660

# An interval of working time within one local day, in minutes from local midnight,
# start inclusive, end exclusive: (540, 1080) is 09:00-18:00; (0, 1440) the whole day.
Interval = tuple[int, int]


class CalendarError(ValueError):
    """The calendar is malformed, or it has no working time to reach the target."""


def minute_of(value: time) -> int:
    """09:30 -> 570."""
    return value.hour * 60 + value.minute


def interval_of(start: time, end: time) -> Interval:
    """Working hours from ``start`` to ``end``; an ``end`` of 00:00 means midnight (24:00)."""
    first, last = minute_of(start), minute_of(end)
    if last == 0:
        last = MINUTES_PER_DAY
    if not 0 <= first < last <= MINUTES_PER_DAY:
        raise CalendarError(f"working hours {start:%H:%M}-{end:%H:%M} do not make an interval")
    return (first, last)


def _normalised(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, validated, with overlapping or touching intervals joined."""
    ordered = sorted(intervals)
    merged: list[Interval] = []
    for first, last in ordered:
        if not 0 <= first < last <= MINUTES_PER_DAY:
            raise CalendarError(f"interval ({first}, {last}) is outside one day")
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


@dataclass(frozen=True)
class WorkCalendar:
    """Working time of one organisation: ``weekly`` maps weekday (0 = Monday) to intervals;
    ``special_days`` maps a date to the intervals that replace its weekday's (an empty
    tuple for a public holiday, a weekday's hours for a make-up working day 调休)."""

    timezone: str = "Asia/Shanghai"
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    special_days: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    always_open: bool = False

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {self.timezone!r}") from exc
        object.__setattr__(
            self, "weekly", {int(d): _normalised(hours) for d, hours in self.weekly.items()}
        )
        object.__setattr__(
            self, "special_days", {d: _normalised(h) for d, h in self.special_days.items()}
        )
        if any(not 0 <= d <= 6 for d in self.weekly):
            raise CalendarError("weekdays are 0 (Monday) to 6 (Sunday)")

    @classmethod
    def build(
        cls,
        *,
        timezone: str,
        weekly: Mapping[int, Iterable[Interval]],
        holidays: Iterable[date] = (),
        make_up_days: Iterable[date] = (),
        make_up_hours: Iterable[Interval] | None = None,
    ) -> WorkCalendar:
        """A calendar from weekly hours, public holidays and make-up working days (调休).

        A make-up day works ``make_up_hours`` (Monday's hours when not given). A date
        listed as both a holiday and a make-up day is an error.
        """
        weekly_hours = {d: tuple(h) for d, h in weekly.items()}
        holiday_set, make_up_set = set(holidays), set(make_up_days)
        both = holiday_set & make_up_set
        if both:
            raise CalendarError(f"both a holiday and a make-up day: {sorted(both)[0]}")
        make_up = tuple(make_up_hours) if make_up_hours is not None else weekly_hours.get(0, ())
        special: dict[date, tuple[Interval, ...]] = {d: () for d in holiday_set}
        special.update({d: make_up for d in make_up_set})
        return cls(timezone=timezone, weekly=weekly_hours, special_days=special)

    @classmethod
    def twenty_four_seven(cls, *, timezone: str = "Asia/Shanghai") -> WorkCalendar:
        return cls(timezone=timezone, always_open=True)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of one local date."""
        if self.always_open:
            return ((0, MINUTES_PER_DAY),)
        if day in self.special_days:
            return self.special_days[day]
        return self.weekly.get(day.weekday(), ())

    def spans_on(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals of one local date as UTC instants."""
        zone = self.zone
        midnight = datetime.combine(day, time())
        for first, last in self.hours_on(day):
            start = (midnight + timedelta(minutes=first)).replace(tzinfo=zone)
            end = (midnight + timedelta(minutes=last)).replace(tzinfo=zone)
            yield start.astimezone(UTC), end.astimezone(UTC)

    def local_date(self, instant: datetime) -> date:
        return _aware(instant).astimezone(self.zone).date()

    def is_working(self, instant: datetime) -> bool:
        """True when the instant is inside working time (interval ends excluded)."""
        moment = _aware(instant).astimezone(UTC)
        day = self.local_date(moment)
        for candidate in (day - timedelta(days=1), day):
            for start, end in self.spans_on(candidate):
                if start <= moment < end:
                    return True
        return False


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError("business time needs time-zone-aware datetimes")
    return value


def add_working(calendar: WorkCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which ``duration`` of working time counted from ``start`` is used up.

    Outside working hours the count starts at the next working interval; a duration that
    ends exactly at the end of an interval answers that end (18:00, not the next 09:00).
    The answer is in the calendar's time zone.
    """
    cursor = _aware(start).astimezone(UTC)
    if duration < timedelta(0):
        raise CalendarError("a working duration cannot be negative")
    if duration == timedelta(0):
        return cursor.astimezone(calendar.zone)
    if calendar.always_open:
        return (cursor + duration).astimezone(calendar.zone)
    remaining = duration
    # Start one day early: a local day's interval may begin before the start's local date
    # only when offsets change, and looking one day back is cheap and always correct.
    day = calendar.local_date(cursor) - timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS):
        for span_start, span_end in calendar.spans_on(day):
            if span_end <= cursor:
                continue
            begin = max(span_start, cursor)
            available = span_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(calendar.zone)
            remaining -= available
        day += timedelta(days=1)
    raise CalendarError(f"the calendar has no working time within {MAX_SEARCH_DAYS} days")


def working_between(calendar: WorkCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time between two instants; negative when ``end`` is before ``start``."""
    first = _aware(start).astimezone(UTC)
    last = _aware(end).astimezone(UTC)
    if last < first:
        return -working_between(calendar, last, first)
    if calendar.always_open:
        return last - first
    total = timedelta(0)
    day = calendar.local_date(first) - timedelta(days=1)
    final_day = calendar.local_date(last)
    while day <= final_day:
        for span_start, span_end in calendar.spans_on(day):
            overlap = min(span_end, last) - max(span_start, first)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


def add_working_minutes(calendar: WorkCalendar, start: datetime, minutes: int) -> datetime:
    """``add_working`` in whole minutes."""
    return add_working(calendar, start, timedelta(minutes=minutes))


def working_minutes_between(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    """``working_between`` in whole minutes (seconds are dropped toward zero)."""
    seconds = working_between(calendar, start, end).total_seconds()
    return int(seconds / 60)
