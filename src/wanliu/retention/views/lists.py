"""Lists of the retention desk: my requests, opening one, the approval queue, supervision
(branch view and service department), the follow-up queue, the win-back list and the case
library."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from wanliu.customers.models import Account, Line, Subscription
from wanliu.customers.selectors import customer_get_for, customer_list
from wanliu.retention.access import (
    can_open,
    can_supervise,
    can_work,
    offer_grant_get_for,
    retention_contact_get_for,
    win_back_entry_get_for,
)
from wanliu.retention.models import (
    OfferGrant,
    Reason,
    RetentionCase,
    RetentionContact,
    Status,
    WinBackEntry,
)
from wanliu.retention.presenters import request_items
from wanliu.retention.selectors import (
    approval_choices,
    approvals_pending,
    cancellation_request_list,
    cases_search,
    reason_counts,
    retention_contact_queue,
    store_supervision,
    win_back_list,
)
from wanliu.retention.services import (
    RetentionError,
    cancellation_request_open,
    offer_approval_decide,
    retention_contact_complete,
    win_back_outcome_record,
)
from wanliu.retention.views import forms as f


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _flag(raw: str | None) -> bool | None:
    return {"1": True, "0": False}.get(raw or "")


def _partial(request: HttpRequest) -> bool:
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def _requests_page(request: HttpRequest, *, default_status: str) -> dict[str, Any]:
    g = request.GET
    status = g.get("status", default_status)
    store_raw = g.get("store", "")
    requests = cancellation_request_list(
        user=request.user,
        status=status,
        reason=g.get("reason", ""),
        store_id=int(store_raw) if store_raw.isdigit() else None,
        flagged=_flag(g.get("flagged")),
        transferred=_flag(g.get("transferred")),
        q=g.get("q", ""),
        opened_from=_date(g.get("from")),
        opened_to=_date(g.get("to")),
    )
    paginator = Paginator(requests, 25)
    page = paginator.get_page(g.get("page"))
    return {
        "page": page,
        "rows": request_items(list(page.object_list)),
        "filters": {
            "status": status,
            "reason": g.get("reason", ""),
            "store": store_raw,
            "flagged": g.get("flagged", ""),
            "transferred": g.get("transferred", ""),
            "q": g.get("q", ""),
            "from": g.get("from", ""),
            "to": g.get("to", ""),
        },
        "statuses": [("open", None), *[(s.value, s.label) for s in Status]],
        "reasons": Reason.choices,
        "pending_approvals": approvals_pending(user=request.user).count(),
    }


@login_required
def requests(request: HttpRequest) -> HttpResponse:
    """My requests: a clerk's store, a grid team's area (open ones first)."""
    context = _requests_page(request, default_status="open")
    context["can_open"] = can_open(request.user)
    template = "retention/_request_rows.html" if _partial(request) else "retention/requests.html"
    return render(request, template, context)


@login_required
def supervision(request: HttpRequest) -> HttpResponse:
    """Branch view / service department: refusals, transfers and missing steps by store,
    and every request in scope with filters."""
    if not can_supervise(request.user):
        raise PermissionDenied
    context = _requests_page(request, default_status="")
    if _partial(request):
        return render(request, "retention/_request_rows.html", context)
    today = timezone.localdate()
    opened_from = _date(request.GET.get("from")) or today - dt.timedelta(days=90)
    context["stores"] = store_supervision(
        user=request.user, opened_from=opened_from, opened_to=_date(request.GET.get("to"))
    )
    context["period_from"] = opened_from
    return render(request, "retention/supervision.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """Find the customer, choose what they want to cancel, open the request."""
    if not can_open(request.user):
        raise PermissionDenied
    q = request.GET.get("q", "").strip()
    customer_raw = request.POST.get("customer") or request.GET.get("customer", "")
    customer = None
    if customer_raw.isdigit():
        customer = customer_get_for(user=request.user, customer_id=int(customer_raw))
    error = ""
    form = f.OpenForm(request.POST or None, initial={"customer": customer.pk if customer else None})
    if request.method == "POST" and customer is not None:
        if form.is_valid():
            try:
                target, pk = form.target_parts()
                created = cancellation_request_open(
                    actor=request.user,
                    customer=customer,
                    kind=form.cleaned_data["kind"],
                    target=target,
                    subscription=Subscription.objects.filter(
                        pk=pk, account__customer=customer
                    ).first()
                    if target == "subscription"
                    else None,
                    line=Line.objects.filter(pk=pk, account__customer=customer).first()
                    if target == "line"
                    else None,
                    account=Account.objects.filter(pk=pk, customer=customer).first()
                    if target == "account"
                    else None,
                    stated_complaint=form.cleaned_data.get("stated_complaint") or "",
                )
            except RetentionError as exc:
                error = exc.message
            except DjangoValidationError as exc:
                error = "; ".join(exc.messages)
            else:
                return redirect("retention:desk", request_id=created.pk)
        else:
            error = f.first_error(form)
    context: dict[str, Any] = {"q": q, "customer": customer, "form": form, "error": error}
    if customer is None and q:
        context["results"] = list(customer_list(user=request.user, q=q)[:10])
    if customer is not None:
        context["subscriptions"] = list(
            Subscription.objects.filter(account__customer=customer, ended_on__isnull=True)
            .select_related("plan", "account")
            .order_by("-started_on")
        )
        context["lines"] = list(
            Line.objects.filter(account__customer=customer)
            .exclude(status=Line.Status.CANCELLED)
            .select_related("subscription__plan")
            .order_by("kind", "number")
        )
        context["accounts"] = list(Account.objects.filter(customer=customer, status="active"))
    template = "retention/_new_results.html" if _partial(request) else "retention/new.html"
    return render(request, template, context, status=400 if error else 200)


def _approval_queue(request: HttpRequest, *, rows_only: bool = False) -> dict[str, Any]:
    """The queue's rows under the request's filters, and for the whole page also the
    filters' options and the approver's recent decisions."""
    g = request.GET
    store = g.get("store", "")
    filters = {"store": store, "offer": g.get("offer", ""), "q": g.get("q", "").strip()}
    grants = approvals_pending(
        user=request.user,
        store_id=int(store) if store.isdigit() else None,
        offer_code=filters["offer"],
        q=filters["q"],
    )
    context: dict[str, Any] = {"grants": list(grants), "filters": filters}
    if not rows_only:
        context["stores"], context["offers"] = approval_choices(user=request.user)
        context["recent"] = list(
            OfferGrant.objects.filter(decided_by_id=request.user.pk)
            .select_related("offer", "request", "request__store")
            .order_by("-decided_at")[:10]
        )
    return context


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """The approval queue of a branch manager: level-2 offers of their branch, oldest
    first, filtered by store, offer or request number / customer name."""
    if _partial(request):
        return render(
            request, "retention/_approval_rows.html", _approval_queue(request, rows_only=True)
        )
    return render(request, "retention/approvals.html", _approval_queue(request))


@login_required
@require_POST
def approval_decide(request: HttpRequest, grant_id: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "reject"):
        raise Http404
    grant = offer_grant_get_for(request.user, grant_id)
    form = f.DecisionForm(request.POST)
    form.is_valid()
    error, status = "", 200
    try:
        grant = offer_approval_decide(
            grant=grant,
            actor=request.user,
            approve=decision == "approve",
            note=form.cleaned_data.get("note") or "",
        )
    except RetentionError as exc:
        error, status = exc.message, exc.http_status
        grant.refresh_from_db()
    if _partial(request):
        return render(request, "retention/_approval_row.html", {"g": grant, "error": error})
    if error:
        context = {**_approval_queue(request), "error": error}
        return render(request, "retention/approvals.html", context, status=status)
    return redirect("retention:approvals")


def _follow_ups_context(request: HttpRequest) -> dict[str, Any]:
    g = request.GET
    status = g.get("status", RetentionContact.Status.PLANNED)
    if status and status not in RetentionContact.Status.values:
        status = RetentionContact.Status.PLANNED
    purpose = g.get("purpose", "")
    if purpose not in RetentionContact.Purpose.values:
        purpose = ""
    due_by = _date(g.get("due_by"))
    due_before = None
    if due_by is not None:  # due on or before that day (Asia/Shanghai)
        due_before = timezone.make_aware(
            dt.datetime.combine(due_by + dt.timedelta(days=1), dt.time.min)
        )
    contacts = retention_contact_queue(
        user=request.user, status=status, purpose=purpose, due_before=due_before
    )
    page = Paginator(contacts, 25).get_page(g.get("page"))
    now = timezone.now()
    overdue = 0
    if status in ("", RetentionContact.Status.PLANNED):
        overdue = contacts.filter(status=RetentionContact.Status.PLANNED, due_at__lt=now).count()
    return {
        "page": page,
        "rows": [{"c": c, "can_work": can_work(request.user, c.request)} for c in page],
        "status": status,
        "purpose": purpose,
        "due_by": due_by,
        "statuses": RetentionContact.Status.choices,
        "purposes": RetentionContact.Purpose.choices,
        "overdue": overdue,
        "now": now,
        "today": timezone.localdate(),
    }


@login_required
def follow_ups(request: HttpRequest) -> HttpResponse:
    """My follow-ups (回访任务): the planned care and win-back contacts in scope, the
    overdue and due ones first, each with its desk and the "contact done" action."""
    return render(request, "retention/follow_ups.html", _follow_ups_context(request))


@login_required
@require_POST
def follow_up_done(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Record how a planned contact went (reached, no answer, cancelled) from the queue."""
    contact = retention_contact_get_for(request.user, contact_id)
    form = f.ContactDoneForm({**request.POST.dict(), "contact": contact.pk})
    error, status = "", 200
    if form.is_valid():
        try:
            contact = retention_contact_complete(
                contact=contact,
                actor=request.user,
                status=form.cleaned_data["status"],
                result=form.cleaned_data.get("result") or "",
            )
        except RetentionError as exc:
            error, status = exc.message, exc.http_status
    else:
        error, status = f.first_error(form), 400
    if _partial(request):
        # htmx swaps only 2xx answers: a refusal comes back in the row, with its reason.
        row = {
            "c": contact,
            "can_work": can_work(request.user, contact.request),
            "now": timezone.now(),
            "today": timezone.localdate(),
            "error": error,
        }
        return render(request, "retention/_follow_up_row.html", row)
    if error:
        context = {**_follow_ups_context(request), "error": error}
        return render(request, "retention/follow_ups.html", context, status=status)
    return redirect("retention:follow_ups")


