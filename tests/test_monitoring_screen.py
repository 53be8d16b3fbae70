"""The combined screen: planted problems found, clean units clean, stated false-alarm rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kmmodel as km
from kmmodel import monitoring
from kmmodel.errors import DataError
from kmmodel.monitoring import synthetic

#: stated false-alarm rate of screen()'s defaults on clean data: share of unit x check
#: pairs flagged when nothing is planted (README, quality.py docstring)
FALSE_ALARM_RATE = 0.02


@pytest.fixture(scope="module")
def shipped():
    feed = km.datasets.load("monthly_progress")
    return monitoring.screen(
        feed,
        2025,
        third_party=km.datasets.load("third_party_checks"),
        payments=km.datasets.load("payment_records"),
        bunching_thresholds=[1.0],
    )


def test_every_planted_problem_is_found_by_its_check(shipped):
    found = set(map(tuple, shipped.flags[["check", "unit"]].astype(str).to_numpy()))
    for p in synthetic.PLANTED.itertuples():
        if p.check == "progress":
            continue  # a performance problem, not a data problem (see test_monitoring_progress)
        assert (p.check, p.unit) in found, p.what


def test_clean_units_are_not_flagged(shipped):
    planted = set(synthetic.PLANTED["unit"]) - {"dongchuan"}  # dongchuan is late, not wrong
    clean = shipped.table[~shipped.table["unit"].isin(planted)]
    assert len(clean) == 12
    # at the stated rate, 12 units x 6 checks would allow 1 false flag; the shipped feed has none
    assert (clean["n_flags"] == 0).all()
    assert (clean["score"] == 100).all()
    assert set(shipped.table.iloc[:6]["unit"]) == planted
    assert shipped.checks_run == monitoring.CHECKS


def test_scores_and_explanations(shipped):
    t = shipped.table.set_index("unit")
    assert t["score"].between(0, 100).all()
    # fumin: outliers + jumps flag it, 2 of 6 equally weighted checks
    assert t.loc["fumin", "score"] == pytest.approx(100 * (1 - 2 / 6))
    assert t.loc["fumin", "checks"] == "jumps, outliers"
    ex = shipped.explain("luquan")
    assert (ex["check"] == "consistency").all() and len(ex) == 2
    assert ex["reason"].str.contains("third party").all()
    assert shipped.explain("wuhua").empty
    with pytest.raises(DataError, match="unknown unit"):
        shipped.explain("nowhere")


def test_weights_change_the_score_only():
    flags = pd.DataFrame(
        {
            "unit": ["a", "a"],
            "check": ["digits", "benford"],
            "item": ["x", "y"],
            "statistic": [1.0, 1.0],
            "score": [0.0, 0.0],
            "score_kind": ["p-value"] * 2,
            "flag": [True, True],
            "reason": ["r1", "r2"],
        }
    )
    run = ["digits", "benford", "outliers", "jumps"]
    t = monitoring.quality_score(flags, ["a", "b"], run).set_index("unit")
    assert t.loc["a", "score"] == 50 and t.loc["b", "score"] == 100
    w = monitoring.quality_score(flags, ["a", "b"], run, weights={"digits": 2.0}).set_index("unit")
    assert w.loc["a", "score"] == pytest.approx(100 * (1 - 3 / 5))
    assert "digits [x]: r1" in w.loc["a", "explanation"]


def test_false_alarm_rate_on_clean_feeds():
    units = [f"u{i:02d}" for i in range(18)]
    flagged, pairs = 0, 0
    for seed in (101, 202, 303):
        feed = synthetic.make_feed(units=units, seed=seed, plant=False)
        res = monitoring.screen(
            feed,
            2025,
            third_party=synthetic.make_third_party(feed, seed=seed + 1, plant=False),
            payments=synthetic.make_payments(units=units, seed=seed + 2, plant=False),
            bunching_thresholds=[1.0],
        )
        flagged += len(res.flags[["unit", "check"]].drop_duplicates())
        pairs += len(units) * len(res.checks_run)
    assert flagged / pairs <= FALSE_ALARM_RATE


def test_same_seed_same_result():
    units = [f"u{i}" for i in range(6)]
    a = synthetic.make_feed(units=units, seed=7)
    b = synthetic.make_feed(units=units, seed=np.random.default_rng(7))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(synthetic.make_feed(units=units, seed=8))


def test_screen_without_optional_inputs_and_bad_input():
    feed = km.datasets.load("monthly_progress")
    res = monitoring.screen(feed, 2025, month=9)
    assert res.checks_run == ("outliers", "jumps", "digits")
    assert {"fumin", "songming"} <= set(res.flags["unit"])
    with pytest.raises(DataError, match="no rows for year 2031"):
        monitoring.screen(feed, 2031)
    with pytest.raises(
        DataError, match=r"third_party: missing column\(s\) \['indicator', 'year', 'value'\]"
    ):
        monitoring.screen(feed, 2025, third_party=pd.DataFrame({"unit": ["a"]}))
    broken = feed.copy()
    broken.loc[[3, 10], "actual"] = -1.0
    with pytest.raises(DataError, match=r"rows 5, 12"):
        monitoring.screen(broken, 2025)


def test_shipped_files_are_valid_and_reference_the_example_units():
    units = set(km.datasets.load("units")["unit"])
    for name in ("monthly_progress", "third_party_checks", "payment_records"):
        df = km.datasets.load(name)
        assert set(df["unit"]) == units
    feed = km.datasets.load("monthly_progress")
    assert len(feed) == 18 * 5 * 5 * 12
    assert monitoring.feed_problems(feed).empty


def test_row_order_does_not_change_the_screen():
    feed = km.datasets.load("monthly_progress")
    a = monitoring.screen(feed, 2025, bunching_thresholds=[1.0])
    b = monitoring.screen(feed.sample(frac=1.0, random_state=1), 2025, bunching_thresholds=[1.0])
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.flags, b.flags)


def test_payments_without_year_and_unknown_weights():
    feed = km.datasets.load("monthly_progress")
    pay = km.datasets.load("payment_records").drop(columns="year")
    res = monitoring.screen(feed, 2025, payments=pay)
    assert res.checks_run[-1] == "benford"
    assert res.explain("yiliang")["check"].tolist() == ["benford"]
    with pytest.raises(DataError, match="no payments for year 2024"):
        monitoring.screen(feed, 2024, payments=km.datasets.load("payment_records"))
    with pytest.raises(DataError, match="no weight for check"):
        monitoring.quality_score(res.flags, ["a"], ["outliers", "astrology"], weights=None)
