"""Weight perturbation, composite scores and rank/grade uncertainty."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import gmean

from kmmodel import uncertainty as U
from kmmodel.errors import DataError
from kmmodel.uncertainty.perturb import membership_matrix


def example(u=18, k=12, seed=0, missing=0.0):
    """A units x indicators achievement frame, weights summing to 100 and 3 dimensions."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.3, 1.0, (u, k))
    if missing:
        A[rng.random((u, k)) < missing] = np.nan
    units = [f"u{i:02d}" for i in range(u)]
    inds = [f"i{j:02d}" for j in range(k)]
    w = rng.uniform(1, 3, k)
    w = pd.Series(w / w.sum() * 100, index=inds)
    dims = pd.Series(np.repeat(["d1", "d2", "d3"], math.ceil(k / 3))[:k], index=inds)
    return pd.DataFrame(A, index=units, columns=inds), w, dims


# --- weight draws ------------------------------------------------------------------


def test_uniform_weights_keep_dimension_points_and_total():
    _, w, dims = example()
    W = U.uniform_weights(w, 2000, spread=0.3, dimensions=dims, seed=1)
    np.testing.assert_allclose(W.sum(axis=1), 100.0)
    for d in ["d1", "d2", "d3"]:
        m = (dims == d).to_numpy()
        np.testing.assert_allclose(W[:, m].sum(axis=1), w[m].sum())
    # ratios to nominal stay within the rescaled uniform range (1-s)/(1+s) .. (1+s)/(1-s)
    r = W / w.to_numpy()
    assert r.min() >= 0.7 / 1.3 - 1e-12 and r.max() <= 1.3 / 0.7 + 1e-12
    assert r.std() > 0.05


def test_uniform_dimension_spread_moves_dimension_points_within_range():
    _, w, dims = example()
    W = U.uniform_weights(w, 4000, spread=0.0, dimensions=dims, dimension_spread=0.2, seed=2)
    np.testing.assert_allclose(W.sum(axis=1), 100.0)
    d1 = W[:, (dims == "d1").to_numpy()].sum(axis=1) / w[dims == "d1"].sum()
    assert 0.8 / 1.2 - 1e-12 <= d1.min() and d1.max() <= 1.2 / 0.8 + 1e-12
    # within a dimension the indicator proportions are unchanged (spread 0)
    m = (dims == "d2").to_numpy()
    np.testing.assert_allclose(
        W[:, m] / W[:, m].sum(axis=1, keepdims=True), np.tile(w[m] / w[m].sum(), (4000, 1))
    )


def test_dirichlet_shares_have_the_analytic_mean_and_variance():
    # Dirichlet(c * s): E[share] = s, Var[share] = s (1 - s) / (c + 1)  (standard result)
    w = np.array([50.0, 30.0, 20.0])
    c = 40.0
    W = U.dirichlet_weights(w, 40_000, concentration=c, seed=3)
    shares = W / 100.0
    s = w / 100.0
    np.testing.assert_allclose(shares.mean(axis=0), s, atol=0.003)
    np.testing.assert_allclose(shares.var(axis=0), s * (1 - s) / (c + 1), rtol=0.05)


def test_dirichlet_infinite_concentration_is_nominal_and_zero_weights_stay_zero():
    w = np.array([40.0, 0.0, 60.0])
    np.testing.assert_allclose(
        U.dirichlet_weights(w, 5, concentration=math.inf, seed=0), np.tile(w, (5, 1))
    )
    W = U.dirichlet_weights(w, 100, concentration=10, seed=0)
    assert (W[:, 1] == 0).all() and np.allclose(W.sum(axis=1), 100)


def test_weight_draws_are_reproducible():
    _, w, dims = example()
    a = U.uniform_weights(w, 50, dimensions=dims, seed=9)
    np.testing.assert_array_equal(a, U.uniform_weights(w, 50, dimensions=dims, seed=9))
    assert not np.array_equal(a, U.uniform_weights(w, 50, dimensions=dims, seed=10))


@pytest.mark.parametrize("spread", [1.0, 1.5, -0.1, float("nan")])
def test_spread_that_could_make_weights_negative_is_refused(spread):
    with pytest.raises(DataError, match="spread"):
        U.Perturbation(spread=spread)
    with pytest.raises(DataError, match="zero or negative"):
        U.uniform_weights([50, 50], 3, spread=spread)


def test_perturbation_lists_all_problems():
    with pytest.raises(DataError) as info:
        U.Perturbation(
            weights="gauss", spread=2, aggregation=("median",), missing=(), geometric_floor=-0.1
        )
    msg = str(info.value)
    for needle in ["weights", "spread", "aggregation", "missing", "geometric_floor", "5 problems"]:
        assert needle in msg


