"""The cancellation request (拆机/销号/停机申请), its state machine as data, the six steps
(拆机挽留六步法) each recorded with actor and time, transfers and fast-lane tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Account, CompetitorPromotion, Customer, Line, Plan, Subscription
from wanliu.org.models import OrgUnit, Store


class RequestKind(models.TextChoices):
    CANCEL = "cancel", _("cancel (拆机/销号)")
    SUSPEND = "suspend", _("suspend (停机)")


class Target(models.TextChoices):
    LINE = "line", _("a line (号码)")
    SUBSCRIPTION = "subscription", _("a bundle or plan (套餐)")
    ACCOUNT = "account", _("the whole account (账户)")


class Channel(models.TextChoices):
    STORE = "store", _("store (营业厅)")
    HOTLINE = "hotline", _("hotline (热线)")
    GRID = "grid", _("grid team (网格)")


class Status(models.TextChoices):
    OPENED = "opened", _("opened (已受理)")
    IN_CONVERSATION = "in_conversation", _("in conversation (挽留中)")
    RETAINED_SAME_PLAN = "retained_same_plan", _("retained, same plan (原套餐挽留)")
    RETAINED_WITH_OFFER = "retained_with_offer", _("retained with an offer (优惠挽留)")
    DOWNGRADED = "downgraded", _("downgraded (降档挽留)")
    SUSPENDED = "suspended", _("suspended (已停机)")
    CANCELLED = "cancelled", _("cancelled (已拆机/销号)")
    COOLING_OFF = "cooling_off", _("cooling off (冷处理)")
    CLOSED = "closed", _("closed (已闭环)")


OUTCOME_STATUSES = frozenset(
    {
        Status.RETAINED_SAME_PLAN,
        Status.RETAINED_WITH_OFFER,
        Status.DOWNGRADED,
        Status.SUSPENDED,
        Status.CANCELLED,
        Status.COOLING_OFF,
    }
)
RETAINED_STATUSES = frozenset(
    {Status.RETAINED_SAME_PLAN, Status.RETAINED_WITH_OFFER, Status.DOWNGRADED}
)
PROCESSED_STATUSES = frozenset({Status.SUSPENDED, Status.CANCELLED})
UNPROCESSED_STATUSES = frozenset({Status.OPENED, Status.IN_CONVERSATION})
OPEN_STATUSES = frozenset({Status.OPENED, Status.IN_CONVERSATION, Status.COOLING_OFF})

# The state machine, as data: from each status, the statuses a request may move to.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.OPENED: frozenset({Status.IN_CONVERSATION, Status.SUSPENDED, Status.CANCELLED}),
    Status.IN_CONVERSATION: OUTCOME_STATUSES,
    Status.RETAINED_SAME_PLAN: frozenset({Status.CLOSED}),
    Status.RETAINED_WITH_OFFER: frozenset({Status.CLOSED}),
    Status.DOWNGRADED: frozenset({Status.CLOSED}),
    Status.SUSPENDED: frozenset({Status.CLOSED}),
    Status.CANCELLED: frozenset({Status.CLOSED}),
    Status.COOLING_OFF: frozenset(
        {Status.IN_CONVERSATION, Status.SUSPENDED, Status.CANCELLED, Status.CLOSED}
    ),
    Status.CLOSED: frozenset(),
}
# Each status stamps its own time on the request when it is entered.
STATUS_TIMESTAMP: dict[str, str] = {
    Status.IN_CONVERSATION: "in_conversation_at",
    Status.RETAINED_SAME_PLAN: "retained_same_plan_at",
    Status.RETAINED_WITH_OFFER: "retained_with_offer_at",
    Status.DOWNGRADED: "downgraded_at",
    Status.SUSPENDED: "suspended_at",
    Status.CANCELLED: "cancelled_at",
    Status.COOLING_OFF: "cooling_off_at",
    Status.CLOSED: "closed_at",
}


class Mood(models.TextChoices):
    ANGRY = "angry", _("angry (愤怒)")
    UPSET = "upset", _("upset (不满)")
    CALM = "calm", _("calm (平静)")


class Reason(models.TextChoices):
    """Why the customer wants to leave: the retention desk's taxonomy."""

    SERVICE_QUALITY = "service_quality", _("service quality (服务质量)")
    BILLING_MISUNDERSTANDING = "billing_misunderstanding", _("misunderstood charges (资费误解)")
    RELOCATION = "relocation", _("moving away (搬迁)")
    DEVICE_LOST_STOLEN = "device_lost_stolen", _("phone lost or stolen (手机丢失/被盗)")
    NO_LONGER_NEEDED = "no_longer_needed", _("no longer needed (不再需要)")
    COMPETITOR_OFFER = "competitor_offer", _("a competitor's offer (竞对优惠)")
    OTHER = "other", _("other (其他)")


