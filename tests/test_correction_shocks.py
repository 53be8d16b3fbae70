"""Shock and sensitivity tables: shipped data, validation, standard arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kmmodel as km
from kmmodel.correction import shocks
from kmmodel.errors import DataError

SENS = pd.DataFrame(
    {
        "indicator": ["gdp", "gdp", "tax", "grain"],
        "event": ["epidemic", "drought", "epidemic", "drought"],
        "sensitivity": [0.5, 0.2, 0.3, 0.8],
        "scale": ["level", "level", "level", "level"],
    }
)


def test_shipped_shocks_load_and_name_known_units():
    df = km.datasets.load("shocks")
    units = set(km.datasets.load("units")["unit"])
    assert set(df["unit"]) <= units
    assert df["exposure"].between(0, 1).all() and df["months"].between(0, 12).all()
    assert {"epidemic", "drought"} <= set(df["event"])
    assert df["description"].str.contains("synthetic").all()


def test_broken_shocks_list_every_problem():
    bad = pd.DataFrame(
        {
            "year": [2025, 2025, 2025, 2025],
            "unit": ["wuhua", "atlantis", "wuhua", "panlong"],
            "event": ["epidemic", "drought", "epidemic", "meteor"],
            "exposure": [0.4, 1.3, 0.2, -0.1],
            "months": [3, 14, 2, 2],
            "severity": [0.5, 0.5, 0.5, 2.0],
            "description": ["", "", "", ""],
        }
    )
    with pytest.raises(DataError) as err:
        shocks.validate(bad, SENS, units=["wuhua", "panlong"], source="shocks.csv")
    text = str(err.value)
    assert text.startswith("shocks.csv: 6 problems found")
    for needle in (
        "column exposure: expected a share in [0, 1] (0.25 = 25%) in rows 3, 5, got [1.3, -0.1]",
        "column months: expected a whole number of months in [0, 12]",
        "column severity: expected a severity share in [0, 1]",
        "unknown unit(s) ['atlantis']",
        "event kind(s) ['meteor']",
        "the same (year, unit, event) appears twice in rows 2, 4",
    ):
        assert needle in text, needle


def test_broken_sensitivity_names_unknown_indicators():
    bad = SENS.assign(sensitivity=[0.5, 1.2, 0.3, 0.8], indicator=["gdp", "gdp", "tax", "rain"])
    with pytest.raises(DataError) as err:
        shocks.validate(km.datasets.load("shocks").iloc[:0], bad, indicators=["gdp", "tax"])
    text = str(err.value)
    assert "expected a sensitivity share in [0, 1] in row 3" in text
    assert "unknown indicator(s) ['rain']" in text


def test_missing_columns_are_named():
    with pytest.raises(DataError, match="missing column"):
        shocks.validate(pd.DataFrame({"unit": ["wuhua"]}), SENS)


def test_arrays_combine_several_events_of_one_unit():
    df = pd.DataFrame(
        {
            "year": [2025, 2025, 2025, 2024],
            "unit": ["a", "a", "b", "b"],
            "event": ["epidemic", "drought", "drought", "epidemic"],
            "exposure": [0.4, 0.5, 0.2, 0.9],
            "months": [3, 6, 4, 12],
            "severity": [1.0, 0.5, 1.0, 1.0],
            "description": ["x"] * 4,
        }
    )
    e, m, s = shocks.arrays(df, SENS, ["a", "b", "c"], ["gdp", "tax", "grain"], 2025)
    np.testing.assert_allclose(e, [0.5, 0.2, 0.0])
    np.testing.assert_allclose(m, [6, 4, 0])
    # unit a, gdp: 1 - (1 - 0.4*1*0.5)(1 - 0.5*0.5*0.2) = 1 - 0.8*0.95 = 0.24 -> / 0.5
    assert s[0, 0] == pytest.approx(0.24 / 0.5)
    assert s[0, 1] == pytest.approx(0.4 * 0.3 / 0.5)
    assert s[0, 2] == pytest.approx(0.5 * 0.5 * 0.8 / 0.5)
    np.testing.assert_allclose(s[1], [0.2, 0.0, 0.8])
    np.testing.assert_allclose(s[2], 0.0)


def test_shipped_sensitivity_loads():
    df = km.datasets.load("shock_sensitivity")
    assert df["sensitivity"].between(0, 1).all()
    assert set(km.datasets.load("shocks")["event"]) <= set(df["event"])
    assert set(df["scale"]) <= {"level", "growth"}


def test_scale_must_be_one_per_indicator():
    bad = SENS.assign(scale=["level", "growth", "level", "rate"])
    with pytest.raises(DataError) as err:
        shocks.validate(km.datasets.load("shocks").iloc[:0], bad)
    assert "expected one of ('level', 'growth') in row 5" in str(err.value)
    assert "['gdp'] have more than one scale" in str(err.value)
