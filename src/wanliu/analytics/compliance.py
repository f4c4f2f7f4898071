"""Compliance checks of the monthly review, each with its rule as data (``ComplianceRule``,
edited in the admin) and the offending cases listed.

* missing steps: requests opened in the month, with an outcome, that lack at least *limit*
  of the steps their outcome requires (the desk's rule, ``retention.selectors``);
* refusals (拒拆) and transfers (推诿) by store: stores with more than *limit* in the month,
  and their requests;
* work orders not closed: orders whose resolution was due more than *limit* days before the
  month ended and that were not closed by then;
* revisits overdue: revisits due in the month not made within *limit* hours of the due time;
* retention contacts beyond policy: contacts due in the month that break the retention
  policy (more attempts than it allows plus *limit*, in quiet hours, to a customer who opted
  out, or a win-back call before the allowed re-contact date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from wanliu.analytics import sources
from wanliu.analytics.desk import DeskData
from wanliu.analytics.figures import local_days, utc_bounds
from wanliu.analytics.models import ComplianceRule
from wanliu.analytics.months import local_bounds, local_zone
from wanliu.retention.models import RetentionContact, RetentionPolicy
from wanliu.retention.selectors import retention_policy_current

Check = ComplianceRule.Check
CASE_TABLES = {
    Check.MISSING_STEPS: "check_missing_steps",
    Check.REFUSALS: "check_refusals",
    Check.TRANSFERS: "check_transfers",
    Check.ORDERS_NOT_CLOSED: "check_orders_not_closed",
    Check.REVISITS_OVERDUE: "check_revisits_overdue",
    Check.CONTACTS_BEYOND_POLICY: "check_contacts_policy",
}


def rules() -> list[ComplianceRule]:
    """The checks in force, in their seeded order (a check without a row is not run)."""
    return list(ComplianceRule.objects.filter(active=True).order_by("id"))


def describe(rule: ComplianceRule, policy: RetentionPolicy) -> str:
    """What the check looks for, in the user's language, with its limit filled in."""
    limit = rule.threshold
    texts = {
        Check.MISSING_STEPS: _(
            "Requests opened this month with an outcome that lack at least %(limit)s of the "
            "six steps their outcome requires."
        ),
        Check.REFUSALS: _(
            "Stores with more than %(limit)s requests flagged as refusals (拒拆) this month; "
            "their flagged requests."
        ),
        Check.TRANSFERS: _(
            "Stores that sent more than %(limit)s customers to another store (推诿) this "
            "month; the requests they sent away."
        ),
        Check.ORDERS_NOT_CLOSED: _(
            "Work orders whose resolution was due more than %(limit)s days before the month "
            "ended and that were not closed by its end."
        ),
        Check.REVISITS_OVERDUE: _(
            "Revisits due this month that were not made within %(limit)s hours of the due time."
        ),
        Check.CONTACTS_BEYOND_POLICY: _(
            "Retention contacts due this month beyond the retention policy: more than "
            "%(per_request)s attempts per request (%(per_win_back)s per win-back) plus "
            "%(limit)s tolerated, in quiet hours (%(quiet_from)s-%(quiet_to)s), to a customer "
            "who opted out, or a win-back call before the allowed re-contact date."
        ),
    }
    text = str(texts[Check(rule.code)]) % {
        "limit": limit,
        "per_request": policy.max_contacts_per_request,
        "per_win_back": policy.max_contacts_per_win_back,
        "quiet_from": f"{policy.quiet_hours_start:%H:%M}",
        "quiet_to": f"{policy.quiet_hours_end:%H:%M}",
    }
    return f"{text} {rule.note}".strip()


@dataclass
class CheckResult:
    rule: ComplianceRule
    description: str
    offending: int  # cases (or stores, for the store checks)
    base: int  # what the share is of
    cases: pd.DataFrame