class ServiceIssue(models.TextChoices):
    NETWORK = "network", _("network coverage or speed (网络)")
    FAULT = "fault", _("a fault not fixed (故障)")
    STAFF = "staff", _("staff behaviour (服务态度)")


class Route(models.TextChoices):
    """What a reason leads to on the desk."""

    FAST_LANE = "fast_lane", _("fix it at once through the fast lane (绿色通道), then retain")
    BILL_EXPLANATION = "bill_explanation", _("explain the bill with its details")
    PROCESS = "process", _("process the request promptly")
    COMPARE = "compare", _("compare and calculate, then offer")


REASON_ROUTE: dict[str, str] = {
    Reason.SERVICE_QUALITY: Route.FAST_LANE,
    Reason.BILLING_MISUNDERSTANDING: Route.BILL_EXPLANATION,
    Reason.RELOCATION: Route.PROCESS,
    Reason.DEVICE_LOST_STOLEN: Route.PROCESS,
    Reason.NO_LONGER_NEEDED: Route.PROCESS,
    Reason.COMPETITOR_OFFER: Route.COMPARE,
    Reason.OTHER: Route.COMPARE,
}


class Step(models.IntegerChoices):
    CALM = 1, _("Calm the customer (安抚客户稳情绪)")
    CONSUMPTION = 2, _("Look up consumption (查询消费明思路)")
    REASON = 3, _("Find the real reason (摸清意图找痛点)")
    COMPARE = 4, _("Compare and offer (比算营销强挽留)")
    CARE = 5, _("Care (关怀用户显温馨)")
    PART_WELL = 6, _("Part well (好聚好散待相聚)")


