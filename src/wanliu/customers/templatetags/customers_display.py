"""Display helpers for the customer pages: language-aware names, bill items, contracts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from wanliu.customers.models import Bill, Line, Subscription

register = template.Library()

# Contracts ending within this many days are highlighted (a known churn moment).
CONTRACT_ENDING_DAYS = 60
MAIN_BILL_ITEMS = 3

BILL_ITEM_LABELS = {
    "plan_fee": _("plan fee"),
    "bundle_fee": _("bundle fee"),
    "broadband": _("broadband"),
    "tv": _("TV"),
    "fixed": _("fixed line"),
    "data_overage": _("data overage"),
    "voice_overage": _("voice overage"),
    "overage": _("overage"),
    "roaming": _("roaming"),
    "sms": _("SMS"),
    "value_added": _("value-added services"),
    "device_instalment": _("device instalment"),
    "discount": _("discount"),
    "retention_discount": _("retention discount"),
    "other": _("other"),
}


@register.filter
def localized_name(obj: Any) -> str:
    """``name_en`` when the page is in English and the object (or dict) has one, else
    ``name``."""
    if obj is None:
        return ""
    if isinstance(obj, Mapping):
        english, name = obj.get("name_en", ""), obj.get("name", "")
    else:
        english, name = getattr(obj, "name_en", ""), obj.name
    if english and _language_is_english():
        return str(english)
    return str(name)


def bill_item_label(code: str) -> str:
    label = BILL_ITEM_LABELS.get(code)
    return str(label) if label is not None else code.replace("_", " ")


@register.filter
def bill_main_items(bill: Bill, count: int = MAIN_BILL_ITEMS) -> list[tuple[str, Decimal]]:
    """The bill's largest non-zero items (by amount, discounts included), labelled."""
    items: list[tuple[str, Decimal]] = []
    for code, raw in (bill.items or {}).items():
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            continue
        if amount:
            items.append((bill_item_label(code), amount))
    items.sort(key=lambda pair: (-abs(pair[1]), pair[0]))
    return items[: int(count)]


@register.filter
def contract_days_left(subscription: Subscription, today: dt.date) -> int | None:
    """Days until the contract ends (negative once it has ended); None without a contract."""
    if subscription.contract_end_on is None:
        return None
    return (subscription.contract_end_on - today).days


@register.filter
def contract_ending(subscription: Subscription, today: dt.date) -> bool:
    days = contract_days_left(subscription, today)
    return days is not None and 0 <= days <= CONTRACT_ENDING_DAYS


@register.filter
def lines_on(lines: Iterable[Line], subscription: Subscription) -> int:
    """How many of the customer's (already loaded) lines on this subscription are still in
    service (a cancelled line no longer counts)."""
    return sum(
        1
        for line in lines
        if line.subscription_id == subscription.pk and line.status != Line.Status.CANCELLED
    )


@register.simple_tag
def tenure_text(months: int) -> str:
    """``6 years 3 months`` / ``6年3个月``."""
    years, rest = divmod(int(months), 12)
    year_text = ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    month_text = ngettext("%(n)d month", "%(n)d months", rest) % {"n": rest}
    if not years:
        return month_text
    if not rest:
        return year_text
    return f"{year_text} {month_text}" if _language_is_english() else year_text + month_text


def _language_is_english() -> bool:
    return (get_language() or "").startswith("en")
