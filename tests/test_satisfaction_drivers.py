"""Key-driver analysis: LMG/Shapley and relative weights against definitions and analytic cases."""

from __future__ import annotations

from itertools import permutations
from math import factorial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import satisfaction as sat


@pytest.fixture(scope="module")
def survey():
    return km.datasets.load("survey")


def _ols_r2(df, y, xs) -> float:
    import statsmodels.formula.api as smf

    if not xs:
        return 0.0
    return float(smf.ols(f"{y} ~ " + " + ".join(xs), df).fit().rsquared)


def test_lmg_equals_average_over_orderings(survey):
    """The definition: one statsmodels OLS per subset, averaged over all k! orders."""
    drivers = ["education", "health", "transport", "safety"]
    cache: dict[frozenset, float] = {}

    def r2(sub):
        key = frozenset(sub)
        if key not in cache:
            cache[key] = _ols_r2(survey, "overall", sorted(sub))
        return cache[key]

    ref = dict.fromkeys(drivers, 0.0)
    for order in permutations(drivers):
        for i, d in enumerate(order):
            ref[d] += (r2(order[: i + 1]) - r2(order[:i])) / factorial(len(drivers))
    kd = sat.key_drivers(survey, "overall", drivers, n_boot=0).set_index("driver")
    np.testing.assert_allclose(kd.loc[drivers, "share"].to_numpy(), list(ref.values()), atol=1e-12)
    assert kd.attrs["r2"] == pytest.approx(r2(drivers), abs=1e-12)


def test_two_driver_closed_form():
    """k = 2: share_1 = (r_1^2 + R^2 - r_2^2) / 2 (Lindeman, Merenda & Gold 1980)."""
    rng = np.random.default_rng(3)
    x1 = rng.normal(size=500)
    x2 = 0.6 * x1 + rng.normal(size=500)
    y = x1 + 0.5 * x2 + rng.normal(size=500)
    df = pd.DataFrame({"y": y, "x1": x1, "x2": x2})
    r1, r2_ = np.corrcoef(y, x1)[0, 1] ** 2, np.corrcoef(y, x2)[0, 1] ** 2
    full = _ols_r2(df, "y", ["x1", "x2"])
    kd = sat.key_drivers(df, "y", ["x1", "x2"], n_boot=0).set_index("driver")
    assert kd.loc["x1", "share"] == pytest.approx((r1 + full - r2_) / 2, abs=1e-12)
    assert kd.loc["x2", "share"] == pytest.approx((r2_ + full - r1) / 2, abs=1e-12)


