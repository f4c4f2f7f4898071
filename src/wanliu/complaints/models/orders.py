"""The work order (工单) and what hangs off it: status history, messages, attachments,
internal tasks dispatched to other units, and owner hand-overs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.models.calendars import BusinessCalendar
from wanliu.complaints.models.policy import Category, Channel, Priority, SlaPolicy
from wanliu.customers.models import Contact, Customer, Line, ValueTier
from wanliu.org.models import OrgUnit, Staff, Store


class Status(models.TextChoices):
    NEW = "new", _("new (新建)")
    ASSIGNED = "assigned", _("assigned (已派单)")
    IN_PROGRESS = "in_progress", _("in progress (处理中)")
    WAITING_CUSTOMER = "waiting_customer", _("waiting for the customer (待客户反馈)")
    RESOLVED = "resolved", _("resolved (已解决)")
    CLOSED = "closed", _("closed (已关闭)")
    REOPENED = "reopened", _("reopened (重新打开)")
    MERGED = "merged", _("merged into another order (已合并)")


# The state machine, as data: from each status, the statuses an order may move to.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.MERGED}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.MERGED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING_CUSTOMER, Status.RESOLVED, Status.MERGED}),
    Status.WAITING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.MERGED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.CLOSED: frozenset({Status.REOPENED}),
    Status.REOPENED: frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.MERGED}),
    Status.MERGED: frozenset(),
}
# Each status stamps its time on the order when it is entered.
STATUS_TIMESTAMP: dict[str, str] = {
    Status.ASSIGNED: "assigned_at",
    Status.IN_PROGRESS: "in_progress_at",
    Status.WAITING_CUSTOMER: "waiting_customer_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
    Status.REOPENED: "reopened_at",
    Status.MERGED: "merged_at",
}
OPEN_STATUSES = frozenset(
    {Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.REOPENED}
)


class WorkOrder(models.Model):
    """A complaint or request (工单), owned by one unit from first contact to closure."""

    order_no = models.CharField(_("order number"), max_length=32, unique=True, null=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="orders"
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    value_tier = models.CharField(
        _("value tier at intake"), max_length=1, choices=ValueTier.choices
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="work_orders",
    )
    line = models.ForeignKey(
        Line,
        verbose_name=_("line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    source_contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact it came from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_orders",
    )
    title = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("what the customer says"))
    contact_phone = models.CharField(_("call-back number"), max_length=20, blank=True)
    contact_email = models.EmailField(_("e-mail for notices"), blank=True)
    notice_language = models.CharField(
        _("language of notices"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    owner_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="+"
    )
    owner_store = models.ForeignKey(
        Store,
        verbose_name=_("owner store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_staff = models.ForeignKey(
        Staff,
        verbose_name=_("owner (责任人)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_work_orders",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    in_progress_at = models.DateTimeField(_("in progress at"), null=True, blank=True)
    waiting_customer_at = models.DateTimeField(_("waiting since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    resolution = models.TextField(_("result told to the customer"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_orders",
    )
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeats",
    )
    upgrade_reason = models.CharField(_("why the priority was raised"), max_length=200, blank=True)
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    # SLA: the policy that applied, the clock of the current cycle and the stored due times.
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_started_at = models.DateTimeField(_("SLA clock started"))
    sla_paused_since = models.DateTimeField(_("SLA clock paused since"), null=True, blank=True)
    sla_paused_seconds = models.PositiveBigIntegerField(_("working seconds paused"), default=0)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(
        _("resolution due (committed deadline)"), null=True, blank=True, db_index=True
    )
    statutory_due_at = models.DateTimeField(_("statutory reply limit"), null=True, blank=True)
    progress_due_at = models.DateTimeField(_("next progress notice"), null=True, blank=True)
    progress_notices_sent = models.PositiveIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)
    search_document = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("work order (工单)")
        verbose_name_plural = _("work orders")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["owner_unit", "status"]),
            models.Index(fields=["customer", "category", "received_at"]),
            models.Index(fields=["status", "progress_due_at"]),
            models.Index(fields=["received_at"], name="workorder_received_at"),
        ]
        # Granted to roles by wanliu.org.roles.ROLE_PERMISSIONS; checked only in
        # wanliu.complaints.permissions.
        permissions = [
            ("work_workorder", "Can take and work on complaints (work orders)"),
            ("revisit_workorder", "Can record the revisit of any complaint in scope"),
            ("supervise_workorder", "Can act on every complaint in scope (service department)"),
        ]

    def __str__(self) -> str:
        return self.order_no or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class StatusChange(models.Model):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Status.choices)
    to_status = models.CharField(max_length=20, choices=Status.choices)
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
        return f"{self.order}: {self.from_status} -> {self.to_status}"


class OrderMessage(models.Model):
    """An internal note, a message to the customer, or what the customer said."""

    class Kind(models.TextChoices):
        NOTE = "note", _("internal note (内部备注)")
        TO_CUSTOMER = "to_customer", _("message to the customer (客户可见)")
        FROM_CUSTOMER = "from_customer", _("customer's reply (客户反馈)")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order message")
        verbose_name_plural = _("order messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.kind}"


class Attachment(models.Model):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="complaints/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment (附件)")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class InternalTask(models.Model):
    """Work the owner needs from another unit (home region, network, billing): 内部派单."""

    class Status(models.TextChoices):
        OPEN = "open", _("open (待处理)")
        IN_PROGRESS = "in_progress", _("in progress (处理中)")
        DONE = "done", _("done (已完成)")
        RETURNED = "returned", _("returned to the owner (退回)")

    ALLOWED: dict[str, frozenset[str]] = {
        Status.OPEN: frozenset({Status.IN_PROGRESS, Status.DONE, Status.RETURNED}),
        Status.IN_PROGRESS: frozenset({Status.DONE, Status.RETURNED}),
        Status.DONE: frozenset(),
        Status.RETURNED: frozenset(),
    }

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="tasks")
    assignee_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("assigned unit"), on_delete=models.PROTECT, related_name="+"
    )
    assignee_staff = models.ForeignKey(
        Staff,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaint_tasks",
    )
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    result = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("internal task (内部任务)")
        verbose_name_plural = _("internal tasks")
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return self.title


class HandOver(models.Model):
    """A request to change the owner; it takes effect when the receiving unit accepts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending (待接收)")
        ACCEPTED = "accepted", _("accepted (已接收)")
        DECLINED = "declined", _("declined (已拒绝)")

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="hand_overs")
    from_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    from_staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="+"
    )
    to_store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("hand-over (转派)")
        verbose_name_plural = _("hand-overs")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="pending"),
                name="hand_over_one_pending_per_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} -> {self.to_unit}"
