"""The cost-comparison engine (比算): worked examples, rounding, validation, properties."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wanliu.retention.comparison import (
    Comparison,
    ComparisonError,
    CompetitorOffer,
    OfferTerms,
    SwitchingCosts,
    comparison_compute,
    yuan_text,
    zhe_text,
)

D = Decimal


def worked_example(**overrides) -> Comparison:
    """DOMAIN.md: 129/month; competitor 59 for 12 months then 118; 30 % off for 12 months."""
    kwargs = {
        "current_monthly": D("129"),
        "horizon_months": 24,
        "competitor": CompetitorOffer(
            promo_monthly=D("59"), promo_months=12, regular_monthly=D("118")
        ),
        "offers": [OfferTerms(discount_pct=D("30"), months=12)],
    }
    kwargs.update(overrides)
    return comparison_compute(**kwargs)


# --- worked examples, computed by hand ----------------------------------------------------


def test_worked_example_totals_by_hand():
    # given the worked example over 24 months
    c = worked_example()

    # then, by hand:
    #   stay       129.00 x 24                      = 3096.00
    #   offer      129 x 0.70 = 90.30; 90.30 x 12   = 1083.60
    #              then back to 129.00 x 12          = 1548.00  -> 2631.60
    #   competitor 59.00 x 12 = 708.00; 118.00 x 12 = 1416.00  -> 2124.00
    #   break-even: month 12 cumulative 708.00 vs 1083.60; afterwards the competitor adds
    #   118 a month and we add 129, so the competitor never gets dearer -> none
    assert c.stay_total == D("3096.00")
    assert c.best_offer is not None
    assert c.best_offer.total == D("2631.60")
    assert c.competitor_total == D("2124.00")
    assert c.break_even_month is None
    assert c.best_offer.monthly[:12] == (D("90.30"),) * 12
    assert c.best_offer.monthly[12:] == (D("129.00"),) * 12
    assert c.competitor_monthly[11:13] == (D("59.00"), D("118.00"))
    assert c.saving_vs_competitor == D("-507.60")
    assert c.best_offer.saving_vs_stay == D("464.40")


def test_worked_example_read_out_in_both_languages():
    c = worked_example()
    assert c.explanation_zh == (
        "竞争对手前12个月每月59元，之后每月118元；24个月共计2124元。"
        "我们给您打七折：前12个月每月90.30元，之后每月129元，24个月共计2631.60元。"
        "按24个月算，转网比留下来用我们的优惠少花507.60元。"
    )
    assert c.explanation_en == (
        "The competitor charges 59 yuan a month for the first 12 months, then 118 yuan a "
        "month; 2124 yuan over 24 months. We give you 30% off: 90.30 yuan a month for the "
        "first 12 months, then 129 yuan a month, 2631.60 yuan over 24 months. Over 24 months, "
        "switching costs 507.60 yuan less than staying with our offer."
    )


def test_break_even_when_the_promotion_is_short():
    # given a 6-month promotion against 30 % off for 24 months
    c = worked_example(
        competitor=CompetitorOffer(promo_monthly=D("59"), promo_months=6, regular_monthly=D("118")),
        offers=[OfferTerms(discount_pct=D("30"), months=24)],
    )
    # by hand: month 12: competitor 6x59 + 6x118 = 1062.00, offer 12 x 90.30 = 1083.60
    #          month 13: competitor 1062 + 118 = 1180.00,   offer 13 x 90.30 = 1173.90
    assert c.competitor_cumulative[11] == D("1062.00")
    assert c.best_offer is not None
    assert c.best_offer.cumulative[11] == D("1083.60")
    assert c.competitor_cumulative[12] == D("1180.00")
    assert c.best_offer.cumulative[12] == D("1173.90")
    assert c.break_even_month == 13
    # totals: competitor 354 + 18 x 118 = 2478.00; offer 24 x 90.30 = 2167.20
    assert c.competitor_total == D("2478.00")
    assert c.best_offer.total == D("2167.20")
    assert "到第13个月，转网的累计花费首次超过留下来用我们的优惠。" in c.explanation_zh
    assert "留下来用我们的优惠比转网少花310.80元" in c.explanation_zh
    assert "By month 13" in c.explanation_en


def test_switching_costs_land_in_month_one_and_bundle_breakup_every_month():
    c = worked_example(
        competitor=CompetitorOffer(
            promo_monthly=D("59"),
            promo_months=12,
            regular_monthly=D("118"),
            bundle_breakup_monthly=D("20"),
            switching=SwitchingCosts(
                installation=D("100"),
                device_and_sim=D("30"),
                early_termination=D("200"),
                lost_loyalty_points=D("15.50"),
                other=D("4.50"),
            ),
            operator="某运营商",
        )
    )
    # month 1: 59 + 20 + (100 + 30 + 200 + 15.50 + 4.50) = 429.00; months 2-12: 79; 13-24: 138
    assert c.competitor_monthly[0] == D("429.00")
    assert set(c.competitor_monthly[1:12]) == {D("79.00")}
    assert set(c.competitor_monthly[12:]) == {D("138.00")}
    # total: 429 + 11 x 79 + 12 x 138 = 429 + 869 + 1656 = 2954.00
    assert c.competitor_total == D("2954.00")
    assert c.break_even_month == 1  # the one-off costs put the competitor ahead at once
    assert c.explanation_zh.startswith("某运营商前12个月每月59元")
    assert (
        "转网一次性花费350元（安装费100元、新手机/SIM卡30元、违约金200元、积分损失15.50元、其他费用4.50元）"
        in c.explanation_zh
    )
    assert "套餐拆开后其他业务每月还要20元" in c.explanation_zh
    assert "switching costs 350 yuan once (installation 100" in c.explanation_en


def test_free_months_amount_off_and_bonus_data():
    # given free month 1, 20 yuan off for months 1-6, 10 GB bonus data; and a data-only offer
    c = worked_example(
        offers=[
            OfferTerms(free_months=1, amount_off=D("20"), months=6, bonus_data_gb=D("10")),
            OfferTerms(bonus_data_gb=D("5")),
        ]
    )
    first, data_only = c.offers
    # month 1 free, months 2-6 at 109.00, months 7-24 at 129.00
    assert first.monthly[0] == D("0.00")
    assert set(first.monthly[1:6]) == {D("109.00")}
    assert set(first.monthly[6:]) == {D("129.00")}
    # total: 5 x 109 + 18 x 129 = 545 + 2322 = 2867.00
    assert first.total == D("2867.00")
    # bonus data changes no amount
    assert data_only.monthly == c.stay_monthly
    assert c.best_offer_index == 0
    assert (
        "免1个月月费、每月减20元、赠送10GB流量（不影响费用）：第1个月免费，第2至6个月每月109元，之后每月129元"
        in c.explanation_zh
    )
    assert (
        "1 free month, 20 yuan off a month and 10 GB bonus data (no effect on cost)"
        in c.explanation_en
    )
    assert data_only.label_en == "5 GB bonus data"


def test_amount_off_never_goes_below_zero():
    c = worked_example(offers=[OfferTerms(amount_off=D("200"), months=3)])
    assert c.offers[0].monthly[:3] == (D("0.00"),) * 3


def test_each_month_is_rounded_half_up_to_the_fen():
    # 10.10 x 0.85 = 8.585 -> 8.59 with ROUND_HALF_UP (8.58 with banker's rounding)
    c = comparison_compute(
        current_monthly=D("10.10"),
        horizon_months=12,
        competitor=CompetitorOffer(promo_monthly=D("5"), promo_months=0, regular_monthly=D("5")),
        offers=[OfferTerms(discount_pct=D("15"), months=12)],
    )
    assert c.offers[0].monthly[0] == D("8.59")
    assert c.offers[0].total == D("103.08")  # 12 x 8.59, no second rounding of the total


def test_without_offers_break_even_is_against_staying():
    c = worked_example(offers=[])
    data = c.as_dict()
    assert data["offer_total"] is None
    assert data["monthly"]["offer"] is None
    assert data["break_even_against"] == "stay"
    assert c.break_even_month is None  # 59/118 never catches up with 129 a month
    assert "继续使用现有套餐每月129元，24个月共计3096元。" in c.explanation_zh


def test_best_offer_is_the_cheapest_and_the_first_on_a_tie():
    c = worked_example(
        offers=[
            OfferTerms(discount_pct=D("10"), months=12),
            OfferTerms(discount_pct=D("30"), months=12),
            OfferTerms(amount_off=D("38.70"), months=12),  # 129 - 38.70 = 90.30, same total
        ]
    )
    assert c.best_offer_index == 1
    assert c.as_dict()["offer_total"] == "2631.60"


def test_as_dict_shape_and_strings():
    data = worked_example().as_dict()
    assert data["stay_total"] == "3096.00"
    assert data["offer_total"] == "2631.60"
    assert data["competitor_total"] == "2124.00"
    assert data["break_even_month"] is None
    assert set(data["monthly"]) == {"stay", "offer", "competitor"}
    assert data["monthly"]["offer"][0] == "90.30"
    assert len(data["monthly"]["stay"]) == 24
    assert data["explanation_zh"].startswith("竞争对手")
    assert "ROUND_HALF_UP" in data["rounding_rule"]


@pytest.mark.parametrize(
    ("pct", "expected"),
    [(D(30), "七折"), (D(15), "八五折"), (D(50), "五折"), (D("27.5"), "7.25折"), (D(95), "0.5折")],
)
def test_discount_in_zhe(pct, expected):
    assert zhe_text(pct) == expected


def test_yuan_text_drops_zero_fen_only():
    assert yuan_text(D("129.00")) == "129"
    assert yuan_text(D("90.30")) == "90.30"


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"current_monthly": D("-1")}, "current_monthly"),
        ({"current_monthly": 129.0}, "current_monthly"),
        ({"current_monthly": D("129.005")}, "current_monthly"),
        ({"current_monthly": D("NaN")}, "current_monthly"),
        ({"horizon_months": 0}, "horizon_months"),
        ({"horizon_months": 121}, "horizon_months"),
        ({"offers": [OfferTerms(discount_pct=D("101"), months=12)]}, "offers[0].discount_pct"),
        ({"offers": [OfferTerms(discount_pct=D("-5"), months=12)]}, "offers[0].discount_pct"),
        ({"offers": [OfferTerms(discount_pct=D("30"))]}, "offers[0].months"),
        ({"offers": [OfferTerms(), OfferTerms()]}, "offers[0].discount_pct"),
        (
            {"offers": [OfferTerms(discount_pct=D(10), months=1), OfferTerms(free_months=-1)]},
            "offers[1].free_months",
        ),
        (
            {
                "competitor": CompetitorOffer(
                    promo_monthly=D("-59"), promo_months=12, regular_monthly=D("118")
                )
            },
            "competitor.promo_monthly",
        ),
        (
            {
                "competitor": CompetitorOffer(
                    promo_monthly=D("59"),
                    promo_months=12,
                    regular_monthly=D("118"),
                    switching=SwitchingCosts(early_termination=D("-1")),
                )
            },
            "competitor.switching.early_termination",
        ),
    ],
)
def test_invalid_input_names_the_field(overrides, field):
    with pytest.raises(ComparisonError) as info:
        worked_example(**overrides)
    assert info.value.field == field
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(f"{field}: ")


# --- properties ---------------------------------------------------------------------------

money = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
pct = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
months = st.integers(min_value=0, max_value=60)
horizons = st.integers(min_value=1, max_value=120)


@st.composite
def offers(draw) -> OfferTerms:
    discount = draw(st.one_of(st.just(D("0.00")), pct))
    amount_off = draw(st.one_of(st.just(D("0.00")), money))
    free_months = draw(st.integers(min_value=0, max_value=12))
    bonus = draw(st.sampled_from([D(0), D(5), D("2.5")]))
    duration = draw(st.integers(min_value=1, max_value=60))
    assume(discount > 0 or amount_off > 0 or free_months > 0 or bonus > 0)
    return OfferTerms(
        discount_pct=discount,
        amount_off=amount_off,
        months=duration,
        free_months=free_months,
        bonus_data_gb=bonus,
    )


@st.composite
def competitors(draw) -> CompetitorOffer:
    return CompetitorOffer(
        promo_monthly=draw(money),
        promo_months=draw(months),
        regular_monthly=draw(money),
        bundle_breakup_monthly=draw(st.one_of(st.just(D("0.00")), money)),
        switching=SwitchingCosts(
            installation=draw(money),
            device_and_sim=draw(money),
            early_termination=draw(money),
            lost_loyalty_points=draw(money),
            other=draw(money),
        ),
    )


comparisons = st.builds(
    comparison_compute,
    current_monthly=money,
    horizon_months=horizons,
    competitor=competitors(),
    offers=st.lists(offers(), max_size=3),
)


def _all_series(c: Comparison):
    yield c.stay_monthly, c.stay_cumulative, c.stay_total
    for offer in c.offers:
        yield offer.monthly, offer.cumulative, offer.total
    yield c.competitor_monthly, c.competitor_cumulative, c.competitor_total


@given(comparisons)
def test_totals_equal_the_sum_of_the_months(c):
    for monthly, cumulative, total in _all_series(c):
        assert len(monthly) == c.horizon_months
        assert sum(monthly, D(0)) == total
        assert cumulative[-1] == total
        running = D(0)
        for amount, cum in zip(monthly, cumulative, strict=True):
            running += amount
            assert cum == running


@given(comparisons)
def test_money_never_loses_a_fen_and_is_never_a_float(c):
    for monthly, cumulative, total in _all_series(c):
        for amount in (*monthly, *cumulative, total):
            assert type(amount) is Decimal
            assert amount == amount.quantize(D("0.01"))  # whole fen
            assert amount >= 0
    # the JSON form carries the same fen, as strings; no float anywhere
    data = c.as_dict()

    def walk(node):
        assert not isinstance(node, float)
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    assert sum((D(v) for v in data["monthly"]["stay"]), D(0)) == D(data["stay_total"])
    assert sum((D(v) for v in data["monthly"]["competitor"]), D(0)) == D(data["competitor_total"])
    if data["offer_total"] is not None:
        assert sum((D(v) for v in data["monthly"]["offer"]), D(0)) == D(data["offer_total"])


@given(current=money, offer=offers(), horizon=horizons)
def test_each_offer_month_is_the_exact_amount_rounded_half_up(current, offer, horizon):
    c = comparison_compute(
        current_monthly=current,
        horizon_months=horizon,
        competitor=CompetitorOffer(promo_monthly=D(0), promo_months=0, regular_monthly=D(0)),
        offers=[offer],
    )
    for month, amount in enumerate(c.offers[0].monthly, 1):
        if month <= offer.free_months:
            exact = D(0)
        elif month <= offer.months:
            exact = max(D(0), current * (100 - offer.discount_pct) / 100 - offer.amount_off)
        else:
            exact = current
        assert amount == exact.quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert amount <= c.stay_monthly[month - 1]  # an offer never costs more than staying


@given(
    current=money,
    horizon=horizons,
    promo=money,
    extra=money,
    promo_months=months,
    longer_by=st.integers(min_value=1, max_value=60),
    breakup=money,
    one_off=money,
)
def test_a_longer_promotion_never_makes_the_competitor_dearer(
    current, horizon, promo, extra, promo_months, longer_by, breakup, one_off
):
    # a promotion is a price at or below the regular one
    regular = promo + extra
    assume(regular <= D("1000000"))

    def competitor_total(n: int) -> Decimal:
        return comparison_compute(
            current_monthly=current,
            horizon_months=horizon,
            competitor=CompetitorOffer(
                promo_monthly=promo,
                promo_months=n,
                regular_monthly=regular,
                bundle_breakup_monthly=breakup,
                switching=SwitchingCosts(other=one_off),
            ),
        ).competitor_total

    assert competitor_total(promo_months + longer_by) <= competitor_total(promo_months)


@given(comparisons)
@settings(max_examples=150)
def test_break_even_agrees_with_the_cumulative_series(c):
    kept = c.best_offer.cumulative if c.best_offer else c.stay_cumulative
    theirs = c.competitor_cumulative
    if c.break_even_month is None:
        assert all(t <= k for t, k in zip(theirs, kept, strict=True))
    else:
        m = c.break_even_month
        assert 1 <= m <= c.horizon_months
        assert theirs[m - 1] > kept[m - 1]
        assert all(t <= k for t, k in zip(theirs[: m - 1], kept[: m - 1], strict=True))
    if c.best_offer is not None:
        assert c.best_offer.total == min(o.total for o in c.offers)
        assert c.best_offer.total <= c.stay_total
