"""First-contact resolution (首次终结) of every customer contact, computed in batches.

A contact is FCR when it was resolved at the contact, was not transferred, did not need
a work order, and the customer made no other contact on the same topic within the
window (``ComplaintSettings.fcr_window_days``, 7 by default) after it. The flag is final
once the window has passed or a repeat was seen; the batch recomputes every contact
whose flag is missing or not final, so running it twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from tqdm import tqdm

from wanliu.complaints.models import ContactResolution, WorkOrder
from wanliu.complaints.services import sla
from wanliu.customers.models import Contact

Reason = ContactResolution.Reason


@dataclass(frozen=True)
class Verdict:
    resolved: bool
    reason: str
    repeat_id: int | None
    final: bool


def contact_verdict(
    *,
    contact: Contact,
    later_same_topic: Iterable[Contact],
    has_work_order: bool,
    window: timedelta,
    now: datetime,
) -> Verdict:
    """The FCR verdict of one contact, given the customer's later contacts on its topic
    (sorted by time)."""
    if not contact.resolved_at_contact:
        return Verdict(False, Reason.NOT_RESOLVED, None, True)
    if contact.transferred:
        return Verdict(False, Reason.TRANSFERRED, None, True)
    if has_work_order:
        return Verdict(False, Reason.WORK_ORDER, None, True)
    for other in later_same_topic:
        if other.started_at - contact.started_at > window:
            break
        return Verdict(False, Reason.REPEAT, other.pk, True)
    return Verdict(True, Reason.RESOLVED, None, now >= contact.started_at + window)


def contact_resolutions_compute(
    *, now: datetime | None = None, everything: bool = False, progress: bool = False
) -> int:
    """Compute the flag of every contact that has none or a provisional one (all when
    ``everything``); returns how many contacts were (re)computed."""
    now = now or timezone.now()
    days = sla.complaint_settings().fcr_window_days
    window = timedelta(days=days)
    pending = Contact.objects.all()
    if not everything:
        pending = pending.filter(Q(resolution__isnull=True) | Q(resolution__final=False))
    customer_ids = list(pending.values_list("customer_id", flat=True).distinct().order_by())
    computed = 0
    bar = tqdm(total=len(customer_ids), desc="FCR", unit="customer", disable=not progress)
    for first in range(0, len(customer_ids), 500):
        chunk = customer_ids[first : first + 500]
        computed += _compute_customers(
            customer_ids=chunk, everything=everything, window=window, days=days, now=now
        )
        bar.update(len(chunk))
    bar.close()
    return computed


def _compute_customers(
    *, customer_ids: list[int], everything: bool, window: timedelta, days: int, now: datetime
) -> int:
    contacts = list(
        Contact.objects.filter(customer_id__in=customer_ids).order_by("started_at", "pk")
    )
    if everything:
        wanted = {c.pk for c in contacts}
    else:
        wanted = set(
            Contact.objects.filter(customer_id__in=customer_ids)
            .filter(Q(resolution__isnull=True) | Q(resolution__final=False))
            .values_list("pk", flat=True)
        )
    with_orders = set(
        WorkOrder.objects.filter(source_contact_id__in=wanted).values_list(
            "source_contact_id", flat=True
        )
    )
    by_topic: dict[tuple[int, str], list[Contact]] = defaultdict(list)
    for contact in contacts:
        by_topic[(contact.customer_id, contact.topic)].append(contact)
    rows = []
    for group in by_topic.values():
        for index, contact in enumerate(group):
            if contact.pk not in wanted:
                continue
            verdict = contact_verdict(
                contact=contact,
                later_same_topic=group[index + 1 :],
                has_work_order=contact.pk in with_orders,
                window=window,
                now=now,
            )
            rows.append(
                ContactResolution(
                    contact=contact,
                    first_contact_resolved=verdict.resolved,
                    reason=verdict.reason,
                    repeat_contact_id=verdict.repeat_id,
                    window_days=days,
                    final=verdict.final,
                    computed_at=now,
                )
            )
    with transaction.atomic():
        ContactResolution.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["contact"],
            update_fields=[
                "first_contact_resolved",
                "reason",
                "repeat_contact",
                "window_days",
                "final",
                "computed_at",
            ],
        )
    return len(rows)
