"""Invariants of scoring (hypothesis, derandomised): bounds, monotonicity, vetoes,
row-order independence, scale invariance of completion ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel.scheme import reform

SCHEME = km.examples.scheme("kunming_2025")
BASE = km.datasets.load("observations_2025")
UNITS = km.datasets.load("units")
IND = SCHEME.indicators.set_index("id")
HIGHER = [
    i
    for i, r in IND.iterrows()
    if r["direction"] == "higher" and r["kind"] == "score" and r["rule"] not in ("grade",)
]
RATIO = [i for i, r in IND.iterrows() if r["rule"] == "ratio"]


def score(obs, scheme=SCHEME):
    return km.score(scheme, obs, units=UNITS)


@st.composite
def observations(draw):
    """Shipped observations with a random multiplicative shake and random incidents."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    obs = BASE.copy()
    kind = obs["indicator"].map(IND["rule"])
    cont = ~kind.isin(["grade", "veto", "deduction", "bonus", "penalty"])
    scale = draw(st.floats(0.0, 3.0))
    obs.loc[cont, "value"] = obs.loc[cont, "value"] * rng.uniform(0, scale, cont.sum())
    counts = kind.isin(["veto", "deduction", "bonus", "penalty"])
    obs.loc[counts, "value"] = rng.poisson(draw(st.floats(0, 3)), counts.sum()).astype(float)
    grades = kind == "grade"
    obs.loc[grades, "value"] = rng.integers(1, 5, grades.sum()).astype(float)
    return obs


@given(observations())
def test_total_within_zero_and_scheme_total(obs):
    t = score(obs).table
    assert t["total"].between(0, SCHEME.total).all()
    dims = SCHEME.dimensions.set_index("id")["points"]
    for d, pts in dims.items():
        assert t[d].between(0, pts + 1e-9).all()


@given(observations())
def test_vetoed_unit_never_excellent(obs):
    t = score(obs).table
    assert not ((t["grade"] == "优秀") & t["vetoed"]).any()


@given(observations(), st.sampled_from(HIGHER), st.integers(0, 17), st.floats(0.0, 2.0))
@settings(max_examples=30)
def test_raising_a_higher_is_better_value_never_lowers_points(obs, ind, k, bump):
    unit = UNITS["unit"].iloc[k]
    before = score(obs)
    up = obs.copy()
    sel = (up["unit"] == unit) & (up["indicator"] == ind)
    up.loc[sel, "value"] = up.loc[sel, "value"] + abs(up.loc[sel, "value"]) * bump + bump
    after = score(up)
    key = ["unit", "indicator"]
    p0 = before.points.set_index(key).loc[(unit, ind), "points"]
    p1 = after.points.set_index(key).loc[(unit, ind), "points"]
    assert p1 >= p0 - 1e-12
    t0 = before.table.set_index("unit").loc[unit, "total"]
    t1 = after.table.set_index("unit").loc[unit, "total"]
    assert t1 >= t0 - 1e-9


@given(observations(), st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_row_order_does_not_matter(obs, seed):
    a = score(obs)
    b = score(obs.sample(frac=1.0, random_state=seed % (2**31)).reset_index(drop=True))
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.points, b.points)


@given(observations(), st.floats(0.01, 100.0))
@settings(max_examples=20)
def test_rescaling_targets_and_values_leaves_completion_ratio_points(obs, c):
    scheme = SCHEME
    for ind in RATIO:
        scheme = reform.set_target(scheme, ind, IND.loc[ind, "target"] * c)
    scaled = obs.copy()
    sel = scaled["indicator"].isin(RATIO)
    scaled.loc[sel, "value"] = scaled.loc[sel, "value"] * c
    a = score(obs).points
    b = score(scaled, scheme).points
    ra, rb = a[a["indicator"].isin(RATIO)], b[b["indicator"].isin(RATIO)]
    np.testing.assert_allclose(
        ra["points"].to_numpy(), rb["points"].to_numpy(), rtol=1e-9, atol=1e-9
    )


@given(observations())
@settings(max_examples=20)
def test_explain_adds_up_to_the_total(obs):
    res = score(obs)
    unit = res.table["unit"].iloc[0]
    ex = res.explain(unit)
    assert abs(ex["points"].sum() - res.table.set_index("unit").loc[unit, "total"]) < 1e-6


LOWER = [i for i, r in IND.iterrows() if r["direction"] == "lower" and r["kind"] == "score"]


@given(observations(), st.sampled_from(LOWER), st.integers(0, 17), st.floats(0.0, 5.0))
@settings(max_examples=20)
def test_raising_a_lower_is_better_value_never_raises_points(obs, ind, k, bump):
    unit = UNITS["unit"].iloc[k]
    up = obs.copy()
    sel = (up["unit"] == unit) & (up["indicator"] == ind)
    up.loc[sel, "value"] = up.loc[sel, "value"] + bump
    key = ["unit", "indicator"]
    p0 = score(obs).points.set_index(key).loc[(unit, ind), "points"]
    p1 = score(up).points.set_index(key).loc[(unit, ind), "points"]
    assert p1 <= p0 + 1e-12


@given(
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=12),
    st.lists(st.floats(0.1, 10.0), min_size=12, max_size=12),
)
def test_aggregations_are_ordered_and_bounded(a, w):
    from kmmodel.scoring.aggregate import aggregate

    A = np.array([a])
    w = np.array(w[: len(a)])
    ws = aggregate(A, w, "weighted_sum")[0]
    gm = aggregate(A, w, "geometric")[0]
    wl = aggregate(A, w, "weakest_link")[0]
    assert 0 <= wl <= gm + 1e-12 <= ws + 2e-12 <= 1 + 3e-12  # min <= geometric <= arithmetic
    assert wl == min(a)
