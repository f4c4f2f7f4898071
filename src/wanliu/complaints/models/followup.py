"""What happens around and after an order: escalations, revisits (回访), satisfaction
surveys, and the first-contact-resolution flag of every contact."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.models.orders import WorkOrder
from wanliu.complaints.models.policy import EscalationLevel
from wanliu.customers.models import Contact
from wanliu.org.models import OrgUnit, Staff


class Escalation(models.Model):
    """One level fired for one order in one SLA cycle (a reopen starts a new cycle)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="escalations")
    level = models.ForeignKey(EscalationLevel, on_delete=models.PROTECT, related_name="+")
    cycle = models.PositiveIntegerField(default=0)
    fired_at = models.DateTimeField()
    used_share = models.DecimalField(max_digits=7, decimal_places=2)
    recipients = models.JSONField(default=list, help_text=_("staff ids told"))

    class Meta:
        verbose_name = _("escalation (升级记录)")
        verbose_name_plural = _("escalations")
        ordering = ["fired_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "level", "cycle"], name="escalation_once_per_order_level"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.level.code}"


class Revisit(models.Model):
    """The call back after resolution (回访): was it really solved?"""

    class Outcome(models.TextChoices):
        SOLVED = "solved", _("solved (已解决)")
        NOT_SOLVED = "not_solved", _("not solved (未解决)")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="revisits")
    cycle = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(_("due"))
    owner_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    owner_staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("revisit (回访)")
        verbose_name_plural = _("revisits")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "cycle"], name="revisit_once_per_cycle")
        ]
        indexes = [models.Index(fields=["due_at"], name="revisit_due_at")]

    def __str__(self) -> str:
        return f"{self.order} revisit {self.cycle}"

    @property
    def counts_against_owner(self) -> bool:
        return self.outcome == self.Outcome.NOT_SOLVED


class Survey(models.Model):
    """A satisfaction survey sent after resolution; answered once through a signed link."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="surveys")
    cycle = models.PositiveIntegerField(default=0)
    nonce = models.CharField(max_length=32, unique=True)
    agent = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    solved = models.BooleanField(_("was it solved"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("satisfaction survey (满意度调查)")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "cycle"], name="survey_once_per_cycle")
        ]
        indexes = [models.Index(fields=["responded_at"], name="survey_responded_at")]

    def __str__(self) -> str:
        return f"{self.order} survey {self.cycle}"


class ContactResolution(models.Model):
    """Whether a contact was resolved at first contact (首次终结): resolved at the contact,
    not transferred, no work order needed, and no repeat contact on the same topic within
    the window. ``final`` once the window has passed or a repeat was seen."""

    class Reason(models.TextChoices):
        RESOLVED = "resolved", _("resolved at first contact")
        NOT_RESOLVED = "not_resolved", _("not resolved at the contact")
        TRANSFERRED = "transferred", _("transferred")
        WORK_ORDER = "work_order", _("needed a work order")
        REPEAT = "repeat", _("repeat contact on the same topic")

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="resolution")
    first_contact_resolved = models.BooleanField(_("first-contact resolved (首次终结)"))
    reason = models.CharField(max_length=16, choices=Reason.choices)
    repeat_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_days = models.PositiveIntegerField()
    final = models.BooleanField(default=False, db_index=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("first-contact resolution (首次终结)")
        verbose_name_plural = _("first-contact resolutions")

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.first_contact_resolved}"
