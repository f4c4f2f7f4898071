"""The cancellation request's life: open, the one transition service, insist, transfer,
outcome, close, and the fast lane (绿色通道). Every function is one atomic write that
appends audit events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.customers.models import Account, Customer, Line, Plan, Subscription
from wanliu.customers.services import (
    IN_SERVICE,
    account_close,
    lines_cancel,
    lines_suspend,
    plan_shortfall,
    subscription_end,
    subscription_plan_change,
)
from wanliu.notify.events import event_publish
from wanliu.org.models import Role, Store
from wanliu.retention.access import can_complete, can_open, can_work, staff_of
from wanliu.retention.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    OUTCOME_STATUSES,
    PROCESSED_STATUSES,
    RETAINED_STATUSES,
    STATUS_TIMESTAMP,
    CancellationRequest,
    Channel,
    FastLaneTicket,
    OfferGrant,
    RequestKind,
    RetentionPolicy,
    ServiceIssue,
    Status,
    StatusChange,
    Step,
    StepRecord,
    Target,
    Transfer,
)
from wanliu.retention.selectors import retention_policy_current
from wanliu.retention.services.errors import (
    IllegalTransition,
    NotAllowed,
    RetentionError,
    StepIncomplete,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHANNEL_OF_ROLE: dict[str, str] = {
    Role.CLERK: Channel.STORE,
    Role.HOTLINE_AGENT: Channel.HOTLINE,
    Role.GRID_LEAD: Channel.GRID,
    Role.BRANCH_MANAGER: Channel.GRID,
}


def complete_only_direct() -> str:
    return _(
        "Only a direct-operated store (直营厅) may complete a cancellation or suspension: "
        "hand the request over to one."
    )


def request_snapshot(request: CancellationRequest) -> dict[str, Any]:
    return {
        "status": request.status,
        "outcome": request.outcome,
        "store": request.store_id,
        "unit": request.unit_id,
        "reason": request.reason,
        "insisted_at": request.insisted_at.isoformat() if request.insisted_at else None,
        "refusal_flagged_at": (
            request.refusal_flagged_at.isoformat() if request.refusal_flagged_at else None
        ),
        "accepted_grant": request.accepted_grant_id,
    }


def request_event_data(request: CancellationRequest) -> dict[str, Any]:
    """What the operator's other systems (billing carries out the cancellation) are told."""
    grant = request.accepted_grant
    return {
        "id": request.pk,
        "request_no": request.request_no or "",
        "kind": request.kind,
        "target": request.target,
        "customer_no": request.customer.customer_no,
        "account_no": request.account.account_no if request.account_id else None,
        "subscription_id": request.subscription_id,
        "line": request.line.number if request.line_id and request.line else None,
        "channel": request.channel,
        "store": request.store.code if request.store_id and request.store else None,
        "status": request.status,
        "outcome": request.outcome or None,
        "reason": request.reason or None,
        "new_plan": request.new_plan.code if request.new_plan_id and request.new_plan else None,
        "offer": grant.offer.code if grant is not None else None,
        "opened_at": request.opened_at,
        "due_at": request.due_at,
    }


def status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def processing_due_at(*, opened_at: dt.datetime, policy: RetentionPolicy) -> dt.datetime:
    """When a request opened at ``opened_at`` must be processed: ``refusal_limit_hours``
    later when the policy sets it, else the end of the same business day (the next one when
    opened after closing time), Asia/Shanghai."""
    if policy.refusal_limit_hours:
        return opened_at + dt.timedelta(hours=policy.refusal_limit_hours)
    local = opened_at.astimezone(SHANGHAI)
    end = dt.datetime.combine(local.date(), policy.business_day_ends_at, tzinfo=SHANGHAI)
    if local >= end:
        end = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), policy.business_day_ends_at, tzinfo=SHANGHAI
        )
    return end


