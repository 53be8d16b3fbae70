"""Time-progress warnings (序时进度): analytic cases, planted delays, calibration, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import kmmodel as km
from kmmodel import monitoring
from kmmodel.errors import DataError
from kmmodel.monitoring import synthetic


def series(increments, target=1200.0, unit="a", indicator="x", year=2025):
    inc = np.asarray(increments, float)
    return pd.DataFrame(
        {
            "unit": unit,
            "indicator": indicator,
            "year": year,
            "month": np.arange(1, len(inc) + 1),
            "target": target,
            "actual": np.cumsum(inc),
        }
    )


@pytest.fixture(scope="module")
def shipped():
    return km.datasets.load("monthly_progress")


@pytest.fixture(scope="module")
def clean():
    units = [f"u{i:02d}" for i in range(18)]
    return synthetic.make_feed(units=units, seed=11, plant=False)


def test_on_pace_series_is_green_with_exact_projection():
    res = monitoring.progress(series([100.0] * 6), 2025, 6, profile="linear")
    row = res.table.iloc[0]
    assert row["expected"] == pytest.approx(0.5)
    assert row["gap"] == pytest.approx(0.0)
    assert row["projected"] == pytest.approx(1200.0)
    # equal monthly amounts: zero spread, the random-walk interval collapses on the projection
    assert row["projected_low"] == pytest.approx(1200.0)
    assert row["projected_high"] == pytest.approx(1200.0)
    assert row["status"] == "green" and res.alerts.empty


def test_linear_random_walk_interval_by_hand():
    inc = [80.0, 120.0, 90.0, 110.0]
    res = monitoring.progress(series(inc), 2025, 4, profile="linear", level=0.9)
    row = res.table.iloc[0]
    # projection A_4 / (4/12) = 400 * 3; half-width z_0.95 * sd(inc) * sqrt(12 - 4)
    half = stats.norm.ppf(0.95) * np.std(inc, ddof=1) * np.sqrt(8)
    assert row["projected"] == pytest.approx(1200.0)
    assert row["projected_low"] == pytest.approx(1200.0 - half)
    assert row["projected_high"] == pytest.approx(1200.0 + half)


def test_thresholds_decide_status():
    # 42% done at month 6 (expected 50%): 8 points behind. Projection 840, 90% interval
    # 840 +- 1.645 * sd(40, 100, ...) * sqrt(6) = 840 +- 132.5, so the upper end (972.5)
    # misses the target by less than 5%: yellow at (0.05, 0.10) from the gap alone.
    f = series([40.0, 100.0] * 3, target=1000.0)
    th = monitoring.Thresholds(yellow=0.05, red=0.10)
    r = monitoring.progress(f, 2025, 6, profile="linear", thresholds=th).table.iloc[0]
    assert r["gap"] == pytest.approx(0.42 - 0.5)
    assert r["status"] == "yellow"
    assert "behind schedule" in r["reason"] and "序时进度" in r["reason"]
    r = monitoring.progress(
        f, 2025, 6, profile="linear", thresholds=monitoring.Thresholds(0.02, 0.05)
    ).table.iloc[0]
    assert r["status"] == "red"
    r = monitoring.progress(
        f, 2025, 6, profile="linear", thresholds=monitoring.Thresholds(0.20, 0.30)
    ).table.iloc[0]
    assert r["status"] == "green"
    with pytest.raises(DataError, match="yellow <= red"):
        monitoring.Thresholds(yellow=0.2, red=0.1)


def test_seasonal_profile_recovers_a_known_schedule():
    w = synthetic.SEASONAL_WEIGHTS["budget_execution"]
    years = [
        series(w * 1000 * (1 + 0.1 * k), target=1000.0, unit=u, year=y)
        for k, u in enumerate("abc")
        for y in (2022, 2023, 2024)
    ]
    prof = monitoring.seasonal_profile(pd.concat(years))
    np.testing.assert_allclose(prof["expected"].to_numpy(), np.cumsum(w), rtol=1e-9)
    with pytest.raises(DataError, match="fewer than 2 complete years"):
        monitoring.seasonal_profile(years[0])


def test_planted_delay_is_red_and_first(shipped):
    for month in (6, 9):
        res = monitoring.progress(shipped, 2025, month)
        top = res.alerts.iloc[:2]
        assert {"dongchuan", "xundian"} == set(top["unit"])
        row = res.table.set_index(["unit", "indicator"]).loc[
            ("dongchuan", "fixed_asset_investment")
        ]
        assert row["status"] == "red"
        assert row["projected_high"] < row["target"]
    # back-loaded budgets look late under a linear 序时进度 but not under the learned profile
    lin = monitoring.progress(shipped, 2025, 6, profile="linear")
    sea = monitoring.progress(shipped, 2025, 6, profile="seasonal")
    assert lin.counts()["red"] > 3 * sea.counts()["red"]


def test_clean_feed_interval_coverage_and_false_alarms(clean):
    # the 90% interval of the seasonal projection should cover most realised year-ends
    for month in (4, 8):
        res = monitoring.progress(clean, 2025, month)
        t = res.table.set_index(["unit", "indicator"])
        end = clean[(clean["year"] == 2025) & (clean["month"] == 12)]
        end = end.set_index(["unit", "indicator"])["actual"].reindex(t.index)
        covered = (end >= t["projected_low"]) & (end <= t["projected_high"])
        assert covered.mean() >= 0.8
        # completion ~ N(1.02, 0.03): red only for a real shortfall of 5% or more
        real = (end / t["target"]).to_numpy()
        assert ((t["status"] == "red") & (real > 0.97)).sum() <= 2


@settings(max_examples=30)
@given(
    scale=st.floats(1.0, 1.5),
    month=st.integers(2, 11),
    seed=st.integers(0, 10_000),
)
def test_more_progress_never_worsens_status(scale, month, seed):
    rng = np.random.default_rng(seed)
    inc = rng.uniform(50, 120, 12)
    base = series(inc, target=1100.0)
    more = base.assign(actual=base["actual"] * scale)
    a = monitoring.progress(base, 2025, month, profile="linear").table.iloc[0]
    b = monitoring.progress(more, 2025, month, profile="linear").table.iloc[0]
    order = {"red": 0, "yellow": 1, "green": 2}
    assert order[b["status"]] >= order[a["status"]]
    assert b["gap"] >= a["gap"] - 1e-12
    assert a["projected_low"] <= a["projected"] <= a["projected_high"]


def test_row_order_does_not_matter(shipped):
    a = monitoring.progress(shipped, 2025, 7).table
    b = monitoring.progress(shipped.sample(frac=1.0, random_state=3), 2025, 7).table
    pd.testing.assert_frame_equal(a, b)


def test_bad_feed_lists_every_problem_with_rows():
    f = pd.concat([series([100.0] * 6), series([50.0] * 3, unit="b")], ignore_index=True)
    f.loc[2, "actual"] = 10.0  # decreasing cumulative actual (row 4 in the file)
    f.loc[4, "month"] = 13  # month out of range (row 6)
    f.loc[7, "target"] = np.nan  # missing target (row 9)
    with pytest.raises(DataError) as exc:
        monitoring.progress(f, 2025, 3)
    msg = str(exc.value)
    assert "cumulative actual decreases from the previous month in row 4" in msg
    assert "month out of range: expected a whole number 1-12 in row 6" in msg
    assert "column target: missing or not a number in row 9" in msg
    with pytest.raises(DataError, match="missing column"):
        monitoring.progress(f.drop(columns="target"), 2025, 3)
    with pytest.raises(DataError, match="month must be a whole number 1-12"):
        monitoring.progress(series([1.0] * 3), 2025, 13)
    with pytest.raises(DataError, match="no rows for year 2030"):
        monitoring.progress(series([1.0] * 3), 2030, 3, profile="linear")


def test_non_strict_mode_flags_bad_series_and_assesses_the_rest():
    f = pd.concat([series([100.0] * 6), series([50.0] * 6, unit="b")], ignore_index=True)
    f.loc[8, "actual"] = 1.0  # unit b decreases
    res = monitoring.progress(f, 2025, 6, profile="linear", strict=False)
    t = res.table.set_index("unit")
    assert t.loc["b", "status"] == "invalid"
    assert "decreases" in t.loc["b", "reason"]
    assert t.loc["a", "status"] == "green"
    assert res.alerts["unit"].tolist() == ["b"]


def test_missing_month_is_reported_invalid():
    f = pd.concat([series([100.0] * 6), series([100.0] * 5, unit="b")], ignore_index=True)
    t = monitoring.progress(f, 2025, 6, profile="linear").table.set_index("unit")
    assert t.loc["b", "status"] == "invalid"
    assert "no actual reported for month 6" in t.loc["b", "reason"]


def test_feed_problems_never_crash_on_odd_input():
    assert monitoring.feed_problems("not a frame")["problem"].str.contains("DataFrame").all()
    miss = monitoring.feed_problems(pd.DataFrame({"unit": ["a"]}))
    assert set(miss["field"]) == {"indicator", "year", "month", "target", "actual"}
    odd = series([1.0, 2.0, 3.0]).astype(object)
    odd.loc[0, "year"] = "twenty"
    odd.loc[1, "unit"] = "  "
    odd.loc[2, "month"] = 2.5
    found = monitoring.feed_problems(odd)
    assert set(found["problem"]) >= {
        "missing or not a number",
        "empty id",
        "month out of range: expected a whole number 1-12",
    }
    assert monitoring.feed_problems(series([1.0, 2.0])).empty


@settings(max_examples=20)
@given(seed=st.integers(0, 1000))
def test_validated_feed_is_sorted_and_unchanged_in_content(seed):
    f = synthetic.make_feed(units=["a", "b", "c"], indicators=2, years=[2024, 2025], seed=seed)
    shuffled = f.sample(frac=1.0, random_state=seed)
    v = monitoring.validate_feed(shuffled)
    back = v.astype({"unit": "string", "indicator": "string"})
    pd.testing.assert_frame_equal(back, f.reset_index(drop=True), check_dtype=False)
    inc = monitoring.with_increments(v)
    # increments add back up to the cumulative actuals of each series
    total = inc.groupby(["unit", "indicator", "year"], observed=True)["increment"].sum()
    last = v[v["month"] == 12].set_index(["unit", "indicator", "year"])["actual"]
    np.testing.assert_allclose(total.to_numpy(), last.to_numpy(), rtol=1e-12)
    assert (inc["increment"] >= 0).all()


def test_seasonal_profile_without_history_says_what_to_do():
    with pytest.raises(DataError, match="needs at least 2 complete earlier years.*linear"):
        monitoring.progress(series([100.0] * 6), 2025, 6, profile="seasonal")
    with pytest.raises(DataError, match="profile must be 'seasonal', 'linear' or a DataFrame"):
        monitoring.progress(series([100.0] * 6), 2025, 6, profile="cubic")
    given_profile = monitoring.linear_profile(["x"])
    a = monitoring.progress(series([100.0] * 6), 2025, 6, profile=given_profile).table
    b = monitoring.progress(series([100.0] * 6), 2025, 6, profile="linear").table
    pd.testing.assert_frame_equal(a, b)
