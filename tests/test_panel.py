"""Expert panels: combined scores, Krippendorff's alpha, ICC, rater bias, rater resampling.

Reference values:
- Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability, worked example C
  (4 observers x 12 units with missing values): interval alpha = 0.849, ordinal 0.815,
  nominal 0.743 (also the reliability data of R irr::kripp.alpha's example).
- Shrout, P. E. and Fleiss, J. L. (1979), Table 2 data (6 targets x 4 judges), Table 4:
  ICC(2,1) = 0.29.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kmmodel as km
from kmmodel import panel
from kmmodel.errors import DataError

NAN = np.nan
# Krippendorff (2011), example C: rows observers A-D, columns units 1-12
C_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
]
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def long(data, indicator="q") -> pd.DataFrame:
    rows = [
        (f"u{j:02d}", indicator, f"r{i}", v)
        for i, row in enumerate(data)
        for j, v in enumerate(row)
        if not np.isnan(v)
    ]
    return pd.DataFrame(rows, columns=["unit", "indicator", "rater", "score"])


def test_alpha_matches_krippendorff_2011_example_c():
    a = panel.agreement(long(C_DATA)).iloc[0]
    assert round(a["alpha"], 3) == 0.849  # interval (published)
    assert round(a["alpha_ordinal"], 3) == 0.815  # ordinal (published)
    assert a["n_units"] == 12 and a["n_raters"] == 4 and a["n_ratings"] == 41
    assert np.isnan(a["icc"])  # incomplete table: no ICC


def test_alpha_matches_the_krippendorff_package_on_shipped_ratings():
    import krippendorff

    r = km.datasets.load("tender_ratings")
    a = panel.agreement(r, unit=["package", "agency"], indicator="factor").iloc[0]
    wide = r.pivot_table(index="rater", columns=["package", "agency"], values="score")
    expected = krippendorff.alpha(reliability_data=wide.to_numpy(), level_of_measurement="interval")
    assert a["alpha"] == pytest.approx(expected)
    assert a["deviant_raters"] == "E5"  # the planted lenient expert (+7 points)


def test_icc_matches_shrout_fleiss_table_4():
    assert round(panel.icc(SHROUT_FLEISS), 2) == 0.29
    r = long(np.array(SHROUT_FLEISS, dtype=float).T.tolist())  # raters x units
    assert round(panel.agreement(r)["icc"].item(), 2) == 0.29


def test_rater_bias_finds_the_lenient_expert_only():
    r = km.datasets.load("tender_ratings")
    b = panel.rater_bias(r, unit=["package", "agency"], indicator="factor").set_index("rater")
    assert b.loc["E5", "flagged"] and b.loc["E5", "mean_deviation"] == pytest.approx(7, abs=1.5)
    assert not b.drop("E5")["flagged"].any()


def test_combine_methods_by_hand():
    r = pd.DataFrame(
        {"unit": "u", "indicator": "i", "rater": list("ABCDE"), "score": [70, 80, 85, 90, 99]}
    )
    assert panel.combine(r, "trimmed")["score"].item() == pytest.approx((80 + 85 + 90) / 3)
    assert panel.combine(r, "mean")["score"].item() == pytest.approx(424 / 5)
    assert panel.combine(r, "median")["score"].item() == 85
    c = panel.combine(r).iloc[0]
    assert (c["low"], c["high"], c["spread"], c["n_raters"]) == (70, 99, 29, 5)


def test_too_few_raters_and_bad_ratings_in_one_error():
    r = pd.DataFrame(
        {
            "unit": ["u1", "u1", "u2", "u2", "u2", "u2"],
            "indicator": "i",
            "rater": ["A", "B", "A", "B", "C", "C"],
            "score": [70, "x", 80, 90, 85, 86],
        }
    )
    with pytest.raises(DataError) as err:
        panel.combine(r, "trimmed", scale=(0, 100))
    msg = str(err.value)
    assert "expected a finite number in row 3" in msg
    assert "more than once in rows 6, 7" in msg
    assert "needs at least 3 raters per cell; fewer in u1 x i (1)" in msg
    with pytest.raises(DataError, match="min_raters"):
        panel.combine(r.iloc[2:5], "trimmed", min_raters=2)
    with pytest.raises(DataError, match="needs at least 5 raters"):
        panel.combine(r.iloc[2:5], "mean", min_raters=5)


scores = st.lists(st.floats(0, 100, allow_nan=False), min_size=3, max_size=9)


@given(scores, st.floats(-20, 20, allow_nan=False), st.randoms(use_true_random=False))
def test_trimmed_mean_properties(vals, shift, rnd):
    r = pd.DataFrame(
        {"unit": "u", "indicator": "i", "rater": [f"E{k}" for k in range(len(vals))], "score": vals}
    )
    t = panel.combine(r)["score"].item()
    assert min(vals) - 1e-9 <= t <= max(vals) + 1e-9
    perm = list(vals)
    rnd.shuffle(perm)
    assert panel.combine(r.assign(score=perm))["score"].item() == pytest.approx(t)
    assert panel.combine(r.assign(score=r["score"] + shift))["score"].item() == pytest.approx(
        t + shift
    )
    expected = (sum(vals) - min(vals) - max(vals)) / (len(vals) - 2)
    assert t == pytest.approx(expected)


def test_resample_raters_is_seeded_and_zero_when_raters_agree():
    r = km.datasets.load("tender_ratings")
    kw = {"unit": ["package", "agency"], "indicator": "factor"}
    a = panel.resample_raters(r, n_draws=20, seed=5, **kw)
    b = panel.resample_raters(r, n_draws=20, seed=5, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert a["draw"].nunique() == 20
    same = long([[60, 70, 80]] * 4)
    s = panel.resample_raters(same, n_draws=10, seed=1)
    assert s.groupby("unit")["score"].std().max() == pytest.approx(0.0)