def _ensure_work(actor: Any, request: CancellationRequest) -> None:
    if not can_work(actor, request):
        raise NotAllowed(
            _("You may not work on this request: it is handled by another store or team.")
        )


@transaction.atomic
def cancellation_request_open(
    *,
    actor: Any,
    customer: Customer,
    kind: str,
    target: str,
    account: Account | None = None,
    subscription: Subscription | None = None,
    line: Line | None = None,
    channel: str | None = None,
    store: Store | None = None,
    stated_complaint: str = "",
    now: dt.datetime | None = None,
) -> CancellationRequest:
    """Open a request for ``customer`` (the caller must already see the customer).

    The channel follows the role: a clerk opens at their store, a hotline agent on the
    hotline, a grid lead or branch manager as the grid team. The request must be processed
    by the policy's limit (``due_at``), or it is flagged as a refusal.
    """
    now = now or timezone.now()
    if not can_open(actor):
        raise NotAllowed(_("Your role may not open cancellation requests."))
    if kind not in RequestKind.values:
        raise StepIncomplete(_("Unknown kind %(kind)s.") % {"kind": repr(kind)}, field="kind")
    if target not in Target.values:
        raise StepIncomplete(
            _("Unknown target %(target)s.") % {"target": repr(target)}, field="target"
        )
    staff = staff_of(actor)
    role_channel = CHANNEL_OF_ROLE.get(staff.role) if staff is not None else None
    if role_channel is not None:
        if channel and channel != role_channel:
            raise NotAllowed(
                _("Your role opens requests through the %(role_channel)s channel.")
                % {"role_channel": role_channel}
            )
        channel = role_channel
        store = staff.store if role_channel == Channel.STORE and staff is not None else None
        if role_channel == Channel.STORE and store is None:
            raise NotAllowed(_("A clerk without a store may not open requests."))
    else:
        channel = channel or (Channel.STORE if store is not None else Channel.HOTLINE)
        if channel not in Channel.values:
            raise StepIncomplete(_("Give the channel the request came through."), field="channel")
    if channel == Channel.STORE and store is None:
        raise StepIncomplete(_("A request opened at a store needs the store."), field="store")

    if target == Target.LINE:
        if line is None:
            raise StepIncomplete(_("Choose the line to cancel."), field="line")
        account = line.account
    elif target == Target.SUBSCRIPTION:
        if subscription is None:
            raise StepIncomplete(_("Choose the bundle or plan to cancel."), field="subscription")
        account = subscription.account
    elif account is None:
        raise StepIncomplete(_("Choose the account to close."), field="account")
    if account.customer_id != customer.pk:
        raise StepIncomplete(_("That is not the customer's."), field=target)
    if target == Target.LINE and line is not None and line.status == Line.Status.CANCELLED:
        raise StepIncomplete(_("This line is already cancelled."), field="line")
    if target == Target.SUBSCRIPTION and subscription is not None and subscription.ended_on:
        raise StepIncomplete(_("This bundle has already ended."), field="subscription")
    if target == Target.ACCOUNT and account.status == Account.Status.CLOSED:
        raise StepIncomplete(_("This account is already closed."), field="account")
    if (
        kind == RequestKind.SUSPEND
        and target == Target.LINE
        and line is not None
        and line.status == Line.Status.SUSPENDED
    ):
        raise StepIncomplete(_("This line is already suspended."), field="line")

    same_target = CancellationRequest.objects.filter(
        customer=customer, target=target, status__in=OPEN_STATUSES
    ).filter(
        line=line if target == Target.LINE else None,
        subscription=subscription if target == Target.SUBSCRIPTION else None,
        account=account,
    )
    existing = same_target.first()
    if existing is not None:
        raise RetentionError(
            _("Request %(existing)s for this is already open: continue it.")
            % {"existing": existing}
        )

    policy = retention_policy_current()
    request = CancellationRequest.objects.create(
        kind=kind,
        target=target,
        customer=customer,
        account=account,
        subscription=subscription if target == Target.SUBSCRIPTION else None,
        line=line if target == Target.LINE else None,
        channel=channel,
        origin_store=store,
        store=store,
        unit=store.unit if store is not None else customer.unit,
        opened_by=actor,
        opened_at=now,
        due_at=processing_due_at(opened_at=now, policy=policy),
        stated_complaint=stated_complaint.strip(),
    )
    request.request_no = f"CR{now.astimezone(SHANGHAI):%Y%m%d}{request.pk:06d}"
    request.save(update_fields=["request_no"])
    audit_record(
        actor=actor,
        action="retention.request.open",
        obj=request,
        after={**request_snapshot(request), "kind": kind, "target": target, "channel": channel},
    )
    event_publish(
        event="retention.request.opened",
        key=f"cancellation_request:{request.pk}:opened",
        data=request_event_data(request),
        related=request,
    )
    return request


