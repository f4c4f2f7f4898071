"""Policy as data: categories, SLA policies, escalation levels, settings, canned replies."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.models.calendars import BusinessCalendar
from wanliu.customers.models import ValueTier


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("hotline (热线)")
    STORE = "store", _("store (营业厅)")
    ONLINE = "online", _("online (网上营业厅)")
    APP = "app", _("app (掌厅)")
    REGULATOR = "regulator", _("regulator appeal (工信部申诉)")


class Priority(models.TextChoices):
    LOW = "low", _("low (低)")
    NORMAL = "normal", _("normal (普通)")
    HIGH = "high", _("high (高)")
    URGENT = "urgent", _("urgent (紧急)")


PRIORITY_RANK = {p: i for i, p in enumerate(Priority.values)}


class Category(models.Model):
    """A node of the complaint category tree, e.g. network → coverage (网络/覆盖)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("complaint category (投诉分类)")
        verbose_name_plural = _("complaint categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for orders that match; a blank dimension matches anything, a category
    matches its sub-categories too. The most specific matching policy wins: the most
    dimensions set; among equally specific ones the strictest resolution target, then the
    deeper category."""

    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category (and its sub-categories)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
    )
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    value_tier = models.CharField(
        _("value tier"), max_length=1, choices=ValueTier.choices, blank=True
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: the clock runs 24x7."),
    )
    first_response_minutes = models.PositiveIntegerField(_("first response (working minutes)"))
    progress_interval_minutes = models.PositiveIntegerField(
        _("progress notice every (working minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: no periodic progress notices."),
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution target (working minutes)"))

    class Meta:
        verbose_name = _("SLA policy (服务时限)")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    """Fires once per order and cycle when this share of the resolution target is used."""

    class Recipient(models.TextChoices):
        OWNER = "owner", _("the owner (责任人)")
        TEAM_LEADER = "team_leader", _("the owner unit's leader (班长/负责人)")
        DEPARTMENT_HEAD = "department_head", _("the customer-service department (客服部)")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    share = models.DecimalField(
        _("share of the target"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("0.75 = at 75 percent of the resolution target"),
    )
    recipient = models.CharField(_("who is told"), max_length=32, choices=Recipient.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation level (升级级别)")
        verbose_name_plural = _("escalation levels")
        ordering = ["share"]

    def __str__(self) -> str:
        return f"{self.name} ({self.share:.0%})"


class ComplaintSettings(models.Model):
    """One row of complaint policy numbers, editable in the admin."""

    repeat_window_days = models.PositiveIntegerField(
        _("repeat complaint window (days)"),
        default=30,
        help_text=_("Same customer and category within this many days: priority goes up."),
    )
    fcr_window_days = models.PositiveIntegerField(
        _("first-contact resolution window (days)"),
        default=7,
        help_text=_("A repeat contact on the same topic within this many days is not FCR."),
    )
    revisit_due_hours = models.PositiveIntegerField(_("revisit due within (hours)"), default=48)
    survey_valid_days = models.PositiveIntegerField(_("survey link valid (days)"), default=14)
    regulator_reply_days = models.PositiveIntegerField(
        _("regulator appeal reply limit (days)"), default=15
    )
    attachment_max_mb = models.PositiveIntegerField(
        _("largest attachment (MB)"), default=10, validators=[MaxValueValidator(200)]
    )

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")

    def __str__(self) -> str:
        return str(_("complaint settings"))


class CannedReply(models.Model):
    """A reusable reply; ``{{ customer_name }}``, ``{{ order_no }}``, ``{{ deadline }}``,
    ``{{ agent_name }}``, ``{{ category }}`` and ``{{ status }}`` are filled in."""

    title = models.CharField(_("title"), max_length=100)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="canned_replies",
    )
    body = models.TextField(_("text"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply (常用回复)")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
