"""The monthly review page and its exports: parse, fetch the unit in scope, render."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from wanliu.analytics import charts, figures, review
from wanliu.analytics.selectors import review_unit_for
from wanliu.org.models import OrgUnit


def _month(request: HttpRequest) -> dt.date:
    text = request.GET.get("month")
    if not text:
        return figures.previous_month(timezone.localdate())
    try:
        return figures.parse_month(text)
    except ValueError as exc:
        raise Http404 from exc


def _unit_id(request: HttpRequest) -> int | None:
    text = request.GET.get("unit")
    if not text:
        return None
    if not text.isdigit():
        raise Http404
    return int(text)


@login_required
@vary_on_headers("HX-Request")
def monthly(request: HttpRequest) -> HttpResponse:
    month = _month(request)
    unit = review_unit_for(user=request.user, unit_id=_unit_id(request))
    tables = review.monthly_review(month=month, unit_path=unit.path if unit else None)
    fit = tables["fcr_csat_fit"].iloc[0]
    slope = review.optional_float(fit["slope"])
    intercept = review.optional_float(fit["intercept"])
    by_unit = tables["churn_by_unit"]
    unit_ids = dict(OrgUnit.objects.filter(path__in=list(by_unit["key"])).values_list("path", "pk"))
    context = {
        "month": month,
        "month_text": f"{month:%Y-%m}",
        "unit": unit,
        "tables": [
            (
                name,
                review.TITLES[name],
                table.columns.tolist(),
                table.astype(object).where(table.notna(), "").values.tolist(),
            )
            for name, table in tables.items()
        ],
        "drill": review.drill_rows(by_unit, unit_ids),
        "churn_chart": charts.churn_by_unit_chart(by_unit),
        "fcr_chart": charts.fcr_csat_chart(tables["fcr_vs_csat"], slope, intercept),
        "slope": slope,
    }
    template = (
        "analytics/_review.html" if request.headers.get("HX-Request") else "analytics/monthly.html"
    )
    return render(request, template, context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """One table (``table=``) or all of them as CSV or XLSX (``format=``)."""
    month = _month(request)
    unit = review_unit_for(user=request.user, unit_id=_unit_id(request))
    fmt = request.GET.get("format", "xlsx")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    tables = review.monthly_review(month=month, unit_path=unit.path if unit else None)
    name = request.GET.get("table")
    if name:
        if name not in tables:
            raise Http404
        tables = {name: tables[name]}
    stem = f"monthly-review-{month:%Y-%m}" + (f"-{name}" if name else "")
    if fmt == "xlsx":
        response = HttpResponse(
            review.review_to_xlsx(tables),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    elif name:
        response = HttpResponse(
            next(iter(tables.values())).to_csv(index=False), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    else:
        response = HttpResponse(review.review_to_csv_zip(tables), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{stem}.zip"'
    return response