# --- the state machine --------------------------------------------------------------------


def _guard_work(req: CancellationRequest, actor: Any, **_context: Any) -> None:
    _ensure_work(actor, req)


def _guard_with_offer(
    req: CancellationRequest, actor: Any, *, grant: OfferGrant | None = None, **_context: Any
) -> None:
    _ensure_work(actor, req)
    if grant is None:
        raise StepIncomplete(_("Choose the granted offer the customer accepts."), field="grant")
    if grant.request_id != req.pk:
        raise StepIncomplete(_("That offer was granted on another request."), field="grant")
    if not grant.is_effective:
        raise StepIncomplete(
            _(
                "The offer is %(get_status_display)s: only a granted or approved offer "
                "can be accepted."
            )
            % {"get_status_display": grant.get_status_display()},
            field="grant",
        )


def _guard_downgrade(
    req: CancellationRequest, actor: Any, *, new_plan: Plan | None = None, **_context: Any
) -> None:
    _ensure_work(actor, req)
    if new_plan is None:
        raise StepIncomplete(_("Choose the cheaper plan the customer moves to."), field="new_plan")
    if req.current_monthly_fee is not None and new_plan.monthly_fee >= req.current_monthly_fee:
        raise StepIncomplete(
            _("A downgrade goes to a cheaper plan than %(current_monthly_fee)s yuan.")
            % {"current_monthly_fee": req.current_monthly_fee},
            field="new_plan",
        )


def _guard_process(
    req: CancellationRequest, actor: Any, *, to_status: str, **_context: Any
) -> None:
    if not can_complete(actor, req):
        raise NotAllowed(complete_only_direct())
    if req.kind == RequestKind.SUSPEND and to_status == Status.CANCELLED:
        raise IllegalTransition(
            _("The customer asked to suspend, not to cancel: process a suspension.")
        )


def _guard_close(req: CancellationRequest, actor: Any, **_context: Any) -> None:
    _ensure_work(actor, req)
    recorded = set(StepRecord.objects.filter(request=req).values_list("step", flat=True))
    if req.outcome in RETAINED_STATUSES and Step.CARE not in recorded:
        raise StepIncomplete(
            _("Record step 5 (care: the follow-up) before closing."), field="step5"
        )
    if req.outcome not in RETAINED_STATUSES and Step.PART_WELL not in recorded:
        raise StepIncomplete(
            _("Record step 6 (part well: the win-back entry) before closing."), field="step6"
        )


TRANSITION_GUARDS: dict[str, Callable[..., None]] = {
    Status.IN_CONVERSATION: _guard_work,
    Status.RETAINED_SAME_PLAN: _guard_work,
    Status.RETAINED_WITH_OFFER: _guard_with_offer,
    Status.DOWNGRADED: _guard_downgrade,
    Status.SUSPENDED: _guard_process,
    Status.CANCELLED: _guard_process,
    Status.COOLING_OFF: _guard_work,
    Status.CLOSED: _guard_close,
}


