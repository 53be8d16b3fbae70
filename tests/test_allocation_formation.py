"""form_packages: brute-force optimum, reproduces assign_packages, beats fixed packaging,
hard rules, infeasibility explained, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel.allocation import (
    FormationResult,
    InfeasibleError,
    assign_packages,
    form_packages,
    split_package_bids,
)
from kmmodel.errors import DataError


@pytest.fixture(scope="module")
def data():
    return (
        km.datasets.load("evaluation_items"),
        km.datasets.load("agencies"),
        km.datasets.load("bids"),
        km.datasets.load("item_bids"),
    )


# ---------------------------------------------------------------- brute force, by hand


def _partitions(seq):
    """Every set partition of ``seq`` (Bell-number many)."""
    if not seq:
        yield []
        return
    first, rest = seq[0], seq[1:]
    for part in _partitions(rest):
        for k in range(len(part)):
            yield part[:k] + [[first, *part[k]]] + part[k + 1 :]
        yield [[first], *part]


def _eligible(items, agencies, bids, commissioner="市财政局", floor=60, plan=1, report=3):
    """(item, agency) -> bid row, for bids passing every per-bid rule (written out by hand)."""
    ag = agencies.set_index("agency")
    it = items.set_index("item")
    out = {}
    for _, b in bids.iterrows():
        a, i = ag.loc[b["agency"]], it.loc[b["item"]]
        ties = set(str(a["ties"]).split(";")) if pd.notna(a["ties"]) else set()
        bodies = {commissioner, i["budget_unit"], i["evaluated_object"]}
        quals = set(a["qualifications"].split(";"))
        ok = (
            not (ties & bodies)
            and (i["qualification"] == "any" or i["qualification"] in quals)
            and b["quality"] >= floor
            and b["plan_months"] <= plan
            and b["report_months"] <= report
        )
        if ok:
            out[(b["item"], b["agency"])] = b
    return out


def _brute(
    items,
    agencies,
    bids,
    budget,
    n_packages=None,
    min_items=1,
    max_items=None,
    k=2,
    discount=0.0,
    objective="value",
    partitions=None,
):
    """Best (packaging, award) by enumerating every partition and every agency per block."""
    el = _eligible(items, agencies, bids)
    cap = agencies.set_index("agency")["capacity_pm"]
    it = items.set_index("item")
    hi = max_items or len(items)
    best = None
    parts = partitions if partitions is not None else _partitions(list(items["item"]))
    for part in parts:
        if n_packages is not None and len(part) != n_packages:
            continue
        if any(not (min_items <= len(p) <= hi) for p in part):
            continue
        for who in itertools.product(agencies["agency"], repeat=len(part)):
            if any(who.count(a) > k for a in set(who)):
                continue
            if any((i, a) not in el for p, a in zip(part, who) for i in p):
                continue
            load = {a: 0.0 for a in who}
            for p, a in zip(part, who):
                load[a] += sum(it.loc[i, "effort_pm"] for i in p)
            if any(v > cap[a] for a, v in load.items()):
                continue
            price = sum(
                sum(el[(i, a)]["price"] for i in p) - discount * (len(p) - 1)
                for p, a in zip(part, who)
            )
            if budget is not None and price > budget + 1e-9:
                continue
            gain = sum(
                el[(i, a)]["quality"] / 100 * it.loc[i, "max_cost"]
                for p, a in zip(part, who)
                for i in p
            )
            val = -price if objective == "price" else gain - price
            if best is None or val > best:
                best = val
    return best


@st.composite
def market(draw):
    """A small random market; hypothesis draws the sizes, options and a seed (numpy draws
    the tables, so the mix of feasible and infeasible cases stays controlled)."""
    n_it = draw(st.integers(2, 5))
    n_ag = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    items = pd.DataFrame(
        {
            "item": [f"I{i}" for i in range(n_it)],
            "budget_unit": rng.choice(["U1", "U2", "U3"], n_it),
            "evaluated_object": "O",
            "qualification": rng.choice(["cpa", "research", "any"], n_it, p=[0.25, 0.25, 0.5]),
            "effort_pm": rng.integers(1, 5, n_it).astype(float),
            "max_cost": rng.integers(50, 101, n_it) * 1000.0,
            "package": [f"P{i // 2}" for i in range(n_it)],  # a given grouping, pairs
        }
    )
    agencies = pd.DataFrame(
        {
            "agency": [f"A{a}" for a in range(n_ag)],
            "qualifications": rng.choice(
                ["cpa", "research", "cpa;research"], n_ag, p=[0.2, 0.2, 0.6]
            ),
            "capacity_pm": rng.integers(4, 13, n_ag).astype(float),
            "ties": rng.choice(np.array([None, "U1"], dtype=object), n_ag, p=[0.8, 0.2]),
        }
    )
    ii, aa = np.nonzero(rng.random((n_it, n_ag)) < 0.85)
    k = len(ii)
    bids = pd.DataFrame(
        {
            "item": [f"I{i}" for i in ii],
            "agency": [f"A{a}" for a in aa],
            "price": rng.integers(20, 91, k) * 1000.0,
            "quality": rng.integers(55, 101, k).astype(float),
            "plan_months": 1.0,
            "report_months": rng.choice([2.5, 3.0, 3.5], k, p=[0.45, 0.45, 0.1]),
        },
        columns=["item", "agency", "price", "quality", "plan_months", "report_months"],
    )
    opts = {
        "budget": draw(st.sampled_from([None, float(draw(st.integers(100, 400)) * 1000)])),
        "min_items": draw(st.integers(1, 2)),
        "max_items": draw(st.sampled_from([None, 2, 3])),
        "n_packages": draw(st.sampled_from([None, None, 1, 2, 3])),
        "k": draw(st.sampled_from([1, 2, 2])),
        "discount": draw(st.sampled_from([0.0, 5000.0])),
        "objective": draw(st.sampled_from(["value", "price"])),
    }
    return items.assign(name_zh=items["item"]), agencies, bids, opts


@settings(max_examples=60, deadline=None)
@given(market())
def test_random_markets_match_brute_force(case):
    items, agencies, bids, o = case
    if bids.empty:
        with pytest.raises(DataError):
            form_packages(items, agencies, bids)
        return
    if o["n_packages"] is not None and o["n_packages"] > len(items):
        with pytest.raises(DataError, match="n_packages"):
            form_packages(items, agencies, bids, n_packages=o["n_packages"])
        return
    best = _brute(
        items,
        agencies,
        bids,
        o["budget"],
        o["n_packages"],
        o["min_items"],
        o["max_items"],
        o["k"],
        o["discount"],
        o["objective"],
    )
    try:
        res = form_packages(
            items,
            agencies,
            bids,
            n_packages=o["n_packages"],
            min_items=o["min_items"],
            max_items=o["max_items"],
            budget=o["budget"],
            objective=o["objective"],
            max_packages=o["k"],
            volume_discount=o["discount"],
        )
    except InfeasibleError:
        assert best is None
        return
    assert best is not None
    got = res.objective if o["objective"] == "value" else -res.objective
    assert got == pytest.approx(best, abs=1e-6)
    # the result tables agree with the objective and the rules
    t = res.table
    assert sorted(res.assignment["item"]) == sorted(items["item"])
    assert t["n_items"].between(o["min_items"], o["max_items"] or len(items)).all()
    assert (t["price"] == t["list_price"] - o["discount"] * (t["n_items"] - 1)).all()
    if o["objective"] == "value":
        assert t["net_value"].sum() == pytest.approx(res.objective)
    assert (res.load["effort_pm"] <= res.load["capacity_pm"] + 1e-9).all()
    assert res.load["packages"].max() <= o["k"]


@settings(max_examples=25, deadline=None)
@given(market())
def test_fixed_grouping_matches_brute_force_and_formation_is_never_worse(case):
    """fixed=True enumerates only the given grouping; freeing it can only help."""
    items, agencies, bids, o = case
    if bids.empty:
        return
    given_part = [list(g) for _, g in items.groupby("package", sort=True)["item"]]
    best_fixed = _brute(items, agencies, bids, o["budget"], k=o["k"], partitions=[given_part])
    try:
        fixed = form_packages(
            items, agencies, bids, budget=o["budget"], max_packages=o["k"], fixed=True
        )
    except InfeasibleError:
        assert best_fixed is None
        return
    assert fixed.objective == pytest.approx(best_fixed)
    formed = form_packages(items, agencies, bids, budget=o["budget"], max_packages=o["k"])
    assert formed.objective >= fixed.objective - 1e-6


# ---------------------------------------------------------------- shipped data


@pytest.mark.parametrize(
    ("objective", "budget", "k"),
    [("value", 550_000, 2), ("price", 550_000, 2), ("value", 520_000, 1), ("value", None, 2)],
)
def test_fixed_shipped_grouping_reproduces_assign_packages(data, objective, budget, k):
    """Item bids split from the package bids + the shipped grouping = assign_packages."""
    items, agencies, bids, _ = data
    try:
        award = assign_packages(
            items, agencies, bids, budget=budget, objective=objective, max_packages=k
        )
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            form_packages(
                items,
                agencies,
                split_package_bids(items, bids),
                budget=budget,
                objective=objective,
                max_packages=k,
                fixed=True,
            )
        return
    res = form_packages(
        items,
        agencies,
        split_package_bids(items, bids),
        budget=budget,
        objective=objective,
        max_packages=k,
        fixed=True,
    )
    assert isinstance(res, FormationResult) and res.status == "optimal"
    assert res.objective == pytest.approx(award.objective)
    assert res.total_price == pytest.approx(award.total_price)
    assert list(res.table["package"]) == list(award.table["package"])
    assert list(res.table["agency"]) == list(award.table["agency"])
    np.testing.assert_allclose(res.table["net_value"], award.table["net_value"])


def test_split_package_bids_adds_up(data):
    items, _, bids, _ = data
    sb = split_package_bids(items, bids)
    back = sb.merge(items[["item", "package"]], on="item").groupby(["package", "agency"])["price"]
    merged = bids.set_index(["package", "agency"])["price"]
    pd.testing.assert_series_equal(back.sum().sort_index(), merged.sort_index(), check_names=False)
    assert (sb["price"] == sb["price"].round()).all()
    assert len(sb) == 2 * len(bids)  # every shipped package has two items


def test_forming_beats_the_given_packaging():
    """Two cpa items packed together: A is cheap on I0, B on I1; splitting them wins.

    Analytic optimum: fixed packaging must give both to one agency, net = 2 x 90,000 x 0.8
    - (40,000 + 60,000) = 44,000; formed packages {I0}->A, {I1}->B: 144,000 - 80,000 = 64,000.
    """
    items = pd.DataFrame(
        {
            "item": ["I0", "I1"],
            "package": ["P", "P"],
            "budget_unit": ["U", "U"],
            "evaluated_object": ["O", "O"],
            "qualification": ["cpa", "cpa"],
            "effort_pm": [2.0, 2.0],
            "max_cost": [90_000.0, 90_000.0],
        }
    )
    agencies = pd.DataFrame(
        {"agency": ["A", "B"], "qualifications": ["cpa", "cpa"], "capacity_pm": [5.0, 5.0]}
    )
    bids = pd.DataFrame(
        {
            "item": ["I0", "I1", "I0", "I1"],
            "agency": ["A", "A", "B", "B"],
            "price": [40_000.0, 60_000.0, 60_000.0, 40_000.0],
            "quality": [80.0] * 4,
            "plan_months": [1.0] * 4,
            "report_months": [3.0] * 4,
        }
    )
    fixed = form_packages(items, agencies, bids, budget=None, fixed=True)
    formed = form_packages(items, agencies, bids, budget=None)
    assert fixed.objective == pytest.approx(44_000)
    assert formed.objective == pytest.approx(64_000)
    assert dict(zip(formed.assignment["item"], formed.assignment["agency"])) == {
        "I0": "A",
        "I1": "B",
    }
    # with a 30,000-yuan volume discount per extra item, packing both together wins again:
    # together 144,000 - (100,000 - 30,000) = 74,000 > 64,000 apart
    disc = form_packages(items, agencies, bids, budget=None, volume_discount=30_000.0)
    assert disc.objective == pytest.approx(74_000)
    assert len(disc.table) == 1 and disc.table["price"].iloc[0] == 70_000


def test_shipped_formation_respects_every_rule_and_beats_fixed(data):
    items, agencies, _, ib = data
    fixed = form_packages(items, agencies, ib, fixed=True)
    res = form_packages(items, agencies, ib, n_packages=4, min_items=2, max_items=2)
    free = form_packages(items, agencies, ib, max_items=3)
    assert fixed.objective < res.objective <= free.objective
    t = res.table
    assert len(t) == 4 and (t["n_items"] == 2).all()
    assert sorted(res.assignment["item"]) == sorted(items["item"])
    assert res.total_price <= 550_000
    assert t["agency"].value_counts().max() <= 2
    assert (res.load["effort_pm"] <= res.load["capacity_pm"]).all()
    assert "A05" not in set(t["agency"])  # tied to the commissioner, 市财政局
    won = res.assignment.merge(res.bids, on=["item", "agency"], suffixes=("", "_bid"))
    assert won["eligible"].all() and len(won) == len(items)
    bad = res.bids[(res.bids["item"] == "E01") & (res.bids["agency"] == "A02")]
    assert bad["reasons"].iloc[0] == "tied to 市教育局"
    assert "HiGHS" in res.log


def test_row_order_does_not_change_the_optimum(data):
    items, agencies, _, ib = data
    a = form_packages(items, agencies, ib, n_packages=4, min_items=2, max_items=2)
    b = form_packages(
        items.iloc[::-1],
        agencies.iloc[::-1],
        ib.sample(frac=1.0, random_state=1),
        n_packages=4,
        min_items=2,
        max_items=2,
    )
    assert a.objective == pytest.approx(b.objective)


# ---------------------------------------------------------------- infeasibility, bad input


def test_item_without_candidate_is_named_with_every_reason(data):
    items, agencies, _, ib = data
    with pytest.raises(InfeasibleError) as err:
        form_packages(items, agencies, ib, report_deadline=2.1)
    msg = str(err.value)
    assert "item E04 (高标准农田建设资金) has no qualified, independent agency" in msg
    assert "A03: report after 3 months (> 2.1)" in msg and "A05: tied to 市财政局" in msg
    assert "E03" not in msg  # A04's E03 report is due within 2.1 months


def test_sizes_that_cannot_hold_the_items(data):
    items, agencies, _, ib = data
    with pytest.raises(InfeasibleError, match="2 package.* of 1-3 items cannot hold exactly 8"):
        form_packages(items, agencies, ib, n_packages=2, max_items=3)


def test_budget_conflict_gives_the_minimum_budget(data):
    items, agencies, _, ib = data
    cheapest = -_brute(items, agencies, ib, None, 4, 2, 2, 2, objective="price")
    with pytest.raises(InfeasibleError) as err:
        form_packages(
            items, agencies, ib, n_packages=4, min_items=2, max_items=2, budget=cheapest - 1_000
        )
    msg = str(err.value)
    assert f"minimum feasible budget is {cheapest:,.0f} yuan, 1,000 yuan above the budget" in msg
    assert "budget (" in msg and "must give way by 1,000 yuan" in msg
    res = form_packages(
        items, agencies, ib, n_packages=4, min_items=2, max_items=2, budget=cheapest
    )
    assert res.total_price == cheapest


def test_capacity_and_size_conflicts_are_named(data):
    items, agencies, _, ib = data
    # eligible: E03 only A04, E07 only A03 or A04 (shipped bids). With A03 at 4 and A04 at
    # 7 person-months, each item fits somewhere alone, but E03 (3) + E07 (5) exceed A04 by 1
    tight = agencies.assign(
        capacity_pm=agencies["agency"].map({"A03": 4.0, "A04": 7.0}).fillna(agencies["capacity_pm"])
    )
    with pytest.raises(InfeasibleError) as err:
        form_packages(items, tight, ib, budget=None)
    msg = str(err.value)
    assert "capacity of agency A04 (7 person-months) must give way by 1 person-months" in msg
    # one package of all 8 items: no agency is eligible for every item
    with pytest.raises(InfeasibleError) as err:
        form_packages(items, agencies, ib, n_packages=1, min_items=8, budget=None)
    msg = str(err.value)
    assert "no packaging and award satisfies every rule" in msg
    assert "left out of every package" in msg or "must give way" in msg


def test_bad_input_lists_every_problem(data):
    items, agencies, _, ib = data
    b = ib.copy()
    b.loc[0, "agency"] = "A99"
    b.loc[1, "price"] = -5.0
    b.loc[2, "item"] = "E99"
    with pytest.raises(DataError) as err:
        form_packages(items, agencies, b)
    msg = str(err.value)
    assert "unknown agency id(s) ['A99'] in row 2" in msg
    assert "expected > 0 yuan in row 3" in msg
    assert "unknown item(s) ['E99'] in row 4" in msg
    with pytest.raises(DataError) as err:
        form_packages(
            items,
            agencies,
            ib,
            min_items=3,
            max_items=2,
            n_packages=0,
            volume_discount=-1.0,
            objective="cheapest",
        )
    msg = str(err.value)
    for field in (
        "max_items (2) is below min_items (3)",
        "n_packages",
        "volume_discount",
        "objective",
    ):
        assert field in msg
    with pytest.raises(DataError, match="more than one bid by the same agency for an item"):
        form_packages(items, agencies, pd.concat([ib, ib.iloc[[0]]]))
    with pytest.raises(DataError, match="below the lowest item price"):
        form_packages(items, agencies, ib, volume_discount=1e6)


def test_same_input_same_answer(data):
    items, agencies, _, ib = data
    a = form_packages(items, agencies, ib, max_items=3)
    b = form_packages(items, agencies, ib, max_items=3)
    pd.testing.assert_frame_equal(a.table, b.table)


def test_compare_packagings_totals_match_the_results(data):
    items, agencies, bids, ib = data
    award = assign_packages(items, agencies, bids)
    given_pk = form_packages(items, agencies, ib, fixed=True)
    free = form_packages(items, agencies, ib, max_items=3)
    cmp = km.allocation.compare_packagings({"award": award, "given": given_pk, "free": free})
    assert list(cmp.index) == ["award", "given", "free"]
    assert cmp.loc["award", "net_value"] == pytest.approx(award.objective)
    assert cmp.loc["free", "net_value"] == pytest.approx(free.objective)
    assert cmp.loc["given", "price"] == pytest.approx(given_pk.total_price)
    assert (cmp["items"] == 8).all()
    assert cmp.loc["free", "packages"] == len(free.table)
    assert cmp.loc["free", "net_value"] >= cmp.loc["given", "net_value"]
    assert free.table["agency"].iloc[0] in cmp.loc["free", "winners"]


def test_formation_plot_draws_one_pair_of_bars_per_packaging(data):
    from kmmodel.allocation.plots import plot_packagings

    items, agencies, _, ib = data
    cmp = km.allocation.compare_packagings(
        {"given": form_packages(items, agencies, ib, fixed=True)}
    )
    import matplotlib.pyplot as plt

    ax = plot_packagings(cmp)
    assert len(ax.patches) == 2
    plt.close(ax.figure)


def test_given_package_without_a_common_agency_is_named(data):
    """E03 is only open to A04 (shipped bids); without A04's E01 bid, E01 is open to A03 and
    A06 only, so a package pairing E01 with E03 has no possible winner."""
    items, agencies, _, ib = data
    ib = ib[~((ib["item"] == "E01") & (ib["agency"] == "A04"))]
    swapped = items.assign(package=items["package"].replace({"P1": "X", "P2": "X"}))
    swapped.loc[swapped["item"].isin(["E02", "E04"]), "package"] = "Y"
    with pytest.raises(InfeasibleError) as err:
        form_packages(swapped, agencies, ib, fixed=True)
    msg = str(err.value)
    assert "package X has no agency eligible for every one of its items" in msg
    assert "E03: A04" in msg and "package Y" not in msg
    # letting the model form the packages instead is feasible
    assert form_packages(swapped, agencies, ib).status == "optimal"
