"""The cost comparison (比算): staying, our retention offers and the competitor, month by month.

A pure engine: no database, no Django, no floats. The clerk's page, the API and the CLI all
call :func:`comparison_compute` and show what it returns.

What is compared, for each month ``m`` = 1 .. ``horizon_months``:

* **stay**: the current monthly fee, unchanged.
* **each retention offer** (the caller passes the offers the customer is eligible for).
  Every offer period starts in month 1, the month the offer is granted:

  - months 1 .. ``free_months`` cost nothing;
  - other months 1 .. ``months`` cost ``current × (100 − discount_pct) / 100 − amount_off``
    (never below zero);
  - **after the offer ends the customer pays the current monthly fee again** (the offer is a
    time-limited concession, not a new plan);
  - bonus data is listed in the explanation but changes no amount.

* **the competitor**: ``promo_monthly`` for months 1 .. ``promo_months``, ``regular_monthly``
  afterwards, plus ``bundle_breakup_monthly`` every month (the lines of the bundle that would
  have to move too or be replaced), plus the one-off switching costs (installation, new
  device/SIM, early-termination fee, lost loyalty points, other) in month 1.

Money rule: every input amount is a :class:`~decimal.Decimal` with at most two decimal places
(yuan and fen). Each month's amount is computed exactly and then quantised to the fen
(0.01 yuan) with ``ROUND_HALF_UP``; totals and cumulative figures are exact sums of those
rounded months, so they are never rounded again and never lose a fen.

The break-even month is the first month (1-based) at which the competitor's cumulative cost
exceeds the cumulative cost of the best offer (the offer with the lowest total; the earliest
one on a tie), or of staying when no offer is given; ``None`` when that never happens within
the horizon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
MAX_HORIZON_MONTHS = 120
MAX_MONEY = Decimal("1000000")  # yuan, per amount: a sanity bound, no plan costs more
ROUNDING_RULE = (
    "Each month's amount is rounded to the fen (0.01 yuan) with ROUND_HALF_UP; "
    "totals are exact sums of the rounded months."
)


class ComparisonError(ValueError):
    """An input the comparison cannot use; ``field`` names it (``offers[0].discount_pct``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class OfferTerms:
    """One retention offer as the customer would get it."""

    discount_pct: Decimal = ZERO
    amount_off: Decimal = ZERO
    months: int = 0
    free_months: int = 0
    bonus_data_gb: Decimal = ZERO
    name: str = ""


@dataclass(frozen=True)
class SwitchingCosts:
    """One-off costs of moving to the competitor, all paid in month 1."""

    installation: Decimal = ZERO
    device_and_sim: Decimal = ZERO
    early_termination: Decimal = ZERO
    lost_loyalty_points: Decimal = ZERO
    other: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return (
            self.installation
            + self.device_and_sim
            + self.early_termination
            + self.lost_loyalty_points
            + self.other
        )


@dataclass(frozen=True)
class CompetitorOffer:
    """The competitor's offer: promotional price, its period, the real price after it."""

    promo_monthly: Decimal
    promo_months: int
    regular_monthly: Decimal
    switching: SwitchingCosts = field(default_factory=SwitchingCosts)
    bundle_breakup_monthly: Decimal = ZERO
    operator: str = ""


@dataclass(frozen=True)
class OfferResult:
    terms: OfferTerms
    monthly: tuple[Decimal, ...]
    cumulative: tuple[Decimal, ...]
    total: Decimal
    saving_vs_stay: Decimal
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Comparison:
    current_monthly: Decimal
    horizon_months: int
    competitor: CompetitorOffer
    stay_monthly: tuple[Decimal, ...]
    stay_cumulative: tuple[Decimal, ...]
    stay_total: Decimal
    offers: tuple[OfferResult, ...]
    best_offer_index: int | None
    competitor_monthly: tuple[Decimal, ...]
    competitor_cumulative: tuple[Decimal, ...]
    competitor_total: Decimal
    break_even_month: int | None
    explanation_zh: str
    explanation_en: str

    @property
    def best_offer(self) -> OfferResult | None:
        return None if self.best_offer_index is None else self.offers[self.best_offer_index]

    @property
    def kept_total(self) -> Decimal:
        """What keeping the customer costs them: the best offer's total, else staying's."""
        best = self.best_offer
        return self.stay_total if best is None else best.total

    @property
    def saving_vs_competitor(self) -> Decimal:
        """Competitor total minus the kept total: positive when keeping is cheaper."""
        return self.competitor_total - self.kept_total

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: every amount as a yuan string with two decimals."""
        best = self.best_offer
        competitor = self.competitor
        return {
            "horizon_months": self.horizon_months,
            "current_monthly": _s(self.current_monthly),
            "stay_total": _s(self.stay_total),
            "offer_total": None if best is None else _s(best.total),
            "competitor_total": _s(self.competitor_total),
            "saving_vs_competitor": _s(self.saving_vs_competitor),
            "break_even_month": self.break_even_month,
            "break_even_against": "stay" if best is None else "offer",
            "best_offer_index": self.best_offer_index,
            "monthly": {
                "stay": _ss(self.stay_monthly),
                "offer": None if best is None else _ss(best.monthly),
                "competitor": _ss(self.competitor_monthly),
            },
            "cumulative": {
                "stay": _ss(self.stay_cumulative),
                "offer": None if best is None else _ss(best.cumulative),
                "competitor": _ss(self.competitor_cumulative),
            },
            "offers": [
                {
                    "name": o.terms.name,
                    "label_zh": o.label_zh,
                    "label_en": o.label_en,
                    "discount_pct": _s(o.terms.discount_pct),
                    "amount_off": _s(o.terms.amount_off),
                    "months": o.terms.months,
                    "free_months": o.terms.free_months,
                    "bonus_data_gb": _s(o.terms.bonus_data_gb),
                    "monthly": _ss(o.monthly),
                    "cumulative": _ss(o.cumulative),
                    "total": _s(o.total),
                    "saving_vs_stay": _s(o.saving_vs_stay),
                }
                for o in self.offers
            ],
            "competitor": {
                "operator": competitor.operator,
                "promo_monthly": _s(competitor.promo_monthly),
                "promo_months": competitor.promo_months,
                "regular_monthly": _s(competitor.regular_monthly),
                "bundle_breakup_monthly": _s(competitor.bundle_breakup_monthly),
                "switching": {
                    "installation": _s(competitor.switching.installation),
                    "device_and_sim": _s(competitor.switching.device_and_sim),
                    "early_termination": _s(competitor.switching.early_termination),
                    "lost_loyalty_points": _s(competitor.switching.lost_loyalty_points),
                    "other": _s(competitor.switching.other),
                    "total": _s(competitor.switching.total),
                },
            },
            "explanation_zh": self.explanation_zh,
            "explanation_en": self.explanation_en,
            "rounding_rule": ROUNDING_RULE,
        }


# --- validation ---------------------------------------------------------------------------


def _money(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ComparisonError(name, f"must be a Decimal amount in yuan, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ComparisonError(name, "must be a finite amount")
    if amount < 0:
        raise ComparisonError(name, "must not be negative")
    if amount > MAX_MONEY:
        raise ComparisonError(name, f"must not exceed {MAX_MONEY} yuan")
    if amount != amount.quantize(FEN):
        raise ComparisonError(name, "must have at most two decimal places (fen)")
    return amount.quantize(FEN)


def _percent(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ComparisonError(name, f"must be a Decimal percentage, not {type(value).__name__}")
    pct = Decimal(value)
    if not pct.is_finite() or pct < 0 or pct > HUNDRED:
        raise ComparisonError(name, "must be between 0 and 100")
    if pct != pct.quantize(FEN):
        raise ComparisonError(name, "must have at most two decimal places")
    return pct


def _months(value: object, name: str, *, low: int = 0, high: int = MAX_HORIZON_MONTHS) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ComparisonError(name, f"must be a whole number of months, not {type(value).__name__}")
    if value < low or value > high:
        raise ComparisonError(name, f"must be between {low} and {high} months")
    return value


def _data_gb(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ComparisonError(name, f"must be a Decimal number of GB, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise ComparisonError(name, f"must be between 0 and {MAX_MONEY} GB")
    return amount


def _offer_clean(offer: OfferTerms, index: int) -> OfferTerms:
    prefix = f"offers[{index}]"
    discount = _percent(offer.discount_pct, f"{prefix}.discount_pct")
    amount_off = _money(offer.amount_off, f"{prefix}.amount_off")
    months = _months(offer.months, f"{prefix}.months")
    free_months = _months(offer.free_months, f"{prefix}.free_months")
    bonus = _data_gb(offer.bonus_data_gb, f"{prefix}.bonus_data_gb")
    if (discount > 0 or amount_off > 0) and months == 0:
        raise ComparisonError(
            f"{prefix}.months", "must be at least 1 when a discount or an amount off is given"
        )
    if discount == 0 and amount_off == 0 and free_months == 0 and bonus == 0:
        raise ComparisonError(
            f"{prefix}.discount_pct",
            "an offer needs a discount, an amount off, free months or bonus data",
        )
    return OfferTerms(
        discount_pct=discount,
        amount_off=amount_off,
        months=months,
        free_months=free_months,
        bonus_data_gb=bonus,
        name=str(offer.name or "").strip(),
    )


def _competitor_clean(competitor: CompetitorOffer) -> CompetitorOffer:
    s = competitor.switching
    return CompetitorOffer(
        promo_monthly=_money(competitor.promo_monthly, "competitor.promo_monthly"),
        promo_months=_months(competitor.promo_months, "competitor.promo_months"),
        regular_monthly=_money(competitor.regular_monthly, "competitor.regular_monthly"),
        bundle_breakup_monthly=_money(
            competitor.bundle_breakup_monthly, "competitor.bundle_breakup_monthly"
        ),
        switching=SwitchingCosts(
            installation=_money(s.installation, "competitor.switching.installation"),
            device_and_sim=_money(s.device_and_sim, "competitor.switching.device_and_sim"),
            early_termination=_money(s.early_termination, "competitor.switching.early_termination"),
            lost_loyalty_points=_money(
                s.lost_loyalty_points, "competitor.switching.lost_loyalty_points"
            ),
            other=_money(s.other, "competitor.switching.other"),
        ),
        operator=str(competitor.operator or "").strip(),
    )


# --- the series ----------------------------------------------------------------------------


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _cumulative(monthly: Sequence[Decimal]) -> tuple[Decimal, ...]:
    running = ZERO
    out = []
    for amount in monthly:
        running += amount
        out.append(running)
    return tuple(out)


def offer_month_amount(*, current_monthly: Decimal, offer: OfferTerms, month: int) -> Decimal:
    """What the customer pays in ``month`` (1-based) under ``offer``, rounded to the fen."""
    if month <= offer.free_months:
        return ZERO
    if month <= offer.months:
        discounted = current_monthly * (HUNDRED - offer.discount_pct) / HUNDRED
        return _fen(max(ZERO, discounted - offer.amount_off))
    return _fen(current_monthly)


def competitor_month_amount(*, competitor: CompetitorOffer, month: int) -> Decimal:
    """What switching costs in ``month`` (1-based), one-off costs included in month 1."""
    price = (
        competitor.promo_monthly if month <= competitor.promo_months else competitor.regular_monthly
    )
    amount = price + competitor.bundle_breakup_monthly
    if month == 1:
        amount += competitor.switching.total
    return _fen(amount)


def comparison_compute(
    *,
    current_monthly: Decimal,
    horizon_months: int,
    competitor: CompetitorOffer,
    offers: Sequence[OfferTerms] = (),
) -> Comparison:
    """Compare staying, each offer and the competitor over ``horizon_months`` months.

    Raises :class:`ComparisonError` (a ``ValueError``) naming the first field that is not
    usable: negative or float amounts, more than two decimals, a discount over 100 %, a horizon
    of 0 or more than 120 months.
    """
    current = _money(current_monthly, "current_monthly")
    horizon = _months(horizon_months, "horizon_months", low=1)
    competitor = _competitor_clean(competitor)
    cleaned = [_offer_clean(offer, i) for i, offer in enumerate(offers)]

    months = range(1, horizon + 1)
    stay_monthly = tuple(_fen(current) for _ in months)
    stay_cumulative = _cumulative(stay_monthly)
    stay_total = stay_cumulative[-1]

    results = []
    for terms in cleaned:
        monthly = tuple(
            offer_month_amount(current_monthly=current, offer=terms, month=m) for m in months
        )
        cumulative = _cumulative(monthly)
        results.append(
            OfferResult(
                terms=terms,
                monthly=monthly,
                cumulative=cumulative,
                total=cumulative[-1],
                saving_vs_stay=stay_total - cumulative[-1],
                label_zh=_offer_label_zh(terms),
                label_en=_offer_label_en(terms),
            )
        )
    best_index: int | None = None
    for i, result in enumerate(results):
        if best_index is None or result.total < results[best_index].total:
            best_index = i

    competitor_monthly = tuple(
        competitor_month_amount(competitor=competitor, month=m) for m in months
    )
    competitor_cumulative = _cumulative(competitor_monthly)
    kept_cumulative = stay_cumulative if best_index is None else results[best_index].cumulative
    break_even = next(
        (
            m
            for m, (theirs, ours) in enumerate(
                zip(competitor_cumulative, kept_cumulative, strict=True), 1
            )
            if theirs > ours
        ),
        None,
    )

    comparison = Comparison(
        current_monthly=current,
        horizon_months=horizon,
        competitor=competitor,
        stay_monthly=stay_monthly,
        stay_cumulative=stay_cumulative,
        stay_total=stay_total,
        offers=tuple(results),
        best_offer_index=best_index,
        competitor_monthly=competitor_monthly,
        competitor_cumulative=competitor_cumulative,
        competitor_total=competitor_cumulative[-1],
        break_even_month=break_even,
        explanation_zh="",
        explanation_en="",
    )
    return _with_explanations(comparison)


# --- the read-out ------------------------------------------------------------------------


def _s(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _ss(amounts: Sequence[Decimal]) -> list[str]:
    return [f"{a:.2f}" for a in amounts]


def yuan_text(amount: Decimal) -> str:
    """``129`` for whole yuan, ``90.30`` otherwise: as a clerk says it."""
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


def _number_text(value: Decimal) -> str:
    """``30`` for 30.00, ``12.5`` for 12.50: no trailing zeros, never exponent notation."""
    return f"{value.normalize():f}"


_CN_DIGITS = "零一二三四五六七八九"


def zhe_text(discount_pct: Decimal) -> str:
    """The discount in 折: 30 % off → 七折, 15 % off → 八五折, 27.5 % off → 7.25折."""
    pay = HUNDRED - discount_pct
    if pay == pay.to_integral_value() and 10 <= pay < 100:
        tens, units = divmod(int(pay), 10)
        return _CN_DIGITS[tens] + (_CN_DIGITS[units] if units else "") + "折"
    return f"{_number_text(pay / 10)}折"


def _offer_terms_zh(terms: OfferTerms, *, note: bool = True) -> list[str]:
    parts = []
    if terms.free_months:
        parts.append(f"免{terms.free_months}个月月费")
    if terms.discount_pct == HUNDRED:
        parts.append("免月费")
    elif terms.discount_pct > 0:
        parts.append(f"打{zhe_text(terms.discount_pct)}")
    if terms.amount_off > 0:
        parts.append(f"每月减{yuan_text(terms.amount_off)}元")
    if terms.bonus_data_gb > 0:
        extra = "（不影响费用）" if note else ""
        parts.append(f"赠送{_number_text(terms.bonus_data_gb)}GB流量{extra}")
    return parts


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _offer_terms_en(terms: OfferTerms, *, note: bool = True) -> list[str]:
    parts = []
    if terms.free_months:
        parts.append(_plural(terms.free_months, "free month"))
    if terms.discount_pct > 0:
        parts.append(f"{_number_text(terms.discount_pct)}% off")
    if terms.amount_off > 0:
        parts.append(f"{yuan_text(terms.amount_off)} yuan off a month")
    if terms.bonus_data_gb > 0:
        extra = " (no effect on cost)" if note else ""
        parts.append(f"{_number_text(terms.bonus_data_gb)} GB bonus data{extra}")
    return parts


def _join_en(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _offer_label_zh(terms: OfferTerms) -> str:
    if terms.name:
        return terms.name
    parts = _offer_terms_zh(terms, note=False)
    if terms.months and (terms.discount_pct > 0 or terms.amount_off > 0):
        parts.append(f"优惠{terms.months}个月")
    return "，".join(parts)


def _offer_label_en(terms: OfferTerms) -> str:
    if terms.name:
        return terms.name
    label = _join_en(_offer_terms_en(terms, note=False))
    if terms.months and (terms.discount_pct > 0 or terms.amount_off > 0):
        label += f" for {_plural(terms.months, 'month')}"
    return label


def _segments(monthly: Sequence[Decimal]) -> list[tuple[int, int, Decimal]]:
    """Runs of equal amounts as (first month, last month, amount), 1-based."""
    runs: list[tuple[int, int, Decimal]] = []
    for month, amount in enumerate(monthly, 1):
        if runs and runs[-1][2] == amount:
            runs[-1] = (runs[-1][0], month, amount)
        else:
            runs.append((month, month, amount))
    return runs


def _schedule_zh(monthly: Sequence[Decimal]) -> str:
    runs = _segments(monthly)
    if len(runs) == 1:
        return f"每月{yuan_text(runs[0][2])}元"
    parts = []
    for i, (first, last, amount) in enumerate(runs):
        price = "免费" if amount == 0 else f"每月{yuan_text(amount)}元"
        if i == len(runs) - 1:
            parts.append(f"之后{price}")
        elif first == 1:
            parts.append(f"第1个月{price}" if last == 1 else f"前{last}个月{price}")
        elif first == last:
            parts.append(f"第{first}个月{price}")
        else:
            parts.append(f"第{first}至{last}个月{price}")
    return "，".join(parts)


def _schedule_en(monthly: Sequence[Decimal]) -> str:
    runs = _segments(monthly)
    if len(runs) == 1:
        return f"{yuan_text(runs[0][2])} yuan a month"
    parts = []
    for i, (first, last, amount) in enumerate(runs):
        price = "free" if amount == 0 else f"{yuan_text(amount)} yuan a month"
        if i == len(runs) - 1:
            parts.append(f"then {price}")
        elif first == 1:
            parts.append(
                f"{price} for the first month"
                if last == 1
                else f"{price} for the first {last} months"
            )
        elif first == last:
            parts.append(f"{price} in month {first}")
        else:
            parts.append(f"{price} in months {first}-{last}")
    return ", ".join(parts)


_SWITCHING_ZH = (
    ("installation", "安装费"),
    ("device_and_sim", "新手机/SIM卡"),
    ("early_termination", "违约金"),
    ("lost_loyalty_points", "积分损失"),
    ("other", "其他费用"),
)
_SWITCHING_EN = (
    ("installation", "installation"),
    ("device_and_sim", "new device/SIM"),
    ("early_termination", "early-termination fee"),
    ("lost_loyalty_points", "lost loyalty points"),
    ("other", "other costs"),
)


def _competitor_price_zh(c: CompetitorOffer) -> str:
    if c.promo_months == 0 or c.promo_monthly == c.regular_monthly:
        return f"每月{yuan_text(c.regular_monthly)}元"
    return (
        f"前{c.promo_months}个月每月{yuan_text(c.promo_monthly)}元，"
        f"之后每月{yuan_text(c.regular_monthly)}元"
    )


def _competitor_price_en(c: CompetitorOffer) -> str:
    if c.promo_months == 0 or c.promo_monthly == c.regular_monthly:
        return f"{yuan_text(c.regular_monthly)} yuan a month"
    return (
        f"{yuan_text(c.promo_monthly)} yuan a month for the first "
        f"{_plural(c.promo_months, 'month')}, then {yuan_text(c.regular_monthly)} yuan a month"
    )


def _with_explanations(c: Comparison) -> Comparison:
    h = c.horizon_months
    comp = c.competitor
    who_zh = comp.operator or "竞争对手"
    who_en = comp.operator or "The competitor"

    zh = [f"{who_zh}{_competitor_price_zh(comp)}"]
    en = [f"{who_en} charges {_competitor_price_en(comp)}"]
    if comp.bundle_breakup_monthly > 0:
        zh.append(f"套餐拆开后其他业务每月还要{yuan_text(comp.bundle_breakup_monthly)}元")
        en.append(
            f"the rest of the bundle costs another {yuan_text(comp.bundle_breakup_monthly)} "
            "yuan a month"
        )
    if comp.switching.total > 0:
        items_zh = "、".join(
            f"{label}{yuan_text(getattr(comp.switching, key))}元"
            for key, label in _SWITCHING_ZH
            if getattr(comp.switching, key) > 0
        )
        items_en = ", ".join(
            f"{label} {yuan_text(getattr(comp.switching, key))}"
            for key, label in _SWITCHING_EN
            if getattr(comp.switching, key) > 0
        )
        zh.append(f"转网一次性花费{yuan_text(comp.switching.total)}元（{items_zh}）")
        en.append(f"switching costs {yuan_text(comp.switching.total)} yuan once ({items_en})")
    text_zh = "，".join(zh) + f"；{h}个月共计{yuan_text(c.competitor_total)}元。"
    text_en = "; ".join(en) + f"; {yuan_text(c.competitor_total)} yuan over {_plural(h, 'month')}."

    best = c.best_offer
    if best is None:
        text_zh += (
            f"继续使用现有套餐{_schedule_zh(c.stay_monthly)}，"
            f"{h}个月共计{yuan_text(c.stay_total)}元。"
        )
        text_en += (
            f" Staying on the current plan costs {_schedule_en(c.stay_monthly)}, "
            f"{yuan_text(c.stay_total)} yuan over {_plural(h, 'month')}."
        )
        ours_zh, ours_en = "继续使用现有套餐", "staying on the current plan"
    else:
        terms_zh = "、".join(_offer_terms_zh(best.terms))
        terms_en = _join_en(_offer_terms_en(best.terms))
        text_zh += (
            f"我们给您{terms_zh}：{_schedule_zh(best.monthly)}，"
            f"{h}个月共计{yuan_text(best.total)}元。"
        )
        text_en += (
            f" We give you {terms_en}: {_schedule_en(best.monthly)}, "
            f"{yuan_text(best.total)} yuan over {_plural(h, 'month')}."
        )
        ours_zh, ours_en = "留下来用我们的优惠", "staying with our offer"

    diff = c.saving_vs_competitor
    if diff > 0:
        text_zh += f"按{h}个月算，{ours_zh}比转网少花{yuan_text(diff)}元。"
        text_en += (
            f" Over {_plural(h, 'month')}, {ours_en} costs {yuan_text(diff)} yuan less "
            "than switching."
        )
    elif diff < 0:
        text_zh += f"按{h}个月算，转网比{ours_zh}少花{yuan_text(-diff)}元。"
        text_en += (
            f" Over {_plural(h, 'month')}, switching costs {yuan_text(-diff)} yuan less "
            f"than {ours_en}."
        )
    else:
        text_zh += f"按{h}个月算，两者花费相同。"
        text_en += f" Over {_plural(h, 'month')}, both cost the same."
    if c.break_even_month is not None:
        text_zh += f"到第{c.break_even_month}个月，转网的累计花费首次超过{ours_zh}。"
        text_en += (
            f" By month {c.break_even_month}, switching has for the first time cost more in "
            f"total than {ours_en}."
        )

    return replace(c, explanation_zh=text_zh, explanation_en=text_en)
