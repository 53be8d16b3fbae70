"""Distortion checks: robust outliers, jumps, digit preference, two sources, bunching."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from kmmodel import monitoring
from kmmodel.errors import DataError
from kmmodel.monitoring import synthetic
from kmmodel.monitoring._common import robust_z

# ---------------------------------------------------------------- robust outliers


def test_modified_z_reference_example():
    # Iglewicz & Hoaglin (1993): M = 0.6745 (x - median) / MAD. For 1, 2, 3, 4, 100:
    # median 3, MAD 1, so M(100) = 0.6745 * 97 = 65.43 and M(1) = -1.349
    res = monitoring.outliers(pd.DataFrame({"v": [1.0, 2, 3, 4, 100]}), "v")
    ref = 0.6745 * np.array([-2.0, -1.0, 0.0, 1.0, 97.0])  # 0.6745 as printed by I&H
    np.testing.assert_allclose(res.table["z"], ref, rtol=1e-4)
    assert res.table["flag"].tolist() == [False, False, False, False, True]
    assert res.flagged["v"].tolist() == [100.0]


def test_robust_z_matches_scipy_mad():
    x = pd.Series(np.random.default_rng(0).standard_t(3, 101))
    mad = stats.median_abs_deviation(x, scale="normal")
    np.testing.assert_allclose(robust_z(x), (x - np.median(x)) / mad, rtol=1e-12)


def test_zero_mad_falls_back_to_mean_absolute_deviation():
    # MAD = 0 (most values equal): use 1.2533 x mean absolute deviation (IBM SPSS, I&H)
    x = pd.Series([5.0, 5, 5, 5, 9])
    z = robust_z(x)
    assert z[4] == pytest.approx(4 / (1.2533141373155001 * 0.8))
    assert (z[:4] == 0).all()
    assert (robust_z(pd.Series([2.0, 2.0])) == 0).all()


@given(
    x=st.lists(st.integers(-(10**6), 10**6), min_size=3, max_size=40),
    a=st.integers(-1000, 1000),
    k=st.integers(-3, 5),
)
def test_robust_z_is_affine_invariant(x, a, k):
    # integers and powers of two keep a + b x exact in floating point
    s = pd.Series(x, dtype=float)
    z1, z2 = robust_z(s), robust_z(a + 2.0**k * s)
    finite = np.isfinite(z1) & (np.abs(z1) < 1e6)
    np.testing.assert_allclose(z1[finite], z2[finite], rtol=1e-6, atol=1e-6)


def test_groups_are_scored_separately():
    df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5, "v": [1.0, 2, 3, 4, 5, 100, 200, 300, 400, 500]})
    res = monitoring.outliers(df, "v", by="g")
    np.testing.assert_allclose(res.table["z"][:5], res.table["z"][5:])
    with pytest.raises(DataError, match=r"expected finite numbers in row 3"):
        monitoring.outliers(df.assign(v=[1.0, np.nan] + [1.0] * 8), "v")
    with pytest.raises(DataError, match="missing column"):
        monitoring.outliers(df, "w")


@pytest.fixture(scope="module")
def shipped():
    import kmmodel as km

    return km.datasets.load("monthly_progress")


def test_feed_outliers_find_the_planted_entry_error(shipped):
    res = monitoring.feed_outliers(shipped, 2025, threshold=6.0)
    top = res.flagged.iloc[0]
    assert (top["unit"], top["indicator"], top["month"]) == ("fumin", "tax_revenue", 6)
    # only planted units are flagged at this cut-off
    assert set(res.flagged["unit"]) <= {"fumin", "xundian"}


# ---------------------------------------------------------------- jumps and spikes


def test_jumps_find_the_planted_december_spike(shipped):
    res = monitoring.jumps(shipped, 2025, threshold=5.0)
    flagged = res.flagged.set_index(["unit", "indicator"])
    assert flagged.loc[("xundian", "industrial_value_added"), "spike"]
    assert flagged.loc[("fumin", "tax_revenue"), "jump"]
    assert flagged.loc[("fumin", "tax_revenue"), "jump_month"] == 6
    assert len(flagged) == 2
    # the spike is seen at the end of the period only
    june = monitoring.jumps(shipped, 2025, month=6, threshold=5.0).flagged
    assert "xundian" not in set(june.loc[june["spike"], "unit"])


def test_common_seasonality_is_not_a_spike():
    # every unit books 40% in December: nobody stands out from peers
    units = [f"u{i}" for i in range(12)]
    f = synthetic.make_feed(units=units, indicators=["budget_execution"], seed=3, plant=False)
    assert not monitoring.jumps(f, 2025, threshold=5.0).table["spike"].any()
    with pytest.raises(DataError, match="last must be 1-6"):
        monitoring.jumps(f, 2025, last=9)


# ---------------------------------------------------------------- digit preference


def test_last_digits():
    assert monitoring.last_digits([123_450_000, 99_990_000, 12_000], 10_000).tolist() == [5, 9, 1]


def test_digit_preference_reference_and_flags():
    rng = np.random.default_rng(2)
    honest = rng.uniform(1e6, 1e8, 400)
    heaped = np.round(rng.uniform(1e6, 1e8, 400) / 50_000) * 50_000
    df = pd.DataFrame({"unit": ["h"] * 400 + ["r"] * 400, "v": np.r_[honest, heaped]})
    res = monitoring.digit_preference(df, "v", "unit", resolution=10_000)
    t = res.table.set_index("unit")
    assert not t.loc["h", "flag"] and t.loc["r", "flag"]
    assert t.loc["r", "preferred_share"] == 1.0 and t.loc["h", "expected_share"] == 0.2
    ref = stats.chisquare(res.counts.set_index("unit").loc["h"].to_numpy())
    assert t.loc["h", "chi2"] == pytest.approx(ref.statistic)
    assert t.loc["h", "p_value"] == pytest.approx(ref.pvalue)
    # arrays work too; too few figures are not tested
    small = monitoring.digit_preference(np.array([10.0, 20, 30]))
    assert not small.table["flag"].any() and "not tested" in small.table["reason"][0]
    with pytest.raises(DataError, match="preferred digits must be in 0-9"):
        monitoring.digit_preference(honest, preferred=(12,))


@given(seed=st.integers(0, 10_000))
def test_uniform_last_digits_rarely_flagged(seed):
    x = np.random.default_rng(seed).integers(10_000, 10_000_000, 200) * 1.0
    res = monitoring.digit_preference(x, alpha=1e-6)
    assert not res.table["flag"][0]


# ---------------------------------------------------------------- two sources


def test_consistency_by_hand():
    rep = pd.DataFrame({"unit": list("abcde"), "value": [100.0, 103.0, 112.0, 99.0, 100.5]})
    oth = pd.DataFrame({"unit": list("abcdf"), "value": [100.0, 100.0, 100.0, 100.0, 1.0]})
    res = monitoring.consistency(rep, oth, on=["unit"], tolerance=0.05)
    t = res.table.set_index("unit")
    np.testing.assert_allclose(t["rel_diff"], [0.0, 0.03, 0.12, -0.01])
    assert t["flag"].tolist() == [False, False, True, False]
    assert set(res.unmatched["unit"]) == {"e", "f"}
    assert res.flagged["unit"].tolist() == ["c"]


def test_consistency_finds_the_planted_mismatch():
    import kmmodel as km

    feed = km.datasets.load("monthly_progress")
    tp = km.datasets.load("third_party_checks")
    rep = feed[(feed["month"] == 12) & (feed["year"] >= 2023)].rename(columns={"actual": "value"})
    res = monitoring.consistency(rep, tp, tolerance=0.03)
    got = set(map(tuple, res.flagged[["unit", "indicator", "year"]].astype(str).to_numpy()))
    assert got == {
        ("luquan", "livelihood_spending", "2024"),
        ("luquan", "livelihood_spending", "2025"),
    }
    assert res.noise_sd == pytest.approx(0.008, rel=0.25)  # the generator's 0.8% noise


def test_consistency_bad_input():
    rep = pd.DataFrame({"unit": ["a", "a", "b"], "value": [1.0, 2.0, "x"]})
    oth = pd.DataFrame({"unit": ["a", "b"], "value": [0.0, 1.0]})
    with pytest.raises(DataError) as exc:
        monitoring.consistency(rep, oth, on=["unit"])
    assert "expected finite numbers in row 4" in str(exc.value)
    assert "duplicate keys ['unit'] in rows 2, 3" in str(exc.value)
    with pytest.raises(DataError, match=r"values must be > 0 in row 2"):
        monitoring.consistency(rep.iloc[:1], oth, on=["unit"])
    with pytest.raises(DataError, match="no quantity appears in both"):
        monitoring.consistency(rep.iloc[:1], oth.iloc[1:], on=["unit"])


# ---------------------------------------------------------------- bunching


def test_bunching_binomial_by_hand():
    # 10 values just above, 0 just below; flat null: p = 0.5**10
    df = pd.DataFrame({"v": [1.001] * 10 + [0.5, 1.5]})
    res = monitoring.bunching(df, "v", thresholds=[1.0], width=0.02)
    row = res.table.iloc[0]
    assert (row["n_above"], row["n_below"]) == (10, 0)
    assert row["p_value"] == pytest.approx(0.5**10)
    assert row["flag"]
    # 3 above and 3 below: P(X >= 3 | n=6, 1/2) = 42/64
    df = pd.DataFrame({"v": [0.99, 0.985, 0.995, 1.0, 1.01, 1.019]})
    row = monitoring.bunching(df, "v", [1.0], min_count=1).table.iloc[0]
    assert row["p_value"] == pytest.approx(42 / 64) and not row["flag"]


@given(seed=st.integers(0, 10_000))
def test_smooth_values_do_not_bunch_but_gamed_ones_do(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.8, 1.2, 2000)
    assert not monitoring.bunching(pd.DataFrame({"v": x}), "v", [1.0], alpha=1e-4).table["flag"][0]
    gamed = np.where((x >= 0.95) & (x < 1.0), 1.0 + (x - 0.95) / 5, x)
    assert monitoring.bunching(pd.DataFrame({"v": gamed}), "v", [1.0]).table["flag"][0]


def test_bunching_finds_the_planted_unit_only():
    import kmmodel as km

    comp = monitoring.completion(km.datasets.load("monthly_progress"))
    res = monitoring.bunching(comp, "completion", [1.0], by="unit")
    assert res.flagged["unit"].tolist() == ["jingkai"]
    # the flat null ignores that most units just exceed their targets
    flat = monitoring.bunching(comp, "completion", [1.0], by="unit", null="flat")
    assert flat.table["expected_above"].eq(0.5).all()
    with pytest.raises(DataError, match="at least one finite scoring threshold"):
        monitoring.bunching(comp, "completion", [])


@given(
    rel=st.lists(st.floats(-0.5, 0.5), min_size=2, max_size=30),
    tol=st.floats(0.0, 0.2),
)
def test_consistency_flags_exactly_the_pairs_beyond_tolerance(rel, tol):
    other = pd.DataFrame({"k": range(len(rel)), "value": 1000.0})
    rep = pd.DataFrame({"k": range(len(rel)), "value": 1000.0 * (1 + np.asarray(rel))})
    res = monitoring.consistency(rep, other, on=["k"], tolerance=tol)
    expect = np.abs(res.table["rel_diff"].to_numpy()) > tol
    assert (res.table["flag"].to_numpy() == expect).all()
    assert res.table["p_value"].between(0, 1).all()


def test_feed_outliers_within_unit_groups(shipped):
    import kmmodel as km

    groups = km.datasets.load("units")[["unit", "group"]]
    res = monitoring.feed_outliers(
        shipped.merge(groups, on="unit"), 2025, threshold=6.0, peers="group"
    )
    assert "group" in res.table.columns
    assert res.flagged.iloc[0][["unit", "month"]].tolist() == ["fumin", 6]
    # the development zones are compared with each other only
    zones = res.table[res.table["group"] == "development_zone"]
    assert set(zones["unit"]) == {"gaoxin", "jingkai", "dianchi", "yangzonghai"}
    with pytest.raises(DataError, match="missing column"):
        monitoring.feed_outliers(shipped, 2025, peers="group")


def test_longer_end_window_and_multi_column_groups(shipped):
    res = monitoring.jumps(shipped, 2025, last=3, threshold=5.0)
    assert res.flagged["unit"].tolist() == ["fumin", "xundian"]
    whole = monitoring.jumps(shipped, 2025, month=3, last=3).table
    np.testing.assert_allclose(whole["end_share"], 1.0)  # the window is the whole year so far
    assert not whole["spike"].any()
    d = monitoring.digit_preference(shipped, "actual", ["unit", "year"], resolution=10_000)
    assert d.flagged[["unit", "year"]].values.tolist() == [["songming", 2025]]
    assert len(d.table) == 18 * 5
