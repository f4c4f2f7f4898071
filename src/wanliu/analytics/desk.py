"""Retention-desk figures of the monthly review: cancellation requests, retention success by
store, clerk, reason and offer level, offer cost per retained line, missing steps.

Definitions (docs/analytics.md): a request counts in the month it was opened; it is
*handled* once it has an outcome; *retained* when the outcome is a retention (same plan,
with an offer, downgraded); retention success rate = retained / handled. Offer cost is the
concession of the offers accepted on retained requests; retained lines are the lines those
requests kept (one line, the bundle's lines, or the account's lines).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wanliu.analytics import sources
from wanliu.analytics.figures import utc_bounds
from wanliu.retention.models import (
    OUTCOME_STATUSES,
    PROCESSED_STATUSES,
    RETAINED_STATUSES,
    CancellationRequest,
    Status,
)
from wanliu.retention.selectors import required_steps

RETAINED = sorted(str(s) for s in RETAINED_STATUSES)
PROCESSED = sorted(str(s) for s in PROCESSED_STATUSES)
OUTCOMES = sorted(str(s) for s in OUTCOME_STATUSES)
GROUP_COLUMNS = [
    "requests",
    "handled",
    "retained",
    "success_rate",
    "refusals",
    "transfers",
    "missing_steps",
    "offer_cost",
    "retained_lines",
    "cost_per_retained_line",
]


@dataclass
class DeskData:
    """The month's requests (and the month before's, for the change) with what they need."""

    requests: pd.DataFrame  # of the month, with the columns below added
    prev_requests: int


def desk_data(
    *,
    month: dt.date,
    prev: dt.date,
    unit_path: str | None,
    store_id: int | None = None,
    opened_by_id: int | None = None,
) -> DeskData:
    """Read the requests opened in ``month`` (and count ``prev``'s) and enrich them."""
    start, _ = utc_bounds(prev)
    month_start, end = utc_bounds(month)
    lo, mid, hi = (
        pd.Timestamp(t).tz_localize("UTC").to_pydatetime() for t in (start, month_start, end)
    )
    in_month = sources.requests_frame(
        start=mid, end=hi, unit_path=unit_path, store_id=store_id, opened_by_id=opened_by_id
    )
    prev_count = sources.requests_count(
        start=lo, end=mid, unit_path=unit_path, store_id=store_id, opened_by_id=opened_by_id
    )
    window = sources.requests_q(
        start=mid,
        end=hi,
        unit_path=unit_path,
        store_id=store_id,
        opened_by_id=opened_by_id,
        prefix="request__",
    )
    grants = sources.grants_frame(window)
    steps = sources.steps_frame(window)
    transfers = sources.transfers_frame(window)
    in_month["offer_level"] = (
        in_month["request_id"].map(grants.groupby("request_id")["level"].max()).astype("Int64")
    )
    in_month["transferred"] = in_month["request_id"].isin(transfers["request_id"])
    in_month["transfer_from"] = in_month["request_id"].map(
        transfers.drop_duplicates("request_id").set_index("request_id")["from_store_id"]
    )
    in_month["handled"] = in_month["outcome"].isin(OUTCOMES)
    in_month["retained"] = in_month["outcome"].isin(RETAINED)
    in_month["processed"] = in_month["outcome"].isin(PROCESSED)
    in_month["refusal"] = in_month["refusal_flagged_at"].notna()
    # steps as bit masks: required (the desk's rule per outcome, reason, insistence) and done
    # one bit per step: the sum over a request's distinct steps is their bitwise or
    distinct = steps.drop_duplicates(["request_id", "step"])
    done = (
        distinct.assign(bit=np.left_shift(1, distinct["step"].astype(np.int64)))
        .groupby("request_id")["bit"]
        .sum()
    )
    recorded = in_month["request_id"].map(done).fillna(0).astype(np.int64).to_numpy()
    keys = list(
        zip(
            in_month["outcome"].fillna("").astype(str),
            in_month["reason"].fillna("").astype(str),
            in_month["insisted_at"].notna(),
            strict=True,
        )
    )
    required_of = {key: _required_mask(*key) for key in set(keys)}
    required = np.array([required_of[key] for key in keys], dtype=np.int64)
    lacking = required & ~recorded
    in_month["missing"] = [_steps_text(int(m)) for m in lacking]
    in_month["missing_count"] = [int(m).bit_count() for m in lacking]
    retained = in_month[in_month["retained"]]
    by_subscription, by_account = sources.line_counts(
        subscription_ids=retained["subscription_id"].dropna().astype(int).tolist(),
        account_ids=retained.loc[retained["target"] == "account", "account_id"]
        .astype(int)
        .tolist(),
    )
    kept = []
    rows: list[Any] = list(in_month.itertuples(index=False))
    for row in rows:
        if not row.retained:
            kept.append(0)
        elif row.target == "account":
            kept.append(by_account.get(int(row.account_id), 1))
        elif row.target == "subscription" and pd.notna(row.subscription_id):
            kept.append(by_subscription.get(int(row.subscription_id), 1))
        else:
            kept.append(1)
    in_month["retained_lines"] = np.array(kept, dtype=np.int64)
    in_month["offer_cost"] = np.where(
        in_month["retained"], in_month["accepted_cost"].fillna(0.0), 0.0
    )
    return DeskData(requests=in_month, prev_requests=prev_count)


def _required_mask(outcome: str, reason: str, insisted: bool) -> int:
    """The steps a request with this outcome, reason and insistence must show, as bits
    (the desk's own rule, ``retention.selectors.required_steps``)."""
    request = CancellationRequest(
        outcome=outcome, reason=reason, insisted_at=dt.datetime.now(tz=dt.UTC) if insisted else None
    )
    return sum(1 << step for step in required_steps(request))


def _steps_text(mask: int) -> str:
    return ",".join(str(step) for step in range(1, 7) if mask & (1 << step))


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole * 100, 2) if whole else None


