"""The static SVG charts' axis: round ticks that cover the values."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from wanliu.analytics.svg import nice_ticks

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(finite, finite)
def test_ticks_cover_the_range_evenly(a, b):
    low, high = min(a, b), max(a, b)
    ticks = nice_ticks(low, high)
    assert len(ticks) >= 2
    assert ticks[0] <= low + 1e-9 * max(1.0, abs(low))
    assert ticks[-1] >= high - 1e-9 * max(1.0, abs(high))
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 or max(steps) - min(steps) <= 1e-6 * max(steps)
    assert len(ticks) <= 12


def test_ticks_are_round_numbers():
    assert nice_ticks(0, 1550) == [0, 500, 1000, 1500, 2000]
    assert nice_ticks(0.92, 1.0) == [0.92, 0.94, 0.96, 0.98, 1.0]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(5, 5) == [5, 6, 7, 8, 9, 10]
