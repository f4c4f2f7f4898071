"""After the conversation: follow-up contacts (关怀) within the contact policy, and the
win-back list (待相聚) with allowed re-contact dates and outcomes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Customer


class WinBackEntry(models.Model):
    """A customer who left (or is cooling off), with the earliest day we may call again."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting for the re-contact date")
        CONTACTING = "contacting", _("being contacted")
        WON_BACK = "won_back", _("won back (已回流)")
        DECLINED = "declined", _("declined")
        DO_NOT_CONTACT = "do_not_contact", _("do not contact (opted out)")

    request = models.OneToOneField(
        "retention.CancellationRequest", on_delete=models.CASCADE, related_name="win_back"
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="win_backs")
    allowed_recontact_on = models.DateField(_("may contact again from"), db_index=True)
    period_ends_on = models.DateField(_("win-back period ends on"))
    contact_channel = models.CharField(
        _("how the customer likes to be reached"), max_length=100, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    outcome_note = models.TextField(_("outcome"), blank=True)
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    CLOSED = frozenset({Status.WON_BACK, Status.DECLINED, Status.DO_NOT_CONTACT})

    class Meta:
        verbose_name = _("win-back entry (回流名单)")
        verbose_name_plural = _("win-back list")
        ordering = ["allowed_recontact_on", "id"]

    def __str__(self) -> str:
        return f"{self.customer_id} from {self.allowed_recontact_on}"


class RetentionContact(models.Model):
    """A scheduled contact with the customer: a care call or enterprise-WeChat message after
    a retention, or a win-back attempt. Counted against the contact policy."""

    class Purpose(models.TextChoices):
        CARE = "care", _("care after retention (关怀)")
        WIN_BACK = "win_back", _("win-back (回流)")

    class ContactChannel(models.TextChoices):
        CALL = "call", _("phone call (电话回访)")
        WECOM = "wecom", _("enterprise WeChat (企业微信)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        DONE = "done", _("reached")
        NO_ANSWER = "no_answer", _("no answer")
        CANCELLED = "cancelled", _("cancelled")

    request = models.ForeignKey(
        "retention.CancellationRequest", on_delete=models.CASCADE, related_name="contacts"
    )
    win_back = models.ForeignKey(
        WinBackEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    note = models.CharField(_("what to do"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    result = models.TextField(_("result"), blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("retention contact (回访任务)")
        verbose_name_plural = _("retention contacts")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.channel} {self.due_at:%Y-%m-%d %H:%M}"
