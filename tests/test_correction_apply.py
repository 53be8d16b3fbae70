"""Correction methods applied to the example scheme through the assessment engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kmmodel as km
from kmmodel.correction.apply import apply
from kmmodel.errors import DataError


@pytest.fixture(scope="module")
def inputs():
    return {
        "scheme": km.examples.scheme("kunming_2025", year=2025),
        "previous_scheme": km.examples.scheme("kunming_2025", year=2024),
        "observations": km.datasets.load("observations_2025"),
        "previous_observations": km.datasets.load("observations_2024"),
        "shocks": km.datasets.load("shocks"),
        "sensitivity": km.datasets.load("shock_sensitivity"),
        "units": km.datasets.load("units"),
    }


def test_the_examples_layer_gives_the_same_inputs(inputs):
    shipped = km.examples.correction_inputs(year=2025)
    assert sorted(shipped) == sorted(inputs)
    for key, value in inputs.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(shipped[key], value)
        else:
            assert shipped[key].year == value.year and shipped[key].id == value.id


@pytest.fixture(scope="module")
def result(inputs):
    return apply(**inputs)


def test_baseline_inputs_are_untouched(inputs):
    before = {
        k: (v.to_dict() if hasattr(v, "to_dict") and not isinstance(v, pd.DataFrame) else v.copy())
        for k, v in inputs.items()
    }
    apply(["coefficient", "target_rebase"], **inputs)
    for k, v in inputs.items():
        if isinstance(v, pd.DataFrame):
            pd.testing.assert_frame_equal(v, before[k])
        else:
            assert v.to_dict() == before[k], k


def test_none_reproduces_the_engine(result, inputs):
    eng = km.score(inputs["scheme"], inputs["observations"]).table.set_index("unit")
    t = result.table.loc[result.table["method"] == "none"].set_index("unit").loc[eng.index]
    np.testing.assert_allclose(t["total"], eng["total"], atol=1e-9)
    assert (t["grade"] == eng["grade"]).all()
    assert (t["rank"] == eng["rank"]).all()


def test_every_method_has_a_full_ranking(result):
    assert set(result.table["method"]) == set(km.correction.METHODS)
    wide = result.wide("rank")
    assert wide.shape == (18, len(km.correction.METHODS))
    assert wide.notna().all().all()


def test_unshocked_units_keep_their_totals_when_no_rank_rule_is_corrected(inputs):
    sens = inputs["sensitivity"]
    sens = sens.loc[sens["indicator"] != "agri_exports_growth"]  # the only relative (rank) rule
    res = apply(**{**inputs, "sensitivity": sens})
    t = res.table
    clean = t["exposure"] == 0
    base = t.loc[t["method"] == "none"].set_index("unit")["total"]
    for m, g in t.loc[clean].groupby("method"):
        np.testing.assert_allclose(
            g.set_index("unit")["total"], base.loc[g["unit"]], atol=1e-9, err_msg=m
        )


def test_coefficient_matches_a_hand_computation_on_a_ratio_rule(inputs):
    # only key_projects_completion (ratio rule, target 1.0, floor 0.6, 8 points) is
    # sensitive: the change of wuhua's total is 8 * (a' - a) with a = min(v / 1.0, 1)
    sens = pd.DataFrame(
        {
            "indicator": ["key_projects_completion"],
            "event": ["epidemic"],
            "sensitivity": [0.3],
            "scale": ["level"],
        }
    )
    shocks = inputs["shocks"]
    shocks = shocks.loc[shocks["event"] == "epidemic"]
    res = apply(
        ["none", "coefficient"],
        **{**inputs, "sensitivity": sens, "shocks": shocks},
        params={"coefficient": {"k": 1.0, "cap": None}},
    )
    row = shocks.set_index("unit").loc["wuhua"]
    obs = inputs["observations"]
    v = obs.loc[
        (obs["unit"] == "wuhua") & (obs["indicator"] == "key_projects_completion"), "value"
    ].item()
    v2 = v / (1 - row["exposure"] * row["severity"] * 0.3)
    a, a2 = (min(x, 1.0) if x >= 0.6 else 0.0 for x in (v, v2))
    t = res.table.set_index(["method", "unit"])["total"]
    assert t["coefficient", "wuhua"] - t["none", "wuhua"] == pytest.approx(8 * (a2 - a), abs=1e-9)


def test_growth_indicators_are_corrected_on_their_level(result):
    p = result.panel
    j = list(result.baseline.achievement().columns).index("industrial_va_growth")
    obs = km.datasets.load("observations_2025").set_index(["unit", "indicator"])["value"]
    units = list(result.baseline.achievement().index)
    g = np.array([obs[(u, "industrial_va_growth")] for u in units])
    np.testing.assert_allclose(p.actual[:, j], 1 + g)


def test_bad_shock_data_is_reported_all_at_once(inputs):
    shocks = inputs["shocks"].copy()
    shocks.loc[0, "exposure"] = 1.5
    shocks.loc[1, "unit"] = "atlantis"
    sens = inputs["sensitivity"].copy()
    sens.loc[0, "indicator"] = "no_such_indicator"
    with pytest.raises(DataError) as err:
        apply(**{**inputs, "shocks": shocks, "sensitivity": sens})
    text = str(err.value)
    assert "column exposure: expected a share in [0, 1]" in text
    assert "atlantis" in text and "no_such_indicator" in text


def test_vetoes_cannot_be_corrected(inputs):
    sens = pd.DataFrame(
        {
            "indicator": ["veto_integrity"],
            "event": ["epidemic"],
            "sensitivity": [0.5],
            "scale": ["level"],
        }
    )
    shocks = inputs["shocks"].loc[lambda d: d["event"] == "epidemic"]
    with pytest.raises(DataError, match="carry no score"):
        apply(**{**inputs, "sensitivity": sens, "shocks": shocks})


def test_bad_coefficient_parameters_are_named(inputs):
    with pytest.raises(DataError, match="k must be a finite number >= 0"):
        apply(["coefficient"], **inputs, params={"coefficient": {"k": -1.0}})


def test_uncapped_coefficient_that_would_divide_by_zero_names_units_and_indicators(inputs):
    with pytest.raises(DataError) as err:
        apply(["coefficient"], **inputs, params={"coefficient": {"k": 20.0, "cap": None}})
    text = str(err.value)
    assert "divide by zero or flip sign" in text
    assert "xundian" in text and "key_projects_completion" in text


def test_a_missing_observation_stays_missing_when_re_scored(inputs):
    obs = inputs["observations"]
    pair = ["hotline_days", "key_projects_completion"]
    gap = (obs["unit"] == "wuhua") & obs["indicator"].isin(pair)
    obs = obs.loc[~gap].reset_index(drop=True)
    sens = inputs["sensitivity"].loc[lambda d: d["indicator"].isin(pair)]
    res = apply(["none", "coefficient"], **{**inputs, "observations": obs, "sensitivity": sens})
    eng = km.score(inputs["scheme"], obs).table.set_index("unit")["total"]
    t = res.table.set_index(["method", "unit"])["total"]
    assert t["none", "wuhua"] == pytest.approx(eng["wuhua"], abs=1e-9)
    # wuhua's only sensitive indicators are missing: nothing to lift (and no free points);
    # panlong, hit by the same epidemic and observed, is lifted
    assert t["coefficient", "wuhua"] == pytest.approx(t["none", "wuhua"], abs=1e-9)
    assert t["coefficient", "panlong"] > t["none", "panlong"]
