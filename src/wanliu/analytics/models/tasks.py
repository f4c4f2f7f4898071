"""Follow-up tasks raised from the monthly review: thank-you calls and churn interviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Customer


class FollowUpTask(models.Model):
    """A call to make to a customer: thank a value customer, or interview a churned one."""

    class Kind(models.TextChoices):
        THANK_YOU_CALL = "thank_you_call", _("thank-you call (感谢回访)")
        CHURN_INTERVIEW = "churn_interview", _("churn interview (离网访谈)")

    class Status(models.TextChoices):
        OPEN = "open", _("open (待处理)")
        DONE = "done", _("done (已完成)")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("review month"), help_text=_("first day of the reviewed month"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    reason = models.CharField(_("why"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reason_given = models.CharField(
        _("reason the customer gave"),
        max_length=32,
        blank=True,
        help_text=_("churn interviews: the retention desk's reason taxonomy"),
    )
    notes = models.TextField(_("what the customer said"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("follow-up task (回访任务)")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "customer", "month"], name="analytics_task_one_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.month:%Y-%m}"
