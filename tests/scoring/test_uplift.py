"""The uplift engine: Qini and uplift at k on hand-made cases, Newcombe's interval against
the published examples, a planted effect recovered from synthetic campaigns, determinism,
the artefact's checks, the ranking under a budget with its control group, and the policy
value estimate."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest

from wanliu.scoring.campaigns.ranking import offers_choose, rank_by, select_under_budget
from wanliu.scoring.engine.errors import ArtefactError, TargetError
from wanliu.scoring.engine.uplift import (
    UpliftModel,
    difference_interval,
    policy_value_estimate,
    qini_coefficient,
    qini_curve,
    uplift_artefact_load,
    uplift_artefact_save,
    uplift_at_k,
    uplift_evaluate,
)

# A hand-made campaign of four lines, best score first: a treated responder, a control
# non-responder, a treated non-responder, a control responder.
RESPONSE = [1, 0, 0, 1]
TREATED = [1, 0, 1, 0]
BEST_FIRST = [4, 3, 2, 1]


def test_qini_curve_and_coefficient_on_a_hand_made_case():
    # when the lines are taken best first
    x, gain = qini_curve(RESPONSE, TREATED, BEST_FIRST)
    # then the curve is (0, 0), (1/4, 1/4), (1/2, 1/4), (3/4, 1/4), (1, 0): one treated
    # responder, and at the end one control responder scaled by 2 treated / 2 control
    assert x.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert gain.tolist() == [0, 0.25, 0.25, 0.25, 0]
    # and the area above the random line (here flat: Q(1) = 0) is 3/16
    assert qini_coefficient(RESPONSE, TREATED, BEST_FIRST) == pytest.approx(0.1875)
    # the reverse order is worse than random: -3/32
    assert qini_coefficient(RESPONSE, TREATED, [1, 2, 3, 4]) == pytest.approx(-0.09375)
    # and equal scores enter together: no better than random
    assert qini_coefficient(RESPONSE, TREATED, [1, 1, 1, 1]) == 0.0


def test_uplift_at_k_on_a_hand_made_case():
    assert uplift_at_k(RESPONSE, TREATED, BEST_FIRST, 0.5) == 1.0  # 1/1 treated - 0/1 control
    assert uplift_at_k(RESPONSE, TREATED, BEST_FIRST, 1.0) == 0.0  # 1/2 - 1/2
    assert math.isnan(uplift_at_k(RESPONSE, TREATED, BEST_FIRST, 0.25))  # no control there


@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((6, 7, 2, 7), 0.0582, 0.8062),
        ((5, 56, 0, 29), -0.0381, 0.1926),
    ],
)
def test_the_difference_interval_reproduces_newcombes_examples(counts, low, high):
    diff, lo, hi = difference_interval(*counts)
    assert diff == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def synthetic_campaigns(rows: int, seed: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Offer A keeps customers with x1 > 0.5 (persuadables) and drives away those with
    x3 > 1.5 (sleeping dogs); offer B keeps plan 'b'; x2 only raises the risk."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.random(rows), rng.normal(size=rows), rng.exponential(1.0, rows)
    plan = rng.choice(["a", "b", "c"], rows)
    arm = rng.choice(["control", "A", "B"], rows, p=[0.3, 0.35, 0.35])
    base = 1 / (1 + np.exp(-(-1.2 + x2)))
    tau_a = np.where(x1 > 0.5, 0.3, 0.0) - np.where(x3 > 1.5, 0.2, 0.0)
    tau_b = np.where(plan == "b", 0.25, 0.0)
    p = np.where(arm == "A", base - tau_a, np.where(arm == "B", base - tau_b, base))
    churned = (rng.random(rows) < np.clip(p, 0, 1)).astype(np.int64)
    table = pa.table({"x1": x1, "x2": x2, "x3": x3, "plan": plan, "arm": arm, "churned": churned})
    return table, tau_a, tau_b


@pytest.fixture(scope="module")
def fitted() -> UpliftModel:
    train, _, _ = synthetic_campaigns(5000, seed=1)
    return UpliftModel(seed=0).fit(train)


def test_the_engine_recovers_a_planted_effect(fitted):
    # given campaigns whose offers keep (or drive away) known groups
    test, tau_a, tau_b = synthetic_campaigns(5000, seed=2)
    # when the model predicts on new customers
    predicted = fitted.predict(test)
    # then it ranks them as the planted effect does, offer by offer
    assert fitted.offers_ == ["A", "B"]
    assert np.corrcoef(predicted[:, 0], tau_a)[0, 1] > 0.5
    assert np.corrcoef(predicted[:, 1], tau_b)[0, 1] > 0.5
    persuadable = tau_a > 0.2
    sleeping_dog = tau_a < 0
    assert predicted[persuadable, 0].mean() > 0.15 > 0 > predicted[sleeping_dog, 0].mean()
    # and the chosen learner won the cross-validated Qini, and beats random order held out
    assert fitted.learner_ == max(fitted.cv_, key=lambda name: fitted.cv_[name]["qini"])
    held_out = uplift_evaluate(fitted, test)["offers"]
    for offer in ("A", "B"):
        assert held_out[offer]["qini"] > held_out[offer]["qini_random"] + 0.005
        assert held_out[offer]["uplift_at_10"] > held_out[offer]["observed_uplift"]


def test_fitting_is_deterministic_for_a_seed():
    train, _, _ = synthetic_campaigns(1500, seed=3)
    one = UpliftModel(seed=4, learner="t_lightgbm").fit(train).predict(train)
    two = UpliftModel(seed=4, learner="t_lightgbm").fit(train).predict(train)
    assert np.array_equal(one, two)


def test_fitting_refuses_data_without_a_control_group_or_too_small_an_arm():
    train, _, _ = synthetic_campaigns(400, seed=5)
    treated_only = train.filter(pa.compute.not_equal(train.column("arm"), "control"))
    with pytest.raises(TargetError, match="control"):
        UpliftModel().fit(treated_only)
    with pytest.raises(TargetError, match="at least 500"):
        UpliftModel(min_arm_rows=500).fit(train)
    # an offer with too small an arm is left out, saying why
    rare = train.filter(
        pa.compute.invert(
            pa.compute.and_(
                pa.compute.equal(train.column("arm"), "B"),
                pa.compute.greater(train.column("x1"), 0.1),
            )
        )
    )
    partial = UpliftModel(min_arm_rows=30, learner="t_logistic").fit(rare)
    assert partial.offers_ == ["A"] and "offer B: only" in partial.skipped_["B"]
    with pytest.raises(TargetError, match="0/1"):
        UpliftModel().fit(train.set_column(5, "churned", pa.array(["maybe"] * train.num_rows)))


def test_the_artefact_round_trips_and_refuses_tampering_and_foreign_folders(fitted, tmp_path):
    # given a saved model
    root = tmp_path / "models"
    artefact = uplift_artefact_save(fitted, root / "uplift-a")
    test, _, _ = synthetic_campaigns(300, seed=6)
    # when it is loaded from the models root, it predicts exactly as before
    loaded = uplift_artefact_load(root / "uplift-a", roots=[root])
    assert loaded.version == artefact.version
    assert np.array_equal(loaded.model.predict(test), fitted.predict(test))
    manifest = json.loads((root / "uplift-a" / "manifest.json").read_text())
    assert manifest["features"] == fitted.preprocessor_.names
    assert {"lightgbm", "scikit-learn", "numpy"} <= set(manifest["libraries"])
    assert not list((root / "uplift-a").glob("*.pkl"))
    # then it is refused outside the models roots
    with pytest.raises(ArtefactError, match="outside the allowed model roots"):
        uplift_artefact_load(root / "uplift-a", roots=[tmp_path / "elsewhere"])
    # and refused once a file changed
    model_file = root / "uplift-a" / "model.json"
    model_file.write_text(model_file.read_text().replace('"learner"', '"learner" ', 1))
    with pytest.raises(ArtefactError, match="sha256"):
        uplift_artefact_load(root / "uplift-a", roots=[root])
    # and refused when trained with other library versions
    uplift_artefact_save(fitted, root / "uplift-b")
    manifest_file = root / "uplift-b" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["libraries"]["lightgbm"] = "1.0.0"
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(ArtefactError, match="other library versions"):
        uplift_artefact_load(root / "uplift-b", roots=[root])


def test_offers_are_chosen_by_expected_net_value():
    # given two lines and two offers: line 0 is kept by offer 1 only, line 1 by neither
    choice = offers_choose(
        uplift=np.array([[0.0, 0.3], [0.01, 0.0]]),
        value=np.array([1000.0, 1000.0]),
        offer_cost=np.array([[100.0, 50.0], [100.0, 50.0]]),
        eligible=np.array([[True, True], [True, False]]),
        accept=np.array([[0.5, 0.5], [0.5, 0.5]]),
        contact_cost=2.0,
        expected_attempts=1.5,
        max_attempts=3,
    )
    # then line 0 gets offer 1: 0.3 x 1000 - 0.5 x 50 - 2 x 1.5 = 272
    assert choice.offer.tolist() == [1, 0]
    assert choice.net[0] == pytest.approx(272.0)
    # line 1's only eligible offer loses money: 10 - 50 - 3
    assert choice.net[1] == pytest.approx(-43.0)
    # and the reservation is every allowed attempt plus the whole concession
    assert choice.reserved.tolist() == [56.0, 106.0]


def test_selection_keeps_an_exact_stratified_control_group_within_the_budget():
    # given 100 candidates costing 10 each, best first
    order = rank_by(np.linspace(1, 0, 100), ids=np.arange(100))
    reserved = np.full(100, 10.0)
    # when 600 yuan may be reserved with a 25% control group
    picked = select_under_budget(
        order=order, reserved=reserved, budget=600.0, control_share=0.25, seed=3
    )
    # then 60 treated fit, and 20 control members come with them (80 = 4 strata of 20)
    assert picked.reserved == 600.0 and len(picked.treated) == 60
    assert int(picked.control.sum()) == 20 and len(picked.index) == 80
    # in every stratum of 20 consecutive ranks exactly 5 are kept aside
    for stratum in range(4):
        assert picked.control[picked.stratum == stratum].sum() == 5
    assert picked.index.tolist() == order[:80].tolist()
    # and the draw is the seed's: the same seed draws the same group, another another
    same = select_under_budget(
        order=order, reserved=reserved, budget=600.0, control_share=0.25, seed=3
    )
    other = select_under_budget(
        order=order, reserved=reserved, budget=600.0, control_share=0.25, seed=4
    )
    assert np.array_equal(same.control, picked.control)
    assert not np.array_equal(other.control, picked.control)


def test_selection_stops_at_the_first_target_that_does_not_fit():
    order = np.arange(5)
    picked = select_under_budget(
        order=order,
        reserved=np.array([40.0, 40.0, 30.0, 1.0, 1.0]),
        budget=100.0,
        control_share=0.0,
        seed=0,
    )
    assert picked.index.tolist() == [0, 1] and picked.reserved == 80.0


def test_the_policy_value_estimate_on_a_hand_made_campaign():
    # given a past campaign of 8 lines, one offer, half kept as control: among the 4 lines
    # a policy selects, the control ones lost 100 and 0, the treated 0 and 0, and the
    # treated spent 10 and 20
    selected = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    estimate = policy_value_estimate(
        selected=selected,
        chosen_offer=np.zeros(8, dtype=int),
        planned_offer=np.zeros(8, dtype=int),
        offer_probability=np.ones(8),
        control=np.array([1, 1, 0, 0, 1, 0, 1, 0], dtype=bool),
        churned=np.array([1, 0, 0, 0, 1, 1, 0, 0], dtype=bool),
        value=np.full(8, 100.0),
        spent=np.array([0, 0, 10, 20, 0, 5, 0, 5], dtype=float),
    )
    # then it saved (50 - 0) per selected line and cost 15 per line
    assert estimate.saved == pytest.approx(200.0)
    assert estimate.cost == pytest.approx(60.0)
    assert estimate.net == pytest.approx(140.0)
    assert (estimate.matched_treated, estimate.matched_control) == (2, 2)
