"""Rankings of stores, teams and agents against the targets set per role (``RankingTarget``).

Each subject's figures for the month are measured against the targets of its ranking and
role: stores (the clerks' targets), teams (grid teams: the grid lead's; branches: the branch
manager's) and agents (clerks, hotline agents). A target met scores 1; one missed scores
figure / target (higher is better) or target / figure (lower is better; 0 when the target
is 0). The score is the weighted mean of those, in percent, over the targets the subject has
figures for; ties go to more targets met, then to the larger volume, then by name.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from wanliu.analytics import sources
from wanliu.analytics.desk import DeskData
from wanliu.analytics.figures import utc_bounds
from wanliu.analytics.models import RankingTarget
from wanliu.org.models import OrgUnit, Role, Store

Metric = RankingTarget.Metric
HIGHER_IS_BETTER = frozenset(
    {Metric.RETENTION_SUCCESS_RATE, Metric.RESOLUTION_ATTAINMENT, Metric.FCR, Metric.CSAT}
)
TEAM_ROLE = {OrgUnit.Kind.GRID: Role.GRID_LEAD, OrgUnit.Kind.BRANCH: Role.BRANCH_MANAGER}


def targets(ranking: str) -> dict[str, list[RankingTarget]]:
    by_role: dict[str, list[RankingTarget]] = {}
    for target in RankingTarget.objects.filter(ranking=ranking, active=True).order_by(
        "role", "-weight", "metric"
    ):
        by_role.setdefault(target.role, []).append(target)
    return by_role


def attainment(metric: str, figure: float, target: Decimal) -> float:
    goal = float(target)
    if metric in HIGHER_IS_BETTER:
        if figure >= goal:
            return 1.0
        return figure / goal if goal > 0 else 1.0
    if figure <= goal:
        return 1.0
    return goal / figure if goal > 0 else 0.0


def rank(subjects: pd.DataFrame, ranking: str) -> pd.DataFrame:
    """Score and rank each subject against its role's targets of ``ranking``."""
    by_role = targets(ranking)
    metrics = sorted({t.metric for group in by_role.values() for t in group})
    columns = ["role", "rank", "key", "name", "score", "targets_met", "targets", "volume"]
    for metric in metrics:
        columns += [metric, f"{metric}_target"]
    rows = []
    for record in subjects.to_dict("records"):
        goals = by_role.get(record["role"], [])
        if not goals:
            continue
        weighted = weights = 0.0
        met = counted = 0
        row = {c: record.get(c) for c in ("role", "key", "name", "volume")}
        for goal in goals:
            figure = record.get(goal.metric)
            row[f"{goal.metric}_target"] = float(goal.target)
            row[goal.metric] = figure
            if figure is None or pd.isna(figure):
                continue
            share = attainment(goal.metric, float(figure), goal.target)
            weighted += share * goal.weight
            weights += goal.weight
            counted += 1
            met += share >= 1.0
        if not counted:
            continue
        row["score"] = round(weighted / weights * 100, 1)
        row["targets_met"], row["targets"] = met, counted
        rows.append(row)
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    table = table.sort_values(
        ["role", "score", "targets_met", "volume", "name"],
        ascending=[True, False, False, False, True],
        ignore_index=True,
    )
    table["rank"] = table.groupby("role").cumcount() + 1
    return table[columns]


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole * 100, 2) if whole else None


def ancestors_of(paths: pd.Series, wanted: dict[str, str]) -> pd.DataFrame:
    """For each row (by position), the wanted units (path -> kind) on its unit path."""
    cache: dict[str, list[str]] = {}
    pos, hits = [], []
    for i, path in enumerate(paths.fillna("").astype(str).tolist()):
        found = cache.get(path)
        if found is None:
            parts = [p for p in path.strip("/").split("/") if p]
            prefixes = ["/" + "/".join(parts[: k + 1]) + "/" for k in range(len(parts))]
            found = [p for p in prefixes if p in wanted]
            cache[path] = found
        for p in found:
            pos.append(i)
            hits.append(p)
    return pd.DataFrame({"pos": np.asarray(pos, dtype=np.int64), "team_path": hits})


def _resolution_met(orders: pd.DataFrame) -> pd.Series:
    return (
        orders["resolved_at"].notna()
        & (orders["resolved_at"] <= orders["resolution_due_at"])
        & orders["status"].isin(["resolved", "closed"])
    )


