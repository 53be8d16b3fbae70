"""Exact corrected totals: every method ends in the engine's own aggregation.

A toy scheme small enough to work by hand: two dimensions, ratio rules, a
``zero_dimension`` veto, a bonus item, grade bands and a cap on excellent grades.
Every expected number below is arithmetic of the scheme's rules (provenance: the
rule definitions in ``kmmodel.scheme.rules`` and the method formulas in
``kmmodel.correction.methods``), not output of the code under test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmmodel as km
from kmmodel.correction.apply import apply
from kmmodel.errors import DataError
from kmmodel.scheme import from_dict
from kmmodel.scoring import score_achievement

TOY = {
    "id": "toy_shock",
    "name": "toy",
    "year": 2025,
    "total": 100,
    "excellent_share_cap": 0.25,  # 4 units -> at most 1 excellent
    "grades": [
        {"name": "优秀", "min": 90},
        {"name": "良好", "min": 75},
        {"name": "一般", "min": 60},
        {"name": "较差", "min": 0},
    ],
    "dimensions": [
        {"id": "a", "name": "A", "points": 60},
        {"id": "b", "name": "B", "points": 40},
    ],
    "indicators": [
        {"id": "x1", "name": "x1", "dimension": "a", "points": 30, "target": 100,
         "rule": {"type": "ratio"}},
        {"id": "x2", "name": "x2", "dimension": "a", "points": 30, "target": 50,
         "rule": {"type": "ratio"}},
        {"id": "y1", "name": "y1", "dimension": "b", "points": 20, "target": 10,
         "rule": {"type": "ratio"}},
        {"id": "y2", "name": "y2", "dimension": "b", "points": 20, "target": 10,
         "rule": {"type": "ratio"}},
        {"id": "veto_b", "name": "v", "dimension": "b", "points": 0,
         "rule": {"type": "veto", "action": "zero_dimension"}},
        {"id": "bonus", "name": "+", "dimension": "a", "points": 5,
         "rule": {"type": "bonus", "per": 1.0}},
    ],
}  # fmt: skip

# x1, x2, y1, y2 per unit; u1 also has a zero_dimension veto on B and 2 bonus points
NOW = {
    "u1": (80, 40, 6, 9),
    "u2": (70, 45, 8, 10),
    "u3": (90, 45, 7, 8),
    "u4": (95, 48, 10, 10),
}
BEFORE = {
    "u1": (90, 45, 9, 9),
    "u2": (85, 45, 8, 10),
    "u3": (92, 45, 8, 8),
    "u4": (95, 48, 10, 10),
}
IDS = ("x1", "x2", "y1", "y2")


def _obs(values, extra=()):
    rows = [(u, i, float(v)) for u, vs in values.items() for i, v in zip(IDS, vs, strict=True)]
    return pd.DataFrame(list(rows) + list(extra), columns=["unit", "indicator", "value"])


@pytest.fixture(scope="module")
def toy():
    scheme = from_dict(TOY, source="toy")
    return {
        "scheme": scheme,
        "previous_scheme": scheme,
        "observations": _obs(NOW, [("u1", "veto_b", 1.0), ("u1", "bonus", 2.0)]),
        "previous_observations": _obs(BEFORE),
        "units": pd.DataFrame({"unit": list(NOW), "group": "g", "name_zh": list(NOW)}),
        "shocks": pd.DataFrame(
            {
                "year": 2025,
                "unit": ["u1", "u2", "u3"],
                "event": ["epidemic", "drought", "epidemic"],
                "exposure": [0.5, 0.5, 0.6],
                "months": [6, 12, 12],
                "severity": 1.0,
                "description": "toy",
            }
        ),
        "sensitivity": pd.DataFrame(
            {
                "indicator": ["x1", "y1", "y2", "x1"],
                "event": ["epidemic", "epidemic", "epidemic", "drought"],
                "sensitivity": [0.4, 0.5, 0.3, 0.5],
                "scale": "level",
            }
        ),
    }


@pytest.fixture(scope="module")
def app(toy):
    return apply(
        ["none", "coefficient", "hold_harmless", "reweight"],
        **toy,
        params={"coefficient": {"k": 1.0, "cap": None}},
    )


def _col(app, method, column):
    t = app.table
    return t.loc[t["method"] == method].set_index("unit")[column]


def test_none_equals_the_engine_exactly_for_every_unit(toy, app):
    eng = km.score(toy["scheme"], toy["observations"], units=toy["units"]).table.set_index("unit")
    # engine by hand: u1 = 30*0.8 + 30*0.8 + B zeroed by the veto + 2 bonus = 50
    assert eng.loc["u1", "total"] == pytest.approx(50.0, abs=1e-12)
    for col in ("total", "grade", "rank"):
        pd.testing.assert_series_equal(
            _col(app, "none", col).loc[eng.index], eng[col], check_names=False, check_dtype=False
        )
    assert (_col(app, "none", "change") == 0).all()


def test_none_equals_the_engine_exactly_on_the_example_scheme():
    res = apply(["none"], **km.examples.correction_inputs(year=2025))
    eng = km.score(
        km.examples.scheme("kunming_2025", year=2025), km.datasets.load("observations_2025")
    ).table.set_index("unit")
    t = res.table.set_index("unit").loc[eng.index]
    assert (t["total"].to_numpy() == eng["total"].to_numpy()).all()  # bit for bit
    assert (t["grade"] == eng["grade"]).all() and (t["rank"] == eng["rank"]).all()


def test_coefficient_on_a_zero_dimension_vetoed_unit(app):
    total = _col(app, "coefficient", "total")
    # u1: x1 impact 0.5*1*0.4 = 0.2 -> 80/0.8 = 100 -> 30 points; x2 0.8 -> 24 points;
    # y1 is corrected too but B stays zeroed by the veto; bonus 2 -> 56
    assert total["u1"] == pytest.approx(56.0, abs=1e-9)
    # u2 (drought): x1 70/(1-0.25) = 93.33 -> 28; x2 27; y1 16; y2 20 -> 91
    assert total["u2"] == pytest.approx(28.0 + 27 + 16 + 20, abs=1e-9)
    # u3 (epidemic 0.6): x1 capped at 30; x2 27; y1 7/0.7 = 10 -> 20; y2 8/0.82 -> 20*8/8.2
    assert total["u3"] == pytest.approx(30 + 27 + 20 + 20 * 8 / 8.2, abs=1e-9)
    # u4 untouched: 28.5 + 28.8 + 20 + 20
    assert total["u4"] == pytest.approx(97.3, abs=1e-9)
    grade = _col(app, "coefficient", "grade")
    # u4 is the one excellent unit allowed (cap 25% of 4); u2 and u3 are demoted;
    # u1 is capped below the top grade by its veto and scores 较差 (< 60) anyway
    assert grade.to_dict() == {"u1": "较差", "u2": "良好", "u3": "良好", "u4": "优秀"}
    rank = _col(app, "coefficient", "rank")
    assert rank.to_dict() == {"u4": 1, "u3": 2, "u2": 3, "u1": 4}


def test_hold_harmless_by_hand(app):
    total = _col(app, "hold_harmless", "total")
    # u1: x1 max(0.8, 0.9) = 0.9 -> 27; x2 24 (not sensitive); B zeroed; bonus 2 -> 53
    assert total["u1"] == pytest.approx(53.0, abs=1e-9)
    # u2: x1 max(0.70, 0.85) -> 25.5; x2 27; y1 16; y2 20 -> 88.5
    assert total["u2"] == pytest.approx(88.5, abs=1e-9)
    # u3: x1 max(0.9, 0.92) -> 27.6; x2 27; y1 max(0.7, 0.8) -> 16; y2 16 -> 86.6
    assert total["u3"] == pytest.approx(86.6, abs=1e-9)
    assert total["u4"] == pytest.approx(97.3, abs=1e-9)


def test_reweight_by_hand(app):
    total = _col(app, "reweight", "total")
    # u1 drops x1, y1, y2: A = 60 * a(x2) = 48; B has nothing left but is vetoed,
    # so it counts as 0 (not left out): 48 + 0 + bonus 2 = 50
    assert total["u1"] == pytest.approx(50.0, abs=1e-9)
    # u2 drops x1: A = 60 * 0.9 = 54 (weight moves to x2 inside A), B = 16 + 20 -> 90
    # (a flat rescaling happens to give 90 here too; the next test separates the two)
    assert total["u2"] == pytest.approx(90.0, abs=1e-9)
    # u3 drops x1, y1, y2: B has nothing left and is left out, A alone is rescaled to the
    # total: 100 * 0.9 = 90
    assert total["u3"] == pytest.approx(90.0, abs=1e-9)
    grade = _col(app, "reweight", "grade")
    assert grade["u4"] == "优秀" and grade["u2"] == "良好" and grade["u3"] == "良好"
    res = app.results["reweight"]
    pts = res.points.set_index(["unit", "indicator"])
    assert pts.loc[("u2", "x1"), "max_points"] == 0.0  # dropped weight shows in the points


def test_reweight_moves_weight_within_the_dimension_not_across(toy):
    # one unit drops y1 only: B = 40 * a(y2); a flat rescaling would spread y1's 20 points
    # over all indicators instead
    sens = pd.DataFrame(
        {"indicator": ["y1"], "event": ["drought"], "sensitivity": [0.5], "scale": "level"}
    )
    shocks = toy["shocks"].loc[lambda d: d["unit"] == "u2"]
    app = apply(["reweight"], **{**toy, "shocks": shocks, "sensitivity": sens})
    # u2: A = 30*0.7 + 30*0.9 = 48; B = 40 * a(y2) = 40 -> 88 (flat: 100*(21+27+20)/80 = 85)
    assert _col(app, "reweight", "total")["u2"] == pytest.approx(88.0, abs=1e-9)


def test_geometric_aggregation_is_respected(toy):
    spec = {**TOY, "aggregation": {"indicators": "geometric", "dimensions": "weighted_sum"}}
    scheme = from_dict(spec, source="toy")
    app = apply(
        ["none", "coefficient"],
        **{**toy, "scheme": scheme, "previous_scheme": scheme},
        params={"coefficient": {"k": 1.0, "cap": None}},
    )
    total = _col(app, "coefficient", "total")
    # u2: A = 60 * (0.9333^0.5 * 0.9^0.5), B = 40 * (0.8^0.5 * 1^0.5)
    want = 60 * np.sqrt((70 / 75) * 0.9) + 40 * np.sqrt(0.8)
    assert total["u2"] == pytest.approx(want, abs=1e-9)
    eng = km.score(scheme, toy["observations"], units=toy["units"]).table.set_index("unit")
    assert (_col(app, "none", "total").loc[eng.index] == eng["total"]).all()


def test_score_achievement_reports_every_problem(toy):
    s, obs = toy["scheme"], toy["observations"]
    ach = pd.DataFrame({"x1": [1.5, 0.5], "nope": [0.1, 0.2]}, index=["u1", "atlantis"])
    w = pd.DataFrame({"x1": [-1.0]}, index=["u2"])
    with pytest.raises(DataError) as err:
        score_achievement(s, obs, ach, w, units=toy["units"])
    text = str(err.value)
    assert "atlantis" in text and "nope" in text and "weights" in text and "u2/x1" in text
    bad = pd.DataFrame({"x1": [1.5]}, index=["u1"])
    with pytest.raises(DataError, match="u1/x1"):
        score_achievement(s, obs, bad, units=toy["units"])
    with pytest.raises(DataError, match="DataFrame"):
        score_achievement(s, obs, np.ones((4, 4)), units=toy["units"])


def test_score_achievement_keeps_missing_observations_missing(toy):
    obs = toy["observations"].loc[lambda d: ~((d["unit"] == "u2") & (d["indicator"] == "y1"))]
    ach = pd.DataFrame({"y1": [1.0, 1.0]}, index=["u2", "u3"])
    res = score_achievement(toy["scheme"], obs, ach, units=toy["units"]).table.set_index("unit")
    # u2's y1 stays missing (zero policy): 21 + 27 + 0 + 20 = 68; u3's y1 lifted to 20
    assert res.loc["u2", "total"] == pytest.approx(68.0, abs=1e-9)
    assert res.loc["u3", "total"] == pytest.approx(27 + 27 + 20 + 16, abs=1e-9)


cell = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(cell, min_size=16, max_size=16),
    st.integers(0, 3),
    st.integers(0, 3),
    st.floats(0.0, 1.0),
)
def test_totals_rise_with_any_achievement_and_stay_in_range(toy, base, u, i, up):
    units = list(NOW)
    ach = pd.DataFrame(np.reshape(base, (4, 4)), index=units, columns=list(IDS))
    more = ach.copy()
    more.iloc[u, i] = max(more.iloc[u, i], up)
    kw = {"units": toy["units"]}
    t0 = score_achievement(toy["scheme"], toy["observations"], ach, **kw).table.set_index("unit")
    t1 = score_achievement(toy["scheme"], toy["observations"], more, **kw).table.set_index("unit")
    assert t1.loc[units[u], "total"] >= t0.loc[units[u], "total"] - 1e-12
    assert t0["total"].between(0, 100).all()
    # order of the given frame does not matter
    t2 = score_achievement(
        toy["scheme"], toy["observations"], ach.iloc[::-1, ::-1], **kw
    ).table.set_index("unit")
    pd.testing.assert_frame_equal(t0, t2)


def test_example_scheme_zero_dimension_veto_survives_correction():
    # 2024 example: panlong has the zero_dimension veto veto_civilisation (dimension
    # common). Shock it, with a sensitive indicator inside the vetoed dimension
    # (civilisation_creation) and one outside (key_projects_completion: ratio rule,
    # target 1.0, floor 0.6, 8 points; panlong's value 0.9781).
    scheme = km.examples.scheme("kunming_2025", year=2024)
    obs = km.datasets.load("observations_2024")
    shocks = pd.DataFrame(
        {
            "year": [2024],
            "unit": ["panlong"],
            "event": ["epidemic"],
            "exposure": [0.5],
            "months": [6],
            "severity": [1.0],
            "description": ["test"],
        }
    )
    sens = pd.DataFrame(
        {
            "indicator": ["key_projects_completion", "civilisation_creation"],
            "event": "epidemic",
            "sensitivity": [0.3, 0.3],
            "scale": "level",
        }
    )
    app = apply(
        ["none", "coefficient"],
        scheme=scheme,
        previous_scheme=scheme,
        observations=obs,
        previous_observations=obs,
        shocks=shocks,
        sensitivity=sens,
        units=km.examples.units(),
        params={"coefficient": {"k": 1.0, "cap": None}},
    )
    eng = km.score(scheme, obs).table.set_index("unit")
    assert (_col(app, "none", "total").loc[eng.index] == eng["total"]).all()
    # 0.9781 / (1 - 0.5 * 0.3) = 1.15 -> full marks: +8 * (1 - 0.9781); common stays 0
    want = eng.loc["panlong", "total"] + 8 * (1 - 0.9781)
    assert _col(app, "coefficient", "total")["panlong"] == pytest.approx(want, abs=1e-9)
    row = app.results["coefficient"].table.set_index("unit").loc["panlong"]
    assert row["common"] == 0.0 and row["vetoed"]
    assert row["grade"] != "优秀"  # the veto's grade cap still holds
