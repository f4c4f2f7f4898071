"""Turn a Customer360 into plain data, shared by the API and the page."""

from __future__ import annotations

from typing import Any

from wanliu.complaints.selectors import customer_work_orders
from wanliu.customers.models import Line, Plan
from wanliu.customers.selectors import Customer360
from wanliu.retention.selectors import customer_cancellation_requests
from wanliu.scoring.campaigns.selectors import customer_outreach
from wanliu.scoring.presenters import churn_for_lines


def plan_data(plan: Plan) -> dict[str, Any]:
    return {
        "code": plan.code,
        "name": plan.name,
        "name_en": plan.name_en,
        "family": plan.family,
        "monthly_fee": plan.monthly_fee,
        "included_data_gb": plan.included_data_gb,
        "included_voice_minutes": plan.included_voice_minutes,
        "broadband_mbps": plan.broadband_mbps,
        "mobile_lines": plan.mobile_lines,
        "has_tv": plan.has_tv,
        "contract_months": plan.contract_months,
    }


def customer_churn(view: Customer360) -> dict[str, Any] | None:
    """Risk, exact reasons and value of the customer's lines in service, from their newest
    scores (a line cancelled since it was scored has no risk left)."""
    in_service = [ln.pk for ln in view.lines if ln.status != Line.Status.CANCELLED]
    return churn_for_lines(line_ids=in_service, exact=True)


def customer_cases(view: Customer360) -> dict[str, Any]:
    """The customer's complaints, cancellation requests and proactive-campaign calls: what
    whoever faces the customer must know before they speak."""
    user, customer_id = view.viewer, view.customer.pk
    return {
        "complaints": customer_work_orders(user=user, customer_id=customer_id),
        "retention_requests": customer_cancellation_requests(user=user, customer_id=customer_id),
        "outreach": customer_outreach(user=user, customer_id=customer_id),
    }


def customer_360_data(
    view: Customer360,
    *,
    churn: dict[str, Any] | None = None,
    cases: dict[str, Any] | None = None,
) -> dict[str, Any]:
    c = view.customer
    if churn is None:
        churn = customer_churn(view)
    if cases is None:
        cases = customer_cases(view)
    accounts = {a.pk: a.account_no for a in view.accounts}
    return {
        "id": c.pk,
        "customer_no": c.customer_no,
        "name": c.name,
        "national_id_masked": c.national_id_masked,
        "value_tier": c.value_tier,
        "store": c.store.name,
        "grid": c.unit.name,
        "joined_on": c.joined_on,
        "tenure_months": view.tenure_months,
        "monthly_fee": view.monthly_fee,
        "marketing_opt_out": c.marketing_opt_out,
        "subscriptions": [
            {
                "id": s.pk,
                "account_no": accounts[s.account_id],
                "plan": plan_data(s.plan),
                "started_on": s.started_on,
                "contract_end_on": s.contract_end_on,
                "ended_on": s.ended_on,
            }
            for s in view.subscriptions
        ],
        "lines": [
            {
                "id": ln.pk,
                "number": ln.number,
                "kind": ln.kind,
                "status": ln.status,
                "activated_on": ln.activated_on,
                "suspended_on": ln.suspended_on,
                "cancelled_on": ln.cancelled_on,
                "home_region": ln.home_region.name,
                "plan_code": ln.subscription.plan.code if ln.subscription else None,
            }
            for ln in view.lines
        ],
        "bills": [
            {
                "account_no": accounts[b.account_id],
                "month": f"{b.month:%Y-%m}",
                "total": b.total,
                "items": {k: str(v) for k, v in (b.items or {}).items()},
            }
            for b in view.bills
        ],
        "usage": [
            {
                "line_id": ln.pk,
                "number": ln.number,
                "kind": ln.kind,
                "months": [
                    {
                        "month": f"{u.month:%Y-%m}",
                        "data_gb": u.data_gb,
                        "voice_minutes": u.voice_minutes,
                        "sms": u.sms,
                        "roaming_minutes": u.roaming_minutes,
                        "overage_charge": u.overage_charge,
                    }
                    for u in view.usage_by_line.get(ln.pk, [])
                ],
            }
            for ln in view.lines
        ],
        "contacts": [
            {
                "id": ct.pk,
                "channel": ct.channel,
                "topic": ct.topic,
                "started_at": ct.started_at,
                "ended_at": ct.ended_at,
                "agent": ct.agent.name if ct.agent else None,
                "line": ct.line.number if ct.line else None,
                "transferred": ct.transferred,
                "resolved_at_contact": ct.resolved_at_contact,
                "note": ct.note,
            }
            for ct in view.contacts
        ],
        "plan_changes": [
            {
                "changed_on": pc.changed_on,
                "from_plan": pc.from_plan.code,
                "to_plan": pc.to_plan.code,
                "reason": pc.reason,
            }
            for pc in view.plan_changes
        ],
        "churn": churn,
        **cases,
    }
