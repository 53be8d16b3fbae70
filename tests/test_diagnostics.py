"""Scheme diagnostics (km.diagnose) against outside references.

References used here (provenance next to each expected number):
* R psych::alpha on psych::sim.congeneric() (the population correlation matrix of
  loadings 0.8, 0.7, 0.6, 0.5), output as printed by example("alpha", "psych");
* Cronbach's (1951) formula by hand on a 5 x 3 example;
* analytic PCA of two indicators with correlation r (eigenvalues 1 ± r);
* Paruolo, Saisana & Saltelli (2013, JRSS A 176(3)), section 2: main effects of a
  weighted sum of independent equal-variance indicators are w_i^2 / sum w_j^2;
* a benefit-of-the-doubt LP solved by hand, and brute force over a weight grid;
* COINr's own tests of winsorise (tests/testthat/test-treat.R).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import kmmodel as km
from kmmodel.diagnostics import bod, pca, reliability, weights
from kmmodel.diagnostics.outliers import skew_kurtosis, winsorise

GRADES = [
    {"name": "优秀", "min": 90},
    {"name": "良好", "min": 80},
    {"name": "合格", "min": 60},
    {"name": "不合格", "min": 0},
]


def make_scheme(dims: dict[str, list[tuple[str, float]]], **extra):
    """A scheme of linear indicators (floor 0, target 1): achievement = value in [0, 1]."""
    inds, dlist = [], []
    for d, items in dims.items():
        dlist.append({"id": d, "name": d, "points": float(sum(p for _, p in items))})
        for i, p in items:
            inds.append(
                {
                    "id": i,
                    "name": i,
                    "dimension": d,
                    "points": float(p),
                    "target": 1.0,
                    "rule": {"type": "linear", "floor": 0.0},
                }
            )
    total = sum(d["points"] for d in dlist)
    raw = {
        "id": "test",
        "name": "test scheme",
        "year": 2025,
        "total": total,
        "grades": [{"name": g["name"], "min": g["min"] * total / 100} for g in GRADES],
        "dimensions": dlist,
        "indicators": inds,
        **extra,
    }
    return km.scheme.from_dict(raw)


def long(A: pd.DataFrame) -> pd.DataFrame:
    """Units x indicators achievement matrix -> long observations."""
    s = A.stack()
    return pd.DataFrame(
        {
            "unit": s.index.get_level_values(0),
            "indicator": s.index.get_level_values(1),
            "value": s.to_numpy(),
        }
    )


def exact_cov(R: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n rows whose sample covariance is exactly R (whitened noise times chol(R))."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, len(R)))
    Z -= Z.mean(axis=0)
    L0 = np.linalg.cholesky(np.cov(Z, rowvar=False))
    Zw = Z @ np.linalg.inv(L0).T
    return Zw @ np.linalg.cholesky(R).T


# --- Cronbach's alpha ---------------------------------------------------------------


def test_alpha_matches_psych_on_sim_congeneric():
    # psych::alpha(sim.congeneric()) prints raw_alpha 0.74; "reliability if an item is
    # dropped": V1 0.62, V2 0.66, V3 0.70, V4 0.74; item statistics r.drop 0.64, 0.57,
    # 0.51, 0.43 (example("alpha", "psych"), as rendered in the codebook package docs).
    lam = np.array([0.8, 0.7, 0.6, 0.5])
    R = np.outer(lam, lam)
    np.fill_diagonal(R, 1.0)
    X = pd.DataFrame(exact_cov(R, 200), columns=["V1", "V2", "V3", "V4"])
    a = reliability.cronbach_alpha(X)
    assert round(a, 2) == 0.74
    # the same from the matrix by the formula: 4/3 (1 - 4 / (4 + 2 * 2.51))
    assert a == pytest.approx(4 / 3 * (1 - 4 / 9.02), abs=1e-12)
    t = reliability.alpha_if_deleted(X).set_index("indicator")
    assert t["alpha_if_deleted"].round(2).tolist() == [0.62, 0.66, 0.70, 0.74]
    assert t["item_rest_r"].round(2).tolist() == [0.64, 0.57, 0.51, 0.43]
    assert reliability.standardised_alpha(X) == pytest.approx(a, abs=1e-12)  # unit variances


def test_alpha_textbook_formula_by_hand():
    # items A, B, C for 5 respondents; item variances 0.7, 0.8, 0.7 (sum 2.2), totals
    # 10, 9, 13, 8, 12 with variance 4.3 -> alpha = 3/2 (1 - 2.2 / 4.3) = 0.732558...
    X = np.array([[3, 4, 3], [2, 3, 4], [4, 4, 5], [3, 2, 3], [4, 4, 4]])
    assert reliability.cronbach_alpha(X) == pytest.approx(1.5 * (1 - 2.2 / 4.3), abs=1e-12)


def test_alpha_undefined_cases_are_nan():
    assert np.isnan(reliability.cronbach_alpha([[1.0], [2.0], [3.0]]))  # one item
    assert np.isnan(reliability.cronbach_alpha([[1.0, 1.0], [1.0, 1.0]]))  # no variation


# --- PCA ---------------------------------------------------------------------------


def test_pca_two_indicators_analytic():
    # corr r: eigenvalues 1 + r and 1 - r; first loadings sqrt((1 + r) / 2) each
    r = 0.6
    X = pd.DataFrame(exact_cov(np.array([[1, r], [r, 1]]), 50, seed=3), columns=["a", "b"])
    eig, L, n, used = pca.pca(X)
    assert n == 50 and used == ["a", "b"]
    np.testing.assert_allclose(eig, [1 + r, 1 - r], atol=1e-12)
    np.testing.assert_allclose(np.abs(L[:, 0]), np.sqrt((1 + r) / 2), atol=1e-12)


def test_pca_matches_numpy_eigh_of_correlation():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        rng.standard_normal((30, 4)) @ rng.standard_normal((4, 4)), columns=list("abcd")
    )
    eig, L, _, _ = pca.pca(X)
    w, V = np.linalg.eigh(np.corrcoef(X.to_numpy(), rowvar=False))
    np.testing.assert_allclose(eig, w[::-1], atol=1e-10)
    np.testing.assert_allclose(np.abs(L), np.abs(V[:, ::-1] * np.sqrt(w[::-1])), atol=1e-10)
    np.testing.assert_allclose((L**2).sum(axis=1), 1.0, atol=1e-10)  # communalities


# --- effective weights ---------------------------------------------------------------


def factorial(k: int) -> pd.DataFrame:
    """2^k full factorial on {0.2, 0.8}: orthogonal columns, equal variance."""
    rows = list(itertools.product([0.2, 0.8], repeat=k))
    return pd.DataFrame(
        rows, index=[f"u{i:02d}" for i in range(len(rows))], columns=[f"x{j}" for j in range(k)]
    )


def test_effective_equal_nominal_for_independent_equal_variance_equal_weights():
    A = factorial(3)
    s = make_scheme({"d": [("x0", 10), ("x1", 10), ("x2", 10)]})
    d = km.diagnose(s, long(A))
    ew = d.tables["effective_weights"].query("level == 'indicator'")
    np.testing.assert_allclose(ew["r2_share"], ew["nominal_share"], atol=1e-12)
    np.testing.assert_allclose(ew["variance_share"], ew["nominal_share"], atol=1e-12)
    np.testing.assert_allclose(d.table["effective_share"], d.table["nominal_share"], atol=1e-12)


def test_effective_weights_square_with_unequal_points():
    # Paruolo et al. (2013) sec. 2: S_i = w_i^2 / sum w_j^2 for independent equal-variance
    # indicators; nominal 0.5 / 0.25 / 0.25 -> main effects 4/6, 1/6, 1/6.
    A = factorial(3)
    s = make_scheme({"d": [("x0", 20), ("x1", 10), ("x2", 10)]})
    ew = km.diagnose(s, long(A)).tables["effective_weights"].query("level == 'indicator'")
    np.testing.assert_allclose(ew["r2_share"], [4 / 6, 1 / 6, 1 / 6], atol=1e-12)
    np.testing.assert_allclose(ew["eta2_share"], [4 / 6, 1 / 6, 1 / 6], atol=1e-12)
    np.testing.assert_allclose(ew["scale_share"], [0.5, 0.25, 0.25], atol=1e-12)


def test_correlation_ratio_sees_a_nonlinear_dependence():
    x = np.linspace(-1, 1, 21)
    y = x**2
    assert np.corrcoef(x, y)[0, 1] ** 2 == pytest.approx(0, abs=1e-12)
    assert weights.correlation_ratio(x, y) == pytest.approx(1.0, abs=1e-12)
    assert weights.correlation_ratio(np.ones(5), np.arange(5.0)) == 0.0


# --- benefit of the doubt ---------------------------------------------------------------


def test_bod_hand_solved_lp():
    # s = (0.9, 0.5, 0.2), nominal (0.5, 0.3, 0.2), band 0.5 -> lo (0.25, 0.15, 0.1),
    # hi (0.75, 0.45, 0.3). Best: lower bounds on dims 2 and 3, the rest (0.75) on dim 1:
    # 0.75 * 0.9 + 0.15 * 0.5 + 0.1 * 0.2 = 0.77.
    nominal = pd.Series([0.5, 0.3, 0.2], index=["a", "b", "c"])
    lo, hi = bod.parse_bounds(0.5, nominal)
    np.testing.assert_allclose(lo, [0.25, 0.15, 0.1])
    np.testing.assert_allclose(hi, [0.75, 0.45, 0.3])
    v, W = bod.best_totals(np.array([[0.9, 0.5, 0.2]]), lo, hi)
    assert v[0] == pytest.approx(0.77, abs=1e-12)
    np.testing.assert_allclose(W[0], [0.75, 0.15, 0.1], atol=1e-12)


def _grid(lo, hi, step=0.01):
    ax = [np.round(np.arange(a, b + 1e-9, step), 10) for a, b in zip(lo[:-1], hi[:-1])]
    G = np.array(list(itertools.product(*ax)))
    last = 1 - G.sum(axis=1)
    ok = (last >= lo[-1] - 1e-9) & (last <= hi[-1] + 1e-9)
    return np.column_stack([G[ok], last[ok]])


def test_bod_equals_brute_force_on_a_grid():
    rng = np.random.default_rng(7)
    nominal = pd.Series([0.4, 0.36, 0.24], index=["a", "b", "c"])  # bounds on the 0.01 grid
    lo, hi = bod.parse_bounds(0.5, nominal)
    S = rng.uniform(0, 1, (12, 3))
    G = _grid(lo, hi)
    v, _ = bod.best_totals(S, lo, hi)
    # the LP optimum sits on a vertex of the weight polytope, and every vertex is a grid point
    np.testing.assert_allclose(v, (S @ G.T).max(axis=1), atol=1e-9)
    idx = bod.bod_index(S, lo, hi)
    ratio = (S @ G.T) / (S @ G.T).max(axis=0)  # unit score over the best unit's, per weighting
    brute = ratio.max(axis=1)
    assert (idx >= brute - 1e-9).all() and (idx <= brute + 0.02).all() and (idx <= 1 + 1e-12).all()
    assert ((idx >= 1 - 1e-7) == (brute >= 1 - 1e-9)).all()


def test_bod_bounds_must_admit_nominal_weights():
    nominal = pd.Series([0.5, 0.5], index=["a", "b"])
    with pytest.raises(km.DataError, match="exclude the nominal share"):
        bod.parse_bounds({"a": (0.6, 0.9)}, nominal)


# --- diagnose on the shipped scheme --------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    s = km.examples.scheme("kunming_2025")
    o = km.datasets.load("observations_2025")
    return s, o, km.diagnose(s, o)


def test_shipped_result_protocol(shipped):
    s, _, d = shipped
    t = d.table
    assert list(t["indicator"]) == list(s.weights().index)
    assert t["nominal_share"].sum() == pytest.approx(1.0)
    assert t["effective_share"].sum() == pytest.approx(1.0)
    assert d.to_frame().equals(t) and d.to_frame() is not t
    line = d.summary()
    assert "\n" not in line and "18 units" in line and "small sample" in line
    assert any("small sample: 18 units" in n for n in d.notes)
    assert "18 units" in d.verdict()
    P = d.tables["correlation_pearson"]
    np.testing.assert_allclose(np.diag(P), 1.0)
    np.testing.assert_allclose(P, P.T)
    rel = d.tables["reliability"].set_index("dimension")
    assert (rel["alpha"].dropna() <= 1).all()
    bodt = d.tables["bod"]
    assert (bodt["bod_total"] >= bodt["nominal_total"] - 1e-9).all()
    assert bodt.groupby("group")["can_be_first"].any().all()  # the leader can always be first
    w = bodt.filter(like="w_")
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-9)


def test_nominal_total_is_the_weighted_dimension_sum(shipped):
    s, o, d = shipped
    res = km.score(s, o).table.set_index("unit")
    dims = list(s.dimensions["id"])
    b = d.tables["bod"].set_index("unit")
    np.testing.assert_allclose(b["nominal_total"], res.loc[b.index, dims].sum(axis=1), atol=1e-9)


def test_remove_one_stacked_equals_one_engine_run_per_variant(shipped):
    # the stacked single run must give the ranks of separate score_achievement runs
    s, o, d = shipped
    from kmmodel.scoring import score_achievement

    base = km.score(s, o)
    rank0 = base.table.set_index("unit")["rank"]
    W0 = pd.DataFrame(
        np.tile(s.weights().to_numpy(), (len(rank0), 1)),
        index=sorted(rank0.index),
        columns=s.weights().index,
    )
    long_ = d.tables["remove_one_ranks"]
    for removed in ["hotline_days", "party_conduct", "common"]:
        W = W0.copy()
        cols = (
            [removed]
            if removed in W.columns
            else list(s.indicators.query("dimension == @removed and kind == 'score'")["id"])
        )
        W[cols] = 0.0
        r = score_achievement(s, o, weights=W, units=km.examples.units()).table.set_index("unit")[
            "rank"
        ]
        got = long_[long_["removed"] == removed].set_index("unit")["new_rank"]
        assert got.reindex(r.index).tolist() == r.tolist(), removed
        assert (rank0.reindex(got.index) - got).tolist() == long_[long_["removed"] == removed][
            "shift"
        ].tolist()


def test_mixed_aggregation_weakest_link_for_one_dimension(shipped):
    s, o, _ = shipped
    res, cmp = km.diagnostics.mixed_aggregation(
        s, o, {"common": "weakest_link"}, units=km.examples.units()
    )
    base = km.score(s, o)
    A = base.achievement()
    common = list(s.indicators.query("dimension == 'common' and kind == 'score'")["id"])
    t = res.table.set_index("unit")
    ok = ~t["vetoed"]
    np.testing.assert_allclose(
        t.loc[ok, "common"], 20 * A.loc[t.index[ok], common].min(axis=1), atol=1e-9
    )
    # other dimensions untouched
    b = base.table.set_index("unit")
    np.testing.assert_allclose(t["key"], b.loc[t.index, "key"], atol=1e-12)
    assert set(cmp.columns) >= {"unit", "rank_a", "rank_b", "rank_change"}
    with pytest.raises(km.DataError) as e:
        km.diagnostics.mixed_aggregation(s, o, {"nope": "weakest_link", "key": "median"})
    assert "nope" in str(e.value) and "median" in str(e.value)


def test_diagnose_mixed_table(shipped):
    s, o, _ = shipped
    d = km.diagnose(s, o, mixed={"common": "weakest_link"})
    assert len(d.tables["mixed_aggregation"]) == 18


# --- outliers --------------------------------------------------------------------------


def test_winsorise_matches_coinr_tests():
    # COINr tests/testthat/test-treat.R: x = c(1:10, 100) fails check_SkewKurt; winsorising
    # (winmax 5) turns 100 into 10, leaves the rest, and then passes.
    x = np.r_[np.arange(1.0, 11), 100.0]
    s, k = skew_kurtosis(x)
    assert abs(s) >= 2 and k >= 3.5
    t, changed = winsorise(x, winmax=5)
    assert t[-1] == 10 and (t[:10] == x[:10]).all() and changed.sum() == 1
    s2, k2 = skew_kurtosis(t)
    assert abs(s2) < 2 or k2 < 3.5
    # x = c(1:20, 100, 200) with winmax 1 still fails
    y = np.r_[np.arange(1.0, 21), 100.0, 200.0]
    ty, _ = winsorise(y, winmax=1)
    s3, k3 = skew_kurtosis(ty)
    assert abs(s3) >= 2 and k3 >= 3.5


def test_skew_kurtosis_match_excel_definitions():
    # bias-corrected (Excel SKEW / KURT, e1071 type 2), closed forms on 1..5 and 1, 2, 3, 10
    s, k = skew_kurtosis([1, 2, 3, 4, 5])
    assert s == pytest.approx(0.0, abs=1e-12) and k == pytest.approx(-1.2, abs=1e-12)
    x = np.array([1.0, 2, 3, 10])
    n, m, sd = 4, x.mean(), x.std(ddof=1)
    excel_skew = n / ((n - 1) * (n - 2)) * (((x - m) / sd) ** 3).sum()
    assert skew_kurtosis(x)[0] == pytest.approx(excel_skew, abs=1e-12)


def test_outlier_treatment_reaches_the_ranks():
    A = pd.DataFrame(
        {"x0": np.r_[np.linspace(0.1, 0.2, 11), 1.0], "x1": np.linspace(0.9, 0.1, 12)},
        index=[f"u{i:02d}" for i in range(12)],
    )
    s = make_scheme({"d": [("x0", 50), ("x1", 50)]})
    d = km.diagnose(s, long(A))
    out = d.tables["outliers"].set_index("indicator")
    assert out.loc["x0", "flagged"] and out.loc["x0", "treated_units"] == "u11"
    v = d.tables["outlier_values"]
    assert v["treated_value"].tolist() == [pytest.approx(0.2)]
    r = d.tables["outlier_ranks"].set_index("unit")
    # u11 led with 50 * 1.0 + 50 * 0.1 = 55 points; winsorised to 0.2 it has 15, below
    # u10's 50 * 0.2 + 50 * (0.9 - 0.8 * 10 / 11) = 18.6, so it drops from 1st to 12th
    assert (r.loc["u11", "rank"], r.loc["u11", "treated_rank"], r.loc["u11", "shift"]) == (
        1,
        12,
        -11,
    )
    p = km.diagnose(s, long(A), outliers="percentile", percentiles=(0.1, 0.9))
    assert p.tables["outliers"]["n_treated"].sum() > 0
    n = km.diagnose(s, long(A), outliers="none")
    assert n.tables["outlier_values"].empty and n.tables["outlier_ranks"].empty


# --- imputation ------------------------------------------------------------------------


def test_imputation_methods():
    rng = np.random.default_rng(4)
    A = pd.DataFrame(
        rng.uniform(0.1, 0.9, (10, 3)), index=[f"u{i}" for i in range(10)], columns=["a", "b", "c"]
    )
    obs = long(A)
    gap = obs[(obs["unit"] == "u3") & (obs["indicator"] == "b")].index
    prev = obs.assign(value=obs["value"] * 0 + 0.99)  # last year everyone had 0.99
    s = make_scheme({"d": [("a", 40), ("b", 30), ("c", 30)]})
    d = km.diagnose(s, obs.drop(gap), previous=prev)
    t = d.tables["imputation"].set_index("method")
    assert set(t.index) == {"zero", "rescale", "group_median", "carry_forward"}
    assert (t["n_missing"] == 1).all() and (t["n_filled"] == 1).all()
    assert t.loc["zero", "units_moved"] == 0  # the scheme's own policy is 'zero'
    r = d.tables["imputation_ranks"].set_index("unit")
    # carry-forward gives u3 0.99 on b: it can only move up against the zero policy
    assert r.loc["u3", "rank_carry_forward"] <= r.loc["u3", "rank"]


# --- bad input ---------------------------------------------------------------------------


def test_too_few_units_is_a_clear_error():
    s = make_scheme({"d": [("a", 50), ("b", 50)]})
    A = pd.DataFrame({"a": [0.1, 0.5], "b": [0.2, 0.3]}, index=["u1", "u2"])
    with pytest.raises(km.DataError, match="at least 3 units"):
        km.diagnose(s, long(A))


def test_not_a_scheme():
    with pytest.raises(km.SchemeError, match="expected a Scheme"):
        km.diagnose({"id": "x"}, pd.DataFrame({"unit": [], "indicator": [], "value": []}))


def test_bad_arguments_listed_together():
    s = km.examples.scheme("kunming_2025")
    o = km.datasets.load("observations_2025")
    with pytest.raises(km.DataError) as e:
        km.diagnose(s, o, threshold=0, bounds={"key": (0.5, 0.6), "zzz": (0, 1)}, outliers="x")
    msg = str(e.value)
    for part in ("threshold", "zzz", "exclude the nominal share", "outliers"):
        assert part in msg


def test_bad_observations_are_reported_by_the_engine():
    s = km.examples.scheme("kunming_2025")
    o = km.datasets.load("observations_2025").copy()
    o["value"] = o["value"].astype(object)
    o.loc[0, "indicator"] = "no_such"
    o.loc[1, "value"] = "abc"
    with pytest.raises(km.DataError) as e:
        km.diagnose(s, o)
    assert "no_such" in str(e.value) and "abc" in str(e.value)


def test_constant_indicator_is_flagged_not_fatal():
    rng = np.random.default_rng(2)
    A = pd.DataFrame(
        rng.uniform(0.1, 0.9, (8, 3)), index=[f"u{i}" for i in range(8)], columns=["a", "b", "c"]
    )
    A["c"] = 0.5
    s = make_scheme({"d": [("a", 40), ("b", 30)], "e": [("c", 30)]})
    d = km.diagnose(s, long(A))
    assert any("constant across units" in n and "c" in n for n in d.notes)
    assert d.table.set_index("indicator").loc["c", "effective_share"] == 0.0
    assert np.isnan(d.tables["correlation_pearson"].loc["a", "c"])


# --- charts and export -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["weights", "bod", "remove_one", "correlation"])
def test_plots(shipped, kind):
    ax = shipped[2].plot(kind)
    assert ax.get_title()


def test_unknown_plot(shipped):
    with pytest.raises(km.DataError, match="unknown plot"):
        shipped[2].plot("pie")


def test_to_excel_round_trip(shipped, tmp_path):
    d = shipped[2]
    path = d.to_excel(tmp_path / "d.xlsx")
    back = pd.read_excel(path, sheet_name=None)
    assert "indicators" in back and "bod" in back and "remove_one" in back
    assert back["indicators"]["indicator"].tolist() == d.table["indicator"].tolist()
    again = d.to_excel(tmp_path / "again.xlsx")
    assert again.read_bytes() == path.read_bytes()  # byte-identical for the same result


def test_lazy_import():
    import subprocess
    import sys

    code = "import sys, kmmodel; kmmodel.diagnose; print('scipy' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_three_units_are_diagnosed_with_the_caveat_in_words():
    s = km.examples.scheme("kunming_2025")
    o = km.datasets.load("observations_2025")
    d = km.diagnose(s, o[o["unit"].isin(["wuhua", "panlong", "guandu"])])
    assert "no inferential weight" in d.notes[0] and "no inferential weight" in d.verdict()
    key = d.tables["pca"].query("dimension == 'key'")["note"].iloc[0]
    assert "at most 2 non-zero eigenvalues" in key
