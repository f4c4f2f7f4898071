"""Template helpers of the campaign pages: the section navigation, shares and points."""

from __future__ import annotations

from typing import Any

from django import template

from wanliu.scoring.campaigns.access import can_view_campaigns, can_work_outreach

register = template.Library()


@register.inclusion_tag("scoring/_campaign_nav.html", takes_context=True)
def campaign_nav(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "campaigns": user is not None and can_view_campaigns(user),
        "outreach": user is not None and (can_work_outreach(user) or can_view_campaigns(user)),
    }


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """0.123 -> ``12.3%`` (a dash for nothing)."""
    if value is None or value == "":
        return "–"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def points(value: Any) -> str:
    """A difference of two shares in percentage points, signed: 0.031 -> ``+3.1``."""
    if value is None or value == "":
        return "–"
    return f"{100 * float(value):+.1f}"


@register.filter
def share(value: Any) -> str:
    """An uplift or probability with three decimals."""
    if value is None or value == "":
        return "–"
    return f"{float(value):.3f}"
