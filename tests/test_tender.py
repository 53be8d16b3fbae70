"""Tender scores (综合评分法 / 最低评标价法) against hand-worked cases and the order's rules.

Rules and where they come from (财政部令第87号 《政府采购货物和服务招标投标管理办法》):
第五十五条 base price = lowest valid price, price score = base / price x 100, total =
sum of weight x factor score with weights summing to 1, price weight >= 30% (goods) /
10% (services), policy-adjusted (deducted) prices used for the base and the price score;
第五十六条 lowest-price ranking; 第五十七条 equal score -> lower price first, equal score
and price -> 并列; 第六十条 abnormally low bids need a written explanation.
财库〔2020〕46号 第九条 with 财库〔2022〕19号: small/micro price deduction 10%-20% for goods
and services. 政府采购法第三十六条: fewer than three valid bidders -> the tender fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmmodel.allocation import tender_scores
from kmmodel.allocation.tender import PRICE_WEIGHT_FLOOR, SME_DEDUCTION_RANGE
from kmmodel.errors import DataError


def hand_bids() -> pd.DataFrame:
    """Four bidders: one small firm (B), one invalid bid (D, the cheapest)."""
    return pd.DataFrame(
        {
            "package": "T",
            "agency": ["A", "B", "C", "D"],
            "price": [200_000.0, 180_000.0, 170_000.0, 150_000.0],
            "technical": [80.0, 70.0, 75.0, 90.0],
            "business": [70.0, 90.0, 80.0, 85.0],
            "sme": [False, True, False, False],
            "valid": [True, True, True, False],
            "reason": ["", "", "", "投标文件未按要求盖章"],
        }
    )


def test_hand_worked_composite_example():
    # Every number by hand (第五十五条; 46号 第九条 deduction 10%):
    # B's evaluated price = 180,000 x 0.9 = 162,000; D is invalid, so the base price is
    # min(200,000, 162,000, 170,000) = 162,000 (B, the deducted price).
    # price scores: A 162/200 x 100 = 81; B 100; C 162/170 x 100 = 95.294117647...
    # totals (price 0.3, technical 0.6, business 0.1):
    #   A = 0.3 x 81 + 0.6 x 80 + 0.1 x 70 = 24.3 + 48 + 7 = 79.3
    #   B = 0.3 x 100 + 0.6 x 70 + 0.1 x 90 = 30 + 42 + 9 = 81.0
    #   C = 0.3 x 95.2941 + 0.6 x 75 + 0.1 x 80 = 28.588235 + 45 + 8 = 81.588235
    # ranking (第五十七条): C, B, A; D unranked.
    s = tender_scores(hand_bids(), price_weight=0.3, business_weight=0.1, sme_deduction=0.1)
    s = s.set_index("agency")
    assert s.loc["B", "evaluated_price"] == 162_000.0
    assert s.loc["B", "price"] == 180_000.0  # the contract price stays the bid
    assert s.loc["A", "price_score"] == pytest.approx(81.0)
    assert s.loc["B", "price_score"] == pytest.approx(100.0)
    assert s.loc["C", "price_score"] == pytest.approx(162_000 / 170_000 * 100)
    assert s.loc["A", "total"] == pytest.approx(79.3)
    assert s.loc["B", "total"] == pytest.approx(81.0)
    assert s.loc["C", "total"] == pytest.approx(0.3 * 162_000 / 170_000 * 100 + 45 + 8)
    assert s.loc[["C", "B", "A"], "rank"].tolist() == [1, 2, 3]
    assert pd.isna(s.loc["D", "rank"]) and np.isnan(s.loc["D", "total"])
    assert "invalid: 投标文件未按要求盖章" in s.loc["D", "flags"]
    assert "price cut 10%" in s.loc["B", "flags"]


def test_without_the_deduction_the_small_firm_loses_its_base_price():
    # no deduction (a package reserved for SMEs): base = C's 170,000; B's price score
    # = 170/180 x 100 = 94.444; B total = 0.3 x 94.444 + 42 + 9 = 79.333 < A's?
    # A = 0.3 x 85 + 48 + 7 = 80.5; so the order becomes C, A, B.
    s = tender_scores(hand_bids(), price_weight=0.3, business_weight=0.1, sme_deduction=0)
    s = s.set_index("agency")
    assert s.loc["C", "price_score"] == pytest.approx(100.0)
    assert s.loc["B", "total"] == pytest.approx(0.3 * 170 / 180 * 100 + 42 + 9)
    assert s.loc["A", "total"] == pytest.approx(80.5)
    assert s.loc[["C", "A", "B"], "rank"].tolist() == [1, 2, 3]


def test_lowest_price_method_ranks_by_evaluated_price():
    # 第五十六条: B's deducted 162,000 < C's 170,000 < A's 200,000; D invalid
    s = tender_scores(hand_bids(), method="lowest_price", sme_deduction=0.2).set_index("agency")
    assert s.loc["B", "evaluated_price"] == 144_000.0
    assert s.loc[["B", "C", "A"], "rank"].tolist() == [1, 2, 3]
    assert s["total"].isna().all()


def test_equal_score_ranked_by_price_then_tied():
    # 第五十七条: equal total -> lower price first; equal total and price -> same rank
    b = pd.DataFrame(
        {
            "package": "T",
            "agency": ["A", "B", "C", "E"],
            "price": [100.0, 100.0, 125.0, 100.0],
            "technical": [80.0, 80.0, 90.0, 75.0],
        }
    )
    # A, B: 0.2 x 100 + 0.8 x 80 = 84; C: 0.2 x 80 + 0.8 x 90 = 88; E: 20 + 60 = 80
    s = tender_scores(b, price_weight=0.2).set_index("agency")
    assert s.loc["C", "rank"] == 1
    assert s.loc["A", "rank"] == s.loc["B", "rank"] == 2  # 并列
    assert s.loc["E", "rank"] == 4
    assert sorted(s.loc[["A", "B"], "award_rank"]) == [2, 3]
    assert "tied on score and price" in s.loc["A", "flags"]


def test_equal_totals_at_different_prices_lower_price_first():
    # A: 0.25 x 100 + 0.75 x 60 = 70; B at price 125: 0.25 x 80 + 0.75 x 66.666.. = 70
    b = pd.DataFrame(
        {
            "package": "T",
            "agency": ["B", "A", "C"],
            "price": [125.0, 100.0, 130.0],
            "technical": [200 / 3, 60.0, 10.0],
        }
    )
    s = tender_scores(b, price_weight=0.25, decimals=6).set_index("agency")
    assert s.loc["A", "total"] == pytest.approx(s.loc["B", "total"])
    assert s.loc["A", "rank"] == 1 and s.loc["B", "rank"] == 2


def test_abnormally_low_bid_explain_exclude_keep():
    # 第六十条: X bids 40,000 against others at 100,000-120,000 (median of others 110,000:
    # ratio 0.364 < 0.6). Default "explain": no accepted explanation -> invalid, and the
    # base price comes from the others; with an accepted explanation it is kept.
    b = pd.DataFrame(
        {
            "package": "T",
            "agency": ["X", "P", "Q", "R"],
            "price": [40_000.0, 100_000.0, 110_000.0, 120_000.0],
            "technical": [70.0, 80.0, 85.0, 90.0],
        }
    )
    s = tender_scores(b).set_index("agency")
    assert bool(s.loc["X", "abnormally_low"]) and not s.loc["X", "valid"]
    assert s.loc["X", "low_ratio"] == pytest.approx(40 / 110)
    assert s.loc["P", "price_score"] == pytest.approx(100.0)
    assert "no accepted written explanation" in s.loc["X", "flags"]
    kept = tender_scores(b.assign(explained=[True, False, False, False])).set_index("agency")
    assert kept.loc["X", "valid"] and kept.loc["X", "price_score"] == pytest.approx(100.0)
    assert kept.loc["P", "price_score"] == pytest.approx(40.0)
    keep = tender_scores(b, abnormal="keep").set_index("agency")
    assert keep.loc["X", "valid"] and "kept" in keep.loc["X", "flags"]
    excl = tender_scores(b.assign(explained=True), abnormal="exclude").set_index("agency")
    assert not excl.loc["X", "valid"]
    # the mean basis: others' mean (100+110+120)/3 = 110 as well; a 0.3 share keeps X
    assert tender_scores(b, abnormal_share=0.3).set_index("agency").loc["X", "valid"]


def test_too_few_valid_bids_fail_the_package():
    b = hand_bids()  # three valid bids: scored and ranked
    assert tender_scores(b, business_weight=0.1)["rank"].notna().sum() == 3
    b.loc[0, "valid"] = False  # two valid bids: 政府采购法第三十六条
    s = tender_scores(b, business_weight=0.1)
    assert s["rank"].isna().all()
    assert s["flags"].str.contains("第三十六条").sum() == 2


def test_ratings_give_technical_scores_by_trimmed_mean():
    b = hand_bids().drop(columns=["technical"])
    scores = {"A": [60, 78, 80, 82, 99], "B": [70, 70, 70, 70, 70], "C": [50, 74, 75, 76, 100]}
    r = pd.DataFrame(
        [
            ("T", a, "technical", f"E{k + 1}", v)
            for a, vals in scores.items()
            for k, v in enumerate(vals)
        ],
        columns=["package", "agency", "factor", "rater", "score"],
    )
    s = tender_scores(b, business_weight=0.1, ratings=r).set_index("agency")
    # trimmed: A (78+80+82)/3 = 80, B 70, C (74+75+76)/3 = 75 — the hand example again
    assert s.loc[["A", "B", "C"], "technical_score"].tolist() == pytest.approx([80, 70, 75])
    assert s.loc["C", "total"] == pytest.approx(0.3 * 162_000 / 170_000 * 100 + 45 + 8)


def _bids(prices, techs, smes):
    n = len(prices)
    return pd.DataFrame(
        {
            "package": "T",
            "agency": [f"A{i:02d}" for i in range(n)],
            "price": prices,
            "technical": techs,
            "sme": smes,
        }
    )


bid_lists = st.integers(3, 7).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(10_000, 1_000_000, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@given(bid_lists, st.floats(0.10, 1.0), st.sampled_from([0.0, 0.1, 0.15, 0.2]))
def test_lowest_valid_deducted_price_gets_full_price_score(data, pw, d):
    prices, techs, smes = data
    s = tender_scores(_bids(prices, techs, smes), price_weight=pw, sme_deduction=d, abnormal="keep")
    low = s["evaluated_price"] == s["evaluated_price"].min()
    assert np.allclose(s.loc[low, "price_score"], 100.0)
    assert (s.loc[~low, "price_score"] < 100.0).all() and (s["price_score"] > 0).all()
    expected = np.asarray(prices) * np.where(smes, 1 - d, 1.0)
    assert np.allclose(np.sort(s["evaluated_price"]), np.sort(expected))


@given(bid_lists, st.floats(0.10, 1.0), st.integers(0, 6), st.floats(1.0, 3.0))
def test_raising_a_bid_never_raises_its_total(data, pw, which, factor):
    # abnormal="keep": with exclusion a price change can flip another bid's low status
    prices, techs, smes = data
    i = which % len(prices)
    before = tender_scores(_bids(prices, techs, smes), price_weight=pw, abnormal="keep")
    raised = list(prices)
    raised[i] *= factor
    after = tender_scores(_bids(raised, techs, smes), price_weight=pw, abnormal="keep")
    name = f"A{i:02d}"
    t0 = before.set_index("agency").loc[name, "total"]
    t1 = after.set_index("agency").loc[name, "total"]
    assert t1 <= t0 + 1e-9


def test_price_weight_floors_and_deduction_range_are_the_texts():
    assert PRICE_WEIGHT_FLOOR == {"goods": 0.30, "services": 0.10}  # 第五十五条
    assert SME_DEDUCTION_RANGE["services"] == (0.10, 0.20)  # 财库〔2022〕19号
    tender_scores(hand_bids(), price_weight=0.10, business_weight=0.1)  # services: allowed
    with pytest.raises(DataError, match="below the legal floor for goods"):
        tender_scores(hand_bids(), price_weight=0.25, category="goods")
    with pytest.raises(DataError, match="sme_deduction"):
        tender_scores(hand_bids(), sme_deduction=0.06)  # the pre-2022 46号 range


def test_bad_input_is_one_error_listing_every_problem():
    b = hand_bids()
    b.loc[0, "price"] = 0
    b.loc[1, "price"] = -5
    b.loc[2, "agency"] = "ZZ"
    b.loc[3, "package"] = "NOPE"
    r = pd.DataFrame(
        {
            "package": "T",
            "agency": ["A", "A", "Q"],
            "factor": "technical",
            "rater": ["E1", "E2", "E1"],
            "score": [80, 82, 70],
        }
    )
    with pytest.raises(DataError) as err:
        tender_scores(
            b.drop(columns=["technical"]),
            weights={"price": 0.05, "technical": 0.5, "business": 0.1},
            ratings=r,
            agencies={"A", "B", "C", "D"},
            packages={"T"},
        )
    text = str(err.value)
    for needle in (
        "must sum to 1",  # weights 0.05 + 0.5 + 0.1 = 0.65
        "below the legal floor for services",  # 0.05 < 0.10
        "expected > 0 yuan in rows 2, 3",  # price 0 and -5
        "unknown bidder(s) ['ZZ']",
        "unknown package(s) ['NOPE']",
        "ratings for bids not in the bids table: T/Q",
        "needs at least 3 raters",  # trimmed mean from 2 raters
    ):
        assert needle in text, needle
    assert len(err.value.problems) >= 7


def test_bad_options_named():
    with pytest.raises(DataError) as err:
        tender_scores(
            hand_bids(),
            method="cheapest",
            category="works",
            abnormal="ignore",
            abnormal_share=1.5,
            tie_break="coin",
        )
    msg = str(err.value)
    for field in ("method", "category", "abnormal", "abnormal_share", "tie_break"):
        assert field in msg


def test_same_seed_same_lot():
    b = pd.DataFrame({"package": "T", "agency": list("ABCD"), "price": 100.0, "technical": 80.0})
    a1 = tender_scores(b, tie_break="lot", seed=3)
    a2 = tender_scores(b.iloc[::-1], tie_break="lot", seed=3)
    assert a1["agency"].tolist() == a2["agency"].tolist()
    assert (a1["rank"] == 1).all()


def test_the_abnormally_low_rule_can_reward_a_higher_price():
    # Y = 58 against the others' median 95 (ratio 0.61) stays in and sets the base price;
    # X raising 95 -> 110 lifts the median to 100, Y (0.58 < 0.6) drops out, the base
    # becomes Z's 90 and X's price score rises from 58/95 x 100 to 90/110 x 100.
    b = pd.DataFrame(
        {
            "package": "T",
            "agency": ["X", "Y", "Z", "W"],
            "price": [95.0, 58.0, 90.0, 100.0],
            "technical": 80.0,
        }
    )
    before = tender_scores(b).set_index("agency")
    after = tender_scores(b.assign(price=[110.0, 58.0, 90.0, 100.0])).set_index("agency")
    assert before.loc["Y", "valid"] and not after.loc["Y", "valid"]
    assert before.loc["X", "price_score"] == pytest.approx(58 / 95 * 100)
    assert after.loc["X", "price_score"] == pytest.approx(90 / 110 * 100)
    assert after.loc["X", "total"] > before.loc["X", "total"]


def test_panel_win_shares_equal_rescoring_each_redrawn_panel():
    # brute force: rescore the tender with every panel redraw_panels yields (same seed,
    # same draws) and count the winners; the vectorised shares must match exactly
    import kmmodel as km
    from kmmodel import panel
    from kmmodel.allocation.tender import panel_win_shares

    bids, ratings = km.datasets.load("tender_bids"), km.datasets.load("tender_ratings")
    n = 25
    fast = panel_win_shares(bids, ratings, n_draws=n, seed=4, business_weight=0.1)
    wins: dict = {}
    for rep in panel.redraw_panels(ratings, n, seed=4):
        s = tender_scores(bids, ratings=rep, business_weight=0.1)
        for p, a in s.loc[s["award_rank"] == 1, ["package", "agency"]].itertuples(index=False):
            wins[(p, a)] = wins.get((p, a), 0) + 1
    slow = fast[["package", "agency"]].apply(lambda r: wins.get(tuple(r), 0) / n, axis=1)
    assert fast["win_share"].to_numpy() == pytest.approx(slow.to_numpy())
    assert fast.groupby("package")["win_share"].sum().to_numpy() == pytest.approx(1.0)
    assert (fast.loc[fast["winner"], "win_share"] > 0.5).all()
