"""Is every business calendar in use ready for the year ahead?

The State Council publishes each year's public holidays and make-up working days (调休) in
November; nobody can know them earlier, so Wanliu never invents them. A calendar in use
(an active SLA policy counts on it and it is not 24x7) without a single public holiday for
the current year, or for the next year from 1 November on, would count the Spring Festival
as working days and promise customers wrong deadlines. This says so: as a system check
(``wanliu check --database default``, and on every ``wanliu migrate``) and as a warning on
the complaints queue for the people who may edit calendars.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.complaints.models import BusinessCalendar, CalendarDay, SlaPolicy

# From this day of a year on, the next year's schedule is expected (published in November).
NEXT_YEAR_EXPECTED_FROM = (11, 1)
EDIT_PERMISSION = "complaints.add_calendarday"


@dataclass(frozen=True)
class MissingYear:
    calendar: BusinessCalendar
    year: int

    @property
    def message(self) -> str:
        return _(
            "Business calendar %(calendar)s has no public holidays for %(year)s, so SLA "
            "deadlines in %(year)s would count holidays as working days. Add the year's "
            "holidays and make-up working days in the admin (Complaints › Business "
            "calendars)."
        ) % {"calendar": self.calendar.name, "year": self.year}


def today() -> dt.date:
    return timezone.localdate()


def years_expected(on: dt.date) -> list[int]:
    """The years whose holidays must be in a calendar on this day."""
    month, day = NEXT_YEAR_EXPECTED_FROM
    if on >= dt.date(on.year, month, day):
        return [on.year, on.year + 1]
    return [on.year]


def calendars_missing_holidays(*, on: dt.date | None = None) -> list[MissingYear]:
    """Calendars in use that lack every public holiday of a year they will be used in."""
    years = years_expected(on or today())
    in_use = BusinessCalendar.objects.filter(
        always_open=False,
        pk__in=SlaPolicy.objects.filter(active=True, calendar__isnull=False).values("calendar"),
    ).order_by("name")
    covered = set(
        CalendarDay.objects.filter(
            calendar__in=in_use, kind=CalendarDay.Kind.HOLIDAY, date__year__in=years
        )
        .values_list("calendar_id", "date__year")
        .distinct()
    )
    return [
        MissingYear(calendar=calendar, year=year)
        for calendar in in_use
        for year in years
        if (calendar.pk, year) not in covered
    ]


@register(Tags.database)
def calendar_holidays_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not kwargs.get("databases"):
        return []
    try:
        missing = calendars_missing_holidays()
    except DatabaseError:
        return []  # not migrated yet: nothing is in use
    return [
        CheckWarning(
            item.message,
            hint=_(
                "Enter the State Council's schedule as public holidays and make-up working "
                "days of this calendar; until then deadlines treat those dates as ordinary days."
            ),
            obj=item.calendar,
            id="complaints.W001",
        )
        for item in missing
    ]
