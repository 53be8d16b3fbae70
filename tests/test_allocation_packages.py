"""assign_packages: brute-force optimum, hard rules, infeasibility explained, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel.allocation import AwardResult, InfeasibleError, assign_packages
from kmmodel.errors import DataError


@pytest.fixture(scope="module")
def data():
    return (
        km.datasets.load("evaluation_items"),
        km.datasets.load("agencies"),
        km.datasets.load("bids"),
    )


def _eligible_by_hand(items, agencies, bids, commissioner="市财政局", floor=60, plan=1, report=3):
    """Eligibility written out row by row (the package does it with merges)."""
    ag = agencies.set_index("agency")
    keep = []
    for _, b in bids.iterrows():
        its = items[items["package"] == b["package"]]
        ties = (
            set(str(ag.loc[b["agency"], "ties"]).split(";"))
            if pd.notna(ag.loc[b["agency"], "ties"])
            else set()
        )
        bodies = {commissioner, *its["budget_unit"], *its["evaluated_object"]}
        quals = set(ag.loc[b["agency"], "qualifications"].split(";"))
        need = set(its["qualification"]) - {"any"}
        ok = (
            not (ties & bodies)
            and need <= quals
            and b["quality"] >= floor
            and b["plan_months"] <= plan
            and b["report_months"] <= report
            and its["effort_pm"].sum() <= ag.loc[b["agency"], "capacity_pm"]
        )
        keep.append(ok)
    return bids[np.array(keep, dtype=bool)]


def _brute(items, agencies, bids, budget, objective="value", k=2, **kw):
    """Best award by enumerating every combination of eligible bids."""
    el = _eligible_by_hand(items, agencies, bids, **kw)
    effort = items.groupby("package")["effort_pm"].sum()
    reserve = items.groupby("package")["max_cost"].sum()
    cap = agencies.set_index("agency")["capacity_pm"]
    options = [el[el["package"] == p].to_dict("records") for p in sorted(items["package"].unique())]
    best = None
    for combo in itertools.product(*options):
        price = sum(b["price"] for b in combo)
        if budget is not None and price > budget:
            continue
        who = [b["agency"] for b in combo]
        if any(who.count(a) > k for a in set(who)):
            continue
        load = {}
        for b in combo:
            load[b["agency"]] = load.get(b["agency"], 0) + effort[b["package"]]
        if any(v > cap[a] for a, v in load.items()):
            continue
        if objective == "price":
            val = -price
        else:
            val = sum(b["quality"] / 100 * reserve[b["package"]] - b["price"] for b in combo)
        if best is None or val > best:
            best = val
    return best


@pytest.mark.parametrize(
    ("objective", "budget", "k"),
    [("value", 550_000, 2), ("price", 550_000, 2), ("value", 520_000, 2), ("value", None, 2)],
)
def test_award_equals_brute_force(data, objective, budget, k):
    items, agencies, bids = data
    res = assign_packages(items, agencies, bids, budget=budget, objective=objective, max_packages=k)
    best = _brute(items, agencies, bids, budget, objective, k)
    assert isinstance(res, AwardResult) and res.status == "optimal"
    assert (res.objective if objective == "value" else -res.objective) == pytest.approx(best)


def test_award_respects_every_rule(data):
    items, agencies, bids = data
    res = assign_packages(items, agencies, bids)
    t = res.table
    assert sorted(t["package"]) == sorted(items["package"].unique())  # each package once
    assert res.total_price <= 550_000
    assert t["agency"].value_counts().max() <= 2
    assert (res.load["effort_pm"] <= res.load["capacity_pm"]).all()
    assert "A05" not in set(t["agency"])  # tied to the commissioner, 市财政局
    # A02 is tied to 市教育局, the budget unit of E01 in package P1
    assert not ((t["package"] == "P1") & (t["agency"] == "A02")).any()
    bad = res.bids[(res.bids["agency"] == "A02") & (res.bids["package"] == "P1")]
    assert "tied to 市教育局" in bad["reasons"].iloc[0] and not bad["eligible"].iloc[0]
    won = t.merge(res.bids, on=["package", "agency"])
    assert won["eligible"].all()
    el = _eligible_by_hand(items, agencies, bids)
    assert int(res.bids["eligible"].sum()) == len(el)
    assert "HiGHS" in res.log


def test_deadlines_default_to_the_seed_text(data):
    items, agencies, bids = data
    res = assign_packages(items, agencies, bids)
    late = res.bids[(res.bids["plan_months"] > 1) | (res.bids["report_months"] > 3)]
    assert len(late) > 0 and not late["eligible"].any()
    assert late["reasons"].str.contains(r"after .* months \(> [13]\)").all()


def test_no_candidate_names_the_package_and_every_reason(data):
    items, agencies, bids = data
    with pytest.raises(InfeasibleError) as err:
        assign_packages(items, agencies, bids, report_deadline=2.2)
    msg = str(err.value)
    assert "has no qualified, independent agency with capacity and an on-time bid" in msg
    assert "report after" in msg and "tied to 市财政局" in msg


def test_budget_conflict_gives_the_minimum_budget(data):
    items, agencies, bids = data
    cheapest = -_brute(items, agencies, bids, None, "price", 2)
    with pytest.raises(InfeasibleError) as err:
        assign_packages(items, agencies, bids, budget=cheapest - 1_000)
    msg = str(err.value)
    assert f"minimum feasible budget is {cheapest:,.0f} yuan, 1,000 yuan above the budget" in msg
    assert "budget (" in msg and "must give way by 1,000 yuan" in msg
    res = assign_packages(items, agencies, bids, budget=cheapest)
    assert res.total_price == cheapest


def test_capacity_conflict_is_named(data):
    items, agencies, bids = data
    tight = agencies.assign(
        capacity_pm=np.where(agencies["agency"] == "A04", 9.0, agencies["capacity_pm"])
    )
    assert _brute(items, tight, bids, None, "value", 2) is None  # truly infeasible
    with pytest.raises(InfeasibleError) as err:
        assign_packages(items, tight, bids, budget=None)
    assert "capacity of agency A04 (9 person-months) must give way by 4.5 person-months" in str(
        err.value
    )


def test_bad_input_lists_every_problem(data):
    items, agencies, bids = data
    b = bids.copy()
    b.loc[0, "agency"] = "A99"
    b.loc[1, "price"] = -5.0
    b.loc[2, "quality"] = 120.0
    b.loc[3, "package"] = "P9"
    with pytest.raises(DataError) as err:
        assign_packages(items, agencies, b)
    msg = str(err.value)
    assert "unknown agency id(s) ['A99'] in row 2" in msg
    assert "expected > 0 yuan in row 3" in msg
    assert "expected <= 100 points in row 4" in msg
    assert "unknown package(s) ['P9'] in row 5" in msg
    it = items.copy()
    it.loc[1, "item"] = "E01"
    it.loc[2, "qualification"] = "astrology"
    with pytest.raises(DataError) as err:
        assign_packages(it, agencies, bids)
    msg = str(err.value)
    assert "duplicate ids ['E01']" in msg and "astrology" in msg
    with pytest.raises(DataError, match="objective"):
        assign_packages(items, agencies, bids, objective="cheapest")
    with pytest.raises(DataError, match="more than one bid"):
        assign_packages(items, agencies, pd.concat([bids, bids.iloc[[0]]]))


def test_hitech_case_with_its_own_commissioner():
    items = km.datasets.load("hitech_services")
    facts = km.datasets.load("seed_facts").set_index("id")["value"]
    res = assign_packages(
        items,
        km.datasets.load("agencies"),
        km.datasets.load("hitech_bids"),
        budget=facts["hitech_zone_service_budget_2025"],
        commissioner="高新区财政局",
    )
    assert res.total_price <= 480_000
    assert sorted(res.table["package"]) == sorted(items["package"].unique())


@st.composite
def market(draw):
    n_pk = draw(st.integers(1, 3))
    n_ag = draw(st.integers(1, 3))
    items = pd.DataFrame(
        {
            "item": [f"I{p}" for p in range(n_pk)],
            "package": [f"P{p}" for p in range(n_pk)],
            "budget_unit": [draw(st.sampled_from(["U1", "U2"])) for _ in range(n_pk)],
            "evaluated_object": "O",
            "qualification": [
                draw(st.sampled_from(["cpa", "research", "any"])) for _ in range(n_pk)
            ],
            "effort_pm": [float(draw(st.integers(1, 5))) for _ in range(n_pk)],
            "max_cost": [float(draw(st.integers(50, 100)) * 1000) for _ in range(n_pk)],
        }
    )
    agencies = pd.DataFrame(
        {
            "agency": [f"A{a}" for a in range(n_ag)],
            "qualifications": [
                draw(st.sampled_from(["cpa", "research", "cpa;research"])) for _ in range(n_ag)
            ],
            "capacity_pm": [float(draw(st.integers(2, 9))) for _ in range(n_ag)],
            "ties": [draw(st.sampled_from([None, "U1", "U2"])) for _ in range(n_ag)],
        }
    )
    rows = [
        {
            "package": f"P{p}",
            "agency": f"A{a}",
            "price": float(draw(st.integers(20, 90)) * 1000),
            "quality": float(draw(st.integers(50, 100))),
            "plan_months": 1.0,
            "report_months": 3.0,
        }
        for p in range(n_pk)
        for a in range(n_ag)
        if draw(st.booleans())
    ]
    bids = pd.DataFrame(
        rows, columns=["package", "agency", "price", "quality", "plan_months", "report_months"]
    )
    budget = float(draw(st.integers(40, 250)) * 1000)
    return items.assign(name_zh=items["item"]), agencies, bids, budget


@settings(max_examples=40)
@given(market())
def test_random_markets_match_brute_force(case):
    items, agencies, bids, budget = case
    if bids.empty:
        with pytest.raises(DataError):
            assign_packages(items, agencies, bids, budget=budget)
        return
    best = _brute(items, agencies, bids, budget, "value", 2)
    try:
        res = assign_packages(items, agencies, bids, budget=budget)
    except InfeasibleError:
        assert best is None
        return
    assert best is not None and res.objective == pytest.approx(best)


def test_award_without_side_rules_is_the_plain_gap():
    """With every bid eligible and no count or budget rule, the award is a GAP: same optimum."""
    from kmmodel.allocation import solve_gap
    from kmmodel.allocation.examples import synthetic_market

    items, agencies, bids = synthetic_market(40, 5, seed=3, slack=1.1)
    agencies = agencies.assign(qualifications="cpa;research;engineering", ties=None)
    bids = bids.assign(report_months=2.5)
    res = assign_packages(items, agencies, bids, budget=None, max_packages=None, quality_floor=0)
    reserve = bids["package"].map(items.set_index("package")["max_cost"])
    net = bids.assign(net=bids["quality"] / 100 * reserve - bids["price"])
    profit = net.pivot(index="agency", columns="package", values="net").to_numpy()
    effort = items.set_index("package")["effort_pm"].sort_index().to_numpy()
    weight = np.tile(effort, (len(agencies), 1))
    _, best = solve_gap(profit, weight, agencies["capacity_pm"].to_numpy())
    assert res.objective == pytest.approx(best, rel=1e-9)


def test_synthetic_market_is_reproducible():
    from kmmodel.allocation.examples import synthetic_market

    a = synthetic_market(50, 4, seed=7)
    b = synthetic_market(50, 4, seed=np.random.default_rng(7))
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)
    assert len(a[2]) == 200
