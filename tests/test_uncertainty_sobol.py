"""Sobol indices (SALib) against analytic values, and rank sensitivity of a scheme."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from kmmodel import uncertainty as U
from kmmodel.errors import DataError
from kmmodel.uncertainty.sobol import rank_sensitivity, sobol_indices


def ishigami_analytic(a=7.0, b=0.1):
    """Analytic Sobol indices of the Ishigami function (Ishigami & Homma 1990; Saltelli et
    al. 2008, *Global Sensitivity Analysis: The Primer*, p. 179):
    V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V13 = b^2 pi^8 (1/18 - 1/50), V3 = 0."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / v
    st = np.array([v1 + v13, v2, v13]) / v
    return s1, st


def test_analytic_ishigami_values_are_the_published_ones():
    # published: S1 = 0.3139, 0.4424, 0.0; ST = 0.5576, 0.4424, 0.2437 (SALib docs, Primer)
    s1, st = ishigami_analytic()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ishigami_indices_fall_within_the_bootstrap_interval(seed):
    box = {f"x{i}": (-math.pi, math.pi) for i in (1, 2, 3)}
    res = sobol_indices(Ishigami.evaluate, box, n=2048, seed=seed, num_resamples=200)
    t = res.table
    s1, st = ishigami_analytic()
    assert ((t["S1_low"] <= s1) & (s1 <= t["S1_high"])).all(), t
    assert ((t["ST_low"] <= st) & (st <= t["ST_high"])).all(), t
    assert (t["S1_high"] - t["S1_low"]).max() < 0.15  # intervals are informative


def test_same_seed_same_indices():
    box = {"x1": (-math.pi, math.pi), "x2": (-math.pi, math.pi), "x3": (-math.pi, math.pi)}
    a = sobol_indices(Ishigami.evaluate, box, n=256, seed=4).table
    pd.testing.assert_frame_equal(a, sobol_indices(Ishigami.evaluate, box, n=256, seed=4).table)
    assert not a["S1"].equals(sobol_indices(Ishigami.evaluate, box, n=256, seed=5).table["S1"])


def test_additive_linear_model_has_closed_form_indices_for_each_output():
    # Y = sum c_i X_i with independent U(0, 1) inputs: S1_i = ST_i = c_i^2 / sum c_j^2
    coefs = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 1.0]])  # two outputs
    box = {"a": (0, 1), "b": (0, 1), "c": (0, 1)}
    res = sobol_indices(lambda X: X @ coefs.T, box, n=4096, seed=0, outputs=["y1", "y2"])
    expected = (coefs**2 / (coefs**2).sum(axis=1, keepdims=True)).ravel()
    np.testing.assert_allclose(res.table["S1"], expected, atol=0.03)
    np.testing.assert_allclose(res.table["ST"], expected, atol=0.03)
    assert res.pivot("ST").shape == (2, 3)


def test_groups_give_one_index_per_group():
    # Y = X1 + X2 + X3: the group {X1, X2} carries 2/3 of the variance
    box = {"a": (0, 1), "b": (0, 1), "c": (0, 1)}
    res = sobol_indices(lambda X: X.sum(axis=1), box, n=2048, seed=1, groups={"a": "ab", "b": "ab"})
    t = res.table.set_index("factor")
    assert list(t.index) == ["ab", "c"]
    assert t.loc["ab", "S1"] == pytest.approx(2 / 3, abs=0.04)
    assert t.loc["c", "ST"] == pytest.approx(1 / 3, abs=0.04)


