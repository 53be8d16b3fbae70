"""The legal tender award, the MILP optima beside it, price-weight sensitivity, CLI.

References: 财政部令第87号 第五十五至五十七条 (scores and ranking), 第六十三条 (a price above the
ceiling makes a bid invalid); 政府采购法第三十六条 (fewer than three valid bidders: 废标).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import allocation
from kmmodel.allocation.tender_award import plot_price_weight_sensitivity
from kmmodel.cli import main
from kmmodel.errors import DataError


@pytest.fixture(scope="module")
def shipped():
    return (
        km.datasets.load("evaluation_items"),
        km.datasets.load("tender_agencies"),
        km.datasets.load("tender_bids"),
        km.datasets.load("tender_ratings"),
    )


@pytest.fixture(scope="module")
def award(shipped):
    items, ag, bids, ratings = shipped
    return allocation.award_tender(items, ag, bids, ratings=ratings, business_weight=0.1)


def one_package(prices, techs):
    """One package, bidders with ample capacity and no ties: no interaction between awards."""
    n = len(prices)
    items = pd.DataFrame(
        {
            "item": ["X1"],
            "name_zh": ["事项"],
            "package": ["Q"],
            "budget_unit": ["某局"],
            "evaluated_object": ["某单位"],
            "qualification": ["any"],
            "effort_pm": [1.0],
            "max_cost": [1e7],
        }
    )
    agencies = pd.DataFrame(
        {
            "agency": [f"B{i}" for i in range(n)],
            "qualifications": "cpa",
            "capacity_pm": 100.0,
            "ties": None,
        }
    )
    bids = pd.DataFrame(
        {"package": "Q", "agency": agencies["agency"], "price": prices, "technical": techs}
    )
    return items, agencies, bids


def test_eligibility_rules_applied_first_with_reasons(award):
    s = award.scores.set_index(["package", "agency"])
    # A05 is tied to the commissioner (市财政局), A06 to 市科学技术局 (a budget unit of P3)
    assert not s.loc[("P2", "A05"), "valid"]
    assert "tied to 市财政局" in s.loc[("P2", "A05"), "flags"]
    assert "tied to 市科学技术局" in s.loc[("P3", "A06"), "flags"]
    # the planted compliance failure keeps its own reason
    assert "第六十三条" in s.loc[("P1", "A04"), "flags"]
    # the planted abnormally low bid in P3 is invalid without an accepted explanation
    assert s.loc[("P3", "A09"), "abnormally_low"] and not s.loc[("P3", "A09"), "valid"]


def test_winner_is_the_first_ranked_eligible_bid(award):
    t = award.table.set_index("package")
    assert (t["status"] == "awarded").all()
    for p, row in t.iterrows():
        ranked = award.scores[(award.scores["package"] == p) & award.scores["rank"].notna()]
        best = ranked.sort_values(["total", "evaluated_price"], ascending=[False, True]).iloc[0]
        assert row["agency"] == best["agency"]
        assert row["total"] == pytest.approx(ranked["total"].max())


def test_package_count_rule_passes_over_and_names_the_agency(shipped):
    items, ag, bids, ratings = shipped
    one = allocation.award_tender(
        items, ag, bids, ratings=ratings, business_weight=0.1, max_packages=1
    )
    # A07 ranks first in P3 and P4; evaluated in order P1..P4 it keeps P3 and is passed over in P4
    po = one.passed_over.set_index("package")
    assert po.loc["P4", "agency"] == "A07"
    assert "at most 1" in po.loc["P4", "reason"]
    assert one.winners["P3"] == "A07" and one.winners["P4"] != "A07"
    # evaluated in the other order, A07 keeps P4 instead
    rev = allocation.award_tender(
        items, ag, bids, ratings=ratings, business_weight=0.1, max_packages=1,
        order=["P4", "P3", "P2", "P1"], compare=False,
    )  # fmt: skip
    assert rev.winners["P4"] == "A07" and rev.winners["P3"] != "A07"


def test_optima_dominate_the_legal_award(award):
    # each MILP optimises its own objective over the same candidates and limits,
    # so none can do worse than the legal award on that objective
    c = award.compare().table.set_index("rule")
    assert (c["status"].drop("legal") == "optimal").all()
    assert c.loc["max_score", "total_score"] >= c.loc["legal", "total_score"] - 1e-6
    assert c.loc["value", "net_value"] >= c.loc["legal", "net_value"] - 1e-6
    assert c.loc["min_price", "total_price"] <= c.loc["legal", "total_price"] + 1e-6
    w = award.compare().winners
    assert list(w.columns) == ["package", "legal", "max_score", "value", "min_price"]
    assert c.loc["legal", "price_vs_legal"] == 0


def test_min_price_optimum_is_the_cheapest_valid_bid_per_package_without_limits(shipped):
    items, ag, bids, ratings = shipped
    res = allocation.award_tender(
        items, ag, bids, ratings=ratings, business_weight=0.1, max_packages=None
    )
    valid = res.scores[res.scores["rank"].notna()]
    cheapest = valid.loc[valid.groupby("package")["price"].idxmin(), ["package", "agency"]]
    got = res.optima["min_price"].table[["package", "agency"]]
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True),
        cheapest.sort_values("package").reset_index(drop=True),
        check_dtype=False,
    )


@settings(max_examples=12)
@given(
    st.integers(3, 6).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(50, 200).map(lambda v: v * 1_000.0), min_size=n, max_size=n),
            st.lists(st.integers(0, 200).map(lambda v: v / 2), min_size=n, max_size=n),
        )
    )
)
def test_one_package_sequential_award_equals_the_milp(data):
    prices, techs = data
    items, agencies, bids = one_package(prices, techs)
    res = allocation.award_tender(items, agencies, bids, max_packages=None, abnormal="keep")
    legal = res.table.iloc[0]
    milp = res.optima["max_score"].table.iloc[0]
    ranked = res.scores[res.scores["rank"].notna()]
    # the MILP may pick another bid only where totals tie exactly
    assert ranked.set_index("agency").loc[milp["agency"], "total"] == pytest.approx(legal["total"])
    if (np.isclose(ranked["total"], ranked["total"].max())).sum() == 1:
        assert milp["agency"] == legal["agency"]


def test_price_above_the_ceiling_is_invalid_and_too_few_bids_fail():
    items, agencies, bids = one_package([100_000.0, 120_000.0, 130_000.0], [80, 85, 90])
    items["max_cost"] = 125_000.0  # 130,000 is above the ceiling (第六十三条)
    res = allocation.award_tender(items, agencies, bids, max_packages=None)
    s = res.scores.set_index("agency")
    assert not s.loc["B2", "valid"] and "above the package ceiling" in s.loc["B2", "flags"]
    # two valid bids left: the tender fails (政府采购法第三十六条)
    assert res.table.loc[0, "status"] == "failed"
    assert res.winners == {}
    assert "no valid" in str(res.optima["max_score"])


def test_price_weight_one_awards_the_lowest_evaluated_price():
    items, agencies, bids = one_package([100_000.0, 90_000.0, 95_000.0], [95, 60, 70])
    sens = allocation.price_weight_sensitivity(
        items, agencies, bids, price_weights=[0.1, 0.5, 1.0], max_packages=None
    )
    w = dict(zip(sens["price_weight"], sens["agency"]))
    assert w[1.0] == "B1"  # price alone: the cheapest
    assert w[0.1] == "B0"  # technical 0.9: the best technical bid
    # at 0.5: B0 = 0.5 x 90 + 0.5 x 95 = 92.5; B1 = 50 + 30 = 80; B2 = 0.5 x 94.74 + 35 = 82.4
    assert w[0.5] == "B0"


def test_sensitivity_default_range_is_the_legal_one(shipped):
    items, ag, bids, ratings = shipped
    sens = allocation.price_weight_sensitivity(
        items, ag, bids, ratings=ratings, business_weight=0.1
    )
    weights = sorted(sens["price_weight"].unique())
    assert weights[0] == pytest.approx(0.10)  # services floor, 第五十五条
    assert weights[-1] == pytest.approx(0.90)  # 1 - business weight
    ax = plot_price_weight_sensitivity(sens)
    assert ax.get_ylabel() == "中标总价 [万元]"


def test_bad_input_lists_unknown_bidders_and_packages(shipped):
    items, ag, bids, _ = shipped
    b = bids.copy()
    b.loc[0, "agency"] = "A99"
    b.loc[1, "package"] = "P9"
    b.loc[2, "price"] = -1.0
    with pytest.raises(DataError) as err:
        allocation.award_tender(items, ag, b, business_weight=0.1, order=["P1", "P2"])
    msg = str(err.value)
    assert "unknown bidder(s) ['A99']" in msg
    assert "unknown package(s) ['P9']" in msg
    assert "expected > 0 yuan" in msg
    assert "missing ['P3', 'P4']" in msg


def test_cli_writes_scores_and_exits_2_on_bad_input(tmp_path, capsys):
    out = tmp_path / "award.xlsx"
    code = main(
        [
            "tender",
            str(km.datasets.path("tender_bids")),
            "--ratings",
            str(km.datasets.path("tender_ratings")),
            "--business-weight",
            "0.1",
            "-o",
            str(out),
        ]
    )
    assert code == 0 and out.is_file()
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == {"scores", "winners"}
    assert "winners: P1→" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    code = main(
        ["tender", str(km.datasets.path("tender_bids")), "--price-weight", "0.05", "-o", str(bad)]
    )
    err = capsys.readouterr().err
    assert code == 2 and not bad.exists()
    assert "below the legal floor" in err and "technical" in err  # no ratings: no technical


def test_cli_award_with_items_and_agencies(tmp_path, capsys):
    out = tmp_path / "award.csv"
    code = main(
        [
            "tender",
            str(km.datasets.path("tender_bids")),
            "--ratings",
            str(km.datasets.path("tender_ratings")),
            "--business-weight",
            "0.1",
            "--items",
            str(km.datasets.path("evaluation_items")),
            "--agencies",
            str(km.datasets.path("tender_agencies")),
            "-o",
            str(out),
        ]
    )
    assert code == 0
    s = pd.read_csv(out, encoding="utf-8-sig")
    assert "reasons" in s.columns and s["reasons"].fillna("").str.contains("tied to").any()


def test_cli_missing_or_bad_files_exit_2(tmp_path, capsys):
    bids = str(km.datasets.path("tender_bids"))
    assert main(["tender", bids, "--ratings", str(tmp_path / "none.csv")]) == 2
    assert "none.csv: ratings file not found" in capsys.readouterr().err
    assert main(["tender", bids, "-o", str(tmp_path / "award.txt")]) == 2
    assert "expected an output ending in .csv or .xlsx" in capsys.readouterr().err
    few = km.datasets.load("tender_ratings")
    few = few[few["rater"].isin(["E1", "E2"])]
    path = tmp_path / "few.csv"
    few.to_csv(path, index=False)
    out = tmp_path / "award.csv"
    assert main(["tender", bids, "--ratings", str(path), "-o", str(out)]) == 2
    assert "needs at least 3 raters" in capsys.readouterr().err and not out.exists()
    assert main(["tender", bids, "--items", str(km.datasets.path("evaluation_items"))]) == 2
    assert "give --items and --agencies together" in capsys.readouterr().err


def test_lowest_price_award_and_a_package_without_bids(shipped):
    items, ag, bids, _ = shipped
    res = allocation.award_tender(items, ag, bids[bids["package"] != "P2"], method="lowest_price")
    t = res.table.set_index("package")
    assert t.loc["P2", "status"] == "unawarded"
    valid = res.scores[res.scores["rank"].notna()]
    for p in ("P1", "P3", "P4"):  # 第五十六条: the lowest evaluated price among valid bids
        sub = valid[valid["package"] == p]
        assert t.loc[p, "evaluated_price"] == sub["evaluated_price"].min()
    c = res.compare().table.set_index("rule")
    assert c.loc["value", "status"].startswith("no solution: no technical scores")
    assert np.isnan(c.loc["legal", "net_value"])
