"""Business calendars (工作日历): working hours per weekday, public holidays and make-up
working days (调休), in one time zone; or 24x7."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    always_open = models.BooleanField(
        _("24x7"), default=False, help_text=_("Every minute counts; hours and days are ignored.")
    )
    make_up_weekday = models.PositiveSmallIntegerField(
        _("make-up days work the hours of"),
        choices=WEEKDAYS,
        default=0,
        help_text=_("A make-up working day (调休) uses the working hours of this weekday."),
    )

    class Meta:
        verbose_name = _("business calendar (工作日历)")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingHours(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["calendar", "weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        ends_at_midnight = self.end.hour == 0 and self.end.minute == 0
        if not ends_at_midnight and self.end <= self.start:
            raise ValidationError(_("The end must be after the start."))


class CalendarDay(models.Model):
    """A date that does not follow its weekday: a public holiday, or a make-up working day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday (法定节假日)")
        MAKE_UP = "make_up", _("make-up working day (调休上班)")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
