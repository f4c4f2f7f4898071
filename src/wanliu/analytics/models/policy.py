"""Supervision policy as data, edited in the admin: the compliance checks and their limits,
the ranking targets per role, and when the monthly report goes out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.models import BusinessCalendar
from wanliu.org.models import Role


class ComplianceRule(models.Model):
    """One compliance check of the monthly review and its limit (seeded, one row per check)."""

    class Check(models.TextChoices):
        MISSING_STEPS = "missing_steps", _("retention steps missing (六步缺失)")
        REFUSALS = "refusals", _("refusals by store (拒拆)")
        TRANSFERS = "transfers", _("transfers by store (推诿)")
        ORDERS_NOT_CLOSED = "orders_not_closed", _("work orders not closed (工单未闭环)")
        REVISITS_OVERDUE = "revisits_overdue", _("revisits overdue (回访超时)")
        CONTACTS_BEYOND_POLICY = (
            "contacts_beyond_policy",
            _("retention contacts beyond policy (过度挽留)"),
        )

    code = models.CharField(_("check"), max_length=32, choices=Check.choices, unique=True)
    active = models.BooleanField(_("active"), default=True)
    threshold = models.PositiveIntegerField(
        _("limit"),
        default=0,
        validators=[MaxValueValidator(10_000)],
        help_text=_(
            "Missing steps: how many missing steps make a case (at least 1). Refusals and "
            "transfers: how many a store may have in a month. Orders not closed: days "
            "allowed after the resolution was due. Revisits: hours allowed after the due "
            "time. Retention contacts: attempts tolerated beyond the retention policy."
        ),
    )
    note = models.TextField(_("note shown with the check"), blank=True)

    class Meta:
        verbose_name = _("compliance check (合规检查)")
        verbose_name_plural = _("compliance checks")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.get_code_display())


class RankingTarget(models.Model):
    """A target of one metric for one role in one ranking (stores, teams or agents)."""

    class Ranking(models.TextChoices):
        STORE = "store", _("stores (营业厅)")
        TEAM = "team", _("teams (团队)")
        AGENT = "agent", _("agents (员工)")

    class Metric(models.TextChoices):
        RETENTION_SUCCESS_RATE = "retention_success_rate", _("retention success rate (%)")
        MISSING_STEPS_RATE = "missing_steps_rate", _("requests with steps missing (%)")
        REFUSALS = "refusals", _("refusals (拒拆)")
        TRANSFERS = "transfers", _("transfers (推诿)")
        CHURN_RATE = "churn_rate", _("churn rate (%)")
        RESOLUTION_ATTAINMENT = "resolution_attainment", _("resolution within SLA (%)")
        REOPENED = "reopened", _("work orders reopened")
        FCR = "fcr", _("first-contact resolution (%)")
        CSAT = "csat", _("mean CSAT (1-5)")

    ranking = models.CharField(_("ranking"), max_length=16, choices=Ranking.choices)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    target = models.DecimalField(
        _("target"),
        max_digits=9,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Rates in percent, CSAT on 1-5, counts per month."),
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ranking target (考核目标)")
        verbose_name_plural = _("ranking targets")
        ordering = ["ranking", "role", "-weight", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "role", "metric"], name="analytics_target_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ranking}/{self.role}: {self.metric} {self.target}"


class ReportSchedule(models.Model):
    """When the monthly report is sent: the first working day of the month, from this hour."""

    active = models.BooleanField(_("active"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("working-day calendar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: Monday to Friday are working days."),
    )
    send_from = models.TimeField(_("send from (Asia/Shanghai)"), default=dt.time(8, 0))

    class Meta:
        verbose_name = _("monthly report schedule (月报发送)")
        verbose_name_plural = _("monthly report schedule")

    def __str__(self) -> str:
        return str(_("monthly report schedule"))
