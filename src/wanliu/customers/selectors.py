"""Reads of customers, always scoped by the reader's organisation unit."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from wanliu.customers.models import (
    Account,
    Bill,
    Contact,
    Customer,
    Line,
    PlanChange,
    Subscription,
    Usage,
)
from wanliu.org.scoping import first_or_404, scope_for

CUSTOMER_UNIT_PATH = "unit__path"
CUSTOMER_STORE = "store_id"
_DIGITS = re.compile(r"^\d{3,}$")


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    """Every customer the user may see (the one place customer scope is decided)."""
    return scope_for(user).apply(
        Customer.objects.all(), unit_path_field=CUSTOMER_UNIT_PATH, store_field=CUSTOMER_STORE
    )


def _prefix(field_name: str, text: str) -> Q:
    """Prefix match that a plain B-tree index serves on SQLite and PostgreSQL alike."""
    return Q(**{f"{field_name}__gte": text, f"{field_name}__lt": text + "\U0010ffff"}) & Q(
        **{f"{field_name}__startswith": text}
    )


def customer_list(*, user: Any, q: str = "") -> QuerySet[Customer]:
    """Customers in scope, searched by customer number (exact), number prefix or name prefix.

    Each branch is a single indexed predicate: OR-ing them makes both databases merge two
    indexes and sort the whole match, which is slow for a one-character surname.
    """
    customers = customers_visible_to(user).select_related("store")
    text = q.strip()
    if not text:
        return customers.order_by("id")
    by_customer_no = customers.filter(customer_no=text)
    if by_customer_no.exists():
        return by_customer_no.order_by("id")
    if _DIGITS.match(text):
        line_owner_ids = Line.objects.filter(_prefix("number", text)).values(
            "account__customer_id"
        )[:200]
        return customers.filter(id__in=line_owner_ids).order_by("id")
    return customers.filter(_prefix("name", text)).order_by("name", "id")


def customer_get_for(*, user: Any, customer_id: int) -> Customer:
    """The customer if the user may see it; 404 otherwise (never says it exists)."""
    return first_or_404(
        customers_visible_to(user)
        .select_related("store", "unit", "unit__region")
        .filter(pk=customer_id),
        "customer",
    )


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def tenure_months(joined_on: dt.date, today: dt.date) -> int:
    months = (today.year - joined_on.year) * 12 + today.month - joined_on.month
    if today.day < joined_on.day:
        months -= 1
    return max(months, 0)


@dataclass
class Customer360:
    """Everything the counter and the hotline need about one customer, in one read."""

    customer: Customer
    today: dt.date
    accounts: list[Account] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    bills: list[Bill] = field(default_factory=list)
    usage_by_line: dict[int, list[Usage]] = field(default_factory=dict)
    usage_months: list[dt.date] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    plan_changes: list[PlanChange] = field(default_factory=list)
    viewer: Any = None  # who reads it: the cases on it link only to what they may open

    @property
    def tenure_months(self) -> int:
        return tenure_months(self.customer.joined_on, self.today)

    @property
    def active_subscriptions(self) -> list[Subscription]:
        return [s for s in self.subscriptions if s.ended_on is None]

    @property
    def monthly_fee(self) -> Decimal:
        return sum((s.plan.monthly_fee for s in self.active_subscriptions), Decimal("0"))

    def usage_totals(self) -> list[dict[str, Any]]:
        """Per month, the customer's data GB and voice minutes over all lines."""
        by_month: dict[dt.date, dict[str, Any]] = {
            m: {"month": m, "data_gb": Decimal("0"), "voice_minutes": 0, "sms": 0}
            for m in self.usage_months
        }
        for rows in self.usage_by_line.values():
            for u in rows:
                slot = by_month.get(u.month)
                if slot is not None:
                    slot["data_gb"] += u.data_gb
                    slot["voice_minutes"] += u.voice_minutes
                    slot["sms"] += u.sms
        return [by_month[m] for m in self.usage_months]


def customer_360(
    *, user: Any, customer_id: int, today: dt.date | None = None, contacts_limit: int = 20
) -> Customer360:
    """The 360 view of one customer in scope: a fixed handful of indexed queries."""
    customer = customer_get_for(user=user, customer_id=customer_id)
    today = today or timezone.localdate()
    view = Customer360(customer=customer, today=today, viewer=user)
    view.accounts = list(Account.objects.filter(customer=customer).order_by("opened_on", "id"))
    account_ids = [a.pk for a in view.accounts]
    view.subscriptions = list(
        Subscription.objects.filter(account_id__in=account_ids)
        .select_related("plan")
        .order_by("-started_on", "id")
    )
    view.lines = list(
        Line.objects.filter(account_id__in=account_ids)
        .select_related("home_region", "subscription__plan")
        .order_by("kind", "number")
    )
    last_months = [add_months(month_start(today), -i) for i in range(1, 4)]
    view.bills = list(
        Bill.objects.filter(account_id__in=account_ids, month__in=last_months)
        .select_related("account")
        .order_by("-month", "account_id")
    )
    view.usage_months = [add_months(month_start(today), -i) for i in range(12, 0, -1)]
    usage_rows = Usage.objects.filter(
        line_id__in=[ln.pk for ln in view.lines],
        month__gte=view.usage_months[0],
        month__lte=view.usage_months[-1],
    ).order_by("month")
    grouped: dict[int, list[Usage]] = defaultdict(list)
    for row in usage_rows:
        grouped[row.line_id].append(row)
    view.usage_by_line = dict(grouped)
    view.contacts = list(
        Contact.objects.filter(customer=customer)
        .select_related("agent", "line")
        .order_by("-started_at")[:contacts_limit]
    )
    view.plan_changes = list(
        PlanChange.objects.filter(subscription__account_id__in=account_ids)
        .select_related("from_plan", "to_plan")
        .order_by("-changed_on")[:10]
    )
    return view
