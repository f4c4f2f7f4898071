"""JSON shapes of the cost comparison (比算)."""

from __future__ import annotations

from decimal import Decimal

from ninja import Schema
from pydantic import Field

from wanliu.retention.comparison import MAX_HORIZON_MONTHS, MAX_MONEY


def _money(description: str, default: Decimal | None = None) -> Decimal:
    """A yuan amount field: 0 .. MAX_MONEY with at most two decimals (fen); required without
    a default."""
    if default is None:
        return Field(  # type: ignore[no-any-return]
            ge=0, le=MAX_MONEY, decimal_places=2, description=description
        )
    return Field(  # type: ignore[no-any-return]
        default, ge=0, le=MAX_MONEY, decimal_places=2, description=description
    )


def _months(description: str, default: int = 0) -> int:
    return Field(default, ge=0, le=MAX_HORIZON_MONTHS, description=description)  # type: ignore[no-any-return]


class SwitchingIn(Schema):
    """One-off costs of switching to the competitor, all counted in month 1 (yuan)."""

    installation: Decimal = _money("Installation fee at the competitor", Decimal(0))
    device_and_sim: Decimal = _money("New device or SIM card", Decimal(0))
    early_termination: Decimal = _money("Our early-termination fee (违约金)", Decimal(0))
    lost_loyalty_points: Decimal = _money("Value of loyalty points the customer loses", Decimal(0))
    other: Decimal = _money("Any other one-off cost", Decimal(0))


class CompetitorIn(Schema):
    operator: str = Field("", max_length=60, description="The competitor's name, for the read-out")
    promo_monthly: Decimal = _money("Promotional monthly price")
    promo_months: int = _months("How many months the promotional price lasts")
    regular_monthly: Decimal = _money("The real monthly price after the promotion")
    switching: SwitchingIn = Field(default_factory=SwitchingIn)
    bundle_breakup_monthly: Decimal = _money(
        "Monthly cost of the bundle's other lines that would have to move too or be replaced",
        Decimal(0),
    )


class OfferIn(Schema):
    """A retention offer the customer is eligible for; periods start in month 1."""

    name: str = Field("", max_length=120, description="Shown instead of the generated label")
    discount_pct: Decimal = Field(
        Decimal(0), ge=0, le=100, decimal_places=2, description="Percent off the current fee"
    )
    amount_off: Decimal = _money("Yuan off the current fee each month", Decimal(0))
    months: int = _months("Months the discount or amount off lasts (then back to the current fee)")
    free_months: int = _months("Months free of charge, from month 1")
    bonus_data_gb: Decimal = Field(
        Decimal(0), ge=0, le=MAX_MONEY, description="Bonus data; listed, no effect on cost"
    )


class ComparisonIn(Schema):
    current_monthly: Decimal = _money("What the customer pays now per month (yuan)")
    horizon_months: int = Field(24, ge=1, le=MAX_HORIZON_MONTHS, description="Months compared")
    competitor: CompetitorIn
    offers: list[OfferIn] = Field(default_factory=list, max_length=20)


class SeriesOut(Schema):
    stay: list[str]
    offer: list[str] | None
    competitor: list[str]


class OfferOut(Schema):
    name: str
    label_zh: str
    label_en: str
    discount_pct: str
    amount_off: str
    months: int
    free_months: int
    bonus_data_gb: str
    monthly: list[str]
    cumulative: list[str]
    total: str
    saving_vs_stay: str


class SwitchingOut(Schema):
    installation: str
    device_and_sim: str
    early_termination: str
    lost_loyalty_points: str
    other: str
    total: str


class CompetitorOut(Schema):
    operator: str
    promo_monthly: str
    promo_months: int
    regular_monthly: str
    bundle_breakup_monthly: str
    switching: SwitchingOut


class ComparisonOut(Schema):
    """Every amount is yuan with two decimals, as a string (never a float)."""

    horizon_months: int
    current_monthly: str
    stay_total: str
    offer_total: str | None = Field(description="The best offer's total; null without offers")
    competitor_total: str
    saving_vs_competitor: str = Field(
        description="competitor_total minus the best offer's (or staying's) total"
    )
    break_even_month: int | None = Field(
        description="First month (1-based) at which the competitor's cumulative cost exceeds "
        "the best offer's (staying's without offers); null when never within the horizon"
    )
    break_even_against: str
    best_offer_index: int | None
    monthly: SeriesOut
    cumulative: SeriesOut
    offers: list[OfferOut]
    competitor: CompetitorOut
    explanation_zh: str
    explanation_en: str
    rounding_rule: str