@transaction.atomic
def cancellation_request_transition(
    *,
    request: CancellationRequest,
    to_status: str,
    actor: Any,
    note: str = "",
    grant: OfferGrant | None = None,
    new_plan: Plan | None = None,
    now: dt.datetime | None = None,
) -> CancellationRequest:
    """Move the request along the state machine (``ALLOWED_TRANSITIONS``), stamping the
    status's own timestamp; refuse an illegal move with the moves that are allowed."""
    now = now or timezone.now()
    req = (
        CancellationRequest.objects.select_for_update(of=("self",))
        .select_related("store", "unit")
        .get(pk=request.pk)
    )
    current = req.status
    if to_status not in Status.values:
        raise IllegalTransition(_("Unknown status %(to_status)s.") % {"to_status": repr(to_status)})
    allowed = ALLOWED_TRANSITIONS[current]
    if to_status not in allowed:
        moves = ", ".join(status_label(s) for s in Status.values if s in allowed) or "none"
        raise IllegalTransition(
            _("A request that is %(current)s cannot become %(to_status)s. Allowed: %(moves)s.")
            % {
                "current": status_label(current),
                "to_status": status_label(to_status),
                "moves": moves,
            }
        )
    TRANSITION_GUARDS[to_status](req, actor, to_status=to_status, grant=grant, new_plan=new_plan)
    before = request_snapshot(req)
    req.status = to_status
    fields = ["status", STATUS_TIMESTAMP[to_status]]
    setattr(req, STATUS_TIMESTAMP[to_status], now)
    if to_status in OUTCOME_STATUSES:
        req.outcome = to_status
        fields.append("outcome")
        if note:
            req.outcome_note = note
            fields.append("outcome_note")
    if to_status == Status.RETAINED_WITH_OFFER and grant is not None:
        req.accepted_grant = grant
        fields.append("accepted_grant")
    if to_status == Status.DOWNGRADED:
        req.new_plan = new_plan
        fields.append("new_plan")
    req.save(update_fields=fields)
    _customer_change(req, to_status=to_status, actor=actor, new_plan=new_plan, now=now)
    change = StatusChange.objects.create(
        request=req, from_status=current, to_status=to_status, at=now, actor=actor, note=note
    )
    if to_status in OUTCOME_STATUSES and to_status != Status.COOLING_OFF:
        _pending_grants_close(req, actor=actor, now=now)
    audit_record(
        actor=actor,
        action="retention.request.transition",
        obj=req,
        before=before,
        after=request_snapshot(req),
        note=note,
    )
    event_publish(
        event="retention.request.status_changed",
        key=f"cancellation_request:{req.pk}:status:{change.pk}",
        data={
            **request_event_data(req),
            "from_status": current,
            "to_status": to_status,
            "at": now,
        },
        related=req,
    )
    return req


def _target_lines(req: CancellationRequest, statuses: tuple[str, ...]) -> list[Line]:
    """The request's lines in one of ``statuses``: the line, the bundle's lines, or the
    account's lines."""
    if req.target == Target.LINE:
        lines = Line.objects.filter(pk=req.line_id) if req.line_id is not None else None
    elif req.target == Target.SUBSCRIPTION:
        lines = (
            Line.objects.filter(subscription_id=req.subscription_id)
            if req.subscription_id is not None
            else None
        )
    else:
        lines = Line.objects.filter(account_id=req.account_id)
    if lines is None:
        return []
    return list(lines.filter(status__in=statuses).order_by("id"))


