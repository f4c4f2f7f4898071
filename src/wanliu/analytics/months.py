"""Calendar months of the review: parsing, arithmetic and their local bounds."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.conf import settings
from django.utils.translation import gettext as _

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


class MonthError(ValueError):
    """A month that is not ``YYYY-MM``; the message names the field and the fix."""


def parse_month(text: str, *, field: str = "month") -> dt.date:
    """``YYYY-MM`` to the first day of that month; a clear error otherwise."""
    found = _MONTH.match(text or "")
    if found is not None:
        year, month = int(found.group(1)), int(found.group(2))
        if 1 <= month <= 12 and 1900 <= year <= 2999:
            return dt.date(year, month, 1)
    raise MonthError(
        _("%(field)s must be a month written YYYY-MM, e.g. 2026-09; got %(value)r.")
        % {"field": field, "value": text}
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(day: dt.date) -> dt.date:
    return add_months(month_start(day), 1)


def previous_month(day: dt.date) -> dt.date:
    return add_months(month_start(day), -1)


def month_end(day: dt.date) -> dt.date:
    """The last day of the month."""
    return next_month(day) - dt.timedelta(days=1)


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone())


def local_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's first instant, local time, aware."""
    return local_midnight(month_start(month)), local_midnight(next_month(month))


def is_closed(month: dt.date, *, today: dt.date) -> bool:
    """A month is closed (its figures no longer change) once it has ended."""
    return next_month(month) <= today