def test_uncorrelated_drivers_get_their_squared_correlation():
    """Orthogonal drivers: both LMG and relative weights equal r_yj^2 (Grömping 2006, sec. 1)."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(400, 3))
    q, _ = np.linalg.qr(z - z.mean(axis=0))  # exactly orthogonal, centred columns
    x = q * np.sqrt(400)
    y = x @ [0.5, 0.3, 0.1] + rng.normal(size=400)
    df = pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})
    r = np.array([np.corrcoef(y, x[:, j])[0, 1] ** 2 for j in range(3)])
    for method in sat.drivers.METHODS:
        kd = sat.key_drivers(df, "y", ["a", "b", "c"], method, n_boot=0).set_index("driver")
        np.testing.assert_allclose(kd.loc[["a", "b", "c"], "share"], r, atol=1e-10)


@pytest.mark.parametrize("method", ["lmg", "relative_weights"])
def test_shares_sum_to_r2_weighted(survey, method):
    drivers = list(sat.ATTRIBUTES)
    kd = sat.key_drivers(survey, "overall", drivers, method, weights="weight", n_boot=0)
    import statsmodels.formula.api as smf

    wls = smf.wls("overall ~ " + " + ".join(drivers), survey, weights=survey["weight"]).fit()
    assert kd["share"].sum() == pytest.approx(wls.rsquared, abs=1e-12)
    assert kd.attrs["r2"] == pytest.approx(wls.rsquared, abs=1e-12)
    assert kd["share_of_r2"].sum() == pytest.approx(1.0)
    assert (kd["share"] > 0).all()
    assert list(kd["rank"]) == list(range(1, 7))
    assert kd["share"].is_monotonic_decreasing


@given(st.permutations(list(range(6))), st.sampled_from(["lmg", "relative_weights"]))
def test_shares_do_not_depend_on_driver_order(order, method):
    df = _small_survey()
    drivers = [list(sat.ATTRIBUTES)[i] for i in order]
    base = sat.key_drivers(df, "overall", list(sat.ATTRIBUTES), method, n_boot=0).set_index(
        "driver"
    )
    perm = sat.key_drivers(df, "overall", drivers, method, n_boot=0).set_index("driver")
    np.testing.assert_allclose(perm.loc[base.index, "share"], base["share"], atol=1e-12)


@given(st.floats(0.1, 100), st.floats(-50, 50))
def test_shares_invariant_to_linear_rescaling(scale, shift):
    df = _small_survey()
    moved = df.assign(health=df["health"] * scale + shift)
    a = sat.key_drivers(df, "overall", ["health", "safety", "transport"], n_boot=0)
    b = sat.key_drivers(moved, "overall", ["health", "safety", "transport"], n_boot=0)
    np.testing.assert_allclose(a["share"], b["share"], atol=1e-10)


_SMALL: list = []


def _small_survey() -> pd.DataFrame:
    if not _SMALL:
        _SMALL.append(km.datasets.load("survey").head(600))
    return _SMALL[0]


def test_bootstrap_intervals_seeded(survey):
    drivers = ["health", "safety", "gov_service"]
    a = sat.key_drivers(survey, "overall", drivers, n_boot=200, seed=11)
    b = sat.key_drivers(survey, "overall", drivers, n_boot=200, seed=11)
    c = sat.key_drivers(survey, "overall", drivers, n_boot=200, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["low"], c["low"])
    assert ((a["low"] <= a["share"]) & (a["share"] <= a["high"])).all()
    g = sat.key_drivers(survey, "overall", drivers, n_boot=200, seed=np.random.default_rng(11))
    pd.testing.assert_frame_equal(a, g)


def test_recovers_driver_order_of_true_effects(survey):
    """gov_service has the largest true effect and similar spread: it ranks first."""
    kd = sat.key_drivers(survey, "overall", list(sat.ATTRIBUTES), n_boot=0)
    assert kd["driver"].iloc[0] == "gov_service"
    assert kd["driver"].iloc[-1] in {"environment", "transport", "education"}


def test_subset_r2_matches_ols(survey):
    drivers = ["health", "safety", "transport"]
    corr = survey[["overall", *drivers]].corr().to_numpy()
    r2 = sat.subset_r2(corr)
    assert r2[0] == 0
    assert r2[0b101] == pytest.approx(
        _ols_r2(survey, "overall", ["health", "transport"]), abs=1e-12
    )


def test_bad_inputs(survey):
    s = survey.head(100).copy()
    s["flat"] = 2
    s.loc[3, "health"] = np.nan
    with pytest.raises(km.DataError) as err:
        sat.key_drivers(s, "overall", ["flat", "health", "safety"])
    msg = str(err.value)
    assert "column flat" in msg and "constant" in msg and "column health" in msg and "row 5" in msg
    with pytest.raises(km.DataError, match="method"):
        sat.key_drivers(survey, "overall", ["health", "safety"], method="pratt")
    with pytest.raises(km.DataError, match="up to 12"):
        sat.key_drivers(
            survey.assign(**{f"x{i}": survey["health"] + i for i in range(13)}),
            "overall",
            [f"x{i}" for i in range(13)],
        )
    dup = survey.assign(health2=survey["health"] * 2 + 1)
    with pytest.raises(km.DataError, match="collinear"):
        sat.key_drivers(dup, "overall", ["health", "health2", "safety"])
    with pytest.raises(km.DataError, match="not found"):
        sat.key_drivers(survey, "overall", ["health", "nope"])
    with pytest.raises(km.DataError, match="at least 2"):
        sat.key_drivers(survey, "overall", ["health"])
    with pytest.raises(km.DataError, match="weights must be positive"):
        sat.key_drivers(
            survey.assign(weight=0.0), "overall", ["health", "safety"], weights="weight"
        )