def _downgraded_subscription(req: CancellationRequest, new_plan: Plan) -> Subscription:
    """The running subscription a downgrade moves to ``new_plan``: the bundle, the line's
    plan, or the account's only running plan (of the new plan's family, when it has
    several)."""
    if req.target == Target.SUBSCRIPTION and req.subscription_id is not None:
        candidates = Subscription.objects.filter(pk=req.subscription_id)
    elif req.target == Target.LINE and req.line_id is not None:
        candidates = Subscription.objects.filter(lines__pk=req.line_id)
    else:
        candidates = Subscription.objects.filter(account_id=req.account_id)
    running = list(candidates.filter(ended_on__isnull=True).select_related("plan").order_by("id"))
    if len(running) > 1:
        running = [s for s in running if s.plan.family == new_plan.family]
    if not running:
        raise StepIncomplete(
            _("There is no running plan of this kind to downgrade."), field="new_plan"
        )
    if len(running) > 1:
        raise StepIncomplete(
            _(
                "The account has %(n)d running plans of this kind: open the request "
                "for the bundle or the line that is to change."
            )
            % {"n": len(running)},
            field="new_plan",
        )
    subscription = running[0]
    if new_plan.monthly_fee >= subscription.plan.monthly_fee:
        raise StepIncomplete(
            _("A downgrade goes to a cheaper plan than %(plan)s (%(fee)s yuan a month).")
            % {"plan": subscription.plan.code, "fee": subscription.plan.monthly_fee},
            field="new_plan",
        )
    shortfall = plan_shortfall(subscription, new_plan)
    if shortfall:
        raise StepIncomplete(shortfall, field="new_plan")
    return subscription


def _customer_change(
    req: CancellationRequest,
    *,
    to_status: str,
    actor: Any,
    new_plan: Plan | None,
    now: dt.datetime,
) -> None:
    """Carry the outcome out on what the request targets, in the same transaction: a
    cancellation cancels the line, the bundle's lines (and ends the bundle) or the
    account's lines still in service (and closes the account); a suspension suspends the
    active ones; a downgrade changes the plan."""
    on = timezone.localdate(now)
    reason = f"{req.request_no or req.pk} {to_status}"
    if to_status == Status.CANCELLED:
        lines = _target_lines(req, IN_SERVICE)
        if lines:
            lines_cancel(lines=lines, on=on, actor=actor, reason=reason)
        if req.target == Target.LINE:
            return
        if req.target == Target.SUBSCRIPTION:
            subscriptions = (
                Subscription.objects.filter(pk=req.subscription_id)
                if req.subscription_id is not None
                else Subscription.objects.none()
            )
        else:
            subscriptions = Subscription.objects.filter(account_id=req.account_id)
        for subscription in subscriptions.filter(ended_on__isnull=True).order_by("id"):
            subscription_end(subscription=subscription, on=on, actor=actor, reason=reason)
        if req.target == Target.ACCOUNT:
            account = Account.objects.get(pk=req.account_id)
            if account.status != Account.Status.CLOSED:
                account_close(account=account, on=on, actor=actor, reason=reason)
    elif to_status == Status.SUSPENDED:
        lines = _target_lines(req, (Line.Status.ACTIVE,))
        if lines:
            lines_suspend(lines=lines, on=on, actor=actor, reason=reason)
    elif to_status == Status.DOWNGRADED and new_plan is not None:
        subscription_plan_change(
            subscription=_downgraded_subscription(req, new_plan),
            to_plan=new_plan,
            on=on,
            actor=actor,
            reason=reason,
        )