def test_constant_output_gets_zero_indices_without_warnings():
    res = sobol_indices(lambda X: np.zeros(len(X)), {"a": (0, 1), "b": (0, 1)}, n=64)
    assert res.table["constant"].all() and (res.table[["S1", "ST"]] == 0).all().all()


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"n": 1000}, "power of 2"),
        ({"conf_level": 1.5}, "conf_level"),
        ({"num_resamples": 2}, "num_resamples"),
    ],
)
def test_bad_settings_raise(kwargs, needle):
    with pytest.raises(DataError, match=needle):
        sobol_indices(Ishigami.evaluate, {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, **kwargs)


def test_bad_factor_ranges_are_listed_together():
    with pytest.raises(DataError) as info:
        sobol_indices(lambda X: X[:, 0], {"a": (1, 0), "b": "x", "c": (0, float("inf"))}, n=8)
    msg = str(info.value)
    assert "3 problems" in msg and "a:" in msg and "b:" in msg and "c:" in msg


def test_model_output_of_wrong_shape_is_named():
    with pytest.raises(DataError, match="returned shape"):
        sobol_indices(lambda X: X[:5, 0], {"a": (0, 1)}, n=8)


# --- a scheme's rank sensitivity ----------------------------------------------------


def test_rank_driven_by_aggregation_alone_has_total_index_near_one():
    # u0 = (0.5, 0.5), u1 = (1.0, 0.01), weights 50/50: arithmetic ranks u1 first
    # (50.5 > 50), geometric ranks u0 first (50 > 10): the aggregation choice is all that
    # moves the ranks, so S1 = ST = 1 for it.
    A = pd.DataFrame([[0.5, 0.5], [1.0, 0.01]], index=["u0", "u1"], columns=["x", "y"])
    w = pd.Series([50.0, 50.0], index=["x", "y"])
    pert = U.Perturbation(weights="none", spread=0.0, aggregation=("arithmetic", "geometric"))
    res = rank_sensitivity(A, w, perturbation=pert, n=512, seed=0)
    t = res.table
    assert list(t["factor"].unique()) == ["aggregation"]
    assert ((t["ST_low"] <= 1) & (t["ST_high"] >= 1)).all() and np.allclose(t["ST"], 1, atol=0.1)


def test_unit_that_wins_under_every_weighting_has_constant_rank():
    rng = np.random.default_rng(0)
    A = pd.DataFrame(rng.uniform(0.2, 0.8, (6, 6)), index=list("abcdef"))
    A.loc["a"] = 1.0
    w = pd.Series(np.full(6, 100 / 6))
    dims = pd.Series(["d1"] * 3 + ["d2"] * 3)
    res = rank_sensitivity(
        A, w, dimensions=dims, perturbation=U.Perturbation(spread=0.4, dimension_spread=0.3), n=128
    )
    t = res.table
    assert set(t["factor"]) == {"weights in d1", "weights in d2", "dimension d1", "dimension d2"}
    assert t.loc[t.output == "a", "constant"].all()
    assert not t.loc[t.output != "a", "constant"].all()
    assert res.pivot("S1").shape == (6, 4)


def test_dirichlet_factors_reproduce_the_dirichlet_law():
    # uniform factors mapped by Gamma quantiles and normalised are Dirichlet(c * share):
    # E[share] = share, Var[share] = share (1 - share) / (c + 1)
    from kmmodel.uncertainty.core import prepare
    from kmmodel.uncertainty.sobol import _weights_from_factors

    w = np.array([10.0, 20, 30, 25, 15])
    comp = prepare(np.full((2, 5), 0.5), w)
    pert = U.Perturbation(weights="dirichlet", concentration=30.0)
    X = np.random.default_rng(0).random((40_000, 5))
    names = [f"w:{i}" for i in range(5)]
    W = _weights_from_factors(X, names, comp, pert, w > 0, np.zeros(5, int), ["all"])
    s = w / 100
    np.testing.assert_allclose(W.mean(axis=0) / 100, s, atol=0.003)
    np.testing.assert_allclose((W / 100).var(axis=0), s * (1 - s) / 31, rtol=0.05)


def test_single_factor_group_carries_all_variance():
    A, w = pd.DataFrame(np.random.default_rng(1).random((4, 5))), pd.Series([10.0, 20, 30, 25, 15])
    pert = U.Perturbation(weights="dirichlet", concentration=30.0)
    res = rank_sensitivity(A, w, perturbation=pert, output="score", n=64, seed=2)
    assert list(res.table["factor"].unique()) == ["weights in all"]
    assert (res.table["ST"] == 1).all()


def test_nothing_uncertain_is_refused():
    A = pd.DataFrame([[0.5, 0.5], [1.0, 0.0]])
    with pytest.raises(DataError, match="nothing is uncertain"):
        rank_sensitivity(A, [50.0, 50.0], perturbation=U.Perturbation.none())


def test_grid_factors_get_separate_indices_and_an_idle_factor_gets_none():
    # a 2 x 2 grid of alternatives that depend on the second factor only: reversing the
    # units or not. The first factor ("targets") has no effect: ST = 0; the second
    # ("rule parameters") carries all the variance: S1 = ST = 1 (analytic).
    A = pd.DataFrame([[0.9, 0.8], [0.5, 0.4], [0.2, 0.1]], index=["a", "b", "c"])
    R = pd.DataFrame(A.to_numpy()[::-1], index=A.index)
    grid = {"t0|r0": A, "t0|r1": R, "t1|r0": A, "t1|r1": R}
    w = pd.Series([50.0, 50.0])
    res = rank_sensitivity(
        grid,
        w,
        perturbation=U.Perturbation.none(),
        alternative_factors=[("targets", 2), ("rule parameters", 2)],
        n=256,
        seed=1,
    )
    st_ = res.pivot("ST")
    s1 = res.pivot("S1")
    assert list(st_.columns) == ["targets", "rule parameters"]
    np.testing.assert_allclose(st_.loc[["a", "c"], "targets"], 0, atol=0.05)
    np.testing.assert_allclose(st_.loc[["a", "c"], "rule parameters"], 1, atol=0.1)
    np.testing.assert_allclose(s1.loc[["a", "c"], "rule parameters"], 1, atol=0.1)
    assert res.table.set_index("output").loc["b", "constant"].all()  # b stays second
