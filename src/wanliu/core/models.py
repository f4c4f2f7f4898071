"""Shared pieces: the audit trail, API tokens and login attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One row per write or sensitive read: who, when, what, before and after."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("audit event (审计记录)")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class ApiToken(models.Model):
    """A bearer token for scripts. Only the SHA-256 digest of the token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token of {self.user} until {self.expires_at:%Y-%m-%d}"


class LoginAttempt(models.Model):
    """Failed login attempts, for rate limiting by username and client address."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    client_address = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = _("failed login attempt")
        verbose_name_plural = _("failed login attempts")

    def __str__(self) -> str:
        return f"{self.username} from {self.client_address} at {self.at}"


class ScheduledRun(models.Model):
    """One firing of a periodic job in one time slot; the unique key stops double firing
    when several workers tick at once."""

    job = models.CharField(max_length=100)
    slot = models.BigIntegerField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="scheduled_run_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.job}@{self.slot}"
