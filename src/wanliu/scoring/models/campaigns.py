"""Proactive retention campaigns (主动挽留活动): targets chosen by expected incremental value
under a budget with a random control group, outreach tasks for the hotline or the grid
team, contact attempts within the contact policy, and outcomes after the window.

The campaign's status is a state machine as data: ``ALLOWED_TRANSITIONS`` and
``STATUS_TIMESTAMP`` below, applied by one transition function in
``wanliu.scoring.campaigns.services``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Customer, Line
from wanliu.org.models import OrgUnit
from wanliu.retention.models import RetentionOffer


class ProactiveContactPolicy(models.Model):
    """The contact rules of proactive outreach (business policy as data, edited in the admin;
    the first row is in force, its defaults when there is none). Quiet hours and the
    customer's opt-out come from the retention policy and the customer record."""

    name = models.CharField(_("name"), max_length=100, default="default")
    max_attempts_per_target = models.PositiveSmallIntegerField(
        _("contact attempts per target and campaign at most"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    rest_days = models.PositiveSmallIntegerField(
        _("days a contacted customer is left alone"),
        default=60,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "A customer contacted by a campaign is not targeted by another one for this many "
            "days after that campaign ends."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("proactive contact policy (主动挽留接触规则)")
        verbose_name_plural = _("proactive contact policies")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A proactive retention campaign over the customers of one unit."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft (草稿)")
        TARGETED = "targeted", _("targeted (已选客户)")
        RUNNING = "running", _("running (执行中)")
        CLOSED = "closed", _("closed (已结束)")

    class Channel(models.TextChoices):
        AUTO = "auto", _("bundles to the grid team, the rest to the hotline")
        HOTLINE = "hotline", _("hotline agents (热线外呼)")
        GRID = "grid", _("grid team of the customer's unit (网格)")

    name = models.CharField(_("name"), max_length=120)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text=_(
            "The campaign targets customers of this unit and the units below it; "
            "empty: the whole operator."
        ),
    )
    offers = models.ManyToManyField(
        RetentionOffer, verbose_name=_("offers"), related_name="campaigns"
    )
    budget = models.DecimalField(
        _("budget (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    control_share = models.DecimalField(
        _("control group share"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        validators=[MinValueValidator(Decimal("0.010")), MaxValueValidator(Decimal("0.500"))],
        help_text=_("Share of the selected customers kept aside, never contacted."),
    )
    contact_cost = models.DecimalField(
        _("cost per contact attempt (yuan)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    channel = models.CharField(
        _("who calls"), max_length=16, choices=Channel.choices, default=Channel.AUTO
    )
    seed = models.PositiveIntegerField(_("random seed of the control group"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    generated = models.BooleanField(
        _("generated history"),
        default=False,
        help_text=_("A past campaign of the generated operator (demo data)."),
    )
    uplift_model_version = models.CharField(_("uplift model"), max_length=80, blank=True)
    features_as_of = models.DateField(_("features as of"), null=True, blank=True)
    max_attempts = models.PositiveSmallIntegerField(
        _("contact attempts per target at most"),
        default=3,
        help_text=_("Taken from the proactive contact policy when the campaign is targeted."),
    )
    reserved_cost = models.DecimalField(
        _("reserved (yuan)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Contact attempts at most plus the offer for every treated target."),
    )
    expected_value = models.DecimalField(
        _("expected net value (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    targeting_requested_at = models.DateTimeField(
        _("targeting requested at"), null=True, blank=True
    )
    targeting_error = models.TextField(_("targeting error"), blank=True)
    report = models.JSONField(_("report at closing"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    targeted_at = models.DateTimeField(_("targeted at"), null=True, blank=True)
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("retention campaign (主动挽留活动)")
        verbose_name_plural = _("retention campaigns")
        ordering = ["-starts_on", "-id"]
        permissions = [
            ("manage_campaign", "Create, target, launch and close proactive campaigns"),
            ("work_outreach", "Work proactive outreach tasks"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d})"


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Campaign.Status.DRAFT: frozenset({Campaign.Status.TARGETED}),
    Campaign.Status.TARGETED: frozenset({Campaign.Status.DRAFT, Campaign.Status.RUNNING}),
    Campaign.Status.RUNNING: frozenset({Campaign.Status.CLOSED}),
    Campaign.Status.CLOSED: frozenset(),
}
STATUS_TIMESTAMP: dict[str, str] = {
    Campaign.Status.TARGETED: "targeted_at",
    Campaign.Status.RUNNING: "launched_at",
    Campaign.Status.CLOSED: "closed_at",
}


class CampaignTarget(models.Model):
    """A customer selected for a campaign (through the first line of their plan): treated
    (offered ``offer``) or kept in the control group; the outcome after the window."""

    class Arm(models.TextChoices):
        TREATMENT = "treatment", _("treatment (触达组)")
        CONTROL = "control", _("control (对照组)")

    class Outcome(models.TextChoices):
        STAYED = "stayed", _("stayed (在网)")
        CHURNED = "churned", _("churned (离网)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="campaign_targets"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="campaign_targets",
    )
    arm = models.CharField(_("group"), max_length=16, choices=Arm.choices)
    offer = models.ForeignKey(
        RetentionOffer,
        verbose_name=_("offer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The offer made to a treated target; for a control member, the one it would have had."
        ),
    )
    stratum = models.PositiveIntegerField(_("stratum"), default=0)
    rank = models.PositiveIntegerField(_("rank"), default=0)
    uplift = models.FloatField(_("incremental retention (uplift)"), null=True, blank=True)
    churn_probability = models.FloatField(_("churn probability"), null=True, blank=True)
    remaining_value = models.DecimalField(
        _("remaining value (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    expected_net_value = models.DecimalField(
        _("expected net value (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    offer_cost = models.DecimalField(
        _("offer cost if accepted (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    reserved_cost = models.DecimalField(
        _("reserved (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, blank=True, db_index=True
    )
    churned_on = models.DateField(_("churned on"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign target (活动目标客户)")
        verbose_name_plural = _("campaign targets")
        ordering = ["campaign", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="scoring_one_target_per_customer"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "arm"]), models.Index(fields=["customer"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.line_id} {self.arm}"


class OutreachTask(models.Model):
    """Call a treated target and make the offer (外呼任务), for the hotline or a grid team."""

    class Queue(models.TextChoices):
        HOTLINE = "hotline", _("hotline (热线)")
        GRID = "grid", _("grid team (网格)")

    class Status(models.TextChoices):
        OPEN = "open", _("to do (待联系)")
        ACCEPTED = "accepted", _("offer accepted (接受)")
        DECLINED = "declined", _("offer declined (拒绝)")
        NO_ANSWER = "no_answer", _("not reached (未接通)")
        CLOSED = "closed", _("closed with the campaign (未完成)")

    target = models.OneToOneField(
        CampaignTarget, on_delete=models.CASCADE, related_name="task", verbose_name=_("target")
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    queue = models.CharField(_("queue"), max_length=16, choices=Queue.choices)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("customer's unit"),
        on_delete=models.PROTECT,
        related_name="outreach_tasks",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts made"), default=0)
    contact_cost = models.DecimalField(
        _("contact cost (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    offer_cost = models.DecimalField(
        _("offer cost granted (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    created_at = models.DateTimeField(_("created at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    OPEN_STATUSES = frozenset({Status.OPEN})

    class Meta:
        verbose_name = _("outreach task (外呼任务)")
        verbose_name_plural = _("outreach tasks")
        ordering = ["campaign", "id"]
        indexes = [models.Index(fields=["queue", "status"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.target_id} {self.status}"


class OutreachAttempt(models.Model):
    """One contact attempt on an outreach task, counted against the contact policy."""

    class Result(models.TextChoices):
        NO_ANSWER = "no_answer", _("no answer (未接通)")
        REACHED = "reached", _("reached, thinking it over (已接通，考虑中)")
        ACCEPTED = "accepted", _("accepted the offer (接受)")
        DECLINED = "declined", _("declined the offer (拒绝)")

    task = models.ForeignKey(OutreachTask, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField(_("at"))
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("outreach attempt (外呼记录)")
        verbose_name_plural = _("outreach attempts")
        ordering = ["task", "at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.at:%Y-%m-%d %H:%M} {self.result}"
