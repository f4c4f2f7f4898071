"""The case library: a successful retention published without names or numbers."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wanliu.core.services import audit_record
from wanliu.org.models import Staff
from wanliu.retention.access import can_publish_case
from wanliu.retention.models import (
    RETAINED_STATUSES,
    CancellationRequest,
    RetentionCase,
    Step,
    StepRecord,
)
from wanliu.retention.services.errors import IllegalTransition, NotAllowed, StepIncomplete

# Runs of 5 or more digits (phone numbers, account and ID numbers), with spaces or dashes.
_NUMBER = re.compile(r"\d[\d\s\-]{3,}\d[\dXx]?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def anonymise(text: str, *, names: list[str]) -> str:
    """Drop the names given (and their surname + 先生/女士 forms) and every number of five or
    more digits (phone, account, ID), keeping amounts like 129 or 90.30."""
    out = _EMAIL.sub("***", text)
    out = _NUMBER.sub(
        lambda m: "***" if sum(c.isdigit() for c in m.group()) >= 5 else m.group(), out
    )
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        out = out.replace(name, "某")
        if len(name) >= 2 and "\u4e00" <= name[0] <= "\u9fff":
            for title in ("先生", "女士", "阿姨", "大爷", "师傅"):
                out = out.replace(name[0] + title, "客户")
    return out


def _profile(request: CancellationRequest, consumption: dict[str, Any]) -> str:
    tenure = consumption.get("tenure_months")
    subs = consumption.get("subscriptions") or []
    parts = []
    if tenure is not None:
        years = int(tenure) // 12
        parts.append(f"在网{years}年以上" if years else "在网不足1年")
    for sub in subs[:2]:
        bits = [f"{sub.get('plan_name', '')} {sub.get('monthly_fee', '')}元"]
        if sub.get("mobile_lines"):
            bits.append(f"{sub['mobile_lines']}张卡")
        if sub.get("broadband_mbps"):
            bits.append(f"{sub['broadband_mbps']}M宽带")
        if sub.get("tv"):
            bits.append("电视")
        parts.append("，".join(bits))
    return "；".join(p for p in parts if p)[:200]


@transaction.atomic
def retention_case_publish(
    *,
    request: CancellationRequest,
    actor: Any,
    title: str,
    words_used: str = "",
    now: dt.datetime | None = None,
) -> RetentionCase:
    """Publish a successful retention to the case library, anonymised: the customer's and
    the staff's names and every long number are removed from the texts."""
    now = now or timezone.now()
    if not can_publish_case(actor):
        raise NotAllowed(_("Your role may not publish cases."))
    req = (
        CancellationRequest.objects.select_for_update(of=("self",))
        .select_related("customer", "accepted_grant")
        .get(pk=request.pk)
    )
    if req.outcome not in RETAINED_STATUSES:
        raise IllegalTransition(_("Only successful retentions are published as cases."))
    if RetentionCase.objects.filter(request=req).exists():
        raise IllegalTransition(_("This retention is already in the case library."))
    if not title.strip():
        raise StepIncomplete(_("Give the case a title."), field="title")
    records = {r.step: r for r in StepRecord.objects.filter(request=req)}
    words = words_used.strip() or req.words_used
    if not words:
        raise StepIncomplete(_("The case needs the words used (step 4)."), field="words_used")
    actor_ids = [r.recorded_by_id for r in records.values() if r.recorded_by_id]
    names = [
        req.customer.name,
        *Staff.objects.filter(user_id__in=actor_ids).values_list("name", flat=True),
    ]
    compare = records.get(Step.COMPARE)
    comparison = copy.deepcopy(compare.data.get("comparison")) if compare else None
    if comparison is not None:
        for key in ("explanation_zh", "explanation_en"):
            comparison[key] = anonymise(comparison.get(key, ""), names=names)
    consumption = records[Step.CONSUMPTION].data if Step.CONSUMPTION in records else {}
    grant = req.accepted_grant
    offer_summary = ""
    if grant is not None:
        offer_summary = (
            f"{grant.terms.get('name', '')}：{grant.monthly_fee} → {grant.new_monthly_fee} 元/月"
        )
    elif req.new_plan_id is not None and req.new_plan is not None:
        offer_summary = f"降档至 {req.new_plan.name}"
    case = RetentionCase.objects.create(
        request=req,
        title=anonymise(title.strip(), names=names)[:200],
        reason=req.reason or "other",
        service_issue=req.service_issue,
        outcome=req.outcome,
        situation=anonymise(
            "\n".join(p for p in (req.stated_complaint, req.pain_point) if p), names=names
        ),
        words_used=anonymise(words, names=names),
        offer_summary=offer_summary[:200],
        customer_profile=_profile(req, consumption),
        comparison=comparison,
        published_by=actor,
        published_at=now,
    )
    audit_record(
        actor=actor,
        action="retention.case.publish",
        obj=case,
        after={"request": req.pk, "reason": case.reason, "outcome": case.outcome},
    )
    return case
