"""The SLA scan: escalation levels fired once per order, level and cycle, and the
periodic progress notices. Safe with several workers: each order is handled in its own
transaction under a row lock, and the unique constraint on (order, level, cycle) stops
a second firing even where locks are not taken."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wanliu.complaints.models import (
    OPEN_STATUSES,
    Escalation,
    EscalationLevel,
    WorkOrder,
)
from wanliu.complaints.services import notices, sla
from wanliu.complaints.services.workflow import progress_notice_record
from wanliu.core.services import audit_record
from wanliu.org.models import OrgUnit, Role, Staff

log = logging.getLogger(__name__)
TEAM_LEADER_ROLES = [Role.GRID_LEAD, Role.BRANCH_MANAGER, Role.SERVICE_SUPERVISOR]
INTERVAL_TEXT = _("Your complaint is still being handled. Committed deadline: %(deadline)s.")


@dataclass
class ScanResult:
    escalations: int = 0
    progress_notices: int = 0


def escalation_recipients(*, order: WorkOrder, recipient: str) -> list[Staff]:
    """Who a level tells: the owner, the owner unit's leaders (looking up the tree when
    the unit has none), or the customer-service department's supervisors."""
    if recipient == EscalationLevel.Recipient.OWNER and order.owner_staff is not None:
        return [order.owner_staff]
    if recipient == EscalationLevel.Recipient.DEPARTMENT_HEAD:
        return list(
            Staff.objects.filter(
                role=Role.SERVICE_SUPERVISOR,
                unit__kind=OrgUnit.Kind.SERVICE_DEPARTMENT,
                user__is_active=True,
            ).select_related("user")
        )
    unit: OrgUnit | None = order.owner_unit
    while unit is not None:
        leaders = list(
            Staff.objects.filter(
                unit=unit, role__in=TEAM_LEADER_ROLES, user__is_active=True
            ).select_related("user")
        )
        if leaders:
            return leaders
        unit = unit.parent
    return []


def escalations_fire(
    *, order_id: int, now: datetime, cache: sla.CalendarCache | None = None
) -> list[Escalation]:
    """Fire every level the order has reached and not yet fired in this cycle."""
    fired: list[Escalation] = []
    with transaction.atomic():
        order = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("owner_unit", "owner_staff", "customer", "category", "sla_calendar")
            .get(pk=order_id)
        )
        if order.status not in OPEN_STATUSES or order.sla_paused_since is not None:
            return fired
        target = sla.resolution_target_seconds(order, cache=cache)
        if not target:
            return fired
        used = Decimal(sla.running_seconds(order, now=now, cache=cache)) / Decimal(target)
        done = set(
            Escalation.objects.filter(order=order, cycle=order.reopen_count).values_list(
                "level_id", flat=True
            )
        )
        for level in EscalationLevel.objects.filter(active=True, share__lte=used):
            if level.pk in done:
                continue
            try:
                with transaction.atomic():
                    escalation = Escalation.objects.create(
                        order=order,
                        level=level,
                        cycle=order.reopen_count,
                        fired_at=now,
                        used_share=used.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                    )
            except IntegrityError:
                continue  # another worker fired it first
            staff = escalation_recipients(order=order, recipient=level.recipient)
            escalation.recipients = [s.pk for s in staff]
            escalation.save(update_fields=["recipients"])
            for person in staff:
                notices.staff_escalation_notice(
                    order=order,
                    staff=person,
                    level_name=level.name,
                    escalation_id=escalation.pk,
                    used_share=f"{used:.0%}",
                )
            audit_record(
                actor=None,
                action="work_order.escalate",
                obj=order,
                after={
                    "level": level.code,
                    "cycle": order.reopen_count,
                    "staff": escalation.recipients,
                },
            )
            fired.append(escalation)
        calendar = sla.work_calendar_of(order.sla_calendar, cache=cache)
        order.next_escalation_at = sla.next_escalation_at(order=order, calendar=calendar)
        order.save(update_fields=["next_escalation_at"])
    return fired


def progress_notice_if_due(*, order_id: int, now: datetime) -> bool:
    """Send the periodic progress notice of an order whose interval has passed."""
    with transaction.atomic():
        order = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("sla_policy", "sla_calendar", "customer", "category")
            .get(pk=order_id)
        )
        due = order.progress_due_at
        if order.status not in OPEN_STATUSES or order.sla_paused_since or due is None or due > now:
            return False
        text = notices.progress_text(
            order, INTERVAL_TEXT, deadline=notices.format_local(order.resolution_due_at)
        )
        progress_notice_record(order=order, text=text, now=now)
    return True


def sla_scan(*, now: datetime | None = None) -> ScanResult:
    """One pass over open orders whose next escalation or progress notice is due."""
    now = now or timezone.now()
    result = ScanResult()
    cache: sla.CalendarCache = {}
    due = WorkOrder.objects.filter(status__in=OPEN_STATUSES, sla_paused_since__isnull=True)
    for order_id in due.filter(next_escalation_at__lte=now).values_list("pk", flat=True):
        result.escalations += len(escalations_fire(order_id=order_id, now=now, cache=cache))
    for order_id in due.filter(Q(progress_due_at__lte=now)).values_list("pk", flat=True):
        result.progress_notices += progress_notice_if_due(order_id=order_id, now=now)
    if result.escalations or result.progress_notices:
        log.info(
            "sla scan: %s escalations, %s progress notices",
            result.escalations,
            result.progress_notices,
        )
    return result