class CancellationRequest(models.Model):
    """A customer's request to cancel or suspend a line, a bundle or an account."""

    request_no = models.CharField(_("request number"), max_length=32, unique=True, null=True)
    kind = models.CharField(_("kind"), max_length=16, choices=RequestKind.choices)
    target = models.CharField(_("what is to go"), max_length=16, choices=Target.choices)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="cancellation_requests",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("bundle / plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    line = models.ForeignKey(
        Line,
        verbose_name=_("line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("opened through"), max_length=16, choices=Channel.choices)
    origin_store = models.ForeignKey(
        Store,
        verbose_name=_("opened at store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("handling store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cancellation_requests",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.OPENED, db_index=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=24, choices=Status.choices, blank=True, db_index=True
    )
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    due_at = models.DateTimeField(_("to be processed by"))
    in_conversation_at = models.DateTimeField(_("conversation started"), null=True, blank=True)
    retained_same_plan_at = models.DateTimeField(null=True, blank=True)
    retained_with_offer_at = models.DateTimeField(null=True, blank=True)
    downgraded_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cooling_off_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    insisted_at = models.DateTimeField(_("customer insisted at"), null=True, blank=True)
    refusal_flagged_at = models.DateTimeField(
        _("flagged as a refusal (拒拆) at"), null=True, blank=True, db_index=True
    )
    # Step 1
    stated_complaint = models.TextField(_("what the customer says"), blank=True)
    mood = models.CharField(_("mood"), max_length=16, choices=Mood.choices, blank=True)
    # Step 2
    current_monthly_fee = models.DecimalField(
        _("current monthly fee (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # Step 3
    reason = models.CharField(
        _("reason"), max_length=32, choices=Reason.choices, blank=True, db_index=True
    )
    service_issue = models.CharField(
        _("service issue"), max_length=16, choices=ServiceIssue.choices, blank=True
    )
    pain_point = models.TextField(_("pain point"), blank=True)
    competitor_operator = models.CharField(_("competitor"), max_length=60, blank=True)
    competitor_promo_monthly = models.DecimalField(
        _("competitor's promotional price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    competitor_promo_months = models.PositiveSmallIntegerField(
        _("competitor's promotion months"), null=True, blank=True
    )
    competitor_regular_monthly = models.DecimalField(
        _("competitor's regular price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    competitor_conditions = models.CharField(
        _("competitor's conditions"), max_length=200, blank=True
    )
    competitor_switchers_only = models.BooleanField(_("new switchers only"), default=False)
    competitor_promotion = models.ForeignKey(
        CompetitorPromotion,
        verbose_name=_("known competitor promotion"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Step 4
    words_used = models.TextField(_("words used"), blank=True)
    # Outcome
    accepted_grant = models.ForeignKey(
        "retention.OfferGrant",
        verbose_name=_("offer accepted"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_plan = models.ForeignKey(
        Plan,
        verbose_name=_("plan after downgrade"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome_note = models.TextField(_("outcome note"), blank=True)

    class Meta:
        verbose_name = _("cancellation request (拆机申请)")
        verbose_name_plural = _("cancellation requests")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["store", "status"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["customer", "opened_at"]),
        ]
        permissions = [
            ("work_cancellationrequest", "Can work on cancellation requests (retention desk)"),
            ("complete_cancellation", "Can complete a cancellation (direct-operated store)"),
            ("grant_level1_offer", "Can grant level-1 retention offers"),
            ("approve_level2_offer", "Can approve level-2 retention offers"),
            ("supervise_retention", "Can supervise retention (refusals, missing steps)"),
            ("publish_retentioncase", "Can publish anonymised retention cases"),
        ]

    def __str__(self) -> str:
        return self.request_no or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_unprocessed(self) -> bool:
        return self.status in UNPROCESSED_STATUSES

    @property
    def route(self) -> str:
        return REASON_ROUTE.get(self.reason, "")

    @property
    def has_competitor_offer(self) -> bool:
        return self.competitor_regular_monthly is not None


class StepRecord(models.Model):
    """One of the six steps, recorded with who did it, when, and what was entered."""

    request = models.ForeignKey(
        CancellationRequest, on_delete=models.CASCADE, related_name="step_records"
    )
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    data = models.JSONField(_("what was recorded"), default=dict)

    class Meta:
        verbose_name = _("step record (步骤记录)")
        verbose_name_plural = _("step records")
        ordering = ["step"]
        constraints = [
            models.UniqueConstraint(fields=["request", "step"], name="retention_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.request} step {self.step}"


class StatusChange(models.Model):
    request = models.ForeignKey(
        CancellationRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=24, choices=Status.choices)
    to_status = models.CharField(max_length=24, choices=Status.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request}: {self.from_status} -> {self.to_status}"


class Transfer(models.Model):
    """A move of a request to another store: a hand-over to a direct-operated store by an
    outlet that may not complete cancellations, or a transfer (推诿) by one that may."""

    class Kind(models.TextChoices):
        HANDOVER = "handover", _("hand-over to a direct-operated store (移交)")
        TRANSFER = "transfer", _("sent to another store (推诿)")

    request = models.ForeignKey(
        CancellationRequest, on_delete=models.CASCADE, related_name="transfers"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    from_store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("transfer (移交/推诿)")
        verbose_name_plural = _("transfers")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request}: {self.kind} to {self.to_store_id}"


class FastLaneTicket(models.Model):
    """A service problem fixed at once through the internal fast lane (绿色通道)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    request = models.ForeignKey(
        CancellationRequest, on_delete=models.CASCADE, related_name="fast_lane_tickets"
    )
    ticket_no = models.CharField(_("ticket number"), max_length=32, unique=True, null=True)
    issue = models.CharField(_("issue"), max_length=16, choices=ServiceIssue.choices)
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("fast-lane ticket (绿色通道)")
        verbose_name_plural = _("fast-lane tickets")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.ticket_no or f"#{self.pk}"