def _desk_figures(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per ``key``: requests, retention success rate, share missing steps, refusals."""
    handled = frame["handled"].astype(bool)
    grouped = frame.assign(
        handled_=handled,
        retained_=frame["retained"].astype(bool) & handled,
        missing_=(frame["missing_count"] > 0) & handled,
        refusal_=frame["refusal"].astype(bool),
    ).groupby(key)
    out = grouped.agg(
        volume=("request_id", "size"),
        handled=("handled_", "sum"),
        retained=("retained_", "sum"),
        missing=("missing_", "sum"),
        refusals=("refusal_", "sum"),
    )
    out[Metric.RETENTION_SUCCESS_RATE] = (out["retained"] / out["handled"] * 100).round(2)
    out[Metric.MISSING_STEPS_RATE] = (out["missing"] / out["handled"] * 100).round(2)
    out[Metric.REFUSALS] = out["refusals"].astype("int64")
    return out


def store_subjects(desk: DeskData) -> pd.DataFrame:
    r = desk.requests
    columns = ["key", "name", "role", "volume", *[str(m) for m in Metric.values]]
    r = r[r["store_id"].notna()]
    if r.empty:
        return pd.DataFrame(columns=columns)
    names = dict(Store.objects.values_list("id", "name"))
    figures = _desk_figures(r, "store_id")
    pushed = r[r["transferred"]].groupby("transfer_from").size()
    ids = [int(i) for i in figures.index]
    table = pd.DataFrame(
        {
            "key": [str(i) for i in ids],
            "name": [names.get(i, "") for i in ids],
            "role": Role.CLERK,
            "volume": figures["volume"].to_numpy(),
            Metric.RETENTION_SUCCESS_RATE: figures[Metric.RETENTION_SUCCESS_RATE].to_numpy(),
            Metric.MISSING_STEPS_RATE: figures[Metric.MISSING_STEPS_RATE].to_numpy(),
            Metric.REFUSALS: figures[Metric.REFUSALS].to_numpy(),
            Metric.TRANSFERS: [int(pushed.get(i, 0)) for i in ids],
        }
    )
    return table.reindex(columns=columns)


def _sums(
    frame: pd.DataFrame, path_column: str, wanted: dict[str, str], **columns: str
) -> pd.DataFrame:
    """Sums of ``columns`` (out name -> frame column) of the rows under each wanted team."""
    if frame.empty:
        return pd.DataFrame({out: pd.Series(dtype=float) for out in columns})
    links = ancestors_of(frame[path_column].reset_index(drop=True), wanted)
    values = {
        out: frame[column].astype(float).to_numpy()[links["pos"].to_numpy()]
        for out, column in columns.items()
    }
    return (
        pd.DataFrame({"team_path": links["team_path"].to_numpy(), **values})
        .groupby("team_path")
        .sum()
    )


def team_subjects(
    *,
    unit_path: str | None,
    units: pd.DataFrame,
    churn: pd.DataFrame,
    desk: DeskData,
    orders: pd.DataFrame,
    surveys: pd.DataFrame,
    fcr: pd.DataFrame,
) -> pd.DataFrame:
    root = unit_path or "/"
    teams = units[units["kind"].isin(list(TEAM_ROLE)) & units["path"].str.startswith(root)]
    teams = teams[teams["path"] != root].sort_values("path")
    wanted = dict(zip(teams["path"], teams["kind"], strict=True))
    r = desk.requests
    lines = _sums(churn, "unit_path", wanted, active="active_at_start", gone="disconnected")
    requests = _sums(
        r.assign(
            handled_=r["handled"].astype(float),
            retained_=(r["retained"] & r["handled"]).astype(float),
            refusal_=r["refusal"].astype(float),
        ),
        "unit_path",
        wanted,
        handled="handled_",
        retained="retained_",
        refusals="refusal_",
    )
    served = _sums(
        orders.assign(one=1.0, met=_resolution_met(orders).astype(float)),
        "unit_path",
        wanted,
        orders="one",
        met="met",
    )
    happy = _sums(surveys.assign(one=1.0), "team_path", wanted, answers="one", csat="csat")
    first = _sums(fcr, "team_path", wanted, contacts="contacts", resolved="resolved")
    table = pd.DataFrame(
        {
            "key": [str(i) for i in teams["unit_id"]],
            "name": list(teams["name"]),
            "role": [TEAM_ROLE[k] for k in teams["kind"]],
        },
        index=list(teams["path"]),
    )
    both = table.join([lines, requests, served, happy, first], how="left")

    def rate(part: str, whole: str) -> pd.Series:
        if part not in both or whole not in both:
            return pd.Series(None, index=both.index, dtype=float)
        whole_ = both[whole].astype(float)
        return (both[part].astype(float) / whole_.where(whole_ > 0) * 100).round(2)

    out = both[["key", "name", "role"]].copy()
    out["volume"] = both.get("active", pd.Series(0, index=both.index)).fillna(0).astype("int64")
    out[Metric.CHURN_RATE] = rate("gone", "active")
    out[Metric.RETENTION_SUCCESS_RATE] = rate("retained", "handled")
    out[Metric.REFUSALS] = both.get("refusals", pd.Series(None, index=both.index))
    out.loc[both.get("handled", pd.Series(0, index=both.index)).fillna(0) == 0, Metric.REFUSALS] = (
        None
    )
    out[Metric.RESOLUTION_ATTAINMENT] = rate("met", "orders")
    out[Metric.CSAT] = (
        (
            both["csat"].astype(float) / both["answers"].astype(float).where(both["answers"] > 0)
        ).round(3)
        if "csat" in both
        else None
    )
    out[Metric.FCR] = rate("resolved", "contacts")
    return out.reset_index(drop=True)


def agent_subjects(
    *,
    unit_path: str | None,
    month: dt.date,
    desk: DeskData,
    orders: pd.DataFrame,
    surveys: pd.DataFrame,
    agent_fcr: pd.DataFrame,
) -> pd.DataFrame:
    r = desk.requests
    staff = sources.staff_frame(
        user_ids=[int(u) for u in r["opened_by_id"].dropna().unique()],
        staff_ids=[
            *[int(s) for s in agent_fcr["agent_id"].dropna().unique()],
            *[int(s) for s in orders["owner_staff_id"].dropna().unique()],
        ],
    )
    if unit_path:
        staff = staff[staff["unit_path"].str.startswith(unit_path)]
    staff = staff[staff["role"].isin([Role.CLERK, Role.HOTLINE_AGENT])].set_index("staff_id")
    table = staff[["name", "role"]].copy()
    table["volume"] = 0
    by_user = pd.Series(staff.index, index=staff["user_id"])
    opened = r[r["opened_by_id"].isin(by_user.index)]
    if len(opened):
        desk_figures = _desk_figures(
            opened.assign(staff_id=opened["opened_by_id"].map(by_user)), "staff_id"
        )
        table = table.join(
            desk_figures[
                [
                    "volume",
                    Metric.RETENTION_SUCCESS_RATE,
                    Metric.MISSING_STEPS_RATE,
                    Metric.REFUSALS,
                ]
            ].rename(columns={"volume": "requests"})
        )
        table["volume"] = table["volume"] + table["requests"].fillna(0).astype("int64")
    fcr = agent_fcr.groupby("agent_id")[["contacts", "resolved"]].sum()
    if len(fcr):
        table = table.join(fcr)
        table[Metric.FCR] = (
            table["resolved"] / table["contacts"].where(table["contacts"] > 0) * 100
        ).round(2)
        table["volume"] = table["volume"] + table["contacts"].fillna(0).astype("int64")
    answered = surveys.dropna(subset=["agent_id"])
    if len(answered):
        table = table.join(answered.groupby("agent_id")["csat"].mean().round(3).rename(Metric.CSAT))
    start, end = utc_bounds(month)
    owned = orders[(orders["received_at"] >= start) & (orders["received_at"] < end)].dropna(
        subset=["owner_staff_id"]
    )
    if len(owned):
        served = owned.assign(met=_resolution_met(owned), again=owned["reopen_count"] > 0).groupby(
            "owner_staff_id"
        )
        counts = served.agg(orders=("order_id", "size"), met=("met", "sum"), again=("again", "sum"))
        table = table.join(counts)
        table[Metric.RESOLUTION_ATTAINMENT] = (table["met"] / table["orders"] * 100).round(2)
        table[Metric.REOPENED] = table["again"]
    metrics = [str(m) for m in Metric.values if str(m) in table.columns]
    table = table[table[metrics].notna().any(axis=1)] if metrics else table.iloc[0:0]
    out = table.reset_index().rename(columns={"staff_id": "key"})
    out["key"] = out["key"].astype(str)
    return out


def rankings_tables(
    *,
    unit_path: str | None,
    units: pd.DataFrame,
    churn: pd.DataFrame,
    desk: DeskData,
    orders: pd.DataFrame,
    month: dt.date,
    surveys: pd.DataFrame,
    fcr: pd.DataFrame,
    agent_fcr: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    start, end = utc_bounds(month)
    month_orders = orders[(orders["received_at"] >= start) & (orders["received_at"] < end)]
    return {
        "ranking_stores": rank(store_subjects(desk), RankingTarget.Ranking.STORE),
        "ranking_teams": rank(
            team_subjects(
                unit_path=unit_path,
                units=units,
                churn=churn,
                desk=desk,
                orders=month_orders,
                surveys=surveys,
                fcr=fcr,
            ),
            RankingTarget.Ranking.TEAM,
        ),
        "ranking_agents": rank(
            agent_subjects(
                unit_path=unit_path,
                month=month,
                desk=desk,
                orders=orders,
                surveys=surveys,
                agent_fcr=agent_fcr,
            ),
            RankingTarget.Ranking.AGENT,
        ),
    }