def _missing_steps(rule: ComplianceRule, desk: DeskData) -> CheckResult:
    r = desk.requests
    handled = r[r["handled"]]
    limit = max(1, rule.threshold)
    hits = handled[handled["missing_count"] >= limit]
    cases = hits[
        ["request_id", "request_no", "opened_at", "store_id", "opened_by_id", "outcome", "reason"]
    ].assign(missing_steps=hits["missing"].to_numpy())
    return CheckResult(rule, "", len(hits), len(handled), cases.reset_index(drop=True))


def _by_store(rule: ComplianceRule, desk: DeskData, flag: str, store: str) -> CheckResult:
    r = desk.requests
    flagged = r[r[flag]]
    counts = flagged.groupby(store).size()
    over = counts[counts > rule.threshold]
    hits = flagged[flagged[store].isin(over.index)]
    cases = pd.DataFrame(
        {
            "request_id": hits["request_id"].to_numpy(),
            "request_no": hits["request_no"].to_numpy(),
            "opened_at": hits["opened_at"].to_numpy(),
            "store_id": hits[store].astype("Int64").to_numpy(),
            "store_count": hits[store].map(counts).astype("int64").to_numpy(),
            "refusal_flagged_at": hits["refusal_flagged_at"].to_numpy(),
            "outcome": hits["outcome"].to_numpy(),
        }
    ).sort_values(["store_count", "store_id", "opened_at"], ascending=[False, True, True])
    stores_with = int(r[store].nunique()) if len(r) else 0
    return CheckResult(rule, "", len(over), stores_with, cases.reset_index(drop=True))


def _orders_not_closed(rule: ComplianceRule, month: dt.date, unit_path: str | None) -> CheckResult:
    _start, end = local_bounds(month)
    frame = sources.orders_not_closed_frame(
        due_before=end - dt.timedelta(days=rule.threshold), closed_by=end, unit_path=unit_path
    )
    _s, end_utc = utc_bounds(month)
    due = frame["resolution_due_at"].fillna(frame["received_at"])
    cases = pd.DataFrame(
        {
            "order_id": frame["order_id"],
            "order_no": frame["order_no"],
            "received_at": frame["received_at"],
            "category": frame["category"],
            "status": frame["status"],
            "resolution_due_at": frame["resolution_due_at"],
            "days_past_due": ((end_utc - due).dt.total_seconds() / 86400).round(1),
            "owner_unit_id": frame["owner_unit_id"],
            "owner_staff_id": frame["owner_staff_id"],
        }
    ).sort_values(["days_past_due", "order_id"], ascending=[False, True])
    return CheckResult(rule, "", len(cases), len(cases), cases.reset_index(drop=True))


def _revisits_overdue(rule: ComplianceRule, revisits: pd.DataFrame, month: dt.date) -> CheckResult:
    start, end = utc_bounds(month)
    due = revisits[(revisits["due_at"] >= start) & (revisits["due_at"] < end)]
    allowed = due["due_at"] + pd.Timedelta(hours=rule.threshold)
    late = due[due["done_at"].isna() | (due["done_at"] > allowed)]
    cases = late[["revisit_id", "order_id", "order_no", "cycle", "due_at", "done_at"]].assign(
        hours_late=(
            ((late["done_at"].fillna(end) - late["due_at"]).dt.total_seconds() / 3600).round(1)
        ),
        owner_unit_id=late["owner_unit_id"].to_numpy(),
        owner_staff_id=late["owner_staff_id"].to_numpy(),
    )
    return CheckResult(rule, "", len(cases), len(due), cases.reset_index(drop=True))