@login_required
def win_back(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    due_today = request.GET.get("due") == "1"
    entries = win_back_list(
        user=request.user, status=status, due_on=timezone.localdate() if due_today else None
    )
    paginator = Paginator(entries, 25)
    return render(
        request,
        "retention/win_back.html",
        {
            "page": paginator.get_page(request.GET.get("page")),
            "status": status,
            "due_today": due_today,
            "statuses": WinBackEntry.Status.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def win_back_outcome(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = win_back_entry_get_for(request.user, entry_id)
    if not can_work(request.user, entry.request):
        raise PermissionDenied
    form = f.WinBackOutcomeForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            entry = win_back_outcome_record(
                entry=entry,
                actor=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except RetentionError as exc:
            error = exc.message
    else:
        error = f.first_error(form)
    if _partial(request):
        return render(
            request,
            "retention/_win_back_row.html",
            {"e": entry, "error": error, "today": timezone.localdate()},
        )
    return redirect("retention:win_back")


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    reason = request.GET.get("reason", "")
    q = request.GET.get("q", "")
    paginator = Paginator(cases_search(reason=reason, q=q), 20)
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "reason": reason,
        "q": q,
        "reasons": Reason.choices,
        "counts": reason_counts(),
    }
    template = "retention/_case_rows.html" if _partial(request) else "retention/cases.html"
    return render(request, template, context)


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = RetentionCase.objects.filter(pk=case_id).first()
    if case is None:
        raise Http404
    return render(request, "retention/case.html", {"case": case})
