"""Invariants of the scheme diagnostics (hypothesis, derandomised)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel.diagnostics import bod, reliability, weights
from tests.test_diagnostics import long, make_scheme

SEEDS = st.integers(0, 2**32 - 1)


def achievements(seed: int, n: int, cols: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.uniform(0, 1, (n, 1))
    X = np.clip(base * rng.uniform(-1, 1, len(cols)) + rng.uniform(0, 1, (n, len(cols))), 0, 1)
    return pd.DataFrame(X, index=[f"u{i:02d}" for i in range(n)], columns=cols)


@given(SEEDS, st.integers(2, 8), st.integers(2, 6))
def test_alpha_never_exceeds_one(seed, n_items, n_units):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_units, n_items)) @ rng.standard_normal((n_items, n_items))
    a = reliability.cronbach_alpha(X)
    assert np.isnan(a) or a <= 1 + 1e-12
    assert reliability.cronbach_alpha(np.column_stack([X[:, 0], X[:, 0]])) <= 1 + 1e-12


@given(SEEDS, st.integers(3, 25))
def test_eta2_at_least_r2(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    y = rng.uniform(0, 1) * x + rng.normal(0, 0.3, n) + rng.uniform(-1, 1) * x**2
    e = weights.correlation_ratio(x, y)
    assert np.corrcoef(x, y)[0, 1] ** 2 - 1e-9 <= e <= 1


@given(SEEDS, st.integers(2, 30), st.floats(0.0, 1.0))
def test_bod_never_below_nominal_and_leader_is_first(seed, n, band):
    rng = np.random.default_rng(seed)
    nominal = pd.Series(rng.dirichlet(np.ones(4)), index=list("abcd"))
    lo, hi = bod.parse_bounds(band, nominal)
    S = rng.uniform(0, 1, (n, 4))
    v, W = bod.best_totals(S, lo, hi)
    assert (v >= S @ nominal.to_numpy() - 1e-9).all()
    assert (W >= lo - 1e-9).all() and (W <= hi + 1e-9).all()
    np.testing.assert_allclose(W.sum(axis=1), 1.0, atol=1e-9)
    idx = bod.bod_index(S, lo, hi)
    assert (idx > 0).all() and (idx <= 1 + 1e-12).all()
    assert idx[np.argmax(S @ nominal.to_numpy())] >= 1 - 1e-7  # nominal weights are admissible


@settings(max_examples=8)
@given(SEEDS)
def test_removing_a_copy_of_the_rest_of_its_dimension_changes_nothing(seed):
    # the dimension score is the weighted mean of what is left: a copy of it adds nothing
    A = achievements(seed, 9, ["a", "b", "c", "e"])
    A["a2"] = A["a"]  # a copy of the only other indicator of its dimension
    s = make_scheme({"d1": [("a", 20), ("a2", 10)], "d2": [("b", 30), ("c", 25), ("e", 15)]})
    d = km.diagnose(s, long(A))
    ro = d.tables["remove_one"].set_index("removed")
    assert ro.loc["a2", "max_abs_shift"] == 0
    ranks = d.tables["remove_one_ranks"]
    assert (ranks.loc[ranks["removed"] == "a2", "shift"] == 0).all()


@settings(max_examples=8)
@given(SEEDS, st.floats(0.0, 1.0))
def test_removing_a_constant_dimension_changes_no_rank(seed, level):
    A = achievements(seed, 10, ["a", "b", "c", "z1", "z2"])
    A["z1"] = level
    A["z2"] = 1 - level
    s = make_scheme(
        {"d1": [("a", 30), ("b", 20)], "d2": [("c", 30)], "z": [("z1", 10), ("z2", 10)]}
    )
    d = km.diagnose(s, long(A))
    ro = d.tables["remove_one"].set_index("removed")
    assert ro.loc["z", "max_abs_shift"] == 0  # every total shifts by the same affine map


@settings(max_examples=8)
@given(SEEDS, st.floats(0.0, 1.0))
def test_removing_a_constant_indicator_alone_in_its_dimension_changes_no_rank(seed, level):
    A = achievements(seed, 10, ["a", "b", "c", "z"])
    A["z"] = level
    s = make_scheme({"d1": [("a", 30), ("b", 20)], "d2": [("c", 30)], "dz": [("z", 20)]})
    d = km.diagnose(s, long(A))
    ro = d.tables["remove_one"].set_index("removed")
    assert ro.loc["z", "max_abs_shift"] == 0 and ro.loc["dz", "max_abs_shift"] == 0


@settings(max_examples=8)
@given(SEEDS)
def test_row_order_does_not_matter(seed):
    A = achievements(seed, 8, ["a", "b", "c"])
    s = make_scheme({"d1": [("a", 50), ("b", 30)], "d2": [("c", 20)]})
    obs = long(A)
    d1 = km.diagnose(s, obs)
    d2 = km.diagnose(s, obs.sample(frac=1.0, random_state=seed % 1000).reset_index(drop=True))
    pd.testing.assert_frame_equal(d1.table, d2.table)
    for k in ("bod", "remove_one", "pca", "reliability", "pairs"):
        pd.testing.assert_frame_equal(d1.tables[k], d2.tables[k])
