"""Writes of the notify app: the transactional outbox, template rendering, dead-letter requeue.

The relay that delivers the outbox lives in :mod:`wanliu.notify.relay`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.customers.models import Customer
from wanliu.notify.errors import (
    OutboxOutsideTransaction,
    TemplateNotFound,
    TemplateRenderError,
)
from wanliu.notify.models import Channel, Language, MessageTemplate, OutboxMessage
from wanliu.notify.selectors import notice_policy_current

# Channels that reach a person: the contact policy (quiet hours, opt-out) applies to them.
PERSON_CHANNELS = frozenset({Channel.EMAIL.value, Channel.SMS.value})

_PHONE = re.compile(r"^\+?[0-9]{5,20}$")


def _clean_recipient(channel: str, recipient: str) -> str:
    recipient = recipient.strip()
    if channel == Channel.EMAIL:
        validate_email(recipient)
        return recipient
    if channel == Channel.SMS:
        number = re.sub(r"[\s\-()]", "", recipient)
        if not _PHONE.match(number):
            raise ValidationError(
                _("%(recipient)s is not a phone number."), params={"recipient": recipient}
            )
        return number
    if not recipient or len(recipient) > 254:
        raise ValidationError(_("A webhook recipient must have 1 to 254 characters."))
    return recipient


def message_enqueue(
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    idempotency_key: str,
    related: models.Model | None = None,
    customer: Customer | None = None,
    urgent: bool = False,
    transactional: bool = False,
    not_before: datetime | None = None,
    event: str = "",
) -> OutboxMessage:
    """Write one notice to the outbox, in the caller's transaction (transactional outbox).

    The same ``idempotency_key`` twice returns the message already written (whatever the
    other arguments). A non-urgent notice to a person (e-mail, SMS) follows the contact
    policy, which depends on its purpose:

    - ``transactional=True``: a service notice about the customer's own case (a
      complaint's committed deadline, progress, result, survey). It is sent even to a
      customer who opted out of marketing; written in quiet hours it waits for their end.
    - ``transactional=False`` (the default): marketing or other optional contact. To a
      customer who opted out it is recorded as ``suppressed`` and never sent; written in
      quiet hours it waits for their end (``not_before``).

    Urgent notices go always, whatever the hour and the opt-out.
    """
    if not transaction.get_connection().in_atomic_block:
        raise OutboxOutsideTransaction(
            "message_enqueue must run inside the transaction of the change it announces"
        )
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel %(channel)s."), params={"channel": channel})
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValidationError(_("An idempotency key must have 1 to 200 characters."))
    if len(subject) > 255:
        raise ValidationError(_("A subject may have at most 255 characters."))
    if not body:
        raise ValidationError(_("A message needs a body."))
    if event and (channel != Channel.WEBHOOK or len(event) > 80):
        raise ValidationError(
            _("A system event goes by webhook and has a name of 1 to 80 characters.")
        )
    if not_before is not None and timezone.is_naive(not_before):
        raise ValueError("not_before must be timezone-aware")

    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    recipient = _clean_recipient(channel, recipient)

    now = timezone.now()
    policy = notice_policy_current()
    status = OutboxMessage.Status.PENDING
    status_reason = ""
    suppressed_at = None
    due = max(not_before, now) if not_before is not None else now
    contact_policy_applies = not urgent and channel in PERSON_CHANNELS
    opted_out = customer is not None and customer.marketing_opt_out
    if contact_policy_applies and not transactional and opted_out:
        status = OutboxMessage.Status.SUPPRESSED
        status_reason = "customer opted out of marketing contact"
        suppressed_at = now
    elif contact_policy_applies:
        after_quiet_hours = policy.quiet_hours_over(due)
        if after_quiet_hours != due:
            status_reason = "deferred to the end of quiet hours"
            due = after_quiet_hours
            not_before = after_quiet_hours

    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                channel=channel,
                recipient=recipient,
                subject=subject,
                body=body,
                event=event,
                idempotency_key=idempotency_key,
                urgent=urgent,
                transactional=transactional,
                customer=customer,
                related_type=(
                    ContentType.objects.get_for_model(related) if related is not None else None
                ),
                related_id=str(related.pk) if related is not None else "",
                status=status,
                status_reason=status_reason,
                not_before=not_before,
                next_attempt_at=due,
                suppressed_at=suppressed_at,
            )
    except IntegrityError:
        # A concurrent transaction wrote the same key first; it is the message.
        return OutboxMessage.objects.get(idempotency_key=idempotency_key)
    audit_record(
        actor=None,
        action="notify.message_enqueue",
        obj=message,
        after={
            "channel": channel,
            "status": status,
            "urgent": urgent,
            "transactional": transactional,
            "idempotency_key": idempotency_key,
            "next_attempt_at": due.isoformat(),
        },
        note=status_reason,
    )
    return message


# Text templates: no HTML escaping; a variable missing from the context renders as a marker
# (Django substitutes its name for %s) that _render_one turns into an error.
_ENGINE = Engine(autoescape=False, string_if_invalid="\x00missing-variable:%s\x00")
_MISSING_VARIABLE = re.compile("\x00missing-variable:([^\x00]*)\x00")


def _normalise_language(language: str) -> str:
    value = language.strip().lower().replace("_", "-")
    if value in {"zh", "zh-cn", "zh-hans-cn"}:
        return Language.ZH_HANS.value
    if value.startswith("en-"):
        return Language.EN.value
    return value


def _render_one(source: str, context: dict[str, Any], *, what: str) -> str:
    try:
        template = _ENGINE.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateRenderError(f"{what} does not compile: {error}") from error
    text = template.render(Context(context, autoescape=False))
    missing = sorted(set(_MISSING_VARIABLE.findall(text)))
    if missing:
        raise TemplateRenderError(f"{what} uses variables the context lacks: {', '.join(missing)}")
    return text


def template_render(
    *, key: str, language: str, channel: str, context: dict[str, Any]
) -> tuple[str, str]:
    """``(subject, body)`` of the admin-editable template ``key`` in ``language``
    (``zh-hans`` or ``en``) for ``channel``, rendered with ``context``.

    Raises :class:`TemplateNotFound` naming the key, language and channel when there is no
    such template, :class:`TemplateRenderError` when a variable is missing from ``context``.
    """
    language = _normalise_language(language)
    template = MessageTemplate.objects.filter(key=key, language=language, channel=channel).first()
    if template is None:
        raise TemplateNotFound(
            f"no message template {key!r} for language {language!r} and channel {channel!r}"
            " (add it in the admin under Notifications > Message templates)"
        )
    what = f"message template {key!r} [{language}/{channel}]"
    subject = _render_one(template.subject, context, what=f"{what} subject").strip()
    body = _render_one(template.body, context, what=f"{what} body").strip()
    return " ".join(subject.split()), body


@transaction.atomic
def message_requeue(*, message: OutboxMessage, actor: AbstractBaseUser | None) -> OutboxMessage:
    """Put a dead-lettered (or retrying) message back in the queue with a fresh attempt count."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    allowed = {OutboxMessage.Status.DEAD, OutboxMessage.Status.FAILED_RETRYING}
    if message.status not in allowed:
        raise ValidationError(
            _("Only dead or retrying messages can be requeued; this one is %(status)s."),
            params={"status": message.get_status_display()},
        )
    before = {"status": message.status, "attempts": message.attempts}
    message.status = OutboxMessage.Status.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.dead_at = None
    message.status_reason = "requeued by an operator"
    message.save(
        update_fields=["status", "attempts", "next_attempt_at", "dead_at", "status_reason"]
    )
    audit_record(
        actor=actor,
        action="notify.message_requeue",
        obj=message,
        before=before,
        after={"status": message.status, "attempts": 0},
    )
    return message
