"""Cost chain (budget -> execution -> final accounts) and the cost-satisfaction frame."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import costbenefit as cba
from kmmodel.errors import DataError


def _chain():
    return pd.DataFrame(
        {
            "project": ["p", "p", "p", "q"],
            "phase": ["preparation", "construction", "operation", "construction"],
            "budget": [100.0, 1000.0, 50.0, 200.0],
            "executed": [95.0, 300.0, 0.0, 250.0],
            "final_account": [95.0, np.nan, np.nan, 250.0],
            "time_share": [1.0, 0.6, 0.0, 1.0],
        }
    )


def test_chain_rates_variances_and_flags_by_hand():
    c = cba.cost_chain(_chain(), overrun=0.10, lag=0.15)
    t = c.table.set_index(["project", "phase"])
    assert t.loc[("p", "construction"), "execution_rate"] == pytest.approx(0.3)
    assert t.loc[("p", "construction"), "progress_gap"] == pytest.approx(-0.3)
    assert bool(t.loc[("p", "construction"), "slow"])  # 30% spent, 60% of time gone
    assert t.loc[("p", "preparation"), "variance"] == pytest.approx(-5.0)
    assert not t.loc[("p", "preparation"), "overrun"]
    assert bool(t.loc[("q", "construction"), "overrun"])  # 25% over budget
    assert t.loc[("q", "construction"), "variance_rate"] == pytest.approx(0.25)
    assert list(c.in_process["phase"]) == ["construction", "operation"]
    assert list(c.ex_post["project"]) == ["p", "q"]
    shares = c.ex_ante.groupby("project")["budget_share"].sum()
    np.testing.assert_allclose(shares, 1.0)
    s = c.summary.set_index("project")
    assert s.loc["p", "spend"] == pytest.approx(95 + 300 + 0)
    assert s.loc["q", "overruns"] == 1
    assert c.plot("p").get_title().startswith("p")


@cache
def _shipped_chain() -> pd.DataFrame:
    return km.datasets.load("cost_chain")


@given(st.floats(0.01, 0.5), st.floats(0.01, 0.5))
def test_stricter_overrun_threshold_flags_at_least_as_many(t1, t2):
    lo, hi = sorted((t1, t2))
    df = _shipped_chain()
    n_lo = cba.cost_chain(df, overrun=lo).table["overrun"].sum()
    n_hi = cba.cost_chain(df, overrun=hi).table["overrun"].sum()
    assert n_lo >= n_hi


def test_shipped_chain_shows_the_overrun_and_the_slow_project():
    c = cba.cost_chain(km.datasets.load("cost_chain"))
    t = c.table
    assert set(t.loc[t["overrun"], "project"]) == {"songming_rural_road"}
    assert set(t.loc[t["slow"], "project"]) == {"guandu_school"}


def test_bad_chain_lists_every_problem():
    bad = _chain().astype({"budget": object, "time_share": object})
    bad.loc[0, "budget"] = 0.0
    bad.loc[1, "phase"] = "design"
    bad.loc[2, "time_share"] = 1.5
    bad.loc[3, "budget"] = "lots"
    bad.loc[3, "executed"] = -1.0
    with pytest.raises(DataError) as exc:
        cba.cost_chain(bad)
    msg = str(exc.value)
    assert "column budget: expected a budget > 0 [yuan] in row 2" in msg
    assert "column phase: expected one of ('preparation'" in msg and "in row 3" in msg
    assert "share between 0 and 1 in row 4" in msg
    assert "expected a number in row 5" in msg and "column budget" in msg
    assert "column executed" in msg
    with pytest.raises(DataError, match="missing column"):
        cba.cost_chain(_chain().drop(columns="time_share"))
    with pytest.raises(DataError, match="duplicate"):
        cba.cost_chain(pd.concat([_chain(), _chain().iloc[[0]]]))
    with pytest.raises(DataError, match="overrun"):
        cba.cost_chain(_chain(), overrun=-0.1)


# ---------------------------------------------------------------- cost + satisfaction


@cache
def _appraisal():
    projects = pd.DataFrame(
        {
            "project": ["road", "clinic", "park"],
            "life_years": [2, 2, 2],
            "ob_category": ["standard_civil_engineering"] * 3,
            "beneficiaries": [1000, 100, 10],
            "carbon_price": [80.0] * 3,
            "satisfaction_gain": [1.0, 5.0, np.nan],
        }
    )
    flows = pd.DataFrame(
        {
            "project": ["road", "road", "road", "clinic", "clinic", "clinic", "park", "park"],
            "year": [0, 1, 2, 0, 1, 2, 0, 1],
            "line": [
                "investment",
                "economic",
                "economic",
                "investment",
                "social",
                "social",
                "investment",
                "ecological",
            ],
            "amount": [100.0, 70.0, 70.0, 100.0, 40.0, 40.0, 10.0, 20.0],
        }
    )
    return cba.appraise(projects, flows, 0.0)


def test_cost_per_point_and_monetised_satisfaction_by_hand():
    cs = cba.cost_satisfaction(_appraisal(), value_per_point=0.5, disagree_at=1)
    t = cs.table.set_index("project")
    assert t.loc["road", "cost_per_point"] == pytest.approx(100.0)
    assert t.loc["clinic", "cost_per_point"] == pytest.approx(20.0)
    assert t.loc["clinic", "cost_per_point_person"] == pytest.approx(0.2)
    assert np.isnan(t.loc["park", "cost_per_point"])  # unknown gain: no ratio
    # 5 points * 100 people * 0.5 yuan * 2 benefit years, undiscounted
    assert t.loc["clinic", "pv_satisfaction"] == pytest.approx(500.0)
    # the social line (80) is replaced by the monetised satisfaction (500)
    assert t.loc["clinic", "npv_satisfaction"] == pytest.approx(-20.0 - 80.0 + 500.0)
    assert t.loc["road", "rank_npv"] == 1 and t.loc["clinic", "rank_cost_per_point"] == 1
    assert bool(t.loc["road", "disagree"]) and bool(t.loc["clinic", "disagree"])
    assert set(cs.disagreements["project"]) >= {"road", "clinic"}
    assert cs.plot(labels="project").get_xscale() == "log"


@given(st.floats(0.1, 50.0), st.floats(1.01, 10.0))
def test_cost_per_point_ranking_does_not_depend_on_value_per_point(v, k):
    a = _appraisal()
    r1 = cba.cost_satisfaction(a, value_per_point=v).table["rank_cost_per_point"]
    r2 = cba.cost_satisfaction(a, value_per_point=v * k).table["rank_cost_per_point"]
    pd.testing.assert_series_equal(r1, r2)


def test_gains_passed_in_override_the_table():
    cs = cba.cost_satisfaction(_appraisal(), {"road": 2.0, "clinic": 1.0, "park": 4.0})
    t = cs.table.set_index("project")
    assert t.loc["road", "cost_per_point"] == pytest.approx(50.0)
    assert t.loc["park", "cost_per_point"] == pytest.approx(2.5)


def test_bad_gains():
    with pytest.raises(DataError) as exc:
        cba.cost_satisfaction(_appraisal(), {"road": "high", "mall": 1.0, "clinic": 300})
    msg = str(exc.value)
    assert "mall" in msg and "road" in msg and "100 points" in msg
    with pytest.raises(DataError, match="value_per_point"):
        cba.cost_satisfaction(_appraisal(), value_per_point=-1)
