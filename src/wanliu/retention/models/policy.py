"""Retention policy as data (one row, edited in the admin): refusal limit, approval expiry,
contact limits, quiet hours and the win-back window."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionPolicy(models.Model):
    """The rules of the retention desk. The first row is in force (seeded by a migration)."""

    name = models.CharField(_("name"), max_length=100, default="default")
    business_day_ends_at = models.TimeField(
        _("business day ends at (Asia/Shanghai)"),
        default=dt.time(21, 0),
        help_text=_(
            "A cancellation request opened before this time must be processed the same day; "
            "one opened later, by this time the next day."
        ),
    )
    refusal_limit_hours = models.PositiveSmallIntegerField(
        _("refusal limit (hours)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_(
            "Hours a request may stay unprocessed before it is flagged as a refusal (拒拆). "
            "Empty: the end of the same business day."
        ),
    )
    approval_expiry_hours = models.PositiveSmallIntegerField(
        _("level-2 approval expires after (hours)"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
    )
    max_contacts_per_request = models.PositiveSmallIntegerField(
        _("contact attempts per request at most"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    max_contacts_per_win_back = models.PositiveSmallIntegerField(
        _("contact attempts per win-back period at most"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    quiet_hours_start = models.TimeField(
        _("quiet hours start (Asia/Shanghai)"), default=dt.time(21, 0)
    )
    quiet_hours_end = models.TimeField(_("quiet hours end (Asia/Shanghai)"), default=dt.time(9, 0))
    win_back_min_days = models.PositiveSmallIntegerField(
        _("earliest re-contact after a cancellation (days)"),
        default=30,
        validators=[MaxValueValidator(365)],
    )
    win_back_period_days = models.PositiveSmallIntegerField(
        _("win-back period (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("How long after the allowed re-contact date win-back contacts may happen."),
    )
    comparison_horizon_months = models.PositiveSmallIntegerField(
        _("default comparison horizon (months)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("retention policy (挽留规则)")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return self.name

    def in_quiet_hours(self, local_time: dt.time) -> bool:
        """True when ``local_time`` (Asia/Shanghai) falls in the quiet hours."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start == end:
            return False
        if start < end:
            return start <= local_time < end
        return local_time >= start or local_time < end
