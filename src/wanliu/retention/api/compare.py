"""Retention API: the cost comparison (比算), ``POST /compare``."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import ValidationError

from wanliu.retention.comparison import (
    ComparisonError,
    CompetitorOffer,
    OfferTerms,
    SwitchingCosts,
    comparison_compute,
)
from wanliu.retention.schemas import ComparisonIn, ComparisonOut

router = Router(tags=["retention"])


def _error_loc(field: str) -> list[str | int]:
    """``offers[0].months`` → ``["body", "payload", "offers", 0, "months"]`` (ninja's shape)."""
    loc: list[str | int] = ["body", "payload"]
    for part in re.findall(r"[^.\[\]]+", field):
        loc.append(int(part) if part.isdigit() else part)
    return loc


@router.post(
    "/compare",
    response=ComparisonOut,
    summary="Compare staying, retention offers and a competitor month by month",
)
def retention_compare(request: HttpRequest, payload: ComparisonIn) -> dict[str, Any]:
    """Pure calculation, nothing is stored. Any signed-in user may call it.

    Each month's amount is rounded to the fen with ROUND_HALF_UP; totals are exact sums.
    An offer lasts ``months`` from month 1, then the current fee applies again. Invalid
    input answers 422 with the field's location, like any other validation error.
    """
    c = payload.competitor
    try:
        comparison = comparison_compute(
            current_monthly=payload.current_monthly,
            horizon_months=payload.horizon_months,
            competitor=CompetitorOffer(
                operator=c.operator,
                promo_monthly=c.promo_monthly,
                promo_months=c.promo_months,
                regular_monthly=c.regular_monthly,
                bundle_breakup_monthly=c.bundle_breakup_monthly,
                switching=SwitchingCosts(**c.switching.model_dump()),
            ),
            offers=[OfferTerms(**offer.model_dump()) for offer in payload.offers],
        )
    except ComparisonError as exc:
        raise ValidationError(
            [{"type": "value_error", "loc": _error_loc(exc.field), "msg": exc.message}]
        ) from exc
    return comparison.as_dict()
