"""The offer ladder (一级/二级维挽): a catalogue of retention offers with their authority
level, eligibility and monthly budget per store, and the grants made from it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Plan, ValueTier
from wanliu.org.models import Store


def _csv(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@deconstructible
class CsvChoicesValidator:
    """A comma-separated list whose items must all be among ``allowed``."""

    def __init__(self, allowed: list[str], what: str) -> None:
        self.allowed = sorted(allowed)
        self.what = what

    def __call__(self, value: str) -> None:
        unknown = [v for v in _csv(value) if v not in self.allowed]
        if unknown:
            raise ValidationError(
                _("Unknown %(what)s: %(values)s. Use: %(allowed)s."),
                params={
                    "what": self.what,
                    "values": ", ".join(unknown),
                    "allowed": ", ".join(self.allowed),
                },
            )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CsvChoicesValidator)
            and self.allowed == other.allowed
            and self.what == other.what
        )

    def __hash__(self) -> int:
        return hash((tuple(self.allowed), self.what))


validate_value_tiers = CsvChoicesValidator(list(ValueTier.values), "value tiers")
validate_plan_families = CsvChoicesValidator(list(Plan.Family.values), "plan families")


class OfferLevel(models.IntegerChoices):
    LEVEL_1 = 1, _("level 1: the clerk grants (一级维挽)")
    LEVEL_2 = 2, _("level 2: a branch manager approves (二级维挽)")


class RetentionOffer(models.Model):
    """One rung of the offer ladder. Eligibility fields left empty mean 'everyone'."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=OfferLevel.choices)
    discount_pct = models.DecimalField(
        _("discount (percent off the monthly fee)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    amount_off = models.DecimalField(
        _("amount off per month (yuan)"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    months = models.PositiveSmallIntegerField(
        _("duration (months)"), default=0, validators=[MaxValueValidator(120)]
    )
    free_months = models.PositiveSmallIntegerField(
        _("free months"), default=0, validators=[MaxValueValidator(120)]
    )
    bonus_data_gb = models.DecimalField(
        _("bonus data (GB per month)"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    device_subsidy = models.DecimalField(
        _("device subsidy (yuan, once)"), max_digits=9, decimal_places=2, default=Decimal("0")
    )
    min_tenure_months = models.PositiveSmallIntegerField(_("minimum tenure (months)"), default=0)
    value_tiers = models.CharField(
        _("value tiers"),
        max_length=20,
        blank=True,
        validators=[validate_value_tiers],
        help_text=_("Comma-separated, e.g. A,B. Empty: every tier."),
    )
    plan_families = models.CharField(
        _("plan families"),
        max_length=100,
        blank=True,
        validators=[validate_plan_families],
        help_text=_("Comma-separated: mobile, broadband, family_bundle, fixed. Empty: all."),
    )
    monthly_budget_per_store = models.DecimalField(
        _("monthly budget per store (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "The total concession (discounts, free months, device subsidies) a store may "
            "grant with this offer in a calendar month. Empty: no limit."
        ),
    )
    talking_points = models.TextField(_("what to say"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("retention offer (挽留政策)")
        verbose_name_plural = _("retention offers")
        ordering = ["level", "code"]

    def __str__(self) -> str:
        return f"{self.name} (L{self.level})"

    @property
    def value_tier_list(self) -> list[str]:
        return _csv(self.value_tiers)

    @property
    def plan_family_list(self) -> list[str]:
        return _csv(self.plan_families)

    def clean(self) -> None:
        if (self.discount_pct or self.amount_off) and not self.months:
            raise ValidationError({"months": _("A discount or an amount off needs a duration.")})
        if not (
            self.discount_pct
            or self.amount_off
            or self.free_months
            or self.bonus_data_gb
            or self.device_subsidy
        ):
            raise ValidationError(
                _("An offer needs a discount, an amount off, free months, bonus data or a subsidy.")
            )


class OfferGrant(models.Model):
    """An offer given (or asked for) on one request. Level 1: granted at once. Level 2:
    pending until a branch manager of the same branch approves or rejects it, or it expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval (待审批)")
        GRANTED = "granted", _("granted (已授予)")
        APPROVED = "approved", _("approved (已批准)")
        REJECTED = "rejected", _("rejected (已驳回)")
        EXPIRED = "expired", _("expired (已过期)")

    request = models.ForeignKey(
        "retention.CancellationRequest", on_delete=models.CASCADE, related_name="grants"
    )
    offer = models.ForeignKey(RetentionOffer, on_delete=models.PROTECT, related_name="grants")
    level = models.PositiveSmallIntegerField(_("level"), choices=OfferLevel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    budget_month = models.DateField(_("budget month"))
    monthly_fee = models.DecimalField(
        _("monthly fee at grant (yuan)"), max_digits=12, decimal_places=2
    )
    new_monthly_fee = models.DecimalField(
        _("monthly fee under the offer (yuan)"), max_digits=12, decimal_places=2
    )
    cost = models.DecimalField(_("concession (yuan)"), max_digits=12, decimal_places=2)
    terms = models.JSONField(_("terms at grant"), default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    note = models.CharField(_("why"), max_length=300, blank=True)
    expires_at = models.DateTimeField(_("approval expires at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    EFFECTIVE = frozenset({Status.GRANTED, Status.APPROVED})
    BUDGET_HOLDING = frozenset({Status.PENDING, Status.GRANTED, Status.APPROVED})

    class Meta:
        verbose_name = _("offer grant (优惠授予)")
        verbose_name_plural = _("offer grants")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["offer", "store", "budget_month", "status"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.offer.code} on {self.request_id} ({self.status})"

    @property
    def is_effective(self) -> bool:
        return self.status in self.EFFECTIVE
