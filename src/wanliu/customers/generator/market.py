"""Competitor promotions (竞对活动) by area and month, and the price pressure they put on us."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from wanliu.customers.generator.catalogue import COMPETITOR_OFFERS
from wanliu.customers.generator.org import Organisation
from wanliu.customers.models import CompetitorPromotion

TARGETS = ("bundle", "mobile", "broadband")


@dataclass
class Market:
    """Cheapest competitor promotion seen in each grid (its own or its branch's), by month."""

    best_price_cents: np.ndarray  # [G, M, 3] float cents, +inf where no promotion
    best_offer: np.ndarray  # [G, M, 3] index into COMPETITOR_OFFERS, -1 where none
    rows: int


def _campaigns(
    rng: np.random.Generator, n_units: int, months: int, start_p: float, lengths: tuple[int, int]
) -> np.ndarray:
    """[units, months] offer index active in each unit-month (-1 none); campaigns may
    already be running when the window opens."""
    offer_p = np.array(
        [{"bundle": 0.16, "mobile": 0.12, "broadband": 0.10}[o.target] for o in COMPETITOR_OFFERS]
    )
    offer_p /= offer_p.sum()
    lead_in = 6
    active = np.full((n_units, months + lead_in), -1, dtype=np.int64)
    for m in range(months + lead_in):
        free = active[:, m] < 0
        starts = np.flatnonzero(free & (rng.random(n_units) < start_p))
        offers = rng.choice(len(COMPETITOR_OFFERS), size=len(starts), p=offer_p)
        length = rng.integers(lengths[0], lengths[1] + 1, len(starts))
        for unit, offer, n in zip(starts.tolist(), offers.tolist(), length.tolist(), strict=True):
            stop = min(m + n, months + lead_in)
            span = active[unit, m:stop]
            span[span < 0] = offer
    return active[:, lead_in:]


def market_create(*, org: Organisation, month_starts: list[dt.date], seed: int) -> Market:
    """Write the promotions seen by grids and branches, and return the price pressure."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 202]))
    months = len(month_starts)
    grid_active = _campaigns(rng, len(org.grid_unit_ids), months, 0.045, (2, 4))
    branch_active = _campaigns(rng, len(org.branch_unit_ids), months, 0.03, (3, 6))

    promotions = []
    for unit_ids, active in (
        (org.grid_unit_ids, grid_active),
        (org.branch_unit_ids, branch_active),
    ):
        for u, m in zip(*np.nonzero(active >= 0), strict=True):
            spec = COMPETITOR_OFFERS[int(active[u, m])]
            promotions.append(
                CompetitorPromotion(
                    competitor=spec.competitor,
                    unit_id=int(unit_ids[u]),
                    month=month_starts[int(m)],
                    description=spec.description,
                    promo_monthly=Decimal(spec.promo_yuan),
                    promo_months=spec.promo_months,
                    regular_monthly=Decimal(spec.regular_yuan),
                    switchers_only=True,
                )
            )
    CompetitorPromotion.objects.bulk_create(promotions, batch_size=2000)

    price = np.array([o.promo_yuan * 100.0 for o in COMPETITOR_OFFERS])
    target = np.array([TARGETS.index(o.target) for o in COMPETITOR_OFFERS])
    n_grids = len(org.grid_unit_ids)
    best_price = np.full((n_grids, months, 3), np.inf)
    best_offer = np.full((n_grids, months, 3), -1, dtype=np.int64)
    for active in (grid_active, branch_active[org.grid_branch]):
        g, m = np.nonzero(active >= 0)
        offer = active[g, m]
        t = target[offer]
        cheaper = price[offer] < best_price[g, m, t]
        best_price[g[cheaper], m[cheaper], t[cheaper]] = price[offer[cheaper]]
        best_offer[g[cheaper], m[cheaper], t[cheaper]] = offer[cheaper]
    return Market(best_price_cents=best_price, best_offer=best_offer, rows=len(promotions))
