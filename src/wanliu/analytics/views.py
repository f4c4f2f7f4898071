"""The monthly review pages and their exports: parse, fetch the scoped unit, store or member
of staff, call the review, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from wanliu.analytics import charts, desk, exports, present, sources
from wanliu.analytics.models import FollowUpTask, ReviewSnapshot
from wanliu.analytics.months import (
    MonthError,
    local_bounds,
    month_start,
    parse_month,
    previous_month,
)
from wanliu.analytics.review import Review, review_build
from wanliu.analytics.selectors import (
    follow_up_task_get_for,
    follow_up_tasks_for,
    review_staff_for,
    review_store_for,
    review_unit_for,
    viewer_path,
)
from wanliu.analytics.services import follow_up_task_complete, follow_up_tasks_create
from wanliu.analytics.snapshots import SnapshotMissing, months_missing, snapshot_request
from wanliu.customers.models import Customer
from wanliu.org.models import Role
from wanliu.retention.models import Reason


class BadInput(ValueError):
    pass


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


def _month(request: HttpRequest) -> dt.date:
    text = request.GET.get("month") or request.POST.get("month")
    today = timezone.localdate()
    if not text:
        return previous_month(today)
    try:
        month = parse_month(text, field="month")
    except MonthError as exc:
        raise BadInput(str(exc)) from exc
    if month > month_start(today):
        raise BadInput(
            _("month %(month)s has not begun yet: choose %(latest)s or an earlier month.")
            % {"month": f"{month:%Y-%m}", "latest": f"{today:%Y-%m}"}
        )
    return month


def _unit_id(request: HttpRequest) -> int | None:
    text = request.GET.get("unit")
    if not text:
        return None
    if not text.isdigit():
        raise BadInput(_("unit must be the number of an organisation unit, e.g. unit=12."))
    return int(text)


def _bad(request: HttpRequest, error: BadInput) -> HttpResponse:
    return HttpResponseBadRequest(
        render(request, "analytics/error.html", {"error": str(error)}).content
    )


def _review_or_request(request: HttpRequest, month: dt.date, path: str | None) -> Review | None:
    """The review, or None after asking for the snapshots it lacks (they are being built)."""
    try:
        return review_build(month=month, unit_path=path)
    except SnapshotMissing:
        missing = months_missing([previous_month(month), month])
        snapshot_request(months=missing, actor=request.user)
    try:
        return review_build(month=month, unit_path=path)
    except SnapshotMissing:
        return None


def _linker(request: HttpRequest, month: dt.date, review: Review) -> present.Linker:
    units = sources.unit_frame()
    users = [int(u) for u in review.tables["retention_by_clerk"]["key"] if str(u).isdigit()]
    for name in ("check_missing_steps",):
        if name in review.tables:
            users += [int(u) for u in review.tables[name]["opened_by_id"].dropna()]
    staff = sources.staff_frame(user_ids=users)
    return present.Linker(
        month_text=f"{month:%Y-%m}",
        unit_ids=dict(zip(units["path"], units["unit_id"], strict=True)),
        staff_of_user=dict(zip(staff["user_id"], staff["staff_id"], strict=True)),
        visible_unit_paths=dict(zip(units["unit_id"], units["path"], strict=True)),
        viewer_path=viewer_path(request.user),
    )


def _query(month: dt.date, unit: Any) -> str:
    return f"month={month:%Y-%m}" + (f"&unit={unit.pk}" if unit else "")


@login_required
@vary_on_headers("HX-Request")
def monthly(request: HttpRequest) -> HttpResponse:
    try:
        month = _month(request)
        unit = review_unit_for(user=request.user, unit_id=_unit_id(request))
    except BadInput as error:
        return _bad(request, error)
    review = _review_or_request(request, month, unit.path if unit else None)
    partial = bool(request.headers.get("HX-Request"))
    context: dict[str, Any] = {
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "unit": unit,
        "query": _query(month, unit),
    }
    if review is None:
        states = ReviewSnapshot.objects.filter(month__in=[previous_month(month), month])
        context["building"] = [s for s in states if s.status != ReviewSnapshot.Status.READY]
        template = "analytics/_building.html" if partial else "analytics/monthly.html"
        return render(request, template, context, status=202)
    figures = charts.review_figures(review.tables, review.slope, review.intercept)
    chart_divs = {
        name: charts.chart_html(figure, f"chart-{name.replace('_', '-')}")
        for name, figure in figures.items()
    }
    link = _linker(request, month, review)
    context.update(
        {
            "sections": present.sections(review.tables, link, chart_divs),
            "slope": review.slope,
            "checks": review.checks,
            "drill": _drill_rows(review.tables["churn_by_unit"], link),
            "value_ids": [int(i) for i in review.tables["value_customers"]["customer_id"]],
            "churned_ids": [
                int(i) for i in review.tables["churned_customers"]["customer_id"].head(50)
            ],
        }
    )
    template = "analytics/_review.html" if partial else "analytics/monthly.html"
    return render(request, template, context)


def _drill_rows(by_unit: pd.DataFrame, link: present.Linker) -> list[dict[str, Any]]:
    rows = []
    for record in by_unit.to_dict("records"):
        rate = record["churn_rate"]
        rows.append(
            {
                "href": link.unit(record["key"]),
                "name": record["name"] or record["key"],
                "active": int(record["active_at_start"]),
                "gone": int(record["disconnected"]),
                "rate": None if pd.isna(rate) else round(float(rate) * 100, 3),
                "mom": None if pd.isna(record["mom_change"]) else float(record["mom_change"]),
            }
        )
    return rows


@login_required
def store(request: HttpRequest, store_id: int) -> HttpResponse:
    """A store's month: its cancellation requests by clerk, and every case."""
    try:
        month = _month(request)
    except BadInput as error:
        return _bad(request, error)
    shop = review_store_for(user=request.user, store_id=store_id)
    here = desk.desk_data(month=month, prev=previous_month(month), unit_path=None, store_id=shop.pk)
    mine = here.requests
    by_clerk = desk.retention_by(here, "clerk")
    cases = mine[
        [
            "request_id",
            "request_no",
            "opened_at",
            "opened_by_id",
            "outcome",
            "reason",
            "refusal",
            "transferred",
            "missing",
            "offer_cost",
        ]
    ].rename(
        columns={"refusal": "refusals", "transferred": "transfers", "missing": "missing_steps"}
    )
    return _drill_page(
        request,
        month=month,
        title=shop.name,
        up_unit=shop.unit,
        tables={
            "store_summary": desk.retention_summary(here),
            "by_clerk": by_clerk,
            "cases": cases,
        },
    )


