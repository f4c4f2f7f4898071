"""The scheduled monthly report: on the first working day of a month (the schedule's
calendar, else Monday to Friday), from the schedule's hour, the worker builds the previous
month's review and e-mails its headline figures, with links to the page and the XLSX, to
each unit's supervisors through the notification outbox: every branch's managers get their
branch, the customer-service department's supervisors the whole operator.

One ``MonthlyReport`` row per month and unit, written in the transaction that queues the
e-mails: however often the job runs, a unit's report goes out once a month.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wanliu.analytics.models import MonthlyReport, ReportSchedule
from wanliu.analytics.months import month_start, next_month, previous_month
from wanliu.analytics.review import monthly_review
from wanliu.analytics.snapshots import months_missing, snapshot_build
from wanliu.complaints.services.notices import public_url
from wanliu.complaints.services.sla import work_calendar_of
from wanliu.core.services import audit_record
from wanliu.notify.services import message_enqueue
from wanliu.org.models import OrgUnit, Role, Staff

log = logging.getLogger(__name__)


def report_schedule() -> ReportSchedule:
    return ReportSchedule.objects.select_related("calendar").order_by("id").first() or (
        ReportSchedule()
    )


def first_working_day(month: dt.date, schedule: ReportSchedule) -> dt.date:
    """The month's first working day on the schedule's calendar (Monday-Friday without)."""
    calendar = work_calendar_of(schedule.calendar) if schedule.calendar_id else None
    day = month_start(month)
    while day < next_month(month):
        working = day.weekday() < 5 if calendar is None else bool(calendar.hours_on(day))
        if working:
            return day
        day += dt.timedelta(days=1)
    return month_start(month)


def report_due(*, now: dt.datetime, schedule: ReportSchedule) -> dt.date | None:
    """The month whose report is due at ``now`` (the previous one), or None before the
    first working day's sending hour."""
    local = timezone.localtime(now)
    first = first_working_day(local.date(), schedule)
    if local.date() < first or (local.date() == first and local.time() < schedule.send_from):
        return None
    return previous_month(local.date())


