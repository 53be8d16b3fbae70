"""Rule-parameter and target alternatives re-scored by the engine (kunming_2025.yaml).

References outside the code under test: the engine's own scores (``km.score``) of the
reformed schemes, and the ratio rule's closed form ``min(r, cap) / cap`` (zero below
the floor) for a moved cap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import uncertainty as U
from kmmodel.errors import DataError


@pytest.fixture(scope="module")
def scheme():
    return km.load_scheme(km.paths.data_dir() / "schemes" / "kunming_2025.yaml")


@pytest.fixture(scope="module")
def obs():
    return km.datasets.load("observations_2025")


@pytest.fixture(scope="module")
def res(scheme, obs):
    return km.score(scheme, obs)


def test_perturbable_parameters_of_the_shipped_scheme(scheme):
    p = U.rule_parameters(scheme)
    assert set(p["rule"]) <= set(U.RULE_PARAMETERS)
    ratio = p[p["rule"] == "ratio"]
    assert set(ratio["parameter"]) == {"floor", "cap"}
    assert {"linear", "steps", "rank", "deduction", "formula"} <= set(p["rule"])
    assert not set(p["indicator"]) & {"veto_integrity", "innovation_bonus"}


def test_unit_factors_leave_the_scheme_as_written(scheme, obs, res):
    same = U.perturb_rules(scheme, 1.0)
    assert same.to_dict() == scheme.to_dict()
    for alt in U.rule_alternatives(scheme, obs, spread=0.0, n=3).values():
        pd.testing.assert_frame_equal(alt.achievement(), res.achievement())


def test_zero_perturbation_collapses_every_rank_interval(scheme, obs, res):
    alts = U.scheme_alternatives(scheme, obs, target_factors=(1.0,), rule_spread=0.0)
    assert alts.factors == (("targets", 2),)  # no rule-parameter factor without spread
    out = U.scheme_uncertainty(res, U.Perturbation.none(), alternatives=alts, n_draws=200)
    t = out.table.set_index("unit")
    e = res.table.set_index("unit").loc[t.index]
    assert (t["rank_width"] == 0).all() and (t["rank_p05"] == e["rank"]).all()
    assert (t["p_grade"] == 1).all()


def test_a_moved_cap_follows_the_ratio_rule_closed_form(scheme, obs, res):
    ind = "budget_execution_rate"  # ratio rule, higher is better, floor 0.7, cap 1
    rule = scheme.indicator(ind).rule
    target = scheme.indicator(ind).target
    harder = km.score(U.perturb_rules(scheme, {(ind, "cap"): 1.08}), obs)
    v = obs[obs["indicator"] == ind].set_index("unit")["value"]
    r = v / target
    cap = rule.cap * 1.08
    expected = np.where(r < rule.floor, 0.0, np.minimum(r, cap) / cap)
    got = harder.achievement()[ind].loc[v.index]
    np.testing.assert_allclose(got, expected, atol=1e-12)


def _harder(scheme) -> dict:
    """Multipliers that make every perturbable parameter harder to meet."""
    out = {}
    for row in U.rule_parameters(scheme).itertuples(index=False):
        key = (row.indicator, row.parameter)
        lower = scheme.indicator(row.indicator).direction == "lower"
        if row.parameter in ("floor", "worst") and row.rule in ("linear", "formula", "rank"):
            out[key] = 0.9  # zero point 10 % closer to the target; less for the last
        elif row.parameter == "thresholds":
            out[key] = 0.9 if lower else 1.1
        else:
            out[key] = 1.1  # ratio floor and cap, deduction per incident
    return out


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_harder_parameters_never_raise_an_achievement_or_a_total(scheme, obs, res, scale):
    # every rule is monotone in its parameters: raising a floor or a cap, moving a zero
    # point towards the target or a threshold up (higher is better) lowers achievement
    f = {k: 1 + (v - 1) * scale for k, v in _harder(scheme).items()}
    hard = km.score(U.perturb_rules(scheme, f), obs)
    a0, a1 = res.achievement(), hard.achievement()
    assert (a1.to_numpy() <= a0.to_numpy() + 1e-12).all()
    assert (a1.to_numpy() < a0.to_numpy() - 1e-9).any()
    t0 = res.table.set_index("unit")["total"]
    t1 = hard.table.set_index("unit")["total"].loc[t0.index]
    assert (t1 <= t0 + 1e-9).all() and (t1 < t0).any()


def test_grid_runs_and_rule_parameters_get_their_own_sobol_group(scheme, obs, res):
    alts = U.scheme_alternatives(scheme, obs, rule_spread=0.1, n_rule_sets=3, seed=5)
    assert alts.factors == (("targets", 3), ("rule parameters", 4))
    assert len(alts.results) == 12 and alts.names[0] == "targets as written | rules as written"
    d = alts.rule_draws
    assert d["factor"].between(0.9, 1.1).all() and len(d) == 3 * len(U.rule_parameters(scheme))
    ratio_cap = d[(d["rule"] == "ratio") & (d["parameter"] == "cap")]
    np.testing.assert_allclose(ratio_cap["value"], ratio_cap["nominal"] * ratio_cap["factor"])
    # the engine's scores of a combination are what the draws use
    combo = alts.results[1 * 4 + 2]  # targets x0.95 with rules #2
    assert combo.scheme.source.count("set_target") > 0 and "set_rule" in combo.scheme.source
    pert = U.Perturbation(weights="none", spread=0.0)
    sens = U.scheme_sensitivity(res, pert, alternatives=alts, n=64, seed=2)
    assert list(sens.table["factor"].unique()) == ["targets", "rule parameters"]
    a = U.scheme_uncertainty(res, pert, alternatives=alts, n_draws=400, seed=7)
    b = U.scheme_uncertainty(res, pert, alternatives=alts, n_draws=400, seed=7)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert (a.table["rank_width"] > 0).any()


def test_bad_rule_perturbations_are_listed_together(scheme, obs):
    with pytest.raises(DataError) as info:
        U.scheme_alternatives(scheme, obs, target_factors=(-1,), rule_spread=1.2, n_rule_sets=0)
    msg = str(info.value)
    assert "rule_spread" in msg and "n_rule_sets" in msg and "target_factors" in msg
    with pytest.raises(DataError) as info:
        U.perturb_rules(scheme, {("nope", "floor"): 1.1, ("budget_execution_rate", "cap"): -2.0})
    msg = str(info.value)
    assert "'nope'" in msg and "positive multiplier" in msg
    with pytest.raises(DataError, match="rule_spread"):
        U.rule_alternatives(scheme, obs, spread=-0.1)


@settings(max_examples=12, deadline=None)
@given(
    f_floor=st.floats(1.0, 1.3),
    f_cap=st.floats(1.0, 1.3),
    f_steps=st.floats(1.0, 1.3),
)
def test_raising_floors_caps_and_thresholds_never_raises_a_total(
    scheme, obs, res, f_floor, f_cap, f_steps
):
    # ratio floors and caps and higher-is-better step thresholds, all raised by random
    # amounts: every achievement and every total can only fall (monotone rules)
    f = {}
    for row in U.rule_parameters(scheme).itertuples(index=False):
        if row.rule == "ratio":
            f[(row.indicator, row.parameter)] = f_floor if row.parameter == "floor" else f_cap
        elif row.rule == "steps" and scheme.indicator(row.indicator).direction == "higher":
            f[(row.indicator, row.parameter)] = f_steps
    hard = km.score(U.perturb_rules(scheme, f), obs)
    assert (hard.achievement().to_numpy() <= res.achievement().to_numpy() + 1e-12).all()
    t0 = res.table.set_index("unit")["total"]
    assert (hard.table.set_index("unit")["total"].loc[t0.index] <= t0 + 1e-9).all()
