"""The optimisation fitting: build / solve / read / explain, against analytic LPs and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import kmmodel as km
from kmmodel import allocation
from kmmodel.allocation import fitting
from kmmodel.allocation.budget import build_budget
from kmmodel.allocation.formation import build_formation
from kmmodel.allocation.gap import build_gap
from kmmodel.allocation.packages import build_award
from kmmodel.errors import DataError, InfeasibleError


@pytest.fixture(scope="module")
def data():
    load = km.datasets.load
    return load("evaluation_items"), load("agencies"), load("bids"), load("item_bids")


def _two_row_lp(sense):
    """max 3x + 2y s.t. x + y <= 4 (r1), x <= 3 (r2): x = 3, y = 1, objective 11; duals by
    hand (complementary slackness: y basic gives u1 = 2, x basic gives u1 + u2 = 3).
    min x + 2y s.t. x + y >= 3 (r1), y >= 1 (r2): x = 2, y = 1, objective 4, duals 1 and 1."""
    m = fitting.Model.new("toy", sense, "toy")
    x, y = m.variables("v", 2)
    if sense == "max":
        m.add("r1", [(x, 1.0), (y, 1.0)], "<=", 4)
        m.add("r2", [(x, 1.0)], "<=", 3)
        m.objective([(x, 3.0), (y, 2.0)])
    else:
        m.add("r1", [(x, 1.0), (y, 1.0)], ">=", 3)
        m.add("r2", [(y, 1.0)], ">=", 1)
        m.objective([(x, 1.0), (y, 2.0)])
    return m.done()


@pytest.mark.parametrize(
    "sense, objective, duals",
    [("max", 11.0, {"r1": 2.0, "r2": 1.0}), ("min", 4.0, {"r1": 1.0, "r2": 1.0})],
)
def test_lp_duals_are_the_change_of_the_objective_per_unit_of_rhs(sense, objective, duals):
    sol = fitting.solve(_two_row_lp(sense))
    assert sol.status == "optimal" and not sol.is_mip
    assert sol.objective == pytest.approx(objective)
    assert sol.duals == pytest.approx(duals)
    assert np.isnan(sol.mip_gap) and "HiGHS" in sol.log
    # the same by re-solving with one more unit of r1's right-hand side
    m = _two_row_lp(sense)
    m.prob.get_constraint_by_name("r1").constant -= 1.0
    assert fitting.solve(m).objective - objective == pytest.approx(duals["r1"])


def test_milp_reports_its_gap_and_bound_and_matches_enumeration():
    rng = np.random.default_rng(5)
    value, weight = rng.integers(10, 100, 12), rng.integers(5, 40, 12)
    cap = int(weight.sum() * 0.4)
    m = fitting.Model.new("knapsack", "max", "toy")
    z = m.variables("z", 12, integer=True, up=1)
    m.add("cap", list(zip(z, weight.tolist())), "<=", cap)
    m.objective(zip(z, value.tolist()))
    sol = fitting.solve(m.done())
    combos = np.array(list(itertools.product([0, 1], repeat=12)))
    best = (combos @ value)[combos @ weight <= cap].max()  # 4,096 subsets
    assert sol.is_mip and sol.objective == best
    assert sol.mip_gap <= fitting.DEFAULT_MIP_GAP and sol.bound == pytest.approx(best)
    assert sol.duals == {}
    chosen = fitting.values(z) > 0.5
    assert value[chosen].sum() == best and weight[chosen].sum() <= cap


def test_elastic_re_solve_explains_in_one_wording():
    def build(elastic):
        m = fitting.Model.new("toy", "max", "toy", elastic)
        (x,) = m.variables("x", 1)
        m.add("low", [(x, 1.0)], ">=", 3, rule="x at least 3", relax=("low", "units", 1))
        m.add("high", [(x, 1.0)], "<=", 1, rule="x at most 1")
        m.objective([(x, 1.0)])
        return m.done()

    with pytest.raises(InfeasibleError) as err:
        fitting.solve_or_explain(build, headline="no x satisfies the rules")
    assert err.value.problems[0].message == "no x satisfies the rules"
    assert err.value.problems[1].message == "x at least 3 must give way by 2 units"
    assert str(err.value).startswith("toy: ")


def test_build_steps_give_what_the_entry_points_give(data):
    items, agencies, bids, item_bids = data
    res = allocation.allocate_budget(items, budget=500_000)
    m = build_budget(items, 500_000)
    sol = fitting.solve(m)
    assert sol.objective == pytest.approx(res.objective, rel=1e-9)
    assert sol.duals["budget"] == pytest.approx(res.marginal_value_per_yuan, rel=1e-9)
    assert fitting.values(m.handles["x"]).sum() == pytest.approx(500_000)

    award = allocation.assign_packages(items, agencies, bids)
    assert fitting.solve(build_award(items, agencies, bids)).objective == pytest.approx(
        award.objective
    )
    formed = allocation.form_packages(items, agencies, item_bids, n_packages=4, max_items=2)
    m = build_formation(items, agencies, item_bids, n_packages=4, max_items=2)
    assert fitting.solve(m).objective == pytest.approx(formed.objective)

    profit = np.array([[6.0, 2.0], [3.0, 5.0]])
    m = build_gap(profit, np.ones((2, 2)), [1, 1])
    assert fitting.solve(m).objective == 11.0
    with pytest.raises(DataError, match="unknown option"):
        build_award(items, agencies, bids, solver="highs")


def test_results_share_one_shape(data):
    items, agencies, bids, item_bids = data
    results = [
        allocation.allocate_budget(items),
        allocation.allocate_budget(items, granularity=1_000),
        allocation.assign_packages(items, agencies, bids),
        allocation.form_packages(items, agencies, item_bids, max_items=3),
    ]
    for r in results:
        assert isinstance(r.table, pd.DataFrame) and r.status == "optimal"
        line = r.summary()
        assert "\n" not in line and line.startswith("status optimal")
        frame = r.to_frame()
        pd.testing.assert_frame_equal(frame, r.table)
        assert frame is not r.table
    lp, mip, award, formed = results
    assert np.isnan(lp.mip_gap)
    for r in (mip, award, formed):
        assert 0 <= r.mip_gap <= 1e-9 and "MIP gap" in r.summary()
    ax = lp.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(items["name_zh"])


@pytest.mark.parametrize(
    "call, where",
    [
        (lambda d: allocation.assign_packages(*d[:3], quality_floor="x"), "quality_floor"),
        (lambda d: allocation.assign_packages(*d[:3], plan_deadline="1"), "plan_deadline"),
        (lambda d: allocation.assign_packages(*d[:3], report_deadline=np.inf), "report_deadline"),
        (lambda d: allocation.assign_packages(*d[:3], max_packages=True), "max_packages"),
        (lambda d: allocation.assign_packages(*d[:3], budget="1"), "budget"),
        (lambda d: allocation.assign_packages(*d[:3], commissioner=None), "commissioner"),
        (lambda d: allocation.assign_packages(*d[:3], mip_gap=-1), "mip_gap"),
        (lambda d: allocation.form_packages(d[0], d[1], d[3], fixed="yes"), "fixed"),
        (
            lambda d: allocation.form_packages(d[0], d[1], d[3], volume_discount="x"),
            "volume_discount",
        ),
        (lambda d: allocation.form_packages(d[0], d[1], d[3], n_packages=0), "n_packages"),
        (lambda d: allocation.solve_gap([[1]], [[1]], [1], maximize="no"), "maximize"),
        (lambda d: allocation.solve_gap([[1]], [[1]], [1], time_limit="x"), "time_limit"),
        (lambda d: allocation.solve_gap([[1]], [[1]], [1], foo=1), "foo"),
    ],
)
def test_bad_options_are_our_errors(data, call, where):
    with pytest.raises(DataError) as err:
        call(data)
    assert where in str(err.value)
