"""The monthly reports sent by the worker: one row per month and unit, so a report goes out
once however often the job runs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.org.models import OrgUnit


class MonthlyReport(models.Model):
    """The review of ``month`` for ``unit`` (empty: the whole operator), e-mailed to the
    unit's supervisors through the notification outbox."""

    month = models.DateField(_("reviewed month"), help_text=_("first day of the month"))
    scope_key = models.CharField(
        _("scope"), max_length=32, help_text=_("'operator' or 'unit:<id>'"), editable=False
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE
    )
    recipients = models.PositiveIntegerField(_("e-mails queued"), default=0)
    without_address = models.PositiveIntegerField(_("supervisors without an e-mail"), default=0)
    summary = models.JSONField(_("headline figures"), default=dict)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("monthly report (月报)")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "scope_key"]
        constraints = [
            models.UniqueConstraint(fields=["month", "scope_key"], name="analytics_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.scope_key}"