def test_negative_nominal_weights_are_refused():
    A, w, dims = example()
    w.iloc[[1, 4]] = -1.0
    with pytest.raises(DataError, match=r"negative weight for \['i01', 'i04'\]"):
        U.rank_uncertainty(A, w, dimensions=dims, n_draws=10)


# --- composite scores against independent computations ------------------------------


def test_arithmetic_scores_are_the_weighted_sum():
    A, w, _ = example(u=5, k=6)
    W = U.uniform_weights(w, 4, seed=0)
    S = U.composite_scores(A.to_numpy(), W)
    expected = np.array([[(A.iloc[i] * W[j]).sum() for j in range(4)] for i in range(5)])
    np.testing.assert_allclose(S, expected)


def test_geometric_scores_match_scipy_weighted_gmean():
    A, w, _ = example(u=5, k=6)
    S = U.composite_scores(A.to_numpy(), w.to_numpy()[None], aggregation="geometric")[:, 0]
    ref = [100 * gmean(A.iloc[i], weights=w.to_numpy()) for i in range(5)]  # scipy.stats.gmean
    np.testing.assert_allclose(S, ref)


def test_missing_policies_match_pandas_and_masked_averages():
    A, w, _ = example(u=8, k=6, missing=0.25)
    a = A.to_numpy()
    W = w.to_numpy()[None]
    zero = U.composite_scores(a, W, missing="zero")[:, 0]
    np.testing.assert_allclose(zero, A.fillna(0) @ w)
    mean = U.composite_scores(a, W, missing="mean")[:, 0]
    np.testing.assert_allclose(mean, A.fillna(A.mean()) @ w)
    rew = U.composite_scores(a, W, missing="reweight")[:, 0]
    ref = np.ma.average(np.ma.masked_invalid(a), axis=1, weights=np.tile(w, (8, 1))) * 100
    np.testing.assert_allclose(rew, ref.filled(np.nan))


def test_reweight_rescales_within_each_dimension():
    A, w, dims = example(u=8, k=9, missing=0.3)
    member, labels = membership_matrix(dims, 9)
    S = U.composite_scores(A.to_numpy(), w.to_numpy()[None], missing="reweight", member=member)
    ref = np.zeros(8)
    for d in labels:  # observed weighted mean within the dimension, times its points
        m = (dims == d).to_numpy()
        sub = np.ma.masked_invalid(A.loc[:, m].to_numpy())
        avg = np.ma.average(sub, axis=1, weights=np.tile(w[m], (8, 1)))
        ref += np.ma.filled(avg, 0.0) * w[m].sum()
    np.testing.assert_allclose(S[:, 0], ref)


def test_top_grade_quota_keeps_only_the_best_in_the_top_grade():
    A = pd.DataFrame(np.linspace(0.91, 0.99, 6)[:, None], index=list("abcdef"), columns=["x"])
    w = pd.Series([100.0], index=["x"])
    res = U.rank_uncertainty(
        A, w, perturbation=U.Perturbation.none(), n_draws=3, top_grade_share=0.34
    )
    # floor(0.34 * 6) = 2 units keep 优秀: the two best (f, e)
    assert res.table.set_index("unit")["grade"].to_dict() == {
        "a": "良好",
        "b": "良好",
        "c": "良好",
        "d": "良好",
        "e": "优秀",
        "f": "优秀",
    }


def test_offset_and_cap_apply_after_aggregation():
    A = pd.DataFrame([[0.9], [0.5]], index=["a", "b"], columns=["x"])
    w = pd.Series([100.0], index=["x"])
    res = U.rank_uncertainty(
        A, w, perturbation=U.Perturbation.none(), n_draws=2, offset=[15.0, -60.0], cap=100.0
    )
    assert res.table["score"].tolist() == [100.0, 0.0]


@given(
    s=arrays(float, (7, 5), elements=st.sampled_from([0.0, 1.5, 2.0, 7.25, 9.0])),
    g=arrays(np.int64, 7, elements=st.integers(0, 2)),
)
def test_rank_within_equals_scipy_rankdata_min_per_group(s, g):
    from scipy.stats import rankdata

    groups = g.astype(object)
    got = U.rank_within(s, groups)
    for label in set(g.tolist()):
        rows = g == label
        np.testing.assert_array_equal(got[rows], rankdata(-s[rows], axis=0, method="min"))


