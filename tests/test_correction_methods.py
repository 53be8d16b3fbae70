"""Correction methods: analytic results, invariants and bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kmmodel.correction import METHODS, Panel, correct, register, totals
from kmmodel.correction.methods import ratio_score
from kmmodel.errors import DataError


def panel(
    actual,
    exposure,
    sensitivity,
    *,
    target=100.0,
    previous=None,
    months=12.0,
    weights=None,
    group=None,
):
    actual = np.asarray(actual, dtype=float)
    n_u, n_i = actual.shape
    return Panel(
        actual=actual,
        target=np.full(n_i, target),
        previous=actual.copy() if previous is None else np.asarray(previous, dtype=float),
        previous_target=np.full(n_i, target),
        exposure=np.asarray(exposure, dtype=float),
        months=np.broadcast_to(np.asarray(months, dtype=float), (n_u,)).copy(),
        sensitivity=np.broadcast_to(np.asarray(sensitivity, dtype=float), (n_u, n_i)).copy(),
        weights=np.full(n_i, 100.0 / n_i) if weights is None else np.asarray(weights, dtype=float),
        direction=np.ones(n_i),
        group=np.zeros(n_u, dtype=int) if group is None else np.asarray(group),
    )


def test_registry_has_the_six_methods_of_the_issue():
    assert {
        "none",
        "coefficient",
        "target_rebase",
        "hold_harmless",
        "reweight",
        "counterfactual",
    } <= set(METHODS)


def test_coefficient_undoes_a_loss_the_sensitivity_table_predicts_exactly():
    # analytic: actual = clean * (1 - e s)  =>  actual / (1 - 1 * e s) = clean
    clean = np.array([[80.0, 90.0, 70.0], [95.0, 60.0, 85.0]])
    e = np.array([0.5, 0.0])
    s = np.array([0.4, 0.0, 0.8])
    actual = clean * (1 - e[:, None] * s)
    p = panel(actual, e, s)
    got = correct("coefficient", p, k=1.0, cap=None).score
    np.testing.assert_allclose(got, clean / 100.0, rtol=1e-12)
    # half strength: factor 1 / (1 - 0.5 e s)
    half = correct("coefficient", p, k=0.5, cap=None).score
    np.testing.assert_allclose(half[0], actual[0] / (1 - 0.5 * 0.5 * s) / 100.0)


def test_coefficient_cap_limits_the_factor():
    p = panel([[50.0]], [1.0], [0.9])  # 1 / (1 - 0.9) = 10 without a cap
    assert correct("coefficient", p, k=1.0, cap=1.5).score[0, 0] == pytest.approx(0.75)
    # a shock that wipes out the indicator (k e s = 1) is capped, never divides by zero
    p1 = panel([[40.0]], [1.0], [1.0])
    assert correct("coefficient", p1, k=1.0, cap=2.0).score[0, 0] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"k": -0.5}, "k must be a finite number >= 0"),
        ({"k": float("nan")}, "k must be a finite number >= 0"),
        ({"cap": 0.8}, "cap must be a finite number >= 1"),
        ({"k": 1.0, "cap": None}, "divide by zero or flip sign"),
    ],
)
def test_coefficient_rejects_parameters_that_divide_by_zero_or_flip_signs(params, needle):
    p = panel([[40.0, 50.0]], [1.0], [1.0, 0.2])
    with pytest.raises(DataError, match=needle):
        correct("coefficient", p, **params)


def test_coefficient_lists_both_bad_parameters_at_once():
    p = panel([[40.0]], [0.5], [0.5])
    with pytest.raises(DataError) as err:
        correct("coefficient", p, k=-1, cap=0.5)
    assert len(err.value.problems) == 2


def test_target_rebase_hand_computed():
    # target 100 scaled by 1 - 6/12 * 0.5 * 1 = 0.75 -> 75; actual 60 scores 60/75 = 0.8
    p = panel([[60.0, 60.0]], [0.5], [1.0, 0.0], months=6)
    got = correct("target_rebase", p).score
    np.testing.assert_allclose(got, [[0.8, 0.6]])


def test_hold_harmless_takes_the_better_of_two_years_for_affected_units_only():
    actual = [[50.0, 90.0], [50.0, 90.0]]
    prev = [[80.0, 70.0], [80.0, 70.0]]
    p = panel(actual, [0.3, 0.1], [1.0, 1.0], previous=prev)
    got = correct("hold_harmless", p).score  # Star Ratings: 25% exposure threshold
    np.testing.assert_allclose(got, [[0.8, 0.9], [0.5, 0.9]])


def test_reweight_drops_affected_indicators_and_rescales_the_rest():
    # weights 40/30/30; indicator 2 dropped for unit 0 -> total = (40*.5 + 30*.9) / 70 * 100
    p = panel([[50.0, 90.0, 10.0]], [0.5], [0.0, 0.0, 0.9], weights=[40, 30, 30])
    t = totals(correct("reweight", p))
    assert t[0] == pytest.approx((40 * 0.5 + 30 * 0.9) / 70 * 100)
    # every indicator dropped: the unit keeps its previous period's scores (MIPS: neutral)
    p2 = panel([[10.0, 10.0]], [0.9], [0.9, 0.9], previous=[[70.0, 90.0]])
    assert totals(correct("reweight", p2))[0] == pytest.approx(80.0)


def test_counterfactual_recovers_a_known_dose_response_exactly():
    # analytic DiD: every indicator moves by a common log change g; hit units also by
    # beta * x with x = exposure * sensitivity. The method estimates beta from the
    # hit units' excess change and removes it: corrected = previous * exp(g) * effort term.
    rng = np.random.default_rng(3)
    n_u, n_i = 8, 5
    prev = rng.uniform(60, 100, (n_u, n_i))
    own = rng.normal(0, 0.02, (n_u, 1)) * 0  # no own change: pure DiD world
    g = rng.normal(0.03, 0.01, n_i)
    e = np.array([0.0, 0.0, 0.0, 0.0, 0.3, 0.5, 0.7, 0.9])
    s = rng.uniform(0.2, 1.0, n_i)
    beta = -0.4
    clean = prev * np.exp(g + own)
    actual = clean * np.exp(beta * e[:, None] * s)
    p = panel(actual, e, s, previous=prev, target=200.0)
    got = correct("counterfactual", p).score
    np.testing.assert_allclose(got, clean / 200.0, rtol=1e-10)


def test_counterfactual_uses_peer_groups():
    # group 1's peers grew 10%, group 0's did not: each hit unit is compared with its own group
    prev = np.full((4, 1), 50.0)
    clean = prev * np.array([[1.0], [1.0], [1.1], [1.1]])
    e = np.array([0.0, 0.5, 0.0, 0.5])
    actual = clean * np.exp(-0.2 * e[:, None])
    p = panel(actual, e, [1.0], previous=prev, group=[0, 0, 1, 1])
    np.testing.assert_allclose(correct("counterfactual", p).score, clean / 100.0, rtol=1e-10)


def test_register_plugs_a_new_method_in():
    @register("test_double")
    def double(p):
        base = METHODS["none"](p)
        return base._replace(score=np.minimum(base.score * 2, 1.0))

    try:
        p = panel([[30.0]], [0.0], [0.0])
        assert correct("test_double", p).score[0, 0] == pytest.approx(0.6)
    finally:
        METHODS.pop("test_double")


def test_unknown_method_is_named():
    with pytest.raises(DataError, match="unknown correction method 'magic'"):
        correct("magic", panel([[1.0]], [0.0], [0.0]))


def test_panel_check_lists_every_bad_field():
    p = panel([[50.0, -1.0], [60.0, 70.0]], [1.4, -0.1], [[0.2, 1.5], [0.0, 0.0]], months=13)
    with pytest.raises(DataError) as err:
        p.check(units=["wuhua", "panlong"], indicators=["gdp", "tax"])
    text = str(err.value)
    assert "exposure" in text and "wuhua, panlong" in text
    assert "months" in text and "sensitivity" in text and "tax" in text
    assert "values a correction touches must be > 0" in text
    assert len(err.value.problems) == 5  # previous copies actual here


# ---------------------------------------------------------------- properties

shape = st.tuples(st.integers(3, 6), st.integers(1, 5))


@st.composite
def panels(draw):
    n_u, n_i = draw(shape)
    pos = st.floats(1.0, 200.0)
    actual = draw(arrays(float, (n_u, n_i), elements=pos))
    prev = draw(arrays(float, (n_u, n_i), elements=pos))
    hit = draw(arrays(bool, n_u))
    e = np.where(hit, draw(arrays(float, n_u, elements=st.floats(0.01, 1.0))), 0.0)
    s = draw(arrays(float, (n_u, n_i), elements=st.floats(0.0, 1.0)))
    months = draw(arrays(float, n_u, elements=st.integers(0, 12).map(float)))
    w = draw(arrays(float, n_i, elements=st.floats(0.5, 10.0)))
    group = draw(arrays(int, n_u, elements=st.integers(0, 1)))
    return Panel(
        actual, np.full(n_i, 100.0), prev, np.full(n_i, 100.0), e, months, s, w, np.ones(n_i), group
    )


@given(panels())
def test_scores_stay_in_bounds_and_unhit_units_keep_their_baseline(p):
    base = totals(METHODS["none"](p))
    for name, func in METHODS.items():
        adj = func(p)
        assert adj.score.shape == p.shape
        assert np.all((adj.score >= 0) & (adj.score <= 1)), name
        t = totals(adj)
        assert np.all((t >= 0) & (t <= 100 + 1e-9)), name
        clean = p.exposure == 0
        np.testing.assert_allclose(t[clean], base[clean], err_msg=name)


@given(panels())
def test_no_method_lowers_a_hit_unit_below_the_baseline(p):
    base = METHODS["none"](p).score
    for name in ("coefficient", "target_rebase", "hold_harmless", "counterfactual"):
        assert np.all(METHODS[name](p).score >= base - 1e-12), name


@given(panels(), st.data())
def test_methods_are_order_independent_over_units(p, data):
    perm = np.array(data.draw(st.permutations(range(p.shape[0]))))
    q = Panel(
        p.actual[perm],
        p.target,
        p.previous[perm],
        p.previous_target,
        p.exposure[perm],
        p.months[perm],
        p.sensitivity[perm],
        p.weights,
        p.direction,
        p.group[perm],
    )
    for name, func in METHODS.items():
        np.testing.assert_allclose(func(q).score, func(p).score[perm], err_msg=name)


@given(panels())
def test_less_is_better_indicators_are_the_mirror_image(p):
    # reciprocal values and targets with direction -1 must score exactly the same
    m = Panel(
        1.0 / p.actual,
        1.0 / p.target,
        1.0 / p.previous,
        1.0 / p.previous_target,
        p.exposure,
        p.months,
        p.sensitivity,
        p.weights,
        -p.direction,
        p.group,
    )
    for name, func in METHODS.items():
        np.testing.assert_allclose(
            func(m).score, func(p).score, rtol=1e-9, atol=1e-12, err_msg=name
        )


@given(panels(), st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_coefficient_is_monotone_in_k(p, k1, dk):
    a = METHODS["coefficient"](p, k=k1).score
    b = METHODS["coefficient"](p, k=k1 + dk).score
    assert np.all(b >= a - 1e-12)


@given(panels(), st.floats(0.0, 0.5))
def test_exaggerating_exposure_never_costs_a_unit_under_coefficient(p, x):
    e2 = np.minimum(p.exposure * (1 + x), 1.0)
    a = totals(METHODS["coefficient"](p))
    b = totals(METHODS["coefficient"](p.with_exposure(e2)))
    assert np.all(b >= a - 1e-9)


def test_ratio_score_directions():
    np.testing.assert_allclose(
        ratio_score(np.array([50.0, 50.0]), np.array([100.0, 25.0]), np.array([1, -1])), [0.5, 0.5]
    )