def report_units() -> list[tuple[OrgUnit | None, list[Staff]]]:
    """Each unit that gets a report and its supervisors: the operator (service supervisors)
    and every branch (its branch managers)."""
    supervisors = list(
        Staff.objects.filter(role=Role.SERVICE_SUPERVISOR, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    out: list[tuple[OrgUnit | None, list[Staff]]] = []
    if supervisors:
        out.append((None, supervisors))
    managers: dict[int, list[Staff]] = {}
    for staff in (
        Staff.objects.filter(
            role=Role.BRANCH_MANAGER, unit__kind=OrgUnit.Kind.BRANCH, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    ):
        managers.setdefault(staff.unit_id, []).append(staff)
    for unit in OrgUnit.objects.filter(pk__in=list(managers)).order_by("path"):
        out.append((unit, managers[unit.pk]))
    return out


def _number(table: pd.DataFrame, column: str) -> float | None:
    if table.empty or column not in table.columns:
        return None
    value = table.iloc[0][column]
    return None if pd.isna(value) else round(float(value), 4)


def headline(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The figures the e-mail carries (the page has them all)."""
    sla = tables["sla_attainment"]
    orders = int(sla["orders"].sum()) if len(sla) else 0
    met = int(sla["resolution_met"].sum()) if len(sla) else 0
    churn_rate = _number(tables["churn_total"], "churn_rate")
    return {
        "churn_rate": None if churn_rate is None else round(churn_rate * 100, 3),
        "churn_mom_change": _number(tables["churn_total"], "mom_change"),
        "requests": _number(tables["retention_summary"], "requests"),
        "retention_success_rate": _number(tables["retention_summary"], "success_rate"),
        "cancellation_complaints": _number(tables["cancellation_complaints"], "count"),
        "cancellation_mom_change": _number(tables["cancellation_complaints"], "mom_change"),
        "refusal_share": _number(tables["cancellation_complaints"], "refusal_share"),
        "resolution_attainment": round(met / orders * 100, 2) if orders else None,
        "revisits_on_time": _number(tables["revisit_completion"], "on_time_rate"),
        "mean_csat": _number(tables["csat"], "mean_csat"),
        "compliance": {
            str(row["key"]): int(row["offending"])
            for row in tables["compliance_summary"].to_dict("records")
        },
    }


def _text(value: Any, suffix: str = "") -> str:
    return "-" if value is None else f"{value:g}{suffix}"


def _body(*, unit: OrgUnit | None, month: dt.date, figures: dict[str, Any]) -> tuple[str, str]:
    where = unit.name if unit else _("Whole operator")
    query = f"?month={month:%Y-%m}" + (f"&unit={unit.pk}" if unit else "")
    subject = _("Monthly review %(month)s: %(unit)s") % {"month": f"{month:%Y-%m}", "unit": where}
    lines = [
        subject,
        "",
        _("Churn rate: %(rate)s (month over month %(mom)s)")
        % {
            "rate": _text(figures["churn_rate"], "%"),
            "mom": _text(figures["churn_mom_change"], "%"),
        },
        _("Cancellation requests: %(n)s; retention success rate: %(rate)s")
        % {
            "n": _text(figures["requests"]),
            "rate": _text(figures["retention_success_rate"], "%"),
        },
        _("Cancellation complaints: %(n)s (month over month %(mom)s); refusals: %(share)s")
        % {
            "n": _text(figures["cancellation_complaints"]),
            "mom": _text(figures["cancellation_mom_change"], "%"),
            "share": _text(figures["refusal_share"], "%"),
        },
        _("Resolved within SLA: %(sla)s; revisits on time: %(revisits)s; mean CSAT: %(csat)s")
        % {
            "sla": _text(figures["resolution_attainment"], "%"),
            "revisits": _text(figures["revisits_on_time"], "%"),
            "csat": _text(figures["mean_csat"]),
        },
        _("Compliance findings: %(findings)s")
        % {"findings": ", ".join(f"{k} {v}" for k, v in figures["compliance"].items()) or "-"},
        "",
        _("Open the review: %(url)s") % {"url": public_url(reverse("analytics:monthly") + query)},
        _("Download it as XLSX: %(url)s")
        % {"url": public_url(reverse("analytics:export") + query + "&format=xlsx")},
    ]
    return subject, "\n".join(str(line) for line in lines)


def monthly_report_send(
    *, month: dt.date, unit: OrgUnit | None, recipients: list[Staff]
) -> MonthlyReport | None:
    """Send one unit's report of ``month`` (None when it was sent already)."""
    month = month_start(month)
    scope_key = f"unit:{unit.pk}" if unit else "operator"
    if MonthlyReport.objects.filter(month=month, scope_key=scope_key).exists():
        return None
    tables = monthly_review(month=month, unit_path=unit.path if unit else None)
    figures = headline(tables)
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                month=month, scope_key=scope_key, unit=unit, summary=figures
            )
            sent = missing = 0
            for staff in recipients:
                if not staff.user.email:
                    missing += 1
                    continue
                with translation.override(staff.language):
                    subject, body = _body(unit=unit, month=month, figures=figures)
                message_enqueue(
                    channel="email",
                    recipient=staff.user.email,
                    subject=subject,
                    body=body,
                    idempotency_key=f"analytics.monthly:{month:%Y-%m}:{scope_key}:{staff.pk}",
                    related=report,
                )
                sent += 1
            report.recipients, report.without_address = sent, missing
            report.save(update_fields=["recipients", "without_address"])
            audit_record(
                actor=None,
                action="analytics.report.send",
                obj=report,
                after={"month": month.isoformat(), "scope": scope_key, "e-mails": sent},
            )
    except IntegrityError:
        return None  # another worker sent it first
    return report


def monthly_reports_send(*, now: dt.datetime | None = None) -> int:
    """Send every unit's report of the previous month when it is due; returns how many
    reports were made now (0 when not due or already sent)."""
    now = now or timezone.now()
    schedule = report_schedule()
    if not schedule.active:
        return 0
    month = report_due(now=now, schedule=schedule)
    if month is None:
        return 0
    units = report_units()
    if not units:
        return 0
    today = timezone.localtime(now).date()
    missing = months_missing([previous_month(month), month], today=today)
    if missing:
        snapshot_build(months=missing, today=today)
    made = 0
    for unit, staff in units:
        if monthly_report_send(month=month, unit=unit, recipients=staff) is not None:
            made += 1
    log.info("monthly reports of %s: %s made", f"{month:%Y-%m}", made)
    return made