def test_ranks_are_competition_ranks_and_ties_survive_rounding_noise():
    s = np.array([[10.0], [12.0], [10.0 + 1e-12], [9.0]])
    np.testing.assert_array_equal(U.rank_within(s)[:, 0], [2, 1, 2, 4])
    groups = np.array(["a", "b", "a", "b"], dtype=object)
    np.testing.assert_array_equal(U.rank_within(s, groups)[:, 0], [1, 1, 1, 2])


# --- rank uncertainty --------------------------------------------------------------


def test_zero_perturbation_collapses_every_rank_interval_to_the_nominal_rank():
    A, w, dims = example(missing=0.1)
    res = U.rank_uncertainty(
        A, w, dimensions=dims, perturbation=U.Perturbation.none(), n_draws=300, batch_size=64
    )
    t = res.table
    assert (t["rank_p05"] == t["rank"]).all() and (t["rank_p95"] == t["rank"]).all()
    assert (t["median_rank"] == t["rank"]).all() and (t["rank_width"] == 0).all()
    assert (t["p_grade"] == 1).all() and (res.sets["p_changed"] == 0).all()
    assert (t["p_rank"] == 1).all()
    np.testing.assert_allclose(t["score_sd"], 0, atol=1e-9)
    np.testing.assert_allclose(t["score"], A.fillna(0) @ w)  # nominal = weighted sum


def test_two_unit_probability_matches_the_analytic_value():
    # unit a scores w1, unit b scores w2 (shares of 100). Nominal (60, 40), factors
    # U(0.75, 1.25): P(b ahead) = P(40 u2 > 60 u1) = 1/48 (integral worked by hand:
    # 4 * int_0^{1/12} (0.125 - 1.5 t) dt). Monte Carlo s.e. ~ 0.001 for 20 000 draws.
    A = pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], index=["a", "b"], columns=["x", "y"])
    w = pd.Series([60.0, 40.0], index=["x", "y"])
    res = U.rank_uncertainty(
        A, w, perturbation=U.Perturbation(spread=0.25), n_draws=20_000, top=1, seed=4
    )
    p_b_first = res.rank_counts.loc["b", 1] / res.n_draws
    assert p_b_first == pytest.approx(1 / 48, abs=0.005)
    assert res.table.set_index("unit").loc["a", "p_top"] == pytest.approx(47 / 48, abs=0.005)
    assert res.table.set_index("unit").loc["b", "p_rank"] == pytest.approx(47 / 48, abs=0.005)
    assert res.sets.set_index("set").loc["top", "p_changed"] == pytest.approx(1 / 48, abs=0.005)


def test_histogram_quantiles_equal_numpy_inverted_cdf_on_the_draws():
    A, w, dims = example()
    res = U.rank_uncertainty(
        A,
        w,
        dimensions=dims,
        perturbation=U.Perturbation(
            weights="dirichlet", concentration=20, aggregation=("arithmetic", "geometric")
        ),
        n_draws=500,
        batch_size=128,
        keep_draws=True,
        seed=2,
    )
    R = res.ranks
    assert R.shape == (18, 500)
    for col, q in (("rank_p05", 0.05), ("median_rank", 0.5), ("rank_p95", 0.95)):
        np.testing.assert_array_equal(
            res.table[col], np.quantile(R, q, axis=1, method="inverted_cdf")
        )
    np.testing.assert_array_equal(res.rank_counts.sum(axis=1), 500)
    np.testing.assert_allclose(res.grades.sum(axis=1), 1.0)


def test_same_seed_same_result_any_batch_size_changes_nothing_but_the_stream():
    A, w, dims = example()
    a = U.rank_uncertainty(A, w, dimensions=dims, n_draws=200, seed=5)
    b = U.rank_uncertainty(A, w, dimensions=dims, n_draws=200, seed=5)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.rank_counts, b.rank_counts)


def test_groups_rank_within_group_and_veto_blocks_the_top_grade():
    A, w, dims = example()
    A.iloc[0] = 1.0  # u00 scores 100 under every weighting
    groups = pd.Series(["county"] * 14 + ["zone"] * 4, index=A.index)
    vetoed = pd.Series(A.index == "u00", index=A.index)
    res = U.rank_uncertainty(
        A, w, dimensions=dims, groups=groups, vetoed=vetoed, n_draws=200, top=2
    )
    t = res.table.set_index("unit")
    assert t.loc[groups.index[groups == "zone"], "rank_p95"].max() <= 4
    assert t.loc["u00", "rank"] == 1 and t.loc["u00", "rank_width"] == 0
    assert res.grades.loc["u00", "优秀"] == 0 and t.loc["u00", "grade"] == "良好"
    assert set(res.sets["group"]) == {"county", "zone"} and (res.sets["k"] == 2).all()


