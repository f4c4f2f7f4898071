"""Customer search and the 360 page: parse, fetch in scope, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from wanliu.customers.charts import usage_chart_html
from wanliu.customers.presenters import customer_cases, customer_churn
from wanliu.customers.selectors import customer_360, customer_get_for, customer_list
from wanliu.customers.services import national_id_can_reveal, national_id_reveal


@login_required
@vary_on_headers("HX-Request")
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    paginator = Paginator(customer_list(user=request.user, q=q), 20)
    page = paginator.get_page(request.GET.get("page"))
    # An htmx history restore (back button after a cache miss) needs the whole page.
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    template = "customers/_results.html" if partial else "customers/search.html"
    return render(request, template, {"q": q, "page": page})


@login_required
def detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    view = customer_360(user=request.user, customer_id=customer_id)
    churn = customer_churn(view)
    for line in view.lines:
        line.churn = churn["by_line"].get(line.pk) if churn else None  # type: ignore[attr-defined]
    return render(
        request,
        "customers/detail.html",
        {
            "view": view,
            "customer": view.customer,
            "churn": churn,
            "cases": customer_cases(view),
            "usage_chart": usage_chart_html(view),
            "can_reveal_id": national_id_can_reveal(user=request.user),
        },
    )


@login_required
@require_POST
def national_id(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for(user=request.user, customer_id=customer_id)
    try:
        value = national_id_reveal(user=request.user, customer=customer, purpose="360 page")
    except PermissionDenied:
        return HttpResponse(status=403)
    return render(request, "customers/_national_id.html", {"value": value})