def _pending_grants_close(req: CancellationRequest, *, actor: Any, now: dt.datetime) -> None:
    """An outcome ends the wait for approvals still open on the request."""
    for grant in OfferGrant.objects.select_for_update().filter(
        request=req, status=OfferGrant.Status.PENDING
    ):
        grant.status = OfferGrant.Status.EXPIRED
        grant.decided_at = now
        grant.decision_note = "the request reached an outcome before the approval"
        grant.save(update_fields=["status", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="retention.grant.expire",
            obj=grant,
            before={"status": OfferGrant.Status.PENDING},
            after={"status": grant.status},
            note=grant.decision_note,
        )


def conversation_start(
    *, request: CancellationRequest, actor: Any, now: dt.datetime | None = None
) -> CancellationRequest:
    """Recording a step moves an opened (or cooling-off) request into the conversation."""
    if request.status in (Status.OPENED, Status.COOLING_OFF):
        return cancellation_request_transition(
            request=request, to_status=Status.IN_CONVERSATION, actor=actor, now=now
        )
    return request


@transaction.atomic
def cancellation_request_outcome(
    *,
    request: CancellationRequest,
    outcome: str,
    actor: Any,
    grant: OfferGrant | None = None,
    new_plan: Plan | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> CancellationRequest:
    """Record the outcome of the conversation (retained, downgraded, processed, cooling off)."""
    request = CancellationRequest.objects.select_for_update().get(pk=request.pk)
    if outcome not in OUTCOME_STATUSES:
        raise IllegalTransition(
            _("%(outcome)s is not an outcome.") % {"outcome": status_label(outcome)}
        )
    if outcome in PROCESSED_STATUSES and request.status == Status.OPENED:
        return cancellation_request_transition(
            request=request, to_status=outcome, actor=actor, note=note, now=now
        )
    if request.status == Status.OPENED:
        request = conversation_start(request=request, actor=actor, now=now)
    return cancellation_request_transition(
        request=request,
        to_status=outcome,
        actor=actor,
        grant=grant,
        new_plan=new_plan,
        note=note,
        now=now,
    )


@transaction.atomic
def cancellation_request_insist(
    *,
    request: CancellationRequest,
    actor: Any,
    to_store: Store | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> CancellationRequest:
    """The customer insists: process the cancellation (or suspension) now, from any step.

    In a direct-operated store this completes the request in the same visit. Elsewhere (the
    hotline, a grid team, a partner outlet) it must go to a direct-operated store at once:
    give ``to_store``; the processing deadline keeps running.
    """
    now = now or timezone.now()
    req = (
        CancellationRequest.objects.select_for_update(of=("self",))
        .select_related("store", "unit")
        .get(pk=request.pk)
    )
    if req.status not in OPEN_STATUSES:
        raise IllegalTransition(
            _("The request is already %(status)s: nothing left to process.")
            % {"status": status_label(req.status)}
        )
    if not can_work(actor, req) and not can_complete(actor, req):
        raise NotAllowed(_("You may not work on this request: it is handled by another store."))
    before = request_snapshot(req)
    if req.insisted_at is None:
        req.insisted_at = now
        req.save(update_fields=["insisted_at"])
        audit_record(
            actor=actor,
            action="retention.request.insist",
            obj=req,
            before=before,
            after=request_snapshot(req),
            note=note,
        )
    outcome = Status.SUSPENDED if req.kind == RequestKind.SUSPEND else Status.CANCELLED
    if can_complete(actor, req):
        return cancellation_request_transition(
            request=req,
            to_status=outcome,
            actor=actor,
            note=note or "the customer insisted: processed in the same visit",
            now=now,
        )
    if to_store is None:
        raise NotAllowed(complete_only_direct())
    return cancellation_request_transfer(
        request=req,
        to_store=to_store,
        actor=actor,
        reason=note or "the customer insists on cancelling",
        now=now,
    )


@transaction.atomic
def cancellation_request_transfer(
    *,
    request: CancellationRequest,
    to_store: Store,
    actor: Any,
    reason: str,
    now: dt.datetime | None = None,
) -> CancellationRequest:
    """Move the request to another store. From an outlet that may not complete
    cancellations (hotline, grid team, partner outlet) to a direct-operated store it is a
    hand-over; from a direct-operated store it is recorded as a transfer (推诿), which
    supervision shows. The processing deadline does not move."""
    now = now or timezone.now()
    req = (
        CancellationRequest.objects.select_for_update(of=("self",))
        .select_related("store", "unit")
        .get(pk=request.pk)
    )
    if req.status not in OPEN_STATUSES:
        raise IllegalTransition(
            _("The request is already %(status)s.") % {"status": status_label(req.status)}
        )
    _ensure_work(actor, req)
    if not reason.strip():
        raise StepIncomplete(_("Say why the request goes to another store."), field="reason")
    if to_store.pk == req.store_id:
        raise StepIncomplete(_("The request is already at that store."), field="to_store")
    from_store = req.store
    may_complete_here = from_store is not None and from_store.direct_operated
    if not may_complete_here and not to_store.direct_operated:
        raise StepIncomplete(
            _(
                "Hand the request over to a direct-operated store (直营厅): only they may "
                "complete a cancellation."
            ),
            field="to_store",
        )
    kind = Transfer.Kind.TRANSFER if may_complete_here else Transfer.Kind.HANDOVER
    before = request_snapshot(req)
    req.store = to_store
    req.unit = to_store.unit
    req.save(update_fields=["store", "unit"])
    transfer = Transfer.objects.create(
        request=req,
        kind=kind,
        from_store=from_store,
        to_store=to_store,
        reason=reason.strip()[:200],
        at=now,
        actor=actor,
    )
    audit_record(
        actor=actor,
        action=f"retention.request.{kind}",
        obj=req,
        before=before,
        after={**request_snapshot(req), "transfer": transfer.pk, "kind": kind},
        note=reason[:255],
    )
    return req


def cancellation_request_close(
    *, request: CancellationRequest, actor: Any, note: str = "", now: dt.datetime | None = None
) -> CancellationRequest:
    """Close the work order (工单闭环) once the follow-up or the win-back entry is recorded."""
    return cancellation_request_transition(
        request=request, to_status=Status.CLOSED, actor=actor, note=note, now=now
    )


@transaction.atomic
def fast_lane_ticket_open(
    *,
    request: CancellationRequest,
    actor: Any,
    issue: str,
    description: str,
    now: dt.datetime | None = None,
) -> FastLaneTicket:
    """Send a service problem through the fast lane (绿色通道) to be fixed at once."""
    now = now or timezone.now()
    _ensure_work(actor, request)
    if request.status not in OPEN_STATUSES:
        raise IllegalTransition(
            _("The request is already %(status)s.") % {"status": status_label(request.status)}
        )
    if issue not in ServiceIssue.values:
        raise StepIncomplete(_("Choose the kind of service problem."), field="issue")
    if not description.strip():
        raise StepIncomplete(_("Describe the problem for the fast lane."), field="description")
    ticket = FastLaneTicket.objects.create(
        request=request,
        issue=issue,
        description=description.strip(),
        opened_at=now,
        opened_by=actor,
    )
    ticket.ticket_no = f"GL{now.astimezone(SHANGHAI):%Y%m%d}{ticket.pk:05d}"
    ticket.save(update_fields=["ticket_no"])
    audit_record(
        actor=actor,
        action="retention.fast_lane.open",
        obj=ticket,
        after={"request": request.pk, "issue": issue, "status": ticket.status},
    )
    return ticket


@transaction.atomic
def fast_lane_ticket_resolve(
    *, ticket: FastLaneTicket, actor: Any, resolution: str, now: dt.datetime | None = None
) -> FastLaneTicket:
    now = now or timezone.now()
    ticket = (
        FastLaneTicket.objects.select_for_update(of=("self",))
        .select_related("request", "request__unit", "request__store")
        .get(pk=ticket.pk)
    )
    _ensure_work(actor, ticket.request)
    if ticket.status == FastLaneTicket.Status.RESOLVED:
        raise IllegalTransition(_("The fast-lane ticket is already resolved."))
    if not resolution.strip():
        raise StepIncomplete(_("Say how the problem was fixed."), field="resolution")
    ticket.status = FastLaneTicket.Status.RESOLVED
    ticket.resolved_at = now
    ticket.resolved_by = actor
    ticket.resolution = resolution.strip()
    ticket.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    audit_record(
        actor=actor,
        action="retention.fast_lane.resolve",
        obj=ticket,
        before={"status": FastLaneTicket.Status.OPEN},
        after={"status": ticket.status},
    )
    return ticket
