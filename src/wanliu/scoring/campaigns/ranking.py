"""Choosing whom a campaign contacts, with what offer, under a budget, with a random
control group (plain NumPy, no Django; the targeting service and the benchmark use it).

Expected net value of offering offer j to line i::

    net[i, j] = uplift[i, j] * value[i] - accept[i, j] * offer_cost[i, j]
                - contact_cost * expected_attempts

(incremental retention times the remaining value the line would take with it, less the
offer's concession where it is accepted and the contact attempts). Each line gets its
best eligible offer; lines whose best net value is not positive are left out; the rest are
ranked by net value, never by churn risk.

The budget reserves, for every treated target, the most it can cost: every allowed
contact attempt plus the offer's concession. Control members cost nothing and are never
contacted. The control group is drawn in consecutive strata of the ranking (``block``
targets each): in every stratum a seeded random choice keeps back as many targets as make
the running control count ``round(share x targets so far)``, so control and treated look
alike at every rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK = 20


@dataclass
class OfferChoice:
    """Per line: the index of the best offer (-1: none eligible), its net value, and the
    reserved cost if treated with it."""

    offer: np.ndarray
    net: np.ndarray
    reserved: np.ndarray


def offers_choose(
    *,
    uplift: np.ndarray,
    value: np.ndarray,
    offer_cost: np.ndarray,
    eligible: np.ndarray,
    accept: np.ndarray | None,
    contact_cost: float,
    expected_attempts: float,
    max_attempts: int,
) -> OfferChoice:
    """The best eligible offer of every line by expected net value (see the module)."""
    uplift = np.asarray(uplift, dtype=np.float64)
    n, k = uplift.shape
    value = np.asarray(value, dtype=np.float64).reshape(n, 1)
    cost = np.asarray(offer_cost, dtype=np.float64).reshape(n, k)
    accepted = (
        np.ones((n, k)) if accept is None else np.asarray(accept, dtype=np.float64).reshape(n, k)
    )
    net = uplift * value - accepted * cost - contact_cost * expected_attempts
    net = np.where(np.asarray(eligible, dtype=bool).reshape(n, k), net, -np.inf)
    best = np.argmax(net, axis=1) if k else np.zeros(n, dtype=np.int64)
    best_net = net[np.arange(n), best] if k else np.full(n, -np.inf)
    offer = np.where(np.isfinite(best_net), best, -1)
    reserved = (
        contact_cost * max_attempts + cost[np.arange(n), np.maximum(best, 0)]
        if k
        else (np.full(n, contact_cost * max_attempts))
    )
    return OfferChoice(offer=offer, net=best_net, reserved=np.asarray(reserved, dtype=np.float64))


@dataclass
class Selection:
    """The chosen targets in rank order: indices into the candidates, control flags,
    strata, and the reserved cost of the treated."""

    index: np.ndarray
    control: np.ndarray
    stratum: np.ndarray
    reserved: float

    @property
    def treated(self) -> np.ndarray:
        return self.index[~self.control]


def _controls(rng: np.random.Generator, size: int, count: int) -> np.ndarray:
    flags = np.zeros(size, dtype=bool)
    if count > 0:
        flags[rng.permutation(size)[:count]] = True
    return flags


def select_under_budget(
    *,
    order: np.ndarray,
    reserved: np.ndarray,
    budget: float,
    control_share: float,
    seed: int,
    block: int = BLOCK,
    limit: int | None = None,
) -> Selection:
    """Walk the candidates in ``order`` (best first) stratum by stratum, keeping a random
    control group of ``control_share``, while the treated targets' reserved costs fit in
    ``budget`` (and at most ``limit`` targets, when given). The walk stops at the first
    target that does not fit."""
    if not 0 <= control_share < 1:
        raise ValueError("the control share must be at least 0 and below 1")
    if block < 1:
        raise ValueError("a stratum needs at least one target")
    order = np.asarray(order, dtype=np.int64)
    reserved = np.asarray(reserved, dtype=np.float64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 515]))
    chosen: list[np.ndarray] = []
    flags: list[np.ndarray] = []
    strata: list[np.ndarray] = []
    spent = 0.0
    taken = 0
    controls = 0
    cap = len(order) if limit is None else min(limit, len(order))
    for stratum, start in enumerate(range(0, cap, block)):
        members = order[start : min(start + block, cap)]
        draws = rng.random(len(members))  # drawn whatever happens, so strata stay in step
        size = len(members)
        while size > 0:
            wanted = round(control_share * (taken + size)) - controls
            wanted = min(max(wanted, 0), size)
            control = np.zeros(size, dtype=bool)
            control[np.argsort(draws[:size], kind="stable")[:wanted]] = True
            cost = float(reserved[members[:size]][~control].sum())
            if spent + cost <= budget + 1e-9:
                break
            size -= 1
        if size == 0:
            break
        chosen.append(members[:size])
        flags.append(control)
        strata.append(np.full(size, stratum, dtype=np.int64))
        spent += cost
        taken += size
        controls += int(control.sum())
        if size < len(members):
            break
    if not chosen:
        empty = np.zeros(0, dtype=np.int64)
        return Selection(index=empty, control=empty.astype(bool), stratum=empty, reserved=0.0)
    return Selection(
        index=np.concatenate(chosen),
        control=np.concatenate(flags),
        stratum=np.concatenate(strata),
        reserved=spent,
    )


def rank_by(
    score: np.ndarray, *, keep: np.ndarray | None = None, ids: np.ndarray | None = None
) -> np.ndarray:
    """Indices by decreasing ``score`` (ties by increasing ``ids``), only where ``keep``."""
    score = np.asarray(score, dtype=np.float64)
    tie = np.arange(score.size) if ids is None else np.asarray(ids)
    order = np.lexsort((tie, -score))
    if keep is not None:
        order = order[np.asarray(keep, dtype=bool)[order]]
    return order
