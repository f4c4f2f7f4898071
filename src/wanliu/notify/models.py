"""Notifications: the transactional outbox, delivery attempts, templates and the contact policy.

An :class:`OutboxMessage` is written in the same transaction as the change that causes it
(``wanliu.notify.services.message_enqueue``); the relay (``wanliu.notify.relay``) delivers
it afterwards, at least once, and records every try as a :class:`DeliveryAttempt`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Customer


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("webhook")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class OutboxMessage(models.Model):
    """One notice to deliver on one channel (待发消息)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED_RETRYING = "failed_retrying", _("failed, will retry")
        DEAD = "dead", _("dead letter")
        SUPPRESSED = "suppressed", _("suppressed by contact policy")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"))
    event = models.CharField(
        _("system event"),
        max_length=80,
        blank=True,
        help_text=_(
            "For a webhook that tells the operator's other systems what happened (e.g. "
            "complaints.work_order.status_changed): the body is the event's JSON data."
        ),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    transactional = models.BooleanField(
        _("service notice"),
        default=False,
        help_text=_(
            "About the customer's own case (a complaint's deadline, progress, result, "
            "survey): sent even to customers who opted out of marketing; quiet hours apply."
        ),
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    related_type = models.ForeignKey(
        ContentType,
        verbose_name=_("related object type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    related_id = models.CharField(_("related object id"), max_length=64, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    # The claim of the relay currently delivering the message.
    claim_token = models.CharField(_("claim token"), max_length=64, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    delivery_assumed = models.BooleanField(
        _("delivery assumed"),
        default=False,
        help_text=_(
            "The worker stopped after handing the message to the server and before the "
            "server confirmed it; it is counted as sent and not sent again."
        ),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sending_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("last failed at"), null=True, blank=True)
    dead_at = models.DateTimeField(_("dead-lettered at"), null=True, blank=True)
    suppressed_at = models.DateTimeField(_("suppressed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message (待发消息)")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_msg_due"),
            models.Index(fields=["related_type", "related_id"], name="notify_msg_related"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try of the relay to deliver a message (投递记录)."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        INTERRUPTED = "interrupted", _("interrupted before hand-over")
        ASSUMED_SENT = "assumed_sent", _("interrupted after hand-over, counted as sent")

    message = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="delivery_attempts",
    )
    number = models.PositiveIntegerField(_("attempt number"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    permanent = models.BooleanField(_("permanent failure"), default=False)
    response = models.CharField(_("server response"), max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("delivery attempt (投递记录)")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message_id", "number", "id"]

    def __str__(self) -> str:
        return f"#{self.number} {self.outcome}"


class MessageTemplate(models.Model):
    """Subject and body of one notice kind in one language for one channel (消息模板).

    Subject and body use the Django template language, e.g. ``{{ order_no }}``; every
    variable a template uses must be present in the rendering context.
    """

    key = models.CharField(_("key"), max_length=100, db_index=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("message template (消息模板)")
        verbose_name_plural = _("message templates")
        ordering = ["key", "language", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language", "channel"], name="notify_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} [{self.language}/{self.channel}]"


class NoticePolicy(models.Model):
    """Contact policy and retry policy for notices (通知策略); the first row is in force.

    Quiet hours apply to non-urgent notices to people (e-mail and SMS); the marketing
    opt-out applies to those that are not service notices (``transactional``).
    """

    name = models.CharField(_("name"), max_length=64, default="default")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    quiet_hours_start = models.TimeField(
        _("quiet hours start"),
        default=time(21, 0),
        help_text=_("Equal start and end mean no quiet hours."),
    )
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=time(8, 0))
    max_attempts = models.PositiveIntegerField(
        _("maximum attempts"),
        default=6,
        help_text=_("After this many failed attempts a message goes to the dead letter."),
    )
    backoff_base_seconds = models.PositiveIntegerField(
        _("backoff base (seconds)"),
        default=30,
        help_text=_("Wait before retry n is base × 2^(n-1), capped by the maximum."),
    )
    backoff_max_seconds = models.PositiveIntegerField(
        _("backoff maximum (seconds)"), default=6 * 3600
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice policy (通知策略)")
        verbose_name_plural = _("notice policies")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def in_quiet_hours(self, moment: datetime) -> bool:
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start == end:
            return False
        local = moment.astimezone(self.zone).time()
        if start < end:
            return start <= local < end
        return local >= start or local < end

    def quiet_hours_over(self, moment: datetime) -> datetime:
        """``moment`` when outside quiet hours, else the end of the quiet hours it is in."""
        if not self.in_quiet_hours(moment):
            return moment
        local = moment.astimezone(self.zone)
        end = datetime.combine(local.date(), self.quiet_hours_end, tzinfo=self.zone)
        if end <= local:
            end = datetime.combine(
                local.date() + timedelta(days=1), self.quiet_hours_end, tzinfo=self.zone
            )
        return end

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt."""
        exponent = max(attempts - 1, 0)
        seconds = min(self.backoff_base_seconds * 2 ** min(exponent, 30), self.backoff_max_seconds)
        return timedelta(seconds=seconds)
