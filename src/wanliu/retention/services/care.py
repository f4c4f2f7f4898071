"""Care and win-back contacts, kept within the retention contact policy: at most N attempts
per request and per win-back period, never in quiet hours (Asia/Shanghai), never to a
customer who opted out. Retention must not become harassment (死缠硬拽)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.retention.access import can_work
from wanliu.retention.models import (
    RETAINED_STATUSES,
    CancellationRequest,
    RetentionContact,
    WinBackEntry,
)
from wanliu.retention.selectors import retention_policy_current
from wanliu.retention.services.errors import (
    ContactPolicyViolation,
    IllegalTransition,
    NotAllowed,
    StepIncomplete,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTED = [
    RetentionContact.Status.PLANNED,
    RetentionContact.Status.DONE,
    RetentionContact.Status.NO_ANSWER,
]


@dataclass(frozen=True)
class ContactPlan:
    channel: str
    due_at: dt.datetime
    note: str = ""


def _ensure_work(actor: Any, request: CancellationRequest) -> None:
    if not can_work(actor, request):
        raise NotAllowed(
            _("You may not work on this request: it is handled by another store or team.")
        )


@transaction.atomic
def retention_contact_schedule(
    *,
    request: CancellationRequest,
    actor: Any,
    purpose: str,
    channel: str,
    due_at: dt.datetime,
    note: str = "",
    win_back: WinBackEntry | None = None,
    now: dt.datetime | None = None,
) -> RetentionContact:
    """Plan one contact, or refuse it with the rule it would break."""
    now = now or timezone.now()
    req = (
        CancellationRequest.objects.select_for_update(of=("self",))
        .select_related("customer", "store", "unit")
        .get(pk=request.pk)
    )
    _ensure_work(actor, req)
    if channel not in RetentionContact.ContactChannel.values:
        raise StepIncomplete(_("Choose a phone call or enterprise WeChat."), field="channel")
    if purpose not in RetentionContact.Purpose.values:
        raise StepIncomplete(_("Unknown purpose."), field="purpose")
    if timezone.is_naive(due_at):
        raise StepIncomplete(_("Give the due time with its time zone."), field="due_at")
    if due_at <= now:
        raise StepIncomplete(_("A contact is planned for later than now."), field="due_at")
    policy = retention_policy_current()
    if req.customer.marketing_opt_out:
        raise ContactPolicyViolation(
            _("The customer opted out of marketing contact: no retention contact may be planned.")
        )
    local = due_at.astimezone(SHANGHAI)
    if policy.in_quiet_hours(local.timetz().replace(tzinfo=None)):
        raise ContactPolicyViolation(
            _(
                "%(local)s is in the quiet hours "
                "(%(quiet_hours_start)s–%(quiet_hours_end)s, Asia/Shanghai): choose "
                "another time."
            )
            % {
                "local": f"{local:%H:%M}",
                "quiet_hours_start": f"{policy.quiet_hours_start:%H:%M}",
                "quiet_hours_end": f"{policy.quiet_hours_end:%H:%M}",
            }
        )
    if purpose == RetentionContact.Purpose.CARE:
        if req.status not in RETAINED_STATUSES:
            raise IllegalTransition(_("Care contacts follow a retention."))
        made = RetentionContact.objects.filter(
            request=req, purpose=purpose, status__in=COUNTED
        ).count()
        limit = policy.max_contacts_per_request
        if made >= limit:
            raise ContactPolicyViolation(
                _(
                    "At most %(limit)s contact attempts per request; %(made)s already "
                    "planned or made."
                )
                % {"limit": limit, "made": made}
            )
    else:
        if win_back is None or win_back.request_id != req.pk:
            raise StepIncomplete(
                _("A win-back contact belongs to a win-back entry."), field="win_back"
            )
        win_back = WinBackEntry.objects.select_for_update().get(pk=win_back.pk)
        if win_back.status in WinBackEntry.CLOSED:
            raise ContactPolicyViolation(
                _("The win-back entry is %(get_status_display)s: no more contacts.")
                % {"get_status_display": win_back.get_status_display()}
            )
        day = local.date()
        if day < win_back.allowed_recontact_on or day > win_back.period_ends_on:
            raise ContactPolicyViolation(
                _(
                    "Win-back contacts are allowed from %(allowed_recontact_on)s to "
                    "%(period_ends_on)s."
                )
                % {
                    "allowed_recontact_on": f"{win_back.allowed_recontact_on:%Y-%m-%d}",
                    "period_ends_on": f"{win_back.period_ends_on:%Y-%m-%d}",
                }
            )
        made = RetentionContact.objects.filter(win_back=win_back, status__in=COUNTED).count()
        limit = policy.max_contacts_per_win_back
        if made >= limit:
            raise ContactPolicyViolation(
                _(
                    "At most %(limit)s contact attempts per win-back period; %(made)s "
                    "already planned or made."
                )
                % {"limit": limit, "made": made}
            )
        if win_back.status == WinBackEntry.Status.WAITING:
            win_back.status = WinBackEntry.Status.CONTACTING
            win_back.save(update_fields=["status"])
    contact = RetentionContact.objects.create(
        request=req,
        win_back=win_back if purpose == RetentionContact.Purpose.WIN_BACK else None,
        purpose=purpose,
        channel=channel,
        due_at=due_at,
        note=note.strip()[:300],
        scheduled_by=actor,
        scheduled_at=now,
    )
    audit_record(
        actor=actor,
        action="retention.contact.schedule",
        obj=contact,
        after={
            "request": req.pk,
            "purpose": purpose,
            "channel": channel,
            "due_at": due_at.isoformat(),
        },
    )
    return contact


@transaction.atomic
def retention_contact_complete(
    *,
    contact: RetentionContact,
    actor: Any,
    status: str,
    result: str = "",
    now: dt.datetime | None = None,
) -> RetentionContact:
    """Record how a planned contact went (reached, no answer) or cancel it."""
    now = now or timezone.now()
    contact = (
        RetentionContact.objects.select_for_update(of=("self",))
        .select_related("request", "request__store", "request__unit")
        .get(pk=contact.pk)
    )
    _ensure_work(actor, contact.request)
    if contact.status != RetentionContact.Status.PLANNED:
        raise IllegalTransition(
            _("The contact is already %(get_status_display)s.")
            % {"get_status_display": contact.get_status_display()}
        )
    if status not in (
        RetentionContact.Status.DONE,
        RetentionContact.Status.NO_ANSWER,
        RetentionContact.Status.CANCELLED,
    ):
        raise StepIncomplete(_("Say whether the customer was reached."), field="status")
    if status == RetentionContact.Status.DONE and not result.strip():
        raise StepIncomplete(_("Write down what the customer said."), field="result")
    contact.status = status
    contact.result = result.strip()
    contact.done_at = now
    contact.done_by = actor
    contact.save(update_fields=["status", "result", "done_at", "done_by"])
    audit_record(
        actor=actor,
        action="retention.contact.complete",
        obj=contact,
        before={"status": RetentionContact.Status.PLANNED},
        after={"status": status},
    )
    return contact


@transaction.atomic
def win_back_outcome_record(
    *,
    entry: WinBackEntry,
    actor: Any,
    status: str,
    note: str,
    now: dt.datetime | None = None,
) -> WinBackEntry:
    """The customer came back (won back) or declined; the entry leaves the list."""
    now = now or timezone.now()
    entry = (
        WinBackEntry.objects.select_for_update(of=("self",))
        .select_related("request", "request__store", "request__unit")
        .get(pk=entry.pk)
    )
    _ensure_work(actor, entry.request)
    if status not in (WinBackEntry.Status.WON_BACK, WinBackEntry.Status.DECLINED):
        raise StepIncomplete(_("The outcome is won back or declined."), field="status")
    if entry.status in WinBackEntry.CLOSED:
        raise IllegalTransition(
            _("The entry is already %(get_status_display)s.")
            % {"get_status_display": entry.get_status_display()}
        )
    if not note.strip():
        raise StepIncomplete(_("Write down the outcome."), field="note")
    before = {"status": entry.status}
    entry.status = status
    entry.outcome_note = note.strip()
    entry.outcome_at = now
    entry.outcome_by = actor
    entry.save(update_fields=["status", "outcome_note", "outcome_at", "outcome_by"])
    audit_record(
        actor=actor,
        action="retention.win_back.outcome",
        obj=entry,
        before=before,
        after={"status": status},
    )
    return entry
