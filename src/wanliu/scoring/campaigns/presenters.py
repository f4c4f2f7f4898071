"""Campaigns, targets and outreach tasks as plain data for the API (money as strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wanliu.scoring.models import Campaign, CampaignTarget, OutreachAttempt, OutreachTask


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _who(user: Any) -> str | None:
    if user is None:
        return None
    staff = getattr(user, "staff", None)
    return staff.name if staff is not None else user.get_username()


def campaign_out(campaign: Campaign) -> dict[str, Any]:
    targets = getattr(campaign, "target_count", None)
    control = getattr(campaign, "control_count", None)
    if targets is None:
        targets = campaign.targets.count()
        control = campaign.targets.filter(arm=CampaignTarget.Arm.CONTROL).count()
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "status_label": campaign.get_status_display(),
        "unit_id": campaign.unit_id,
        "unit": campaign.unit.name if campaign.unit is not None else None,
        "offers": [
            {"code": o.code, "name": o.name, "name_en": o.name_en}
            for o in sorted(campaign.offers.all(), key=lambda o: o.code)
        ],
        "budget": money(campaign.budget),
        "control_share": float(campaign.control_share),
        "contact_cost": money(campaign.contact_cost),
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "channel": campaign.channel,
        "seed": campaign.seed,
        "generated": campaign.generated,
        "uplift_model_version": campaign.uplift_model_version,
        "features_as_of": campaign.features_as_of,
        "max_attempts": campaign.max_attempts,
        "reserved_cost": money(campaign.reserved_cost),
        "expected_value": money(campaign.expected_value),
        "targets": targets,
        "control": control or 0,
        "targeting_requested_at": campaign.targeting_requested_at,
        "targeting_error": campaign.targeting_error,
        "created_at": campaign.created_at,
        "targeted_at": campaign.targeted_at,
        "launched_at": campaign.launched_at,
        "closed_at": campaign.closed_at,
    }


def target_out(target: CampaignTarget) -> dict[str, Any]:
    task = getattr(target, "task", None) if target.arm == CampaignTarget.Arm.TREATMENT else None
    return {
        "id": target.pk,
        "rank": target.rank,
        "stratum": target.stratum,
        "arm": target.arm,
        "customer_id": target.customer_id,
        "line_id": target.line_id,
        "offer": target.offer.code if target.offer is not None else None,
        "uplift": target.uplift,
        "churn_probability": target.churn_probability,
        "remaining_value": money(target.remaining_value),
        "expected_net_value": money(target.expected_net_value),
        "offer_cost": money(target.offer_cost),
        "reserved_cost": money(target.reserved_cost),
        "outcome": target.outcome,
        "churned_on": target.churned_on,
        "task_status": task.status if task is not None else None,
    }


def attempt_out(attempt: OutreachAttempt) -> dict[str, Any]:
    return {
        "id": attempt.pk,
        "at": attempt.at,
        "result": attempt.result,
        "note": attempt.note,
        "by": _who(attempt.by),
    }


def task_out(
    task: OutreachTask, *, attempts: list[OutreachAttempt] | None = None
) -> dict[str, Any]:
    target = task.target
    offer = target.offer
    return {
        "id": task.pk,
        "campaign_id": task.campaign_id,
        "campaign": task.campaign.name,
        "queue": task.queue,
        "unit_id": task.unit_id,
        "status": task.status,
        "status_label": task.get_status_display(),
        "attempts": task.attempts,
        "max_attempts": task.campaign.max_attempts,
        "customer_id": target.customer_id,
        "customer_name": target.customer.name,
        "line_id": target.line_id,
        "line_number": target.line.number,
        "offer": offer.code if offer is not None else None,
        "offer_name": offer.name if offer is not None else None,
        "offer_cost": money(target.offer_cost),
        "contact_cost": money(task.contact_cost),
        "starts_on": task.campaign.starts_on,
        "ends_on": task.campaign.ends_on,
        "attempt_log": [attempt_out(a) for a in attempts or []],
    }