def test_alternative_achievement_matrices_are_drawn():
    A, w, dims = example()
    B = A.copy()
    B.iloc[:, :] = B.to_numpy()[::-1]  # an alternative rule reverses the units
    res = U.rank_uncertainty(
        {"nominal": A, "strict": B}, w, perturbation=U.Perturbation.none(), n_draws=400
    )
    t = res.table
    assert (t["rank_width"] > 0).sum() >= 16  # ranks now move for (almost) every unit
    nominal = U.rank_uncertainty(A, w, perturbation=U.Perturbation.none(), n_draws=5).table
    pd.testing.assert_series_equal(t["rank"], nominal["rank"])


def test_bad_inputs_are_listed_together():
    A, w, dims = example()
    A.iloc[2, 3] = 1.7
    A.iloc[5, 0] = -0.2
    w = w.drop("i05")
    with pytest.raises(DataError) as info:
        U.rank_uncertainty(A, w, dimensions=dims, n_draws=0)
    msg = str(info.value)
    assert "('u02', 'i03')=1.7" in msg and "('u05', 'i00')=-0.2" in msg
    with pytest.raises(DataError) as info:
        U.rank_uncertainty(A.clip(0, 1), w, dimensions=dims)
    assert "no value for indicator(s) ['i05']" in str(info.value)
    with pytest.raises(DataError, match="n_draws") as info:
        U.rank_uncertainty(
            A.clip(0, 1), w.reindex(A.columns, fill_value=1.0), n_draws=0, top=0, vetoed=[True]
        )
    assert "top" in str(info.value) and "vetoed" in str(info.value)


def test_alternatives_with_other_units_are_refused():
    A, w, _ = example()
    with pytest.raises(DataError, match="same units and indicators"):
        U.rank_uncertainty({"a": A, "b": A.iloc[:-1]}, w)


# --- properties -------------------------------------------------------------------

unit_rows = arrays(float, (6, 4), elements=st.floats(0, 1, allow_nan=False))
weight_vec = arrays(float, 4, elements=st.floats(0.5, 10, allow_nan=False))


@given(A=unit_rows, w=weight_vec, spread=st.floats(0, 0.9), seed=st.integers(0, 2**16))
def test_dominating_unit_never_ranks_below_the_dominated_one(A, w, spread, seed):
    A = A.copy()
    A[1] = np.minimum(A[0], A[1])  # unit 1 is weakly dominated by unit 0 on every indicator
    res = U.rank_uncertainty(
        A,
        w,
        perturbation=U.Perturbation(spread=spread, aggregation=("arithmetic", "geometric")),
        n_draws=40,
        keep_draws=True,
        seed=seed,
    )
    assert (res.ranks[0] <= res.ranks[1]).all()
    t = res.table
    assert ((t["rank_p05"] <= t["median_rank"]) & (t["median_rank"] <= t["rank_p95"])).all()
    assert t["p_top"].between(0, 1).all() and t["p_bottom"].between(0, 1).all()


@given(A=unit_rows, w=weight_vec, seed=st.integers(0, 2**16))
def test_scores_stay_within_zero_and_total_points(A, w, seed):
    W = U.uniform_weights(w, 30, spread=0.5, seed=seed)
    for agg in U.AGGREGATIONS:
        S = U.composite_scores(A, W, aggregation=agg)
        assert (S >= -1e-9).all() and (S <= W.sum(axis=1) + 1e-9).all()


@given(A=unit_rows, w=weight_vec, seed=st.integers(0, 2**16))
def test_unit_order_does_not_change_a_units_result(A, w, seed):
    df = pd.DataFrame(A, index=list("abcdef"))
    pert = U.Perturbation(spread=0.3)
    a = U.rank_uncertainty(df, w, perturbation=pert, n_draws=30, seed=seed).table.set_index("unit")
    b = U.rank_uncertainty(
        df.iloc[::-1], w, perturbation=pert, n_draws=30, seed=seed
    ).table.set_index("unit")
    pd.testing.assert_frame_equal(a, b.loc[a.index])


