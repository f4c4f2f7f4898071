"""Monthly snapshots (月度快照): the line-, bill- and contact-level figures of a closed month,
computed once at the finest grain the review needs and stored, so that a review reads a few
thousand rows instead of every line of the operator.

A month has one :class:`ReviewSnapshot`; its cells hang off it and are replaced together
when it is rebuilt. Sums over cells give any unit's figures (churn, FCR); what does not add
up (Kaplan-Meier curves, top contributors) is stored per unit or as a per-unit top list.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Customer
from wanliu.org.models import OrgUnit, Staff, Store


class ReviewSnapshot(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued (排队)")
        BUILDING = "building", _("being built (生成中)")
        READY = "ready", _("ready (已完成)")
        FAILED = "failed", _("failed (失败)")

    month = models.DateField(_("month"), unique=True, help_text=_("first day of the month"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    requested_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    seconds = models.FloatField(_("build seconds"), null=True, blank=True)
    lines = models.PositiveIntegerField(_("lines read"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("monthly snapshot (月度快照)")
        verbose_name_plural = _("monthly snapshots")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}"


class ChurnCell(models.Model):
    """Month x grid unit x store x plan family x value tier: lines active at the start,
    lines disconnected in the month, and the monthly fee of the lines active at the start."""

    snapshot = models.ForeignKey(ReviewSnapshot, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, null=True, on_delete=models.CASCADE, related_name="+")
    plan_family = models.CharField(max_length=32)
    value_tier = models.CharField(max_length=1)
    active_at_start = models.PositiveIntegerField()
    disconnected = models.PositiveIntegerField()
    fee_at_start = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("churn cell")
        verbose_name_plural = _("churn cells")

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class SurvivalCell(models.Model):
    """A Kaplan-Meier curve of one unit's lines (``unit`` empty: the whole operator) by
    join cohort or plan family, as of the month's last day, at fixed horizons."""

    snapshot = models.ForeignKey(ReviewSnapshot, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, null=True, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=32)
    lines = models.PositiveIntegerField()
    events = models.PositiveIntegerField()
    m1 = models.FloatField()
    m3 = models.FloatField()
    m6 = models.FloatField()
    m12 = models.FloatField()
    m24 = models.FloatField()
    m36 = models.FloatField()

    class Meta:
        verbose_name = _("survival cell")
        verbose_name_plural = _("survival cells")

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class SegmentFit(models.Model):
    """The survivors of the lines of one segment (plan family x value tier, whole operator)
    over the twelve months to the snapshot's, and their shifted-beta-geometric fit."""

    snapshot = models.ForeignKey(ReviewSnapshot, on_delete=models.CASCADE, related_name="+")
    plan_family = models.CharField(max_length=32)
    value_tier = models.CharField(max_length=1)
    survivors = models.JSONField(default=list)
    alpha = models.FloatField(null=True)
    beta = models.FloatField(null=True)
    log_likelihood = models.FloatField(null=True)

    class Meta:
        verbose_name = _("segment survival fit")
        verbose_name_plural = _("segment survival fits")

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class FcrCell(models.Model):
    """Contacts started in the month by the customer's unit, the agent's team, channel and
    topic, and how many were resolved at first contact."""

    snapshot = models.ForeignKey(ReviewSnapshot, on_delete=models.CASCADE, related_name="+")
    customer_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(OrgUnit, null=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)
    topic = models.CharField(max_length=32)
    contacts = models.PositiveIntegerField()
    resolved = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("FCR cell")
        verbose_name_plural = _("FCR cells")

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class AgentFcrCell(models.Model):
    """Contacts of one agent (clerk or hotline agent) in the month and how many were FCR."""

    snapshot = models.ForeignKey(ReviewSnapshot, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    contacts = models.PositiveIntegerField()
    resolved = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("agent FCR cell")
        verbose_name_plural = _("agent FCR cells")

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class ValueCustomerCell(models.Model):
    """The customers of one unit whose bills of the month add up to the most (a per-unit top
    list: the top of any subtree is among the tops of its units)."""

    snapshot = models.ForeignKey(ReviewSnapshot, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    bill_total = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("value customer cell")
        verbose_name_plural = _("value customer cells")

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class ChurnedCustomerCell(models.Model):
    """A customer with lines disconnected in the month, and the monthly fee that left."""

    snapshot = models.ForeignKey(ReviewSnapshot, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    lines = models.PositiveIntegerField()
    fee_lost = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("churned customer cell")
        verbose_name_plural = _("churned customer cells")

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"
