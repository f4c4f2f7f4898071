"""Stored churn scores (one per line and month, each with its model version), the monthly
scoring runs that write them, and the lifetime-value fits (sBG per segment) behind the
remaining value of every line."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Line


class ValuePolicy(models.Model):
    """How remaining value is reckoned: margin share of the monthly fee and the discount rate.

    Business policy as data: one active row, edited in the admin."""

    name = models.CharField(_("name"), max_length=64, default="default")
    active = models.BooleanField(_("active"), default=True)
    margin_share = models.DecimalField(
        _("margin share of the monthly fee"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.600"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("e.g. 0.6: the margin is 0.6 of what a line pays each month"),
    )
    annual_discount_rate = models.DecimalField(
        _("annual discount rate"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.1000"),
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))],
    )
    horizon_months = models.PositiveSmallIntegerField(
        _("longest horizon (months)"),
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("remaining value counts at most this many future months"),
    )

    class Meta:
        verbose_name = _("value policy (价值口径)")
        verbose_name_plural = _("value policies")

    def __str__(self) -> str:
        return f"{self.name}: margin {self.margin_share}, discount {self.annual_discount_rate}"


class ScoringRun(models.Model):
    """One scoring of every line active at the start of a month with one model."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued (排队)")
        RUNNING = "running", _("running (运行中)")
        DONE = "done", _("done (完成)")
        FAILED = "failed", _("failed (失败)")

    as_of = models.DateField(_("scored as of"), help_text=_("first day of the month"))
    model_version = models.CharField(_("model version"), max_length=80, blank=True)
    model_path = models.CharField(_("model folder"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    lines_scored = models.PositiveIntegerField(_("lines scored"), default=0)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(
        _("summary"), default=dict, blank=True, help_text=_("lines per risk band, value at risk")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scoring run (评分批次)")
        verbose_name_plural = _("scoring runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m} {self.model_version or '-'} {self.status}"


class ChurnScore(models.Model):
    """A line's churn risk for a month: probability, band, reasons and value, with the
    version of the model that gave it."""

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.CASCADE, related_name="churn_scores"
    )
    run = models.ForeignKey(
        ScoringRun, verbose_name=_("scoring run"), on_delete=models.CASCADE, related_name="scores"
    )
    as_of = models.DateField(_("scored as of"))
    model_version = models.CharField(_("model version"), max_length=80)
    probability = models.FloatField(_("churn probability (离网概率)"))
    risk_band = models.CharField(_("risk band"), max_length=16)
    reasons = models.JSONField(
        _("reasons"), default=list, help_text=_("[{feature, value, contribution}], largest first")
    )
    remaining_value = models.DecimalField(
        _("remaining value (剩余价值, yuan)"), max_digits=12, decimal_places=2, null=True
    )
    value_at_risk = models.DecimalField(
        _("value at risk (风险价值, yuan)"), max_digits=12, decimal_places=2, null=True
    )
    value_segment = models.CharField(
        _("value segment"),
        max_length=80,
        blank=True,
        help_text=_("the lifetime-value fit used: plan family/value tier/cohort"),
    )

    class Meta:
        verbose_name = _("churn score (离网评分)")
        verbose_name_plural = _("churn scores")
        constraints = [
            models.UniqueConstraint(fields=["line", "as_of"], name="scoring_one_score_per_month")
        ]
        indexes = [models.Index(fields=["as_of", "value_at_risk"])]

    def __str__(self) -> str:
        return f"{self.line_id} {self.as_of:%Y-%m} {self.probability:.3f}"


class LifetimeValueFit(models.Model):
    """A shifted-beta-geometric retention fit for one segment as of a month."""

    as_of = models.DateField(_("fitted as of"))
    plan_family = models.CharField(_("plan family"), max_length=32)
    value_tier = models.CharField(_("value tier"), max_length=1)
    cohort = models.CharField(
        _("cohort"), max_length=16, help_text=_("year the lines joined, or 'all'")
    )
    alpha = models.FloatField()
    beta = models.FloatField()
    lines = models.PositiveIntegerField(_("lines in the fit"))
    churned = models.PositiveIntegerField(_("churned lines in the fit"))
    log_likelihood = models.FloatField()
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lifetime-value fit (生命周期价值模型)")
        verbose_name_plural = _("lifetime-value fits")
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "plan_family", "value_tier", "cohort"],
                name="scoring_one_fit_per_segment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m} {self.plan_family}/{self.value_tier}/{self.cohort}"
