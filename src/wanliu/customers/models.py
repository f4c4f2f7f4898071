"""Subscribers and what they buy and use: customers, accounts, lines, plans, bills, usage,
contacts, and the market around them (competitor promotions)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.org.models import OrgUnit, Region, Staff, Store


class ValueTier(models.TextChoices):
    A = "A", _("A: high value (高价值)")
    B = "B", _("B: medium value (中价值)")
    C = "C", _("C: standard (普通)")
    D = "D", _("D: low value (低价值)")


class Customer(models.Model):
    """A subscriber (客户). The national ID is stored whole and shown masked."""

    customer_no = models.CharField(_("customer number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    national_id = models.CharField(_("national ID (身份证号)"), max_length=18)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    store = models.ForeignKey(
        Store,
        verbose_name=_("home store"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("grid (网格)"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    value_tier = models.CharField(
        _("value tier"), max_length=1, choices=ValueTier.choices, default=ValueTier.C
    )
    joined_on = models.DateField(_("customer since"))
    marketing_opt_out = models.BooleanField(_("opted out of marketing contact"), default=False)

    class Meta:
        verbose_name = _("customer (客户)")
        verbose_name_plural = _("customers")
        permissions = [("view_national_id", "Can view unmasked national ID numbers")]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_no})"

    @property
    def national_id_masked(self) -> str:
        return mask_national_id(self.national_id)


def mask_national_id(value: str) -> str:
    """``330102199001011234`` -> ``3301**********1234``; short values are fully masked."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


class Account(models.Model):
    """A billing account (账户) of a customer."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CLOSED = "closed", _("closed")

    account_no = models.CharField(_("account number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="accounts"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    opened_on = models.DateField(_("opened on"))

    class Meta:
        verbose_name = _("account (账户)")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.account_no


class Plan(models.Model):
    """A tariff plan or bundle (套餐/融合套餐) as sold."""

    class Family(models.TextChoices):
        MOBILE = "mobile", _("mobile plan (手机套餐)")
        BROADBAND = "broadband", _("broadband (宽带)")
        FAMILY_BUNDLE = "family_bundle", _("family bundle (融合套餐)")
        FIXED = "fixed", _("fixed line (固话)")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    family = models.CharField(_("family"), max_length=32, choices=Family.choices)
    monthly_fee = models.DecimalField(_("monthly fee (yuan)"), max_digits=12, decimal_places=2)
    included_data_gb = models.DecimalField(
        _("included data (GB)"), max_digits=8, decimal_places=2, default=0
    )
    included_voice_minutes = models.PositiveIntegerField(_("included voice minutes"), default=0)
    broadband_mbps = models.PositiveIntegerField(_("broadband speed (Mbps)"), default=0)
    mobile_lines = models.PositiveSmallIntegerField(_("mobile lines"), default=0)
    has_tv = models.BooleanField(_("includes TV (IPTV)"), default=False)
    contract_months = models.PositiveSmallIntegerField(_("contract months"), default=0)
    on_sale = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("tariff plan (套餐)")
        verbose_name_plural = _("tariff plans")
        ordering = ["monthly_fee", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.monthly_fee} 元)"


class Subscription(models.Model):
    """An account's instance of a plan or bundle; its lines point at it."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    started_on = models.DateField(_("started on"))
    contract_end_on = models.DateField(_("contract ends on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription (订购)")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.account} · {self.plan.code}"


class PlanChange(models.Model):
    """One change of plan on a subscription (套餐变更)."""

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="plan_changes",
    )
    from_plan = models.ForeignKey(
        Plan, verbose_name=_("from plan"), on_delete=models.PROTECT, related_name="+"
    )
    to_plan = models.ForeignKey(
        Plan, verbose_name=_("to plan"), on_delete=models.PROTECT, related_name="+"
    )
    changed_on = models.DateField(_("changed on"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("plan change (套餐变更)")
        verbose_name_plural = _("plan changes")
        ordering = ["-changed_on"]

    def __str__(self) -> str:
        return f"{self.changed_on}: {self.from_plan.code} -> {self.to_plan.code}"


class Line(models.Model):
    """A line (号码/宽带账号): mobile, broadband, TV or fixed, with its lifecycle dates."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("mobile (手机)")
        BROADBAND = "broadband", _("broadband (宽带)")
        TV = "tv", _("TV (电视)")
        FIXED = "fixed", _("fixed line (固话)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active (在网)")
        SUSPENDED = "suspended", _("suspended (停机)")
        CANCELLED = "cancelled", _("cancelled (拆机/销号)")

    number = models.CharField(_("number (MSISDN / account)"), max_length=32, unique=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="lines"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lines",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    activated_on = models.DateField(_("activated on"))
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    home_region = models.ForeignKey(
        Region, verbose_name=_("home region (归属地)"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("line (号码)")
        verbose_name_plural = _("lines")
        indexes = [models.Index(fields=["status", "cancelled_on"])]

    def __str__(self) -> str:
        return self.number


class Bill(models.Model):
    """One month's bill of an account (月账单): the total and its items."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="bills"
    )
    month = models.DateField(_("month"), help_text=_("first day of the billed month"))
    total = models.DecimalField(_("total (yuan)"), max_digits=12, decimal_places=2)
    items = models.JSONField(
        _("items"), default=dict, help_text=_("item code -> amount in yuan, as a string")
    )

    class Meta:
        verbose_name = _("bill (账单)")
        verbose_name_plural = _("bills")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="bill_one_per_account_month")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.month:%Y-%m}: {self.total}"