def _contacts_beyond_policy(
    rule: ComplianceRule, month: dt.date, unit_path: str | None, policy: RetentionPolicy
) -> CheckResult:
    start, end = local_bounds(month)
    contacts = sources.retention_contacts_frame(start=start, end=end, unit_path=unit_path)
    attempts = sources.contact_attempts(contacts["request_id"].tolist())
    attempts = attempts.sort_values(["due_at", "contact_id"])
    care = attempts[attempts["purpose"] == RetentionContact.Purpose.CARE]
    win_back = attempts[attempts["purpose"] == RetentionContact.Purpose.WIN_BACK]
    number = pd.concat(
        [
            care.groupby("request_id").cumcount() + 1,
            win_back.groupby("win_back_id").cumcount() + 1,
        ]
    )
    attempt = attempts.assign(n=number.reindex(attempts.index)).set_index("contact_id")["n"]
    contacts["attempt"] = contacts["contact_id"].map(attempt).fillna(1).astype("int64")
    at = contacts["done_at"].fillna(contacts["due_at"])
    local = pd.to_datetime(at).dt.tz_localize("UTC").dt.tz_convert(local_zone())
    minute = (local.dt.hour * 60 + local.dt.minute).to_numpy()
    quiet_from = policy.quiet_hours_start.hour * 60 + policy.quiet_hours_start.minute
    quiet_to = policy.quiet_hours_end.hour * 60 + policy.quiet_hours_end.minute
    if quiet_from == quiet_to:
        quiet = np.zeros(len(contacts), dtype=bool)
    elif quiet_from < quiet_to:
        quiet = (minute >= quiet_from) & (minute < quiet_to)
    else:
        quiet = (minute >= quiet_from) | (minute < quiet_to)
    is_win_back = (contacts["purpose"] == RetentionContact.Purpose.WIN_BACK).to_numpy()
    allowed = (
        np.where(is_win_back, policy.max_contacts_per_win_back, policy.max_contacts_per_request)
        + rule.threshold
    )
    attempts_ = contacts["attempt"].to_numpy()
    too_many = attempts_ > allowed
    opted_out = contacts["opted_out"].to_numpy(dtype=bool)
    allowed_day = pd.to_datetime(contacts["allowed_recontact_on"])
    early = is_win_back & (allowed_day.notna() & (local_days(at) < allowed_day)).to_numpy()
    reasons: list[str] = []
    for k in range(len(contacts)):
        why: list[str] = []
        if too_many[k]:
            why.append(f"attempt {attempts_[k]} > {allowed[k]}")
        if quiet[k]:
            why.append("quiet hours")
        if opted_out[k]:
            why.append("opted out")
        if early[k]:
            why.append("before the re-contact date")
        reasons.append("; ".join(why))
    contacts["why"] = reasons
    hits = contacts[contacts["why"] != ""]
    cases = hits[
        [
            "contact_id",
            "request_id",
            "request_no",
            "store_id",
            "purpose",
            "channel",
            "due_at",
            "why",
        ]
    ]
    return CheckResult(rule, "", len(cases), len(contacts), cases.reset_index(drop=True))


def compliance_checks(
    *, month: dt.date, unit_path: str | None, desk: DeskData, revisits: pd.DataFrame
) -> list[CheckResult]:
    """Every active check for the month within the unit subtree."""
    policy = retention_policy_current()
    results = []
    for rule in rules():
        code = Check(rule.code)
        if code == Check.MISSING_STEPS:
            result = _missing_steps(rule, desk)
        elif code == Check.REFUSALS:
            result = _by_store(rule, desk, "refusal", "store_id")
        elif code == Check.TRANSFERS:
            result = _by_store(rule, desk, "transferred", "transfer_from")
        elif code == Check.ORDERS_NOT_CLOSED:
            result = _orders_not_closed(rule, month, unit_path)
        elif code == Check.REVISITS_OVERDUE:
            result = _revisits_overdue(rule, revisits, month)
        else:
            result = _contacts_beyond_policy(rule, month, unit_path, policy)
        result.description = describe(rule, policy)
        results.append(result)
    return results


def compliance_summary(results: list[CheckResult]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "key": str(r.rule.code),
                "check": str(r.rule.get_code_display()),
                "rule": r.description,
                "limit": r.rule.threshold,
                "offending": r.offending,
                "cases": len(r.cases),
                "out_of": r.base,
                "share": round(r.offending / r.base * 100, 2) if r.base else None,
            }
            for r in results
        ],
        columns=["key", "check", "rule", "limit", "offending", "cases", "out_of", "share"],
    )
