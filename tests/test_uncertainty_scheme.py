"""The uncertainty analysis on the assessment engine's result (kunming_2025.yaml).

The engine (``km.score``) is the outside reference: the nominal draw must reproduce its
totals, ranks and grades, also after reforms, under the rescale missing policy and with
a dimension-zeroing veto.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kmmodel as km
from kmmodel import uncertainty as U
from kmmodel.errors import DataError
from kmmodel.scheme import reform
from kmmodel.uncertainty.core import prepare
from kmmodel.uncertainty.ranks import scores_for


@pytest.fixture(scope="module")
def scheme():
    return km.load_scheme(km.paths.data_dir() / "schemes" / "kunming_2025.yaml")


@pytest.fixture(scope="module")
def obs():
    return km.datasets.load("observations_2025")


def nominal_table(res):
    out = U.scheme_uncertainty(res, U.Perturbation.none(), n_draws=5)
    return out.table.set_index("unit")


def assert_matches_engine(res):
    t = nominal_table(res)
    e = res.table.set_index("unit").loc[t.index]
    np.testing.assert_allclose(t["score"], e["total"], atol=1e-8)
    assert (t["rank"] == e["rank"]).all()
    assert (t["grade"] == e["grade"]).all()
    assert (t["rank_p05"] == e["rank"]).all() and (t["rank_p95"] == e["rank"]).all()


def test_nominal_draw_reproduces_the_engine(scheme, obs):
    res = km.score(scheme, obs)
    assert_matches_engine(res)
    inputs = U.inputs_from_result(res)
    assert inputs.weights.sum() == pytest.approx(scheme.total)
    assert set(inputs.groups) == {"county_level", "development_zone"}
    assert (inputs.vetoed != "").sum() == len(res.vetoes["unit"].unique())


def test_reformed_weights_score_like_the_engine(scheme, obs):
    # moving points between dimensions is a weight draw: the array core with the
    # reformed weights must give the engine's totals for the reformed scheme
    res = km.score(scheme, obs)
    moved = reform.move_points(scheme, "common", "key", 10)
    ref = km.score(moved, obs).table.set_index("unit")
    inputs = U.inputs_from_result(res)
    comp = prepare(**inputs.kwargs())
    w = moved.weights().loc[comp.indicators].to_numpy()
    S = scores_for(comp, U.Perturbation(), w[None], np.zeros((1, 3), dtype=np.int64))[:, 0]
    np.testing.assert_allclose(S, ref.loc[comp.units, "total"], atol=1e-8)


@pytest.mark.parametrize("agg", ["weighted_sum", "geometric", "weakest_link"])
def test_every_engine_aggregation_is_reproduced(scheme, obs, agg):
    # the engine's own aggregation at both levels (PEFA M1 for the weakest link), also
    # with gaps under both missing policies and with a dimension-zeroing veto
    base = reform.set_aggregation(scheme, indicators=agg, dimensions=agg)
    gaps = obs.drop(index=obs.index[[0, 3, 40, 41, 42]])
    hit = obs.copy()
    hit.loc[(hit["unit"] == "wuhua") & (hit["indicator"] == "veto_civilisation"), "value"] = 1.0
    for policy in ("zero", "rescale"):
        s = reform.set_missing(base, policy)
        for o in (obs, gaps, hit):
            res = km.score(s, o)
            assert U.inputs_from_result(res).aggregation == {"weighted_sum": "arithmetic"}.get(
                agg, agg
            )
            assert_matches_engine(res)
    if agg == "weakest_link":  # weights only pick the indicators: nothing moves
        out = U.scheme_uncertainty(km.score(base, obs), U.Perturbation(spread=0.5), n_draws=200)
        assert (out.table["rank_width"] == 0).all()


def test_rescale_policy_and_missing_observations(scheme, obs):
    rescale = reform.set_missing(scheme, "rescale")
    gaps = obs.drop(index=obs.index[[0, 3, 40, 41, 42]])
    res = km.score(rescale, gaps)
    assert U.inputs_from_result(res).missing == "reweight"
    assert U.inputs_from_result(res).achievement.isna().sum().sum() == 5
    assert_matches_engine(res)
    # the zero policy on the same gaps: missing cells are NaN and scored as 0
    assert_matches_engine(km.score(scheme, gaps))


def test_dimension_zeroing_veto_and_cap_grade(scheme, obs):
    hit = obs.copy()
    hit.loc[(hit["unit"] == "wuhua") & (hit["indicator"] == "veto_civilisation"), "value"] = 1.0
    res = km.score(scheme, hit)
    assert "wuhua" in set(res.vetoes["unit"])
    assert_matches_engine(res)
    out = U.scheme_uncertainty(res, U.Perturbation(spread=0.3), n_draws=300)
    assert out.grades.loc["wuhua", "优秀"] == 0


def test_disqualifying_veto_fixes_the_total_at_zero(scheme, obs):
    strict = reform.set_veto(scheme, "veto_civilisation", action="disqualify")
    hit = obs.copy()
    hit.loc[(hit["unit"] == "panlong") & (hit["indicator"] == "veto_civilisation"), "value"] = 1.0
    res = km.score(strict, hit)
    assert_matches_engine(res)
    out = U.scheme_uncertainty(res, U.Perturbation(spread=0.4, dimension_spread=0.3), n_draws=300)
    t = out.table.set_index("unit")
    assert t.loc["panlong", "score_mean"] == 0 and t.loc["panlong", "rank_width"] == 0
    assert out.grades.loc["panlong", "较差"] == 1


def test_perturbed_run_on_the_shipped_scheme_is_reproducible(scheme, obs):
    res = km.score(scheme, obs)
    pert = U.Perturbation(
        spread=0.25, dimension_spread=0.2, aggregation=("arithmetic", "geometric")
    )
    a = U.scheme_uncertainty(res, pert, n_draws=400, seed=1, top=2)
    b = U.scheme_uncertainty(res, pert, n_draws=400, seed=1, top=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert (a.table["rank_width"] > 0).any()
    # nominal options come first whatever order the user gave
    assert U.inputs_from_result(res).nominal(
        U.Perturbation(aggregation=("geometric", "arithmetic"))
    ).aggregation == ("arithmetic", "geometric")


def test_target_alternatives_and_sensitivity(scheme, obs):
    res = km.score(scheme, obs)
    alts = U.target_alternatives(scheme, obs, factors=(1.0, 1.2))
    same = U.inputs_from_result(alts["targets x1"]).achievement
    pd.testing.assert_frame_equal(same, U.inputs_from_result(res).achievement)
    harder = U.inputs_from_result(alts["targets x1.2"]).achievement
    assert (harder.to_numpy() <= same.to_numpy() + 1e-12).mean() > 0.5
    sens = U.scheme_sensitivity(
        res, U.Perturbation(spread=0.25), alternatives={"x1.2": alts["targets x1.2"]}, n=64
    )
    assert "alternatives" in set(sens.table["factor"])
    assert set(sens.table["output"]) == set(res.table["unit"])


def test_mixed_aggregation_levels_are_refused(scheme, obs):
    mixed = reform.set_aggregation(scheme, indicators="weakest_link")
    with pytest.raises(DataError, match="weakest_link/weighted_sum"):
        U.inputs_from_result(km.score(mixed, obs))
    with pytest.raises(DataError, match="factors"):
        U.target_alternatives(scheme, obs, factors=(0.9, -1.0))


def test_spread_sweep_zero_spread_is_fully_robust_and_runs_on_a_pool(scheme, obs):
    from concurrent.futures import ProcessPoolExecutor

    res = km.score(scheme, obs)
    frame = U.spread_sweep(res, spreads=(0.0, 0.3), n_draws=300, seed=3)
    assert list(frame["spread"]) == [0.0, 0.3] and list(frame["dimension_spread"]) == [0.0, 0.3]
    zero = frame.iloc[0]
    assert zero["share_robust"] == 1 and zero["mean_width"] == 0 and zero["p_top_changed"] == 0
    assert frame.iloc[1]["mean_width"] > 0
    with ProcessPoolExecutor(2) as ex:
        pooled = U.spread_sweep(res, spreads=(0.0, 0.3), n_draws=300, seed=3, executor=ex)
    pd.testing.assert_frame_equal(frame, pooled)
    with pytest.raises(DataError, match="spread"):
        U.spread_sweep(res, spreads=(0.2, 1.2))
    with pytest.raises(DataError, match="one per spread"):
        U.spread_sweep(res, spreads=(0.2, 0.3), dimension_spreads=(0.1,))
