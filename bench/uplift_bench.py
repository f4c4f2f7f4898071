"""Uplift against risk targeting on the generated operator, at the same budget.

The operator is generated in ``--workdir`` (default ``bench/out/uplift-<lines>``) once and
reused: ``wanliu generate --lines N --months 12 --seed 7 --as-of 2026-12-01`` and
``wanliu campaign generate-history --seed 7 --as-of 2026-12-01`` (four past campaigns with
randomised treated and control groups, the newest in 2026-10).

1. The uplift model learns from every campaign but the newest
   (``wanliu campaign uplift-train --before <newest month>``).
2. The churn model (the engine's default, ``churn_model_train``: logistic and three LightGBM
   candidates chosen by stratified cross-validation, calibrated; one repeat of
   ``--risk-folds`` folds to keep the bench short) learns from the operator's monthly churn
   in the ``--risk-months`` months before the newest campaign.
3. On the newest campaign's targets (held out), features as of its month, each policy picks
   lines under the same budget (every allowed contact attempt plus the offer's concession
   reserved per line, as the product does). Ranking only, every line keeping the offer the
   campaign planned for it at random:

   - ``uplift``: expected net value = uplift x remaining value - expected offer and contact
     costs (the product's formula, ``wanliu.scoring.campaigns.ranking``), positive only;
   - ``risk``: highest churn probability first;
   - ``random``: a random order.

   And with the choice of offer the product makes (its best offer per line):
   ``uplift_best_offer``; ``risk_uplift_offer`` (risk order, the same offers);
   ``risk_first_offer`` (risk order, the campaign's first offer where eligible).

   What each policy would have saved is estimated from the held-out campaign's own
   randomisation (``policy_value_estimate``: among the selected lines whose randomly planned
   offer is the one the policy gives, value-weighted churn of the control part minus that
   of the treated part, less what the treated part spent), with bootstrap intervals over the
   campaign's targets for each policy and for the paired difference uplift - risk. Qini
   coefficients of the uplift model and of the risk order, per offer, on the same campaign.

    .venv/bin/python bench/uplift_bench.py --lines 100000 [--budget 100000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench_operator import (
    WANLIU,
    operator_django,
    operator_env,
    operator_generate,
    operator_marker,
    operator_record,
)

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2026-12-01"
SEED = 7


def operator_ready(workdir: Path, lines: int) -> dict[str, Any]:
    """Generate the operator and its campaign history in ``workdir`` unless already there."""
    known = operator_marker(workdir)
    if known is not None and "history" in known:
        return known
    info = operator_generate(workdir, lines=lines, as_of=AS_OF, seed=SEED)
    started = time.perf_counter()
    history = subprocess.run(
        [*WANLIU, "campaign", "generate-history", "--seed", str(SEED), "--as-of", AS_OF, "--json"],
        env=operator_env(workdir),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    info["history_seconds"] = round(time.perf_counter() - started, 1)
    info["history"] = json.loads(history.stdout)
    operator_record(workdir, info)
    return info


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = args.workdir or REPO / "bench" / "out" / f"uplift-{args.lines}"
    info = operator_ready(workdir, args.lines)
    operator_django(workdir)
    import numpy as np
    import pyarrow.parquet as pq

    from wanliu.customers.models import Customer, Line
    from wanliu.retention.selectors import offer_ineligibility
    from wanliu.retention.services.offers import grant_cost
    from wanliu.scoring.campaigns.data import features_for, subscription_values
    from wanliu.scoring.campaigns.ranking import offers_choose, rank_by, select_under_budget
    from wanliu.scoring.campaigns.selectors import proactive_policy_current
    from wanliu.scoring.engine.artefact import artefact_load, artefact_save
    from wanliu.scoring.engine.training import churn_model_train
    from wanliu.scoring.engine.uplift import (
        policy_value_estimate,
        qini_coefficient,
        uplift_artefact_load,
    )
    from wanliu.scoring.models import Campaign, CampaignTarget
    from wanliu.scoring.operator import month_add, operator_extract, training_table
    from wanliu.scoring.selectors import value_policy_current
    from wanliu.scoring.value import ValueTerms

    campaigns = list(Campaign.objects.filter(status=Campaign.Status.CLOSED).order_by("starts_on"))
    if len(campaigns) < 2:
        raise SystemExit("the campaign history needs at least two campaigns")
    held_out = campaigns[-1]
    month = held_out.features_as_of or held_out.starts_on
    env = operator_env(workdir)
    started = time.perf_counter()
    trained = subprocess.run(
        [
            *WANLIU,
            "campaign",
            "uplift-train",
            "--before",
            f"{month:%Y-%m}",
            "--model",
            "uplift-bench",
            "--force",
            "--seed",
            "0",
            "--jobs",
            "2",
            "--json",
        ],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    uplift_seconds = round(time.perf_counter() - started, 1)
    uplift_summary = json.loads(trained.stdout)
    artefact = uplift_artefact_load(
        workdir / "models" / "uplift-bench", roots=[workdir / "models"], threads=2
    )
    model = artefact.model

    targets = list(
        CampaignTarget.objects.filter(campaign=held_out)
        .select_related("offer", "task")
        .order_by("line_id")
    )
    offers = list(held_out.offers.order_by("code"))
    codes = [o.code for o in offers]
    with tempfile.TemporaryDirectory(prefix="uplift-bench-") as folder:
        tables = Path(folder) / "tables"
        operator_extract(tables, progress=True)
        features = features_for(tables, as_of=month, line_ids=[t.line_id for t in targets])
        assert features.num_rows == len(targets), "every held-out target was active then"
        policy = value_policy_current()
        terms = ValueTerms(
            margin_share=float(policy.margin_share),
            annual_discount_rate=float(policy.annual_discount_rate),
            horizon_months=int(policy.horizon_months),
        )
        values_by_sub = subscription_values(tables, as_of=month, terms=terms)
        # the risk model: the engine's default on monthly churn before the campaign (kept in
        # the workdir: training it is the slow part)
        months = [month_add(month, -k) for k in range(args.risk_months, 0, -1)]
        risk_dir = workdir / "models" / f"risk-{month:%Y-%m}-{args.risk_months}m-{args.risk_folds}f"
        risk_seconds = None
        if not (risk_dir / "manifest.json").is_file():
            train = training_table(tables, months=months, progress=True).drop_columns(["as_of"])
            train_path = Path(folder) / "train.parquet"
            pq.write_table(train, train_path)
            started = time.perf_counter()
            churn = churn_model_train(
                table_path=train_path,
                target="churned",
                positive="1",
                id_column="line_id",
                seed=0,
                family_sums=False,
                folds=args.risk_folds,
                repeats=1,
                threads=2,
                progress=True,
            )
            risk_seconds = round(time.perf_counter() - started, 1)
            artefact_save(churn, risk_dir, overwrite=True)
        risk_model = artefact_load(risk_dir, roots=[workdir / "models"], threads=2)
        risk = risk_model.model.predict(risk_model.model.preprocessor.matrix(features))
    line_ids = np.asarray(features.column("line_id").to_pylist(), dtype=np.int64)

    n, k = len(targets), len(offers)
    columns = [model.offers_.index(c) for c in codes]
    uplift = model.predict(features)[:, columns]
    acceptance = model.predict_acceptance(features)
    accept = acceptance[:, columns] if acceptance is not None else None
    customers = Customer.objects.in_bulk([t.customer_id for t in targets])
    subs = dict(Line.objects.filter(pk__in=line_ids.tolist()).values_list("pk", "subscription_id"))
    plan_family = features.column("plan_family").to_pylist()
    eligible = np.zeros((n, k), dtype=bool)
    cost = np.zeros((n, k))
    for i, target in enumerate(targets):
        fee = Decimal(str(features.column("plan_fee")[i].as_py() or 0)).quantize(Decimal("0.01"))
        for j, offer in enumerate(offers):
            eligible[i, j] = not offer_ineligibility(
                offer,
                customer=customers[target.customer_id],
                today=month,
                families={str(plan_family[i])},
            )
            cost[i, j] = float(grant_cost(offer=offer, monthly_fee=fee)[1])
    value = np.asarray([values_by_sub.get(int(subs.get(int(i), -1)), 0.0) for i in line_ids])
    planned = np.asarray([codes.index(t.offer.code) for t in targets])
    offer_probability = 1.0 / np.maximum(eligible.sum(axis=1), 1)
    control = np.asarray([t.arm == CampaignTarget.Arm.CONTROL for t in targets])
    churned = np.asarray([t.outcome == CampaignTarget.Outcome.CHURNED for t in targets])
    contact_cost = float(held_out.contact_cost)
    spent = np.asarray(
        [
            (float(t.task.contact_cost) + float(t.task.offer_cost))
            if t.arm == CampaignTarget.Arm.TREATMENT and hasattr(t, "task")
            else 0.0
            for t in targets
        ]
    )
    max_attempts = int(proactive_policy_current().max_attempts_per_target)
    expected_attempts = min(model.mean_attempts_ or max_attempts, max_attempts)
    choice = offers_choose(
        uplift=uplift,
        value=value,
        offer_cost=cost,
        eligible=eligible,
        accept=accept,
        contact_cost=contact_cost,
        expected_attempts=expected_attempts,
        max_attempts=max_attempts,
    )
    rows_all = np.arange(n)
    planned_cost = cost[rows_all, planned]
    planned_reserved = planned_cost + contact_cost * max_attempts
    planned_accept = accept[rows_all, planned] if accept is not None else 1.0
    planned_net = (
        uplift[rows_all, planned] * value
        - planned_accept * planned_cost
        - contact_cost * expected_attempts
    )
    first_offer = np.where(eligible[:, 0], 0, np.argmax(eligible, axis=1))
    reserved_first = cost[rows_all, first_offer] + contact_cost * max_attempts
    rng = np.random.default_rng(0)
    noise = rng.random(n)
    # Ranking only: every line keeps the offer the campaign planned for it (drawn at random),
    # the policies differ only in whom they take first. Then the offer too: the product's
    # targeting picks each line's best offer.
    budgets = args.budget or [float(args.lines) * share for share in (0.25, 0.5, 1.0, 2.0)]
    by_budget = {}
    for budget in budgets:
        orders = {
            "uplift": (
                rank_by(planned_net, keep=planned_net > 0, ids=line_ids),
                planned,
                planned_reserved,
            ),
            "risk": (rank_by(risk, ids=line_ids), planned, planned_reserved),
            "random": (rank_by(noise, ids=line_ids), planned, planned_reserved),
            "uplift_best_offer": (
                rank_by(choice.net, keep=(choice.offer >= 0) & (choice.net > 0), ids=line_ids),
                choice.offer,
                choice.reserved,
            ),
            "risk_uplift_offer": (
                rank_by(risk, keep=choice.offer >= 0, ids=line_ids),
                choice.offer,
                choice.reserved,
            ),
            "risk_first_offer": (
                rank_by(risk, keep=eligible.any(axis=1), ids=line_ids),
                first_offer,
                reserved_first,
            ),
        }
        selections = {}
        for name, (order, chosen, reserved) in orders.items():
            picked = select_under_budget(
                order=order, reserved=reserved, budget=budget, control_share=0.0, seed=0
            )
            mask = np.zeros(n, dtype=bool)
            mask[picked.index] = True
            selections[name] = (mask, chosen, picked.reserved)

        def estimate(name: str, rows: np.ndarray, selections: dict[str, Any] = selections) -> Any:
            mask, chosen, _reserved = selections[name]
            return policy_value_estimate(
                selected=mask[rows],
                chosen_offer=chosen[rows],
                planned_offer=planned[rows],
                offer_probability=offer_probability[rows],
                control=control[rows],
                churned=churned[rows],
                value=value[rows],
                spent=spent[rows],
            )

        point = {}
        for name, (mask, chosen, reserved) in selections.items():
            point[name] = {
                **estimate(name, rows_all).as_dict(),
                "reserved": round(reserved, 2),
                "offers": {codes[j]: int((mask & (chosen == j)).sum()) for j in range(k)},
                "mean_risk": round(float(risk[mask].mean()), 4) if mask.any() else None,
            }
        pairs = {
            "ranking": ("uplift", "risk"),
            "with_offer_choice": ("uplift_best_offer", "risk_uplift_offer"),
        }
        boot: dict[str, list[float]] = {name: [] for name in selections}
        diffs: dict[str, list[float]] = {pair: [] for pair in pairs}
        brng = np.random.default_rng(1)
        for _ in range(args.bootstrap):
            rows = brng.integers(0, n, n)
            nets = {name: estimate(name, rows).net for name in selections}
            for name, net in nets.items():
                boot[name].append(net)
            for pair, (a, b) in pairs.items():
                diffs[pair].append(nets[a] - nets[b])
        for name in selections:
            low, high = np.percentile(boot[name], [2.5, 97.5])
            point[name]["net_value_ci95"] = [round(float(low), 2), round(float(high), 2)]

        def ratio(a: str, b: str, point: dict[str, Any] = point) -> float | None:
            return (
                round(point[a]["net_value"] / point[b]["net_value"], 2)
                if point[b]["net_value"] > 0
                else None
            )

        comparisons = {
            pair: {
                "ratio": ratio(a, b),
                "difference": round(point[a]["net_value"] - point[b]["net_value"], 2),
                "difference_ci95": [
                    round(float(v), 2) for v in np.percentile(diffs[pair], [2.5, 97.5])
                ],
                "share_of_bootstrap_uplift_ahead": round(
                    float(np.mean(np.array(diffs[pair]) > 0)), 3
                ),
            }
            for pair, (a, b) in pairs.items()
        }
        comparisons["uplift_best_offer_vs_risk_first_offer"] = {
            "ratio": ratio("uplift_best_offer", "risk_first_offer"),
            "difference": round(
                point["uplift_best_offer"]["net_value"] - point["risk_first_offer"]["net_value"], 2
            ),
        }
        by_budget[f"{budget:.0f}"] = {"policies": point, "comparisons": comparisons}
    qini = {}
    retained = 1 - churned.astype(int)
    for j, code in enumerate(codes):
        rows = planned == j
        treated = ~control[rows]
        qini[code] = {
            "uplift_model": round(qini_coefficient(retained[rows], treated, uplift[rows, j]), 5),
            "risk_order": round(qini_coefficient(retained[rows], treated, risk[rows]), 5),
            "n_treated": int(treated.sum()),
            "n_control": int((~treated).sum()),
        }
    ratio = (
        point["uplift"]["net_value"] / point["risk"]["net_value"]
        if point["risk"]["net_value"] > 0
        else None
    )
    return {
        "lines": args.lines,
        "machine": f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()})",
        "generated": {k: v for k, v in info.items() if k != "history"},
        "campaigns": [
            {
                "id": c.pk,
                "month": f"{c.starts_on:%Y-%m}",
                "offers": [o.code for o in c.offers.all()],
            }
            for c in campaigns
        ],
        "held_out": {"id": held_out.pk, "month": f"{month:%Y-%m}", "targets": n},
        "uplift_model": {
            "learner": uplift_summary["learner"],
            "cv_qini": uplift_summary["cv"],
            "rows": uplift_summary["rows"],
            "train_seconds": uplift_seconds,
        },
        "risk_model": {
            "path": risk_dir.name,
            "chosen": risk_model.manifest.get("chosen"),
            "months": [f"{m:%Y-%m}" for m in months],
            "cv_roc_auc": (risk_model.manifest.get("cv_metrics") or {}).get("roc_auc"),
            "train_seconds": risk_seconds,
        },
        "budgets": by_budget,
        "qini": qini,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument(
        "--budget",
        type=lambda text: [float(v) for v in text.split(",")],
        default=None,
        help="yuan, comma-separated (default: 0.25, 0.5, 1 and 2 yuan per line)",
    )
    parser.add_argument("--risk-months", type=int, default=3)
    parser.add_argument(
        "--risk-folds", type=int, default=3, help="cross-validation folds of the churn model"
    )
    parser.add_argument("--bootstrap", type=int, default=300)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = run(args)
    text = json.dumps(result, indent=2, default=str, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
