"""Benford test: reference digit laws, Nigrini's MAD bands, conformity at stated sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from kmmodel import monitoring
from kmmodel.errors import DataError
from kmmodel.monitoring.benford import BAND_NAMES


def test_expected_shares_match_benfords_law():
    # Benford (1938) / Newcomb (1881): P(d) = log10(1 + 1/d); P(1) = log10 2 = 0.30103
    first = monitoring.expected_shares(1)
    assert first[1] == pytest.approx(0.30103, abs=5e-6)
    assert first[9] == pytest.approx(0.04576, abs=5e-6)
    assert first.sum() == pytest.approx(1.0)
    two = monitoring.expected_shares(2)
    assert two[10] == pytest.approx(0.04139, abs=5e-6)  # log10(1.1)
    assert two[99] == pytest.approx(0.004365, abs=5e-7)  # log10(100/99)
    assert two.sum() == pytest.approx(1.0)
    # the first-two-digit law sums to the first-digit law
    marg = two.groupby(two.index // 10).sum()
    np.testing.assert_allclose(marg.to_numpy(), first.to_numpy(), rtol=1e-12)


def test_mad_bands_are_nigrinis_published_values():
    # Nigrini (2012), Benford's Law, Table 7.1
    assert monitoring.MAD_BANDS[1] == (0.006, 0.012, 0.015)
    assert monitoring.MAD_BANDS[2] == (0.0012, 0.0018, 0.0022)
    assert monitoring.mad_band(0.0059, 1) == "close conformity"
    assert monitoring.mad_band(0.0100, 1) == "acceptable conformity"
    assert monitoring.mad_band(0.0140, 1) == "marginally acceptable"
    assert monitoring.mad_band(0.0151, 1) == "nonconformity"
    assert monitoring.mad_band(0.0019, 2) == "marginally acceptable"
    assert monitoring.mad_band(0.0023, 2) == "nonconformity"
    assert list(monitoring.mad_band(np.array([0.001, 0.02]), 1)) == [BAND_NAMES[0], BAND_NAMES[3]]


@pytest.mark.parametrize(
    ("x", "d1", "d2"),
    [(1234.5, 1, 12), (0.0456, 4, 45), (1000, 1, 10), (999.99, 9, 99), (0.3, 3, 30),
     (1e-5, 1, 10), (7, 7, 70), (98765432.1, 9, 98),
     # binary noise must not change a digit: 0.1 + 0.2 = 0.30000000000000004, 4.35 * 100 = 434.99999999999994
     (0.1 + 0.2, 3, 30), (4.35 * 100, 4, 43), (1.1 * 3, 3, 33)],
)  # fmt: skip
def test_leading_digits(x, d1, d2):
    assert monitoring.leading_digits([x], 1)[0] == d1
    assert monitoring.leading_digits([x], 2)[0] == d2


@given(seed=st.integers(0, 2**32 - 1))
def test_benford_drawn_data_conforms_at_n_5000(seed):
    # 10**U(0, 6) follows Benford's law exactly; at n = 5000 the expected first-digit MAD
    # is about 0.0033 (sd ~ 0.001), far below the 0.015 nonconformity bound
    x = 10 ** np.random.default_rng(seed).uniform(0, 6, 5000)
    res = monitoring.benford(x)
    assert res.conforms
    assert res.band in ("close conformity", "acceptable conformity")
    assert res.n == 5000


@given(seed=st.integers(0, 2**32 - 1))
def test_uniform_leading_digits_do_not_conform_at_n_300(seed):
    # uniform first digits: population MAD = mean |1/9 - log10(1 + 1/d)| = 0.0597
    x = np.random.default_rng(seed).integers(1, 10, 300) * 10.0 + 0.5
    res = monitoring.benford(x)
    assert not res.conforms
    assert res.p_value < 1e-6


def test_population_mad_of_uniform_digits():
    e = monitoring.expected_shares(1).to_numpy()
    assert np.mean(np.abs(1 / 9 - e)) == pytest.approx(0.0597, abs=5e-5)


@given(seed=st.integers(0, 2**32 - 1))
def test_first_two_digits(seed):
    rng = np.random.default_rng(seed)
    good = monitoring.benford(10 ** rng.uniform(0, 5, 20_000), digits=2)
    assert good.conforms and good.dof == 89
    flat = monitoring.benford(rng.uniform(10, 100, 3000), digits=2)
    assert not flat.conforms


def test_chi_square_matches_scipy():
    x = 10 ** np.random.default_rng(3).uniform(0, 4, 800) * 1.7
    res = monitoring.benford(x)
    exp = monitoring.expected_shares(1).to_numpy() * res.n
    ref = stats.chisquare(res.table["count"].to_numpy(), exp)
    assert res.chi2 == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue)
    assert res.mad == pytest.approx(np.mean(np.abs(res.table["observed"] - res.table["expected"])))
    assert res.table["count"].sum() == res.n
    assert "MAD" in res.summary()


@given(
    x=st.lists(st.floats(0.001, 1e9, allow_nan=False), min_size=1, max_size=60),
    k=st.integers(-3, 3),
    seed=st.integers(0, 1000),
)
def test_scale_by_powers_of_ten_and_order_do_not_matter(x, k, seed):
    a = monitoring.benford(x)
    perm = np.random.default_rng(seed).permutation(len(x))
    b = monitoring.benford(np.asarray(x)[perm] * 10.0**k)
    assert a.table["count"].tolist() == b.table["count"].tolist()
    assert 0 <= a.mad <= 1 and 0 <= a.p_value <= 1


def test_non_positive_values_are_excluded_and_counted():
    res = monitoring.benford([0, -5, 12, 3, 150, 2.5], min_value=0)
    assert res.n == 4 and res.n_excluded == 2
    res = monitoring.benford([0, -5, 12, 3, 150, 2.5], min_value=10)
    assert res.n == 2 and res.n_excluded == 4


def test_bad_input_is_named():
    with pytest.raises(DataError, match=r"positions 1, 3"):
        monitoring.benford([1.0, np.nan, 2.0, np.inf])
    with pytest.raises(DataError, match="no positive value"):
        monitoring.benford([0.0, -1.0])
    with pytest.raises(DataError, match="digits must be 1"):
        monitoring.benford([1.0], digits=3)
    with pytest.raises(DataError, match="expected numbers"):
        monitoring.benford(["a", "b"])


def test_benford_by_agrees_with_single_tests():
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {
            "unit": np.repeat(["a", "b"], 400),
            "amount": np.r_[10 ** rng.uniform(1, 6, 400), rng.uniform(10_000, 100_000, 400)],
        }
    )
    tab = monitoring.benford_by(df, "amount", "unit").set_index("unit")
    for u in ("a", "b"):
        one = monitoring.benford(df.loc[df["unit"] == u, "amount"])
        assert tab.loc[u, "mad"] == pytest.approx(one.mad)
        assert tab.loc[u, "p_value"] == pytest.approx(one.p_value)
    assert not tab.loc["a", "flag"] and tab.loc["b", "flag"]
    with pytest.raises(DataError, match=r"missing column\(s\) \['value'\]"):
        monitoring.benford_by(df, "value", "unit")


def test_benford_by_first_two_digits_and_small_groups():
    rng = np.random.default_rng(9)
    df = pd.DataFrame({"g": ["a"] * 3000 + ["b"] * 10, "x": 10 ** rng.uniform(0, 5, 3010)})
    tab = monitoring.benford_by(df, "x", "g", digits=2).set_index("g")
    one = monitoring.benford(df.loc[df["g"] == "a", "x"], digits=2)
    assert tab.loc["a", "mad"] == pytest.approx(one.mad)
    assert tab.loc["a", "chi2"] == pytest.approx(one.chi2)
    assert not tab.loc["b", "flag"] and "not tested" in tab.loc["b", "reason"]