@given(
    w=arrays(float, 6, elements=st.floats(0.0, 20, allow_nan=False)).filter(lambda a: a.sum() > 1),
    spread=st.floats(0, 0.99),
    dspread=st.floats(0, 0.99),
    conc=st.floats(0.5, 500),
    seed=st.integers(0, 2**16),
)
def test_weight_draws_are_nonnegative_and_keep_the_total(w, spread, dspread, conc, seed):
    dims = np.array(["a", "a", "b", "b", "c", "c"])
    for W in (
        U.uniform_weights(
            w, 20, spread=spread, dimensions=dims, dimension_spread=dspread, seed=seed
        ),
        U.dirichlet_weights(
            w, 20, concentration=conc, dimensions=dims, dimension_concentration=conc, seed=seed
        ),
    ):
        assert (W >= 0).all()
        np.testing.assert_allclose(W.sum(axis=1), w.sum(), rtol=1e-9)
        assert (W[:, w == 0] == 0).all()  # a zero weight stays zero


# --- weakest link and the geometric mean without floor ------------------------------


def test_weakest_link_is_the_total_times_the_lowest_positively_weighted_achievement():
    # PEFA M1: the weakest part caps the whole; a zero-weight indicator does not count
    A = np.array([[0.9, 0.2, 0.8], [0.5, 0.6, 0.7], [np.nan, 0.9, 0.4]])
    W = np.array([[50.0, 0.0, 50.0], [30.0, 30.0, 40.0]])
    S = U.composite_scores(A, W, aggregation="weakest_link")  # missing = 0 (zero policy)
    expected = np.array([[0.8 * 100, 0.2 * 100], [0.5 * 100, 0.5 * 100], [0.0, 0.0]])
    np.testing.assert_allclose(S, expected)
    # re-weighting leaves the missing indicator out of the minimum
    R = U.composite_scores(A, W, aggregation="weakest_link", missing="reweight")
    np.testing.assert_allclose(R[2], [40.0, 40.0])
    # a dimension with a positive weight but nothing observed counts 0
    member = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    R2 = U.composite_scores(A, W[1:], aggregation="weakest_link", missing="reweight", member=member)
    np.testing.assert_allclose(R2[:, 0], [20.0, 50.0, 0.0])


def test_weakest_link_ranks_do_not_depend_on_the_weights():
    A, w, dims = example(missing=0.1)
    pert = U.Perturbation(spread=0.6, dimension_spread=0.5, aggregation=("weakest_link",))
    res = U.rank_uncertainty(A, w, dimensions=dims, perturbation=pert, n_draws=300, seed=4)
    assert (res.table["rank_width"] == 0).all() and (res.table["score_sd"] < 1e-9).all()
    direct = np.nan_to_num(A.to_numpy(), nan=0.0).min(axis=1) * 100
    np.testing.assert_allclose(res.table["score"], direct)


def test_geometric_without_floor_is_zero_at_a_zero_achievement_and_gmean_otherwise():
    A, w, dims = example()
    A.iloc[0, 2] = 0.0
    member, _ = membership_matrix(dims.to_numpy(), len(w))
    for missing in ("zero", "reweight"):
        S = U.composite_scores(
            A.to_numpy(),
            w.to_numpy()[None],
            aggregation="geometric",
            floor=0.0,
            missing=missing,
            member=member,
        )[:, 0]
        assert S[0] == 0
        ref = gmean(A.to_numpy()[1:], axis=1, weights=w.to_numpy()) * 100  # scipy reference
        np.testing.assert_allclose(S[1:], ref)


@given(
    A=arrays(float, (5, 4), elements=st.floats(0, 1, allow_nan=False)),
    w=arrays(float, 4, elements=st.floats(0.5, 10, allow_nan=False)),
)
def test_weakest_link_never_exceeds_the_geometric_nor_the_arithmetic_score(A, w):
    # min <= weighted geometric mean <= weighted arithmetic mean (AM-GM)
    lo, geo, ari = (
        U.composite_scores(A, w[None], aggregation=a, floor=0.0)[:, 0]
        for a in ("weakest_link", "geometric", "arithmetic")
    )
    assert (lo <= geo + 1e-9).all() and (geo <= ari + 1e-9).all()


def test_alternatives_as_a_grid_of_factors_are_validated():
    A, w, _ = example()
    grid = {f"{t}|{r}": A for t in "ab" for r in "xyz"}
    with pytest.raises(DataError) as info:
        U.rank_uncertainty(grid, w, alternative_factors=[("targets", 2), ("aggregation", 2)])
    msg = str(info.value)
    assert "multiply to the 6" in msg and "differ from" in msg
    ok = U.rank_uncertainty(
        grid, w, alternative_factors=[("targets", 2), ("rule parameters", 3)], n_draws=20
    )
    assert (ok.table["rank_width"] > 0).any()