@login_required
def staff(request: HttpRequest, staff_id: int) -> HttpResponse:
    """A clerk's or an agent's month: the requests they opened, the orders they owned."""
    try:
        month = _month(request)
    except BadInput as error:
        return _bad(request, error)
    person = review_staff_for(user=request.user, staff_id=staff_id)
    start, end = local_bounds(month)
    data = desk.desk_data(
        month=month, prev=previous_month(month), unit_path=None, opened_by_id=person.user_id
    )
    requests = data.requests
    orders = sources.orders_frame(start=start, end=end, unit_path=None, owner_staff_id=person.pk)
    tables = {
        "store_summary": desk.retention_summary(data),
        "cases": requests[
            ["request_id", "request_no", "opened_at", "store_id", "outcome", "reason", "missing"]
        ].rename(columns={"missing": "missing_steps"}),
        "orders": orders[
            [
                "order_id",
                "order_no",
                "received_at",
                "category",
                "channel",
                "status",
                "resolution_due_at",
                "resolved_at",
                "reopen_count",
                "owner_unit_id",
            ]
        ],
    }
    if person.role != Role.CLERK:
        tables.pop("store_summary")
    return _drill_page(
        request,
        month=month,
        title=f"{person.name} · {person.get_role_display()}",
        up_unit=person.unit,
        tables=tables,
    )


DRILL_TITLES = {
    "store_summary": _("Cancellation requests and retention success"),
    "by_clerk": _("Retention success by clerk"),
    "cases": _("Cancellation requests (cases)"),
    "orders": _("Work orders owned"),
}


