"""Discounting and appraisal metrics against outside references (numpy-financial, closed forms)."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmmodel import costbenefit as cba
from kmmodel.errors import DataError

REL = 1e-9


# ---------------------------------------------------------------- discount factors


def test_year_zero_is_one_and_length_is_n_plus_one():
    for sched in (0.05, "china", "china_long", "green_book", [0.03, 0.04, 0.05]):
        d = cba.discount_factors(3, sched)
        assert d.shape == (4,)
        assert d[0] == 1.0


def test_china_schedule_is_8_percent_and_its_long_lived_floor_6_percent():
    # 《建设项目经济评价方法与参数》(第三版, 2006): 社会折现率 8%, 不应低于 6%
    t = np.arange(41)
    np.testing.assert_allclose(cba.discount_factors(40, "china"), 1.08**-t, rtol=REL)
    np.testing.assert_allclose(cba.discount_factors(40, "china_long"), 1.06**-t, rtol=REL)


def test_green_book_factors_follow_the_product_rule_at_band_edges():
    # HM Treasury Green Book: 3.5% for years 1-30, 3.0% for 31-75, 2.5% for 76-125,
    # each year discounted at its band's rate on top of the previous year's factor
    d = cba.discount_factors(130, "green_book")
    d30 = 1.035**-30
    d31 = d30 / 1.03
    d75 = d30 * 1.03**-45
    d76 = d75 / 1.025
    assert d[30] == pytest.approx(d30, rel=REL)
    assert d[31] == pytest.approx(d31, rel=REL)
    assert d[75] == pytest.approx(d75, rel=REL)
    assert d[76] == pytest.approx(d76, rel=REL)
    # hand computation: 1.035 ** -30 = 0.356278...
    assert round(d[30], 4) == 0.3563


def test_green_book_late_bands():
    d = cba.discount_factors(400, "green_book")
    rates = np.diff(-np.log(d))  # log(1 + r_t)
    r = np.expm1(rates)
    assert r[0] == pytest.approx(0.035) and r[29] == pytest.approx(0.035)
    assert r[30] == pytest.approx(0.03) and r[74] == pytest.approx(0.03)
    assert r[75] == pytest.approx(0.025) and r[124] == pytest.approx(0.025)
    assert r[125] == pytest.approx(0.02) and r[199] == pytest.approx(0.02)
    assert r[200] == pytest.approx(0.015) and r[299] == pytest.approx(0.015)
    assert r[300] == pytest.approx(0.01) and r[399] == pytest.approx(0.01)


def test_per_year_schedule_matches_hand_product():
    d = cba.discount_factors(3, [0.1, 0.2, 0.05])
    np.testing.assert_allclose(d, [1, 1 / 1.1, 1 / (1.1 * 1.2), 1 / (1.1 * 1.2 * 1.05)], rtol=REL)


@pytest.mark.parametrize("n, r", [(10, 0.08), (30, 0.035), (1, 0.5), (50, 0.001)])
def test_annuity_factor_matches_closed_form(n, r):
    closed = (1 - (1 + r) ** -n) / r  # textbook annuity factor a(n, r)
    assert cba.annuity_factor(n, r) == pytest.approx(closed, rel=REL)


def test_fisher_relation_round_trip():
    assert cba.nominal_rate(0.03, 0.02) == pytest.approx(0.0506)
    assert cba.real_rate(cba.nominal_rate(0.03, 0.02), 0.02) == pytest.approx(0.03)


@given(st.floats(0.0, 0.3), st.integers(1, 60))
def test_factors_decrease_with_time_for_positive_rates(r, n):
    d = cba.discount_factors(n, r)
    assert np.all(np.diff(d) <= 0) and np.all(d > 0)


@given(st.floats(0.001, 0.2), st.floats(0.001, 0.2), st.integers(1, 40))
def test_higher_rate_never_raises_a_factor(r1, r2, n):
    lo, hi = sorted((r1, r2))
    assert np.all(cba.discount_factors(n, hi) <= cba.discount_factors(n, lo) + 1e-15)


# ---------------------------------------------------------------- NPV and IRR vs numpy-financial

CASES = [
    [-1000.0, 300, 400, 500],
    [-250.0, 100, -50, 200, 200],  # two sign changes but one positive root
    [-5e8, 2e7, 4e7, 6e7, 6e7, 6e7, 6e7, 6e7, 6e7, 6e7, 6e7, 1e8],
    [-100.0, 60, 60],
]


@pytest.mark.parametrize("flows", CASES)
@pytest.mark.parametrize("rate", [0.0, 0.035, 0.08, 0.25])
def test_npv_matches_numpy_financial(flows, rate):
    # numpy_financial.npv treats values[0] as time 0, like kmmodel
    assert cba.npv(flows, rate) == pytest.approx(npf.npv(rate, flows), rel=REL)


@pytest.mark.parametrize("flows", CASES)
def test_irr_matches_numpy_financial(flows):
    assert cba.irr(flows) == pytest.approx(npf.irr(flows), rel=REL)


def test_irr_hand_case_and_npv_zero_at_irr():
    # -100 + 60/(1+r) + 60/(1+r)^2 = 0  ->  1+r = (60 + sqrt(60^2 + 4*100*60)) / 200
    expected = (60 + np.sqrt(60**2 + 4 * 100 * 60)) / 200 - 1
    r = cba.irr([-100, 60, 60])
    assert r == pytest.approx(expected, rel=REL)
    assert abs(cba.npv([-100, 60, 60], r)) < 1e-9


@given(
    st.floats(1.0, 1e9),
    st.lists(st.floats(0.0, 1e9), min_size=1, max_size=40).filter(lambda x: sum(x) > 0),
)
def test_irr_exists_and_zeroes_npv_for_conventional_projects(cost, benefits):
    flows = np.array([-cost, *benefits])
    try:
        r = cba.irr(flows)
    except ValueError:
        # outside the search range only when benefits are tiny or enormous relative to cost
        total = sum(benefits)
        assert total / cost < 0.01 or total / cost > 50
        return
    scale = cost + sum(benefits)
    assert abs(cba.npv(flows, r)) <= 1e-7 * scale


def test_irr_not_unique_raises():
    # -1 + 5x - 6x^2 with x = 1/(1+r): roots x = 1/2, 1/3 -> r = 100% and 200%
    with pytest.raises(ValueError, match="not unique"):
        cba.irr([-1, 5, -6])


def test_irr_undefined_raises():
    with pytest.raises(ValueError, match="undefined"):
        cba.irr([100, 50, 20])
    with pytest.raises(ValueError, match="undefined"):
        cba.irr([-100, -50])


def test_irr_finds_roots_a_grid_steps_over():
    # analytic: the flows are the coefficients of prod (v - v_i), v_i = 1 / (1 + r_i), so
    # NPV(r) = 0 exactly at the chosen r_i (here 2 %, 2.05 %, 50 %; then 10.0 %, 10.1 %)
    three = np.poly([1 / 1.5, 1 / 1.02, 1 / 1.0205])[::-1]
    np.testing.assert_allclose(cba.irr_roots(three), [0.02, 0.0205, 0.5], rtol=1e-9)
    with pytest.raises(ValueError, match=r"not unique.*3 rates.*2\.0000%, 2\.0500%, 50\.0000%"):
        cba.irr(three)
    two = np.poly([1 / 1.100, 1 / 1.101])[::-1]
    np.testing.assert_allclose(cba.irr_roots(two), [0.100, 0.101], rtol=1e-9)
    with pytest.raises(ValueError, match=r"not unique.*10\.0000%, 10\.1000%"):
        cba.irr(two)


def test_irr_roots_outside_the_plausible_range_still_count():
    # roots at 10 % and 500 %: the old search stopped at 100 % and called 10 % unique
    flows = np.poly([1 / 1.1, 1 / 6.0])[::-1]
    with pytest.raises(ValueError, match="10.0000%, 500.0000%"):
        cba.irr(flows)
    # a unique root outside [low, high] is named, not returned
    with pytest.raises(ValueError, match="range"):
        cba.irr([-100, 60, 60], high=0.1)


def test_irr_double_root_is_one_rate():
    # -(1 - v)^2: NPV touches zero at r = 0 without crossing
    assert cba.irr_roots([-1.0, 2.0, -1.0]) == pytest.approx([0.0], abs=1e-7)


_RATES = st.lists(st.floats(-0.6, 3.0), min_size=1, max_size=5, unique=True)


@given(
    _RATES,
    st.lists(st.floats(-3.0, -0.05), max_size=2),  # negative v: no rate above -100 %
    st.lists(st.tuples(st.floats(0.2, 2.0), st.floats(0.05, 1.5)), max_size=2),  # complex pairs
    st.floats(1e-3, 1e9),
)
def test_irr_roots_give_back_the_rates_flows_were_built_from(rates, neg, pairs, scale):
    v = 1.0 / (1.0 + np.array(rates))
    if v.size > 1 and np.min(np.diff(np.sort(v)) / np.sort(v)[1:]) < 1e-3:
        return  # closer than 0.1 % in 1 + r: beyond what the test claims
    zs = [*v, *neg, *[complex(a, b) for a, b in pairs], *[complex(a, -b) for a, b in pairs]]
    flows = scale * np.real(np.poly(zs))[::-1]
    got = cba.irr_roots(flows)
    np.testing.assert_allclose(got, np.sort(rates), rtol=1e-7, atol=1e-9)
    if len(rates) == 1:
        r = cba.irr(flows)
        assert r == pytest.approx(rates[0], rel=1e-7, abs=1e-9)
        # numpy-financial (eigenvalues, nearest real root to 0) agrees where the IRR is unique
        assert r == pytest.approx(npf.irr(flows), rel=1e-6, abs=1e-9)
    else:
        with pytest.raises(ValueError, match=f"not unique: NPV is zero at {len(rates)} rates"):
            cba.irr(flows)


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30), st.floats(0.0, 0.2))
def test_npv_is_linear_in_flows(flows, r):
    f = np.array(flows)
    assert cba.npv(2 * f, r) == pytest.approx(2 * cba.npv(f, r), rel=1e-9, abs=1e-6)


def test_npv_vectorised_rows_equal_one_by_one():
    flows = np.array(CASES[0] * 2).reshape(2, 4) * [[1], [2]]
    out = cba.npv(flows, "green_book")
    assert out.shape == (2,)
    assert out[1] == pytest.approx(2 * cba.npv(flows[0], "green_book"))


def test_bcr_eac_payback_hand_cases():
    # benefits 110 at t=1, cost 100 at t=0 at 10%: PV ratio 1.0
    assert cba.bcr([0, 110], [100, 0], 0.10) == pytest.approx(1.0)
    # EAC of a 1000 outlay over 10 years at 8% = 1000 / a(10, 8%)
    closed = 1000 / ((1 - 1.08**-10) / 0.08)
    assert cba.equivalent_annual_cost([1000] + [0] * 10, 0.08) == pytest.approx(closed, rel=REL)
    # undiscounted payback: -100, +40, +40, +40 -> 2.5 years
    assert cba.discounted_payback([-100, 40, 40, 40], 0.0) == pytest.approx(2.5)
    assert np.isnan(cba.discounted_payback([-100, 10, 10], 0.05))
    np.testing.assert_allclose(cba.cost_effectiveness([100.0, 50.0], [4.0, 0.0]), [25.0, np.nan])


# ---------------------------------------------------------------- bad input


def test_bad_schedules_are_named():
    with pytest.raises(DataError, match="unknown discount schedule 'uk'"):
        cba.discount_factors(5, "uk")
    with pytest.raises(DataError, match="above -100%"):
        cba.discount_factors(5, -1.5)
    with pytest.raises(DataError, match="one rate for each of years 1..5"):
        cba.discount_factors(5, [0.03, 0.03])
    with pytest.raises(DataError, match="year\\(s\\) 2"):
        cba.discount_factors(2, [0.03, float("nan")])
    with pytest.raises(DataError, match="n_years"):
        cba.discount_factors(-1, 0.03)


def test_nan_flows_rejected_with_their_years():
    with pytest.raises(DataError, match="year 1, year 3"):
        cba.npv([-100, np.nan, 50, np.inf], 0.05)
    with pytest.raises(ValueError, match="flows"):
        cba.irr([-100, np.nan, 50])
    with pytest.raises(DataError, match="same years"):
        cba.bcr([1, 2, 3], [1, 2], 0.05)


@given(st.lists(st.lists(st.floats(-1e3, 1e3), min_size=4, max_size=4), min_size=1, max_size=8))
def test_payback_vectorised_equals_row_by_row(rows):
    f = np.array(rows)
    f[:, 0] = -abs(f[:, 0]) - 1.0  # an outlay first
    many = cba.discounted_payback(f, 0.05)
    one = [cba.discounted_payback(r, 0.05) for r in f]
    np.testing.assert_allclose(many, one, equal_nan=True)
    for r, p in zip(f, one):
        if np.isfinite(p):  # cumulative discounted flow is below zero before the payback year
            cum = np.cumsum(r * cba.discount_factors(3, 0.05))
            assert np.all(cum[: int(np.ceil(p))] < 0)
            assert cum[int(np.ceil(p))] >= 0
