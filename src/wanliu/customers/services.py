"""Writes and audited reads of customer data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.customers.models import Account, Customer, Line, Plan, PlanChange, Subscription


def national_id_can_reveal(*, user: Any) -> bool:
    return bool(user.has_perm("customers.view_national_id"))


@transaction.atomic
def national_id_reveal(*, user: Any, customer: Customer, purpose: str = "") -> str:
    """Return the unmasked national ID, and write the audit row that says who read it."""
    if not national_id_can_reveal(user=user):
        raise PermissionDenied(_("Your role may not see unmasked national ID numbers."))
    audit_record(
        actor=user, action="customer.national_id.read", obj=customer, note=purpose or "360 view"
    )
    return customer.national_id


# --- the lifecycle of lines, subscriptions and accounts ----------------------------------
#
# A processed cancellation (拆机/销号) or suspension (停机) changes what the customer has:
# these services do it, each change with its audit row. Callers (the retention desk's
# outcome) run them inside their own transaction, so the request and the lines change
# together or not at all.

IN_SERVICE = (Line.Status.ACTIVE, Line.Status.SUSPENDED)


def _line_snapshot(line: Line) -> dict[str, Any]:
    return {
        "status": line.status,
        "suspended_on": line.suspended_on.isoformat() if line.suspended_on else None,
        "cancelled_on": line.cancelled_on.isoformat() if line.cancelled_on else None,
    }


def _ensure_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationError(_("reason: say why (e.g. the cancellation request number)."))
    return text


def _locked_lines(lines: Iterable[Line]) -> list[Line]:
    ids = sorted({line.pk for line in lines})
    if not ids:
        raise ValidationError(_("lines: give at least one line."))
    return list(Line.objects.select_for_update().filter(pk__in=ids).order_by("id"))


@transaction.atomic
def lines_cancel(*, lines: Iterable[Line], on: dt.date, actor: Any, reason: str) -> list[Line]:
    """Cancel (拆机/销号) the given lines that are still in service (active or suspended),
    with ``on`` as their cancellation date; lines already cancelled stay as they are.

    A subscription left without a line in service ends on ``on`` too, and an account left
    with nothing in service (no line, no running subscription) is closed. Returns the lines
    that were cancelled now."""
    note = _ensure_reason(reason)
    locked = _locked_lines(lines)
    changed: list[Line] = []
    for line in locked:
        if line.status not in IN_SERVICE:
            continue
        _line_status_set(
            line, status=Line.Status.CANCELLED, on=on, actor=actor, action="cancel", note=note
        )
        changed.append(line)
    _ended_with_their_lines(lines=locked, on=on, actor=actor, note=note)
    return changed


def _line_status_set(
    line: Line, *, status: str, on: dt.date, actor: Any, action: str, note: str
) -> None:
    """Move one locked line to ``status`` (cancelled or suspended) from ``on``, audited."""
    if on < line.activated_on:
        raise ValidationError(
            _("on: line %(number)s was activated on %(activated)s, after %(on)s.")
            % {"number": line.number, "activated": line.activated_on, "on": on}
        )
    before = _line_snapshot(line)
    date_field = "cancelled_on" if status == Line.Status.CANCELLED else "suspended_on"
    line.status = status
    setattr(line, date_field, on)
    line.save(update_fields=["status", date_field])
    audit_record(
        actor=actor,
        action=f"customer.line.{action}",
        obj=line,
        before=before,
        after=_line_snapshot(line),
        note=note,
    )


def _ended_with_their_lines(*, lines: list[Line], on: dt.date, actor: Any, note: str) -> None:
    subscription_ids = {line.subscription_id for line in lines if line.subscription_id}
    for subscription in Subscription.objects.filter(
        pk__in=subscription_ids, ended_on__isnull=True
    ).order_by("id"):
        if not subscription.lines.filter(status__in=IN_SERVICE).exists():
            subscription_end(subscription=subscription, on=on, actor=actor, reason=note)
    for account in Account.objects.filter(
        pk__in={line.account_id for line in lines}, status=Account.Status.ACTIVE
    ).order_by("id"):
        nothing_left = (
            not account.lines.filter(status__in=IN_SERVICE).exists()
            and not account.subscriptions.filter(ended_on__isnull=True).exists()
        )
        if nothing_left:
            account_close(account=account, on=on, actor=actor, reason=note)


@transaction.atomic
def lines_suspend(*, lines: Iterable[Line], on: dt.date, actor: Any, reason: str) -> list[Line]:
    """Suspend (停机, the number is kept) the given lines that are active, from ``on``;
    lines already suspended or cancelled stay as they are. Returns the lines suspended now."""
    note = _ensure_reason(reason)
    changed: list[Line] = []
    for line in _locked_lines(lines):
        if line.status != Line.Status.ACTIVE:
            continue
        _line_status_set(
            line, status=Line.Status.SUSPENDED, on=on, actor=actor, action="suspend", note=note
        )
        changed.append(line)
    return changed


@transaction.atomic
def subscription_end(
    *, subscription: Subscription, on: dt.date, actor: Any, reason: str
) -> Subscription:
    """End a subscription (the plan or bundle stops being billed) on ``on``."""
    note = _ensure_reason(reason)
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.ended_on is not None:
        raise ValidationError(
            _("subscription: it already ended on %(ended_on)s.")
            % {"ended_on": subscription.ended_on}
        )
    if on < subscription.started_on:
        raise ValidationError(
            _("on: the subscription started on %(started)s, after %(on)s.")
            % {"started": subscription.started_on, "on": on}
        )
    subscription.ended_on = on
    subscription.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="customer.subscription.end",
        obj=subscription,
        before={"ended_on": None},
        after={"ended_on": on.isoformat()},
        note=note,
    )
    return subscription


@transaction.atomic
def account_close(*, account: Account, on: dt.date, actor: Any, reason: str) -> Account:
    """Close a billing account (销户) once nothing of it is in service."""
    note = _ensure_reason(reason)
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.status == Account.Status.CLOSED:
        raise ValidationError(_("account: %(account)s is already closed.") % {"account": account})
    in_service = account.lines.filter(status__in=IN_SERVICE).count()
    if in_service:
        raise ValidationError(
            _("account: %(n)d line(s) of %(account)s are still in service: cancel them first.")
            % {"n": in_service, "account": account}
        )
    running = account.subscriptions.filter(ended_on__isnull=True).count()
    if running:
        raise ValidationError(
            _("account: %(n)d subscription(s) of %(account)s are still running: end them first.")
            % {"n": running, "account": account}
        )
    account.status = Account.Status.CLOSED
    account.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="customer.account.close",
        obj=account,
        before={"status": Account.Status.ACTIVE},
        after={"status": account.status, "closed_on": on.isoformat()},
        note=note,
    )
    return account


def lines_in_service_by_kind(subscription: Subscription) -> dict[str, int]:
    """How many lines of each kind the subscription has in service."""
    kinds: dict[str, int] = {}
    for kind in subscription.lines.filter(status__in=IN_SERVICE).values_list("kind", flat=True):
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def plan_shortfall(
    subscription: Subscription, plan: Plan, kinds: dict[str, int] | None = None
) -> str | None:
    """Why ``plan`` cannot carry the lines the subscription has in service (more mobile
    lines than it holds, broadband or TV it does not include), or None when it can. A plan
    whose catalogue entry gives no capacity (0 mobile lines, no speed) is only held to what
    the current plan gives, so an incomplete catalogue does not block every change."""
    current = subscription.plan
    if kinds is None:
        kinds = lines_in_service_by_kind(subscription)
    mobile = kinds.get(Line.Kind.MOBILE, 0)
    if plan.mobile_lines < min(mobile, current.mobile_lines):
        return _(
            "%(plan)s holds %(holds)d mobile line(s); the bundle has %(lines)d in service. "
            "Choose a plan that holds them, or cancel the extra lines first (a request for "
            "each line)."
        ) % {"plan": plan.code, "holds": plan.mobile_lines, "lines": mobile}
    if kinds.get(Line.Kind.BROADBAND) and current.broadband_mbps and not plan.broadband_mbps:
        return _(
            "%(plan)s includes no broadband; the bundle's broadband is in service. Choose a "
            "plan with broadband, or cancel the broadband line first."
        ) % {"plan": plan.code}
    if kinds.get(Line.Kind.TV) and current.has_tv and not plan.has_tv:
        return _(
            "%(plan)s includes no TV; the bundle's TV is in service. Choose a plan with TV, "
            "or cancel the TV line first."
        ) % {"plan": plan.code}
    return None


@transaction.atomic
def subscription_plan_change(
    *, subscription: Subscription, to_plan: Plan, on: dt.date, actor: Any, reason: str
) -> PlanChange:
    """Move a running subscription to another plan (套餐变更) from ``on``, with its
    ``PlanChange`` row; the subscription's lines stay on it, so the new plan must carry
    them (``plan_shortfall``)."""
    note = _ensure_reason(reason)
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=subscription.pk)
    )
    if subscription.ended_on is not None:
        raise ValidationError(
            _("subscription: it ended on %(ended_on)s; a plan change needs a running one.")
            % {"ended_on": subscription.ended_on}
        )
    if to_plan.pk == subscription.plan_id:
        raise ValidationError(
            _("to_plan: the subscription is already on %(plan)s: choose another plan.")
            % {"plan": to_plan.code}
        )
    if on < subscription.started_on:
        raise ValidationError(
            _("on: the subscription started on %(started)s, after %(on)s.")
            % {"started": subscription.started_on, "on": on}
        )
    shortfall = plan_shortfall(subscription, to_plan)
    if shortfall:
        raise ValidationError("to_plan: " + shortfall)
    from_plan = subscription.plan
    subscription.plan = to_plan
    subscription.save(update_fields=["plan"])
    change = PlanChange.objects.create(
        subscription=subscription,
        from_plan=from_plan,
        to_plan=to_plan,
        changed_on=on,
        reason=note[:100],
    )
    audit_record(
        actor=actor,
        action="customer.subscription.plan_change",
        obj=subscription,
        before={"plan": from_plan.code},
        after={"plan": to_plan.code, "changed_on": on.isoformat(), "plan_change": change.pk},
        note=note,
    )
    return change