def _per_line(cost: float, lines: float) -> float | None:
    return round(cost / lines, 2) if lines else None


def _summarise(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["key", *GROUP_COLUMNS])
    frame = frame.assign(has_missing=frame["missing_count"] > 0)
    grouped = frame.groupby(key, dropna=False).agg(
        requests=("request_id", "size"),
        handled=("handled", "sum"),
        retained=("retained", "sum"),
        refusals=("refusal", "sum"),
        transfers=("transferred", "sum"),
        missing_steps=("has_missing", "sum"),
        offer_cost=("offer_cost", "sum"),
        retained_lines=("retained_lines", "sum"),
    )
    grouped = grouped.reset_index().rename(columns={key: "key"})
    grouped["success_rate"] = [
        _rate(r, h) for r, h in zip(grouped["retained"], grouped["handled"], strict=True)
    ]
    grouped["offer_cost"] = grouped["offer_cost"].round(2)
    grouped["cost_per_retained_line"] = [
        _per_line(c, n)
        for c, n in zip(grouped["offer_cost"], grouped["retained_lines"], strict=True)
    ]
    for column in (
        "requests",
        "handled",
        "retained",
        "refusals",
        "transfers",
        "missing_steps",
        "retained_lines",
    ):
        grouped[column] = grouped[column].astype("int64")
    return grouped[["key", *GROUP_COLUMNS]]


def retention_summary(data: DeskData) -> pd.DataFrame:
    """One row: the month's requests and what became of them."""
    r = data.requests
    handled, retained = int(r["handled"].sum()), int(r["retained"].sum())
    cost, lines = float(r["offer_cost"].sum()), int(r["retained_lines"].sum())
    return pd.DataFrame(
        [
            {
                "requests": len(r),
                "prev_requests": data.prev_requests,
                "mom_change": _rate(len(r) - data.prev_requests, data.prev_requests),
                "handled": handled,
                "retained": retained,
                "processed": int(r["processed"].sum()),
                "cooling_off": int((r["outcome"] == Status.COOLING_OFF).sum()),
                "success_rate": _rate(retained, handled),
                "refusals": int(r["refusal"].sum()),
                "transfers": int(r["transferred"].sum()),
                "missing_steps": int((r["missing_count"] > 0).sum()),
                "missing_steps_share": _rate(
                    int((r["missing_count"][r["handled"]] > 0).sum()), handled
                ),
                "offer_cost": round(cost, 2),
                "retained_lines": lines,
                "cost_per_retained_line": _per_line(cost, lines),
            }
        ]
    )


def retention_by(data: DeskData, by: str) -> pd.DataFrame:
    """Retention success by ``store`` (handling), ``clerk`` (who opened it), ``reason`` or
    ``offer_level`` (the highest level offered; ``none`` when no offer was made)."""
    r = data.requests.copy()
    if by == "store":
        r["key"] = r["store_id"].astype("Int64").astype(str).replace("<NA>", "none")
    elif by == "clerk":
        r["key"] = r["opened_by_id"].astype("Int64").astype(str).replace("<NA>", "none")
    elif by == "reason":
        r["key"] = r["reason"].fillna("").replace("", "unknown")
    elif by == "offer_level":
        r["key"] = r["offer_level"].astype(str).replace("<NA>", "none")
    else:
        raise ValueError(f"unknown retention dimension {by!r}")
    table = _summarise(r, "key")
    return table.sort_values(["requests", "key"], ascending=[False, True], ignore_index=True)
