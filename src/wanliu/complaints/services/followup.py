"""After resolution: the revisit call (回访) and the satisfaction survey.

The survey link carries a signed token (``django.core.signing``, salted, time-limited)
naming one survey row; the row is answered once (a conditional update claims it).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.complaints.models import Revisit, Status, Survey, WorkOrder
from wanliu.complaints.services import notices, sla
from wanliu.complaints.services.errors import ComplaintError, ConflictError
from wanliu.complaints.services.workflow import work_order_transition
from wanliu.core.services import audit_record

SURVEY_SALT = "wanliu.complaints.survey"


class SurveyTokenInvalid(ComplaintError):
    """The link is forged, expired, or unknown."""


class SurveyAlreadyAnswered(ConflictError):
    """The link was used already (single use)."""


def revisit_schedule(*, order: WorkOrder, now: datetime) -> Revisit:
    """Create the revisit task of this cycle (called in the resolving transaction)."""
    hours = sla.complaint_settings().revisit_due_hours
    revisit, _created = Revisit.objects.get_or_create(
        order=order,
        cycle=order.reopen_count,
        defaults={
            "due_at": now + timedelta(hours=hours),
            "owner_unit": order.owner_unit,
            "owner_staff": order.owner_staff,
        },
    )
    return revisit


@transaction.atomic
def revisit_record(
    *, revisit: Revisit, outcome: str, notes: str, actor: Any, now: datetime | None = None
) -> Revisit:
    """Record the revisit: solved closes the order; not solved reopens it and counts
    against the owner at resolution time (kept on the revisit row)."""
    now = now or timezone.now()
    locked = Revisit.objects.select_for_update().get(pk=revisit.pk)
    if locked.outcome:
        raise ConflictError(_("This revisit is already recorded."))
    if outcome not in Revisit.Outcome.values:
        raise ComplaintError(
            _("The outcome is one of: %(values)s.") % {"values": ", ".join(Revisit.Outcome.values)}
        )
    if outcome == Revisit.Outcome.NOT_SOLVED and not notes.strip():
        raise ComplaintError(_("Say what is still wrong."))
    order = locked.order
    if order.status != Status.RESOLVED or order.reopen_count != locked.cycle:
        raise ConflictError(_("The order is no longer waiting for this revisit."))
    locked.outcome = outcome
    locked.notes = notes.strip()
    locked.done_by = actor
    locked.done_at = now
    locked.save(update_fields=["outcome", "notes", "done_by", "done_at"])
    audit_record(
        actor=actor,
        action="revisit.record",
        obj=order,
        after={"outcome": outcome, "owner_unit": locked.owner_unit_id},
        note=notes[:200],
    )
    if outcome == Revisit.Outcome.SOLVED:
        work_order_transition(
            order=order, to_status=Status.CLOSED, actor=actor, note="revisit: solved", now=now
        )
    else:
        work_order_transition(
            order=order,
            to_status=Status.REOPENED,
            actor=actor,
            note=f"revisit: not solved. {notes.strip()}",
            now=now,
        )
    revisit.refresh_from_db()
    return revisit


def survey_token(survey: Survey) -> str:
    return signing.TimestampSigner(salt=SURVEY_SALT).sign(survey.nonce)


def survey_send(*, order: WorkOrder, now: datetime) -> Survey | None:
    """Create this cycle's survey and send its link (in the resolving transaction)."""
    days = sla.complaint_settings().survey_valid_days
    survey, created = Survey.objects.get_or_create(
        order=order,
        cycle=order.reopen_count,
        defaults={
            "nonce": secrets.token_urlsafe(18),
            "agent": order.owner_staff,
            "team": order.owner_unit,
            "sent_at": now,
            "expires_at": now + timedelta(days=days),
        },
    )
    if not created:
        return survey
    notices.customer_notice(
        order=order,
        key=notices.SURVEY,
        milestone=f"survey:{survey.cycle}",
        extra={"survey_url": notices.survey_link(survey_token(survey))},
    )
    return survey


def survey_for_token(*, token: str, now: datetime | None = None) -> Survey:
    """The survey a link names, or ``SurveyTokenInvalid``."""
    now = now or timezone.now()
    try:
        nonce = signing.TimestampSigner(salt=SURVEY_SALT).unsign(token)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise SurveyTokenInvalid(_("This survey link is not valid.")) from exc
    survey = Survey.objects.select_related("order", "agent", "team").filter(nonce=nonce).first()
    if survey is None or survey.expires_at < now:
        raise SurveyTokenInvalid(_("This survey link has expired."))
    return survey


@transaction.atomic
def survey_answer(
    *, token: str, csat: int, solved: bool, comment: str = "", now: datetime | None = None
) -> Survey:
    """Store the customer's answer; a second use of the link is refused."""
    now = now or timezone.now()
    survey = survey_for_token(token=token, now=now)
    if not 1 <= csat <= 5:
        raise ComplaintError(_("Satisfaction is 1 to 5."))
    claimed = Survey.objects.filter(pk=survey.pk, responded_at__isnull=True).update(
        responded_at=now, csat=csat, solved=solved, comment=comment.strip()[:2000]
    )
    if not claimed:
        raise SurveyAlreadyAnswered(_("This survey was already answered. Thank you."))
    survey.refresh_from_db()
    audit_record(
        actor=None,
        action="survey.answer",
        obj=survey.order,
        after={"csat": csat, "solved": solved, "agent": survey.agent_id, "team": survey.team_id},
    )
    return survey
