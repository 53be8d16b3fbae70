"""Correction test bench: reproducibility on any executor, analytic anchors, bad input."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from kmmodel import correction
from kmmodel.correction import METHODS, kendall_tau_b, register, spearman_rho
from kmmodel.correction.simulate import simulate
from kmmodel.errors import DataError

SMALL = {"n_reps": 40, "batch_size": 10}


def test_table_shape_and_columns():
    t = correction.evaluate(seed=1, **SMALL)
    assert list(t.columns) == ["method", "metric", "value", "low", "high"]
    assert set(t["method"]) == set(METHODS)
    assert set(t["metric"]) == set(correction.METRICS)
    assert (t["low"] <= t["value"]).all() and (t["value"] <= t["high"]).all()


def test_same_seed_same_table_whatever_the_executor():
    serial = correction.evaluate(seed=5, **SMALL)
    with ThreadPoolExecutor(2) as ex:
        threads = correction.evaluate(seed=5, executor=ex, **SMALL)
    pd.testing.assert_frame_equal(serial, threads)
    with ProcessPoolExecutor(2) as ex:
        procs = correction.evaluate(seed=5, executor=ex, **SMALL)
    pd.testing.assert_frame_equal(serial, procs)
    other = correction.evaluate(seed=6, **SMALL)
    assert not np.allclose(serial["value"], other["value"])


def test_dask_local_cluster_gives_the_serial_table():
    distributed = pytest.importorskip("distributed")
    serial = correction.evaluate(seed=11, methods=["none", "coefficient"], **SMALL)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = correction.evaluate(
            seed=11, executor=client.get_executor(), methods=["none", "coefficient"], **SMALL
        )
    pd.testing.assert_frame_equal(serial, on_dask)


def test_baseline_anchors():
    t = correction.evaluate(seed=2, **SMALL).set_index(["method", "metric"])["value"]
    # 'none' ignores exposure: reporting more exposure pays nothing, undoes no grade change
    assert t["none", "gaming_payoff"] == 0.0
    assert t["none", "grade_changes_undone"] == 0.0
    assert t["none", "overshoot"] == 0.0
    # the shock pushes hit units down, so unaffected units gain places under 'none'
    assert t["none", "unaffected_places_lost"] < 0
    # every correction method brings totals closer to the no-shock totals than 'none'
    for m in METHODS:
        if m != "none":
            assert t[m, "mae"] < t["none", "mae"], m


def test_no_shock_means_no_error_for_any_method():
    t = correction.evaluate(seed=3, severity=0.0, **SMALL).set_index(["method", "metric"])
    assert np.allclose(t.xs("mae", level="metric")["value"], 0.0)
    rho = t.xs("spearman", level="metric")["value"]
    assert np.allclose(rho, rho["none"])


def test_exact_coefficient_world_is_fully_undone():
    # analytic anchor: when the loss is exactly exposure x sensitivity (months do not
    # matter), the coefficient with k = 1 and no cap restores every no-shock total
    t = correction.evaluate(
        seed=4,
        months_power=0.0,
        methods=["none", "coefficient"],
        params={"coefficient": {"k": 1.0, "cap": None}},
        **SMALL,
    ).set_index(["method", "metric"])["value"]
    assert t["coefficient", "mae"] == pytest.approx(0.0, abs=1e-9)
    assert t["coefficient", "grade_changes_undone"] == pytest.approx(1.0)
    assert t["coefficient", "overshoot"] == pytest.approx(0.0, abs=1e-9)
    assert t["none", "mae"] > 0.3


def test_coefficient_rewards_exaggeration_and_thresholds_resist_it():
    t = correction.evaluate(seed=8, gaming=0.5, **SMALL).set_index(["method", "metric"])["value"]
    assert t["coefficient", "gaming_payoff"] > 0
    assert t["target_rebase", "gaming_payoff"] > 0
    assert t["reweight", "gaming_payoff"] < t["coefficient", "gaming_payoff"]


def test_a_registered_method_enters_the_bench_without_changes():
    @register("test_halfway")
    def halfway(p, *, k=0.5):
        return METHODS["coefficient"](p, k=k)

    try:
        t = correction.evaluate(seed=1, methods=["none", "test_halfway"], **SMALL)
        assert set(t["method"]) == {"none", "test_halfway"}
        # functions can be passed directly too
        t2 = correction.evaluate(seed=1, methods={"half": halfway}, **SMALL)
        assert set(t2["method"]) == {"half"}
    finally:
        METHODS.pop("test_halfway")


def test_bad_arguments_are_listed_together():
    with pytest.raises(DataError) as err:
        correction.evaluate(n_reps=1, batch_size=0, gaming=-1, grades=(60, 80))
    assert len(err.value.problems) == 4
    with pytest.raises(DataError, match="unknown scenario parameter"):
        correction.evaluate(n_reps=4, severty=0.2)
    with pytest.raises(DataError, match="expected a number in \\[0, 1\\]"):
        correction.evaluate(n_reps=4, shock_share=1.5)
    with pytest.raises(DataError, match="unknown correction method 'magic'"):
        correction.evaluate(n_reps=4, methods=["none", "magic"])
    with pytest.raises(DataError, match="k must be a finite number"):
        correction.evaluate(n_reps=4, params={"coefficient": {"k": -1}})
    with pytest.raises(DataError, match="bad parameters"):
        correction.evaluate(n_reps=4, params={"reweight": {"kk": 1}})


def test_simulator_is_seeded_and_hits_the_requested_share():
    a = simulate(np.random.default_rng(1), 200, shock_share=0.25)
    b = simulate(np.random.default_rng(1), 200, shock_share=0.25)
    np.testing.assert_array_equal(a.year1.actual, b.year1.actual)
    assert a.hit1.mean() == pytest.approx(0.25, abs=0.03)
    # shocks only lower values; unhit units equal their clean values
    assert np.all(a.year1.actual <= a.clean1 + 1e-12)
    np.testing.assert_allclose(a.year1.actual[~a.hit1], a.clean1[~a.hit1])


# ------------------------------------------------- vectorised rank correlations

rows = arrays(float, (3, 9), elements=st.integers(0, 4).map(float))  # many ties


@given(rows, rows)
def test_vectorised_rank_correlations_match_scipy(x, y):
    rho = spearman_rho(x, y)
    tau = kendall_tau_b(x, y)
    for i in range(x.shape[0]):
        if np.ptp(x[i]) == 0 or np.ptp(y[i]) == 0:
            assert np.isnan(rho[i]) and np.isnan(tau[i])
            continue
        assert rho[i] == pytest.approx(stats.spearmanr(x[i], y[i]).statistic, abs=1e-12)
        assert tau[i] == pytest.approx(stats.kendalltau(x[i], y[i]).statistic, abs=1e-12)


def test_confidence_limits_stay_in_each_metrics_range():
    t = correction.evaluate(seed=0, **SMALL)
    shares = t.loc[t["metric"].isin(["grade_changes_undone"])]
    assert (shares["low"] >= 0).all() and (shares["high"] <= 1).all()
    corr = t.loc[t["metric"].isin(["spearman", "kendall", "stability"])]
    assert (corr["high"] <= 1).all()


def test_pareto_front_by_hand():
    rows = [
        ("a", 0.9, 0.5),  # fairest
        ("b", 0.8, 0.1),  # cheaper to trust
        ("c", 0.7, 0.3),  # dominated by b
        ("d", 0.6, 0.0),  # cannot be gamed
    ]
    t = pd.DataFrame(
        [(m, "spearman", f, f, f) for m, f, _ in rows]
        + [(m, "gaming_payoff", g, g, g) for m, _, g in rows],
        columns=["method", "metric", "value", "low", "high"],
    )
    assert correction.pareto(t) == ["a", "b", "d"]


def test_scorecard_is_methods_by_metrics_with_intervals():
    t = correction.evaluate(seed=0, methods=["none", "reweight"], **SMALL)
    card = correction.scorecard(t, digits=2)
    assert list(card.index) == ["none", "reweight"]
    assert list(card.columns) == list(correction.METRICS)
    assert card.loc["none", "gaming_payoff"] == "0.00 [0.00, 0.00]"


def test_charts_have_one_panel_per_metric_and_a_point_per_method():
    from kmmodel.correction import plots

    t = correction.evaluate(seed=0, **SMALL)
    fig = plots.plot_metrics(t, ncols=4)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == len(correction.METRICS)
    assert len(titled[0].patches) == len(METHODS)
    fig2 = plots.plot_tradeoff(t)
    assert len(fig2.axes[0].texts) == len(METHODS)
    grid = correction.evaluate_grid([{"severity": s} for s in (0.1, 0.4)], n_reps=10, batch_size=5)
    assert set(grid["point"]) == {0, 1}
    fig3 = plots.plot_sweep(grid, [0.1, 0.4], ["mae"], "severity")
    assert len(fig3.axes[0].lines) == len(METHODS)


@settings(max_examples=8)
@given(
    st.floats(0.0, 0.8),
    st.floats(0.05, 1.0),
    st.floats(0.0, 0.6),
    st.integers(0, 2**16),
)
def test_metrics_stay_in_their_ranges_for_any_scenario(severity, share, err, seed):
    t = correction.evaluate(
        n_reps=6, batch_size=3, seed=seed, severity=severity, shock_share=share, exposure_error=err
    ).set_index(["method", "metric"])
    v = t["value"]
    corr = v[v.index.get_level_values("metric").isin(["spearman", "kendall", "stability"])]
    assert ((corr >= -1 - 1e-12) & (corr <= 1 + 1e-12)).all()
    assert (v.xs("mae", level="metric") >= 0).all()
    undone = v.xs("grade_changes_undone", level="metric").dropna()
    assert ((undone >= 0) & (undone <= 1)).all()
    assert v["none", "gaming_payoff"] == 0 or np.isnan(v["none", "gaming_payoff"])
    ci = t.dropna(subset=["value"])
    assert (ci["low"] <= ci["value"] + 1e-12).all() and (ci["value"] <= ci["high"] + 1e-12).all()
