"""allocate_budget: exact greedy and analytic KKT references, shadow price, rules, bad input."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import kmmodel as km
from kmmodel.allocation import InfeasibleError, allocate_budget, budget_sweep, minimum_budget
from kmmodel.errors import DataError


@pytest.fixture(scope="module")
def items():
    return km.datasets.load("evaluation_items")


def _curve(df, x):
    """V_i(x) written out independently of the package [yuan]."""
    w = df["priority"] * df["fund"] * df["risk"]
    return (w * (1 - np.exp(-np.asarray(x) / df["saturation"]))).to_numpy()


def _greedy(df, budget, k):
    """Exact optimum of the piecewise-linear LP by the fractional-knapsack greedy.

    A separable concave piecewise-linear objective under one budget row is maximised by
    paying the floors, then buying the remaining pieces in order of falling slope
    (Dantzig 1957, fractional knapsack)."""
    floors, caps = df["min_cost"].to_numpy(), df["max_cost"].to_numpy()
    pieces = []  # (slope, item, length)
    for i in range(len(df)):
        bps = np.linspace(0, caps[i], k + 1)
        row = df.iloc[[i]]
        vals = np.array([_curve(row, b)[0] for b in bps])
        for a, b, va, vb in zip(bps[:-1], bps[1:], vals[:-1], vals[1:]):
            lo = max(a, floors[i])
            if b > lo:
                pieces.append(((vb - va) / (b - a), i, b - lo))
    x = floors.astype(float).copy()
    left = budget - x.sum()
    last = 0.0
    for slope, i, length in sorted(pieces, key=lambda t: -t[0]):
        if left <= 0:
            break
        take = min(length, left)
        x[i] += take
        left -= take
        last = slope
    return x, last if left <= 1e-9 else 0.0


def _pl_total(df, x, k):
    total = 0.0
    for i in range(len(df)):
        bps = np.linspace(0, df["max_cost"].iloc[i], k + 1)
        vals = _curve(df.iloc[[i]].reset_index(drop=True).loc[np.zeros(k + 1, int)], bps)
        total += np.interp(x[i], bps, vals)
    return total


@pytest.mark.parametrize("budget", [300_000, 450_000, 550_000, 700_000])
def test_matches_the_exact_greedy_optimum(items, budget):
    res = allocate_budget(items, budget=budget, n_segments=10)
    x, slope = _greedy(items, budget, 10)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(_pl_total(items, x, 10), rel=1e-9)
    # the dual of the budget row is the slope of the last piece bought, per 10,000 yuan
    assert res.shadow_price == pytest.approx(slope * 10_000, rel=1e-6)


def test_fine_segments_approach_the_analytic_kkt_allocation(items):
    # continuous optimum: V_i'(x) = (w_i/s_i) exp(-x/s_i) = lambda, clipped to [floor, cap]
    budget = 550_000
    w = (items["priority"] * items["fund"] * items["risk"]).to_numpy()
    s = items["saturation"].to_numpy()
    lo, hi = items["min_cost"].to_numpy(), items["max_cost"].to_numpy()

    def alloc(lam):
        return np.clip(s * np.log(w / (s * lam)), lo, hi)

    lam = brentq(lambda v: alloc(v).sum() - budget, 1e-6, 1e6)
    exact = alloc(lam)
    res = allocate_budget(items, budget=budget, n_segments=400)
    got = res.table["allocation"].to_numpy()
    assert np.abs(got - exact).max() < 0.01 * hi.max()  # within a piece or two
    assert res.objective == pytest.approx(_curve(items, exact).sum(), rel=1e-4)
    assert res.shadow_price == pytest.approx(lam * 10_000, rel=0.01)


def test_shadow_price_equals_a_finite_difference(items):
    r0 = allocate_budget(items, budget=500_000)
    r1 = allocate_budget(items, budget=500_001)
    assert r0.shadow_price_method == "dual"
    assert r0.shadow_price == pytest.approx((r1.objective - r0.objective) * 10_000, rel=1e-4)


def test_rules_hold_in_the_table(items):
    res = allocate_budget(items, budget=550_000, shares={"livelihood": 0.5})
    t = res.table
    assert (t["allocation"] >= t["min_cost"] - 1e-6).all()
    assert (t["allocation"] <= t["max_cost"] + 1e-6).all()
    assert t["allocation"].sum() <= 550_000 + 0.1
    liv = t.loc[t["group"] == "livelihood", "allocation"].sum() / t["allocation"].sum()
    assert liv >= 0.5 - 1e-6
    base = allocate_budget(items, budget=550_000)
    assert liv > base.table.query("group == 'livelihood'")["allocation"].sum() / base.spent
    assert res.objective <= base.objective + 1e-6  # a rule never adds value
    assert t["share"].sum() == pytest.approx(1.0)
    assert set(t["at"]) <= {"floor", "cap", ""}
    assert "HiGHS" in res.log


def test_granularity_gives_whole_multiples_and_close_to_the_lp(items):
    lp = allocate_budget(items, budget=550_000)
    mip = allocate_budget(items, budget=550_000, granularity=1_000)
    a = mip.table["allocation"].to_numpy()
    assert np.allclose(a % 1_000, 0)
    assert mip.objective <= lp.objective + 1e-6
    assert mip.objective >= lp.objective * 0.999
    assert mip.shadow_price_method == "finite difference"
    assert mip.shadow_price > 0


def test_default_budget_is_the_seed_figure():
    facts = km.datasets.load("seed_facts").set_index("id")["value"]
    default = inspect.signature(allocate_budget).parameters["budget"].default
    assert default == facts["evaluation_budget_2025"] == 550_000
    assert len(km.datasets.load("evaluation_items")) == facts["evaluation_items_2025"]


def test_budget_below_floors_explains_the_minimum_budget(items):
    floors = items["min_cost"].sum()
    with pytest.raises(InfeasibleError) as err:
        allocate_budget(items, budget=floors - 10_000)
    msg = str(err.value)
    assert f"budget ({floors - 10_000:,.0f} yuan) must give way by 10,000 yuan" in msg
    assert f"minimum feasible budget is {floors:,.0f} yuan" in msg
    assert minimum_budget(items) == pytest.approx(floors)


def test_share_rule_that_no_budget_can_meet_is_named(items):
    with pytest.raises(
        InfeasibleError, match=r"(?s)share of group livelihood >= 90%.*no budget is enough"
    ):
        allocate_budget(items, budget=800_000, shares={"livelihood": 0.9})


def test_sweep_curve_is_monotone_and_marks_infeasible_budgets(items):
    floors = items["min_cost"].sum()
    curve = budget_sweep(items, [floors - 1_000, floors, 400_000, 550_000, 700_000, 900_000])
    assert curve["status"].tolist()[0] == "infeasible" and np.isnan(curve["objective"].iloc[0])
    ok = curve[curve["status"] == "optimal"]
    assert ok["objective"].is_monotonic_increasing
    assert ok["shadow_price"].is_monotonic_decreasing
    assert ok["shadow_price"].iloc[-1] == 0  # beyond the summed caps money adds nothing
    res = allocate_budget(items)
    again = res.sweep([550_000])
    assert again["objective"].iloc[0] == pytest.approx(res.objective)


def test_bad_items_list_every_problem(items):
    bad = items.copy()
    bad.loc[1, "item"] = bad.loc[0, "item"]
    bad["min_cost"] = bad["min_cost"].astype(object)
    bad.loc[2, "min_cost"] = -5
    bad.loc[3, "min_cost"] = None
    bad.loc[4, "max_cost"] = 1_000  # below its floor
    bad.loc[5, "risk"] = 1.5
    with pytest.raises(DataError) as err:
        allocate_budget(bad)
    msg = str(err.value)
    assert "duplicate ids ['E01'] in rows 2, 3" in msg
    assert "expected >= 0 yuan in row 4" in msg
    assert "missing value in row 5" in msg and "column min_cost" in msg
    assert "min_cost is above max_cost in row 6" in msg
    assert "column risk" in msg
    with pytest.raises(DataError, match="missing column"):
        allocate_budget(items.drop(columns=["fund"]))
    with pytest.raises(DataError, match="group 'nope' has no items"):
        allocate_budget(items, shares={"nope": 0.2})
    with pytest.raises(DataError, match="budget >= 0"):
        allocate_budget(items, budget=-1)
    with pytest.raises(DataError, match="granularity"):
        allocate_budget(items, granularity=0)


@settings(max_examples=25)
@given(st.floats(260_000, 900_000), st.floats(1_000, 50_000))
def test_more_budget_never_lowers_value(budget, extra):
    items = km.datasets.load("evaluation_items")
    a = allocate_budget(items, budget=budget, n_segments=8)
    b = allocate_budget(items, budget=budget + extra, n_segments=8)
    assert b.objective >= a.objective - 1e-6
    assert b.shadow_price <= a.shadow_price + 1e-6  # concave value: falling shadow price
    for r in (a, b):
        t = r.table
        assert (t["allocation"] >= t["min_cost"] - 0.01).all()
        assert (t["allocation"] <= t["max_cost"] + 0.01).all()
        assert r.spent <= r.budget + 0.01 * len(t)


@settings(max_examples=15)
@given(st.permutations(list(range(8))))
def test_item_order_does_not_matter(order):
    items = km.datasets.load("evaluation_items")
    a = allocate_budget(items, n_segments=8)
    b = allocate_budget(items.iloc[order], n_segments=8)
    assert b.objective == pytest.approx(a.objective, rel=1e-9)
    merged = pd.merge(a.table, b.table, on="item")
    assert np.allclose(merged["allocation_x"], merged["allocation_y"], atol=0.02)
