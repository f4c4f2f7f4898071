"""The case library (案例库): successful retentions published, anonymised, for training."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.retention.models.requests import Reason, ServiceIssue, Status


class RetentionCase(models.Model):
    """A retention told without names or numbers: the reason, the comparison, the words."""

    request = models.OneToOneField(
        "retention.CancellationRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case",
    )
    title = models.CharField(_("title"), max_length=200)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices, db_index=True)
    service_issue = models.CharField(
        _("service issue"), max_length=16, choices=ServiceIssue.choices, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Status.choices)
    situation = models.TextField(_("the situation"))
    words_used = models.TextField(_("the words used"))
    offer_summary = models.CharField(_("offer"), max_length=200, blank=True)
    customer_profile = models.CharField(_("customer profile"), max_length=200, blank=True)
    comparison = models.JSONField(_("the comparison"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), db_index=True)

    class Meta:
        verbose_name = _("retention case (挽留案例)")
        verbose_name_plural = _("retention cases")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title