def _drill_page(
    request: HttpRequest,
    *,
    month: dt.date,
    title: str,
    up_unit: Any,
    tables: dict[str, pd.DataFrame],
) -> HttpResponse:
    from wanliu.analytics.labels import Labels, label_frame

    units = sources.unit_frame()
    users = [
        int(u) for u in tables.get("by_clerk", pd.DataFrame({"key": []}))["key"] if str(u).isdigit()
    ]
    users += [
        int(u) for u in tables["cases"].get("opened_by_id", pd.Series([], dtype=object)).dropna()
    ]
    people = sources.staff_frame(user_ids=users)
    link = present.Linker(
        month_text=f"{month:%Y-%m}",
        unit_ids=dict(zip(units["path"], units["unit_id"], strict=True)),
        staff_of_user=dict(zip(people["user_id"], people["staff_id"], strict=True)),
        visible_unit_paths=dict(zip(units["unit_id"], units["path"], strict=True)),
        viewer_path=viewer_path(request.user),
    )
    labels = Labels()
    shown = []
    for name, table in tables.items():
        labelled = label_frame("retention_by_clerk" if name == "by_clerk" else name, table, labels)
        item = present.shown(
            "retention_by_clerk" if name == "by_clerk" else name, labelled, link, limit=500
        )
        item.title = str(DRILL_TITLES[name])
        shown.append(item)
    return render(
        request,
        "analytics/drill.html",
        {
            "title": title,
            "month_text": f"{month:%Y-%m}",
            "up": up_unit,
            "tables": shown,
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """One table (``table=``) or all of them as CSV, XLSX or the HTML report (``format=``)."""
    try:
        month = _month(request)
        unit = review_unit_for(user=request.user, unit_id=_unit_id(request))
        fmt = request.GET.get("format", "xlsx")
        if fmt not in ("csv", "xlsx", "html"):
            raise BadInput(_("format must be csv, xlsx or html."))
    except BadInput as error:
        return _bad(request, error)
    review = _review_or_request(request, month, unit.path if unit else None)
    if review is None:
        return HttpResponse(
            _("The figures of %(month)s are being prepared; try again in a minute.")
            % {"month": f"{month:%Y-%m}"},
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    tables = review.tables
    name = request.GET.get("table")
    if name:
        if name not in tables:
            raise Http404
        tables = {name: tables[name]}
    stem = f"monthly-review-{month:%Y-%m}" + (f"-{name}" if name else "")
    if fmt == "html":
        where = unit.name if unit else _("Whole operator")
        body = exports.review_to_html(
            review, title=f"{_('Monthly review')} {month:%Y-%m} · {where}"
        )
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}.html"'
    elif fmt == "xlsx":
        response = HttpResponse(
            exports.review_to_xlsx(tables),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    elif name:
        response = HttpResponse(
            next(iter(tables.values())).to_csv(index=False), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    else:
        response = HttpResponse(exports.review_to_csv_zip(tables), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{stem}.zip"'
    return response


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """Follow-up tasks in the user's scope: open first."""
    viewer_path(request.user)
    status = request.GET.get("status", "")
    if status not in ("", *FollowUpTask.Status.values):
        return _bad(request, BadInput(_("status must be open or done.")))
    items = list(follow_up_tasks_for(user=request.user, status=status)[:300])
    return render(
        request,
        "analytics/tasks.html",
        {"tasks": items, "status": status, "reasons": Reason.choices},
    )


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
@require_POST
def tasks_create(request: HttpRequest) -> HttpResponse:
    """One click: a thank-you call or churn interview for every customer listed."""
    path = viewer_path(request.user)
    kind = request.POST.get("kind", "")
    if kind not in FollowUpTask.Kind.values:
        return _bad(request, BadInput(_("kind must be thank_you_call or churn_interview.")))
    try:
        month = _month(request)
    except BadInput as error:
        return _bad(request, error)
    raw = request.POST.getlist("customer")
    if not raw or not all(r.isdigit() for r in raw):
        return _bad(request, BadInput(_("customer must list customer numbers (ids).")))
    customers = Customer.objects.filter(pk__in=[int(r) for r in raw])
    if path is not None:
        customers = customers.filter(unit__path__startswith=path)
    found = list(customers.order_by("pk"))
    if len(found) != len(set(raw)):
        raise Http404
    reason = (
        _("top contributor of %(month)s")
        if kind == FollowUpTask.Kind.THANK_YOU_CALL
        else _("churned in %(month)s")
    ) % {"month": f"{month:%Y-%m}"}
    made = follow_up_tasks_create(
        kind=kind, customers=found, month=month, actor=_user(request), reason=reason
    )
    messages.success(
        request,
        _("%(made)s tasks made (%(kept)s customers had one already).")
        % {"made": len(made), "kept": len(found) - len(made)},
    )
    return redirect(_back(request, "analytics:tasks"))


@login_required
@require_POST
def task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    task = follow_up_task_get_for(user=request.user, task_id=task_id)
    reason = request.POST.get("reason_given", "")
    try:
        follow_up_task_complete(
            task=task,
            actor=_user(request),
            reason_given=reason,
            notes=request.POST.get("notes", ""),
        )
    except ValueError as exc:
        return _bad(request, BadInput(str(exc)))
    messages.success(request, _("Task recorded as done."))
    return redirect(_back(request, "analytics:tasks"))