class Usage(models.Model):
    """One month's use of a line (月使用量)."""

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.CASCADE, related_name="usage"
    )
    month = models.DateField(_("month"), help_text=_("first day of the month"))
    data_gb = models.DecimalField(_("data (GB)"), max_digits=9, decimal_places=3, default=0)
    voice_minutes = models.PositiveIntegerField(_("voice minutes"), default=0)
    sms = models.PositiveIntegerField(_("SMS"), default=0)
    roaming_minutes = models.PositiveIntegerField(_("roaming minutes"), default=0)
    overage_charge = models.DecimalField(
        _("overage charges (yuan)"), default=0, max_digits=12, decimal_places=2
    )

    class Meta:
        verbose_name = _("monthly usage (月使用量)")
        verbose_name_plural = _("monthly usage")
        constraints = [
            models.UniqueConstraint(fields=["line", "month"], name="usage_one_per_line_month")
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.month:%Y-%m}"


class Contact(models.Model):
    """One contact with the customer (接触): a call, a visit, a chat."""

    class Channel(models.TextChoices):
        HOTLINE = "hotline", _("hotline (热线)")
        STORE = "store", _("store (营业厅)")
        ONLINE = "online", _("online (网上营业厅)")
        APP = "app", _("app (掌厅)")
        WECHAT = "wechat", _("WeChat (微信)")

    class Topic(models.TextChoices):
        BILLING = "billing", _("billing (账单)")
        NETWORK = "network", _("network / fault (网络/故障)")
        PLAN = "plan", _("plan / tariff (套餐)")
        CANCELLATION = "cancellation", _("cancellation (拆机/销号)")
        COMPLAINT = "complaint", _("complaint (投诉)")
        DEVICE = "device", _("device (终端)")
        OTHER = "other", _("other (其他)")

    external_id = models.CharField(_("external id"), max_length=40, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    line = models.ForeignKey(
        Line,
        verbose_name=_("line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    topic = models.CharField(_("topic"), max_length=32, choices=Topic.choices)
    agent = models.ForeignKey(
        Staff,
        verbose_name=_("agent / clerk"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    transferred = models.BooleanField(_("transferred"), default=False)
    resolved_at_contact = models.BooleanField(_("resolved at contact"), default=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("contact (接触记录)")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["customer", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.channel} {self.started_at:%Y-%m-%d}"


class CompetitorPromotion(models.Model):
    """A competitor's offer seen in an area and month (竞对活动)."""

    competitor = models.CharField(_("competitor"), max_length=32)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("area"),
        on_delete=models.CASCADE,
        related_name="competitor_promotions",
    )
    month = models.DateField(_("month"))
    description = models.CharField(_("offer"), max_length=200)
    promo_monthly = models.DecimalField(
        _("promotional monthly price"), max_digits=12, decimal_places=2
    )
    promo_months = models.PositiveSmallIntegerField(_("promotional months"))
    regular_monthly = models.DecimalField(
        _("regular monthly price"), max_digits=12, decimal_places=2
    )
    switchers_only = models.BooleanField(_("new switchers only"), default=True)

    class Meta:
        verbose_name = _("competitor promotion (竞对活动)")
        verbose_name_plural = _("competitor promotions")
        indexes = [models.Index(fields=["unit", "month"])]

    def __str__(self) -> str:
        return f"{self.competitor} {self.month:%Y-%m} {self.promo_monthly}"


class ChurnTruth(models.Model):
    """Generated data only: why a generated line churned, to evaluate models against."""

    line = models.OneToOneField(
        Line, verbose_name=_("line"), on_delete=models.CASCADE, related_name="churn_truth"
    )
    driver = models.CharField(_("churn driver"), max_length=32)
    churned_on = models.DateField(_("churned on"))

    class Meta:
        verbose_name = _("generated churn driver")
        verbose_name_plural = _("generated churn drivers")

    def __str__(self) -> str:
        return f"{self.line}: {self.driver}"
