"""Sensitivity, switching values, scenarios and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmmodel import costbenefit as cba
from kmmodel.costbenefit.flows import LINES
from kmmodel.errors import DataError


def _model(schedule=0.08, years=30, carbon=True):
    a = np.zeros((len(LINES), years + 1))
    a[LINES.index("investment"), :2] = 500.0
    a[LINES.index("operation"), 2:] = 20.0
    a[LINES.index("economic"), 2:] = 90.0
    a[LINES.index("social"), 2:] = 15.0
    if carbon:
        a[LINES.index("carbon"), 2:] = 8.0
    a[LINES.index("residual"), years] = 100.0
    return cba.ProjectModel("toy", a, schedule, base_carbon_price=80.0)


INPUTS = [
    cba.Input("investment", 0.9, 1.0, 1.3, "triangular", "投资"),
    cba.Input("operation", 0.8, 1.0, 1.2, "pert"),
    cba.Input("economic", 0.8, 1.0, 1.2, "normal"),
    cba.Input("carbon_price", 40.0, 80.0, 160.0, "uniform"),
]


def test_model_central_npv_equals_npv_of_net_flows():
    m = _model()
    net = np.array(list(m.line_pv().values())).sum()
    flows = (m.amounts * np.where(np.isin(LINES, cba.COST_LINES), -1, 1)[:, None]).sum(axis=0)
    assert m.npv()[0] == pytest.approx(cba.npv(flows, 0.08), rel=1e-12)
    assert net == pytest.approx(m.npv()[0], rel=1e-12)


def test_tornado_rows_are_one_way_npvs():
    m = _model()
    t = tornado = cba.tornado(m, INPUTS)
    assert list(tornado.columns[:3]) == ["input", "label", "low"]
    assert t["swing"].is_monotonic_decreasing
    row = t.set_index("input").loc["investment"]
    assert row["npv_high"] == pytest.approx(m.npv({"investment": 1.3})[0])
    assert row["label"] == "投资"
    ax = cba.plot_tornado(t)
    assert len(ax.patches) == 2 * len(INPUTS)


def test_switching_values_are_closed_form_for_multipliers_and_irr_for_the_rate():
    m = _model()
    pv = m.line_pv()
    npv0 = m.npv()[0]
    sv = cba.switching_values(
        m, [*INPUTS, cba.Input("benefits", 0.8, 1.0, 1.2)], brackets=None
    ).set_index("input")
    # NPV(v) = NPV0 + (v - 1) * PV(line)  =>  v* = 1 - NPV0 / PV(line)
    assert sv.loc["investment", "switching_value"] == pytest.approx(1 - npv0 / pv["investment"])
    pv_ben = sum(pv[b] for b in cba.BENEFIT_LINES)
    assert sv.loc["benefits", "switching_value"] == pytest.approx(1 - npv0 / pv_ben)
    # carbon price at which NPV = 0: 80 * (1 - NPV0 / PV(carbon))
    assert sv.loc["carbon_price", "switching_value"] == pytest.approx(
        80 * (1 - npv0 / pv["carbon"])
    )
    for name, v in sv["switching_value"].items():
        if np.isfinite(v):
            assert abs(m.npv({name: v})[0]) < 1e-8 * abs(pv["investment"])
    # the discount rate at which NPV = 0 is the IRR of the net flows
    rate = cba.switching_values(m, [cba.Input("discount_rate", 0.06, 0.08, 0.1)])
    net = (m.amounts * np.where(np.isin(LINES, cba.COST_LINES), -1, 1)[:, None]).sum(axis=0)
    assert rate["switching_value"].iloc[0] == pytest.approx(cba.irr(net), rel=1e-9)


def test_rank_switch_hand_case():
    # option A: 100 now; option B: 121 in year 2 -> equal at r = 10%
    a = np.zeros((len(LINES), 3))
    b = np.zeros((len(LINES), 3))
    a[LINES.index("economic"), 0] = 100.0
    b[LINES.index("economic"), 2] = 121.0
    ma = cba.ProjectModel("a", a, 0.05)
    mb = cba.ProjectModel("b", b, 0.05)
    r = cba.rank_switch(ma, mb, "discount_rate", (0.0, 0.5))
    assert r == pytest.approx(0.10, rel=1e-9)
    assert np.isnan(cba.rank_switch(ma, mb, "discount_rate", (0.2, 0.5)))


def test_rank_switches_lists_each_swapping_pair_once():
    # A: 100 now; B: 121 in year 2 (ties A at 10%); C: 50 now (always below A)
    amounts = {}
    for name, year, value in (("a", 0, 100.0), ("b", 2, 121.0), ("c", 0, 50.0)):
        x = np.zeros((len(LINES), 3))
        x[LINES.index("economic"), year] = value
        amounts[name] = cba.ProjectModel(name, x, 0.05)
    t = cba.rank_switches(amounts, "discount_rate", (0.0, 1.0))
    pairs = {(r.option_a, r.option_b): r for r in t.itertuples()}
    assert pairs[("a", "b")].switching_value == pytest.approx(0.10, rel=1e-9)
    assert pairs[("a", "b")].better_below == "b"  # at low rates the later, larger sum wins
    # B = C when 121 / (1+r)^2 = 50  ->  r = sqrt(121 / 50) - 1
    assert pairs[("b", "c")].switching_value == pytest.approx(np.sqrt(121 / 50) - 1, rel=1e-9)
    assert ("a", "c") not in pairs


def test_scenarios_bracket_the_central_case():
    m = _model()
    s = cba.scenarios(m, INPUTS).set_index("scenario")
    assert s.loc["low", "npv"] <= s.loc["central", "npv"] <= s.loc["high", "npv"]
    assert s.loc["low", "investment"] == 1.3 and s.loc["high", "investment"] == 0.9
    assert s.loc["central", "npv"] == pytest.approx(m.npv()[0])


def test_monte_carlo_zero_width_equals_deterministic_npv():
    m = _model()
    fixed = [cba.Input(x.name, x.central, x.central, x.central, x.dist) for x in INPUTS]
    fixed.append(cba.Input("discount_rate", 0.08, 0.08, 0.08, "normal"))
    res = cba.monte_carlo(m, fixed, n=500, seed=3)
    np.testing.assert_allclose(res.npv, m.npv()[0], rtol=1e-12)
    assert res.p_positive == float(m.npv()[0] > 0)


def test_monte_carlo_is_seeded_and_matches_analytic_mean():
    m = _model()
    r1 = cba.monte_carlo(m, INPUTS, n=20_000, seed=7)
    r2 = cba.monte_carlo(m, INPUTS, n=20_000, seed=7)
    np.testing.assert_array_equal(r1.npv, r2.npv)
    assert not np.array_equal(r1.npv, cba.monte_carlo(m, INPUTS, n=20_000, seed=8).npv)
    # NPV is linear in these inputs, so E[NPV] = NPV at the input means:
    # triangular mean (a+m+b)/3, PERT mean (a+4m+b)/6, normal mean m, uniform (a+b)/2
    means = {
        "investment": (0.9 + 1.0 + 1.3) / 3,
        "operation": (0.8 + 4 * 1.0 + 1.2) / 6,
        "economic": 1.0,
        "carbon_price": (40 + 160) / 2,
    }
    expected = m.npv(means)[0]
    se = r1.npv.std() / np.sqrt(r1.npv.size)
    assert abs(r1.mean - expected) < 4 * se
    s = r1.samples
    assert s["investment"].between(0.9, 1.3).all()
    assert s["operation"].between(0.8, 1.2).all()
    # symmetric normal input: low/high are its 5th/95th percentiles
    assert np.mean(s["economic"] < 0.8) == pytest.approx(0.05, abs=0.01)


def test_monte_carlo_result_views():
    res = cba.monte_carlo(_model(), INPUTS, n=2000, seed=1)
    t = res.table
    assert list(t.columns) == [
        "project",
        "draws",
        "mean",
        "sd",
        "p_npv_positive",
        "p5",
        "p50",
        "p95",
    ]
    assert t["p5"].iloc[0] <= t["p50"].iloc[0] <= t["p95"].iloc[0]
    p = res.percentiles()
    assert p.is_monotonic_increasing
    assert res.plot().get_title().startswith("toy")


@given(st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_higher_cost_multipliers_lower_every_draw(w1, w2):
    # with the same seed, a higher cost multiplier range shifts every draw's NPV down
    m = _model(years=10)
    lo, hi = sorted((w1, w2))
    a = cba.monte_carlo(m, [cba.Input("costs", 1.0, 1.0 + lo, 1.0 + lo, "uniform")], 50, seed=0)
    b = cba.monte_carlo(m, [cba.Input("costs", 1.0, 1.0 + hi, 1.0 + hi, "uniform")], 50, seed=0)
    assert np.all(b.npv <= a.npv + 1e-9)


def test_inputs_from_dataframe_and_bad_inputs():
    df = pd.DataFrame(
        {"name": ["investment", "social"], "low": [0.9, 0.5], "central": [1, 1], "high": [1.2, 1.5]}
    )
    t = cba.tornado(_model(), df)
    assert set(t["input"]) == {"investment", "social"}
    with pytest.raises(DataError) as exc:
        cba.monte_carlo(
            _model(),
            [
                cba.Input("investment", 1.2, 1.0, 0.9),
                cba.Input("social", 1, 1, 1, "lognormal"),
                cba.Input("social", 1, 1, 1),
            ],
        )
    msg = str(exc.value)
    assert "input 1 (investment)" in msg and "lognormal" in msg and "named twice" in msg
    with pytest.raises(DataError, match="unknown input"):
        cba.tornado(_model(), [cba.Input("profit", 0.9, 1, 1.1)])
    with pytest.raises(DataError, match="n must be"):
        cba.monte_carlo(_model(), INPUTS, n=0)
    with pytest.raises(DataError, match="constant-rate schedule"):
        cba.ProjectModel("x", _model().amounts, "green_book").central("discount_rate")


@given(st.permutations(list(range(len(INPUTS)))), st.integers(0, 2**32 - 1))
def test_monte_carlo_does_not_depend_on_input_order(order, seed):
    m = _model(years=10)
    a = cba.monte_carlo(m, INPUTS, n=200, seed=seed)
    b = cba.monte_carlo(m, [INPUTS[i] for i in order], n=200, seed=seed)
    np.testing.assert_allclose(a.npv, b.npv, rtol=1e-12)
    # adding an input leaves the others' draws unchanged
    c = cba.monte_carlo(m, [*INPUTS, cba.Input("social", 0.5, 1.0, 1.5)], n=200, seed=seed)
    np.testing.assert_array_equal(c.samples["investment"], a.samples["investment"])


def test_monte_carlo_accepts_a_generator_seed():
    m = _model()
    a = cba.monte_carlo(m, INPUTS, n=100, seed=np.random.default_rng(5))
    b = cba.monte_carlo(m, INPUTS, n=100, seed=5)
    np.testing.assert_array_equal(a.npv, b.npv)


def test_monte_carlo_evaluates_all_draws_in_one_vectorised_call(monkeypatch):
    calls = []
    original = cba.ProjectModel.npv

    def counting(self, values=None):
        calls.append(1)
        return original(self, values)

    monkeypatch.setattr(cba.ProjectModel, "npv", counting)
    res = cba.monte_carlo(_model(), INPUTS, n=10_000, seed=0)
    assert len(calls) == 1 and res.npv.shape == (10_000,)
