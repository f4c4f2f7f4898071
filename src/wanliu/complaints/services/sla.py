"""SLA policies applied to orders: which policy matches, which calendar counts, and the
stored due times (first response, resolution, statutory limit, next escalation, next
progress notice), recomputed on every change that moves them."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal

from wanliu.complaints.businesstime import (
    WorkCalendar,
    add_working,
    interval_of,
    working_between,
)
from wanliu.complaints.models import (
    BusinessCalendar,
    CalendarDay,
    Category,
    Channel,
    ComplaintSettings,
    Escalation,
    EscalationLevel,
    SlaPolicy,
    WorkOrder,
)

CalendarCache = dict[int | None, WorkCalendar]


def complaint_settings() -> ComplaintSettings:
    """The one settings row (created with defaults when missing)."""
    row, _created = ComplaintSettings.objects.get_or_create(pk=1)
    return row


def work_calendar_of(
    calendar: BusinessCalendar | None, *, cache: CalendarCache | None = None
) -> WorkCalendar:
    """The pure calendar for a stored one; ``None`` is 24x7 (Asia/Shanghai)."""
    key = calendar.pk if calendar is not None else None
    if cache is not None and key in cache:
        return cache[key]
    if calendar is None or calendar.always_open:
        result = WorkCalendar.twenty_four_seven(
            timezone=calendar.timezone if calendar else "Asia/Shanghai"
        )
    else:
        weekly: dict[int, list[tuple[int, int]]] = {}
        for hours in calendar.working_hours.all():
            weekly.setdefault(hours.weekday, []).append(interval_of(hours.start, hours.end))
        days = list(calendar.days.all())
        result = WorkCalendar.build(
            timezone=calendar.timezone,
            weekly=weekly,
            holidays=[d.date for d in days if d.kind == CalendarDay.Kind.HOLIDAY],
            make_up_days=[d.date for d in days if d.kind == CalendarDay.Kind.MAKE_UP],
            make_up_hours=weekly.get(calendar.make_up_weekday, []),
        )
    if cache is not None:
        cache[key] = result
    return result


def _category_chain(category: Category) -> list[int]:
    """The category's id and its ancestors' ids, nearest first."""
    parents = dict(Category.objects.values_list("id", "parent_id"))
    chain: list[int] = []
    current: int | None = category.pk
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def sla_policy_match(
    *, category: Category, priority: str, channel: str, value_tier: str
) -> SlaPolicy | None:
    """The most specific active policy that matches: most dimensions set first; among
    equally specific policies the strictest (shortest resolution target), then the one
    with the deeper category, then the oldest."""
    chain = _category_chain(category)
    best: tuple[tuple[int, int, int, int], SlaPolicy] | None = None
    for policy in SlaPolicy.objects.filter(active=True).select_related("calendar"):
        if policy.category_id is not None and policy.category_id not in chain:
            continue
        if policy.priority and policy.priority != priority:
            continue
        if policy.channel and policy.channel != channel:
            continue
        if policy.value_tier and policy.value_tier != value_tier:
            continue
        dimensions = sum(
            bool(x)
            for x in (policy.category_id, policy.priority, policy.channel, policy.value_tier)
        )
        depth = len(chain) - chain.index(policy.category_id) if policy.category_id else 0
        rank = (dimensions, -policy.resolution_minutes, depth, -policy.pk)
        if best is None or rank > best[0]:
            best = (rank, policy)
    return best[1] if best else None


def running_seconds(order: WorkOrder, *, now: datetime, cache: CalendarCache | None = None) -> int:
    """Working seconds the SLA clock has run in this cycle (pauses left out)."""
    calendar = work_calendar_of(order.sla_calendar, cache=cache)
    until = order.sla_paused_since or now
    elapsed = working_between(calendar, order.sla_started_at, until).total_seconds()
    return max(0, int(elapsed) - int(order.sla_paused_seconds))


def resolution_target_seconds(
    order: WorkOrder, *, cache: CalendarCache | None = None
) -> int | None:
    """The running time the resolution target allows in this cycle: the policy's target,
    or less when the statutory limit comes first."""
    if order.resolution_due_at is None:
        return None
    calendar = work_calendar_of(order.sla_calendar, cache=cache)
    span = working_between(calendar, order.sla_started_at, order.resolution_due_at)
    return max(0, int(span.total_seconds()) - int(order.sla_paused_seconds))


def _at_running(order: WorkOrder, calendar: WorkCalendar, seconds: int) -> datetime:
    """The instant when the clock of this cycle has run ``seconds`` (pauses included)."""
    total = seconds + int(order.sla_paused_seconds)
    return add_working(calendar, order.sla_started_at, timedelta(seconds=total))


def sla_recompute(
    *, order: WorkOrder, now: datetime, cache: CalendarCache | None = None, rematch: bool = True
) -> list[str]:
    """Set the order's policy (when ``rematch``) and every stored due time; returns the
    changed field names for ``save(update_fields=...)``. The caller saves."""
    fields = ["sla_policy", "sla_calendar", "first_response_due_at", "resolution_due_at"]
    fields += ["statutory_due_at", "next_escalation_at", "progress_due_at"]
    if rematch or order.sla_policy_id is None:
        order.sla_policy = sla_policy_match(
            category=order.category,
            priority=order.priority,
            channel=order.channel,
            value_tier=order.value_tier,
        )
        order.sla_calendar = order.sla_policy.calendar if order.sla_policy else None
    policy = order.sla_policy
    calendar = work_calendar_of(order.sla_calendar, cache=cache)
    settings_row = complaint_settings()
    order.statutory_due_at = (
        order.received_at + timedelta(days=settings_row.regulator_reply_days)
        if order.channel == Channel.REGULATOR
        else None
    )
    if not order.is_open:
        # Resolved, closed or merged: the due times stay as they were, for reporting.
        order.next_escalation_at = None
        order.progress_due_at = None
        return fields
    if order.sla_paused_since is not None:
        # Waiting for the customer: no clock runs except the statutory limit.
        order.first_response_due_at = None
        order.resolution_due_at = order.statutory_due_at
        order.next_escalation_at = None
        order.progress_due_at = None
        return fields
    if policy is None:
        order.first_response_due_at = None
        order.resolution_due_at = order.statutory_due_at
    else:
        order.first_response_due_at = (
            _at_running(order, calendar, policy.first_response_minutes * 60)
            if order.first_responded_at is None and order.reopen_count == 0
            else None
        )
        due = _at_running(order, calendar, policy.resolution_minutes * 60)
        if order.statutory_due_at is not None:
            due = min(due, order.statutory_due_at)
        order.resolution_due_at = due
    order.next_escalation_at = next_escalation_at(order=order, calendar=calendar)
    interval = policy.progress_interval_minutes if policy else None
    if not interval:
        order.progress_due_at = None
    elif order.progress_due_at is None:
        order.progress_due_at = add_working(
            calendar, max(now, order.sla_started_at), timedelta(minutes=interval)
        )
    return fields


def next_escalation_at(*, order: WorkOrder, calendar: WorkCalendar) -> datetime | None:
    """When the lowest level not yet fired in this cycle is due, if any."""
    fired: set[int] = set()
    if order.pk is not None:
        fired = set(
            Escalation.objects.filter(order=order, cycle=order.reopen_count).values_list(
                "level_id", flat=True
            )
        )
    levels = [lv for lv in EscalationLevel.objects.filter(active=True) if lv.pk not in fired]
    if not levels or order.resolution_due_at is None:
        return None
    span = working_between(calendar, order.sla_started_at, order.resolution_due_at)
    target = max(0, int(span.total_seconds()) - int(order.sla_paused_seconds))
    share = min(Decimal(lv.share) for lv in levels)
    return _at_running(order, calendar, math.ceil(target * share))


def sla_pause(*, order: WorkOrder, now: datetime) -> list[str]:
    """Stop the clock (waiting for the customer)."""
    if order.sla_paused_since is None:
        order.sla_paused_since = now
    return ["sla_paused_since"]


def sla_resume(*, order: WorkOrder, now: datetime, cache: CalendarCache | None = None) -> list[str]:
    """Restart the clock: the paused working time moves every due time later."""
    if order.sla_paused_since is not None:
        calendar = work_calendar_of(order.sla_calendar, cache=cache)
        paused = working_between(calendar, order.sla_paused_since, now).total_seconds()
        order.sla_paused_seconds = int(order.sla_paused_seconds) + max(0, int(paused))
        order.sla_paused_since = None
        order.progress_due_at = None
    return ["sla_paused_since", "sla_paused_seconds"]


def sla_cycle_restart(*, order: WorkOrder, now: datetime) -> list[str]:
    """A reopened order starts a new SLA cycle from now."""
    order.sla_started_at = now
    order.sla_paused_seconds = 0
    order.sla_paused_since = None
    order.progress_due_at = None
    return ["sla_started_at", "sla_paused_seconds", "sla_paused_since"]
