"""Force-majeure shock data sets (synthetic, illustrative) for the correction bench."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.catalog._dataset import Dataset
from kmmodel.catalog.base import unit_ids
from kmmodel.correction.shocks import check_sensitivity, check_shocks
from kmmodel.errors import Problems

SHOCKS_SEED = 20250707

# (year, event, units, exposure range [share], months range, severity range, description)
_EVENTS = [
    (
        2024,
        "flood",
        ("jinning", "fumin"),
        (0.05, 0.25),
        (1, 2),
        (0.4, 0.7),
        "illustrative summer flood (synthetic)",
    ),
    (
        2025,
        "epidemic",
        ("wuhua", "panlong", "guandu", "xishan", "chenggong", "dianchi", "yangzonghai"),
        (0.2, 0.6),
        (3, 6),
        (0.5, 0.8),
        "illustrative 2020-style epidemic in the urban core and tourist zones (synthetic)",
    ),
    (
        2025,
        "drought",
        ("dongchuan", "luquan", "xundian", "songming", "shilin"),
        (0.3, 0.8),
        (4, 7),
        (0.5, 0.9),
        "illustrative spring drought in the northern and eastern counties (synthetic)",
    ),
    (
        2025,
        "earthquake",
        ("dongchuan",),
        (0.1, 0.2),
        (2, 3),
        (0.7, 0.9),
        "illustrative moderate earthquake (synthetic)",
    ),
]


def make_shocks() -> pd.DataFrame:
    """Illustrative shock events for the example units (seeded; not real events)."""
    rng = np.random.default_rng(SHOCKS_SEED)
    rows = []
    for year, event, units, (e0, e1), (m0, m1), (s0, s1), text in _EVENTS:
        for unit in units:
            rows.append(
                {
                    "year": year,
                    "unit": unit,
                    "event": event,
                    "exposure": round(float(rng.uniform(e0, e1)), 2),
                    "months": int(rng.integers(m0, m1 + 1)),
                    "severity": round(float(rng.uniform(s0, s1)), 2),
                    "description": text,
                }
            )
    return pd.DataFrame(rows)


# ASSUMPTION (illustrative, not measured): share of an indicator lost when a whole unit is
# exposed to the reference event of a kind for a whole year. Indicators of the example
# scheme (data/schemes/kunming_2025.yaml); ``growth`` indicators are corrected on the level
# 1 + growth rate, so 0.06 means the level falls 6%.
_SENSITIVITY = {
    "epidemic": {
        "industrial_va_growth": 0.06,
        "rural_income_growth": 0.03,
        "agri_exports_growth": 0.08,
        "key_projects_completion": 0.30,
        "budget_execution_rate": 0.15,
        "practical_matters_completion": 0.30,
        "hotline_days": 0.40,
    },
    "drought": {
        "industrial_va_growth": 0.03,
        "rural_income_growth": 0.08,
        "agri_exports_growth": 0.15,
        "green_power_manufacturing": 0.10,
        "key_projects_completion": 0.10,
        "practical_matters_completion": 0.10,
    },
    "earthquake": {
        "industrial_va_growth": 0.04,
        "key_projects_completion": 0.40,
        "budget_execution_rate": 0.20,
        "practical_matters_completion": 0.40,
        "hotline_days": 0.30,
    },
    "flood": {
        "rural_income_growth": 0.05,
        "agri_exports_growth": 0.08,
        "key_projects_completion": 0.20,
        "practical_matters_completion": 0.20,
    },
}
_GROWTH = {"industrial_va_growth", "rural_income_growth", "agri_exports_growth"}


def make_sensitivity() -> pd.DataFrame:
    """Indicator sensitivity to each event kind (hand-set assumptions, see ``_SENSITIVITY``)."""
    rows = [
        {
            "indicator": ind,
            "event": event,
            "sensitivity": s,
            "scale": "growth" if ind in _GROWTH else "level",
        }
        for event, table in _SENSITIVITY.items()
        for ind, s in table.items()
    ]
    return pd.DataFrame(rows).sort_values(["indicator", "event"], ignore_index=True)


def _check_sensitivity(df: pd.DataFrame, probs: Problems) -> None:
    check_sensitivity(df, probs)


def _check_shocks(df: pd.DataFrame, probs: Problems) -> None:
    check_shocks(df, probs, units=unit_ids())


DATASETS = [
    Dataset(
        name="shocks",
        file="shocks.csv",
        provenance="synthetic",
        description="Illustrative force-majeure events (epidemic, drought, earthquake, flood) "
        "per unit and year, with exposure, months and severity",
        columns={
            "year": "int64",
            "unit": "string",
            "event": "string",
            "exposure": "float64",
            "months": "int64",
            "severity": "float64",
            "description": "string",
        },
        generator=make_shocks,
        check=_check_shocks,
    ),
    Dataset(
        name="shock_sensitivity",
        file="shock_sensitivity.csv",
        provenance="synthetic",
        description="Assumed sensitivity of the example scheme's indicators to each event kind "
        "(share lost at full exposure for a full year)",
        columns={
            "indicator": "string",
            "event": "string",
            "sensitivity": "float64",
            "scale": "string",
        },
        generator=make_sensitivity,
        check=_check_sensitivity,
    ),
]
