"""Assessment data sets: synthetic observations for the shipped schemes.

All numbers here are **synthetic**: each unit gets a latent performance level
(standard normal, persistent between years: θ₂₀₂₅ = 0.8·θ₂₀₂₄ + 0.6·ε), and every
indicator's value is drawn around a plausible centre with a spread, shifted by
the unit's level. Values never describe the real Kunming units. Vetoes are placed
on purpose so the examples show them: in 2025 the best-placed county-level unit
gets one integrity incident (veto ``veto_integrity``); in 2024 one unit has an
integrity incident and another a civilisation-creation incident (``zero_dimension``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.catalog._dataset import Dataset
from kmmodel.catalog.base import UNITS
from kmmodel.errors import Problems, rows_phrase

SEED = 20250301
# seed: 8 expenditure items (evaluation_items_2025); ids of data/evaluation_items.csv
ITEMS = [f"E{k:02d}" for k in range(1, 9)]

# indicator -> (centre, spread, lower clip, upper clip, decimals); value = centre + spread·(0.6θ + 0.8ε)
_CONTINUOUS = {
    "industrial_va_growth": (0.036, 0.02, -0.05, 0.15, 4),
    "rural_income_growth": (0.064, 0.008, 0.0, 0.12, 4),
    "livelihood_spending_share": (0.745, 0.04, 0.5, 0.9, 4),
    "green_power_manufacturing": (0.875, 0.045, 0.6, 0.99, 4),
    "agri_exports_growth": (0.05, 0.06, -0.2, 0.4, 4),
    "key_projects_completion": (0.95, 0.08, 0.4, 1.3, 4),
    "budget_execution_rate": (0.92, 0.05, 0.5, 1.0, 4),
    "practical_matters_completion": (0.95, 0.06, 0.4, 1.0, 4),
    "hotline_days": (4.5, -1.5, 1.0, 15.0, 1),  # negative spread: better units are faster
    "civilisation_creation": (85.0, 5.0, 40.0, 100.0, 1),
}
_GRADES = ("functional_task_grade", "party_conduct", "leadership_building")
_COUNTS = {  # indicator -> (log-mean, slope on θ)
    "audit_findings": (0.3, -0.5),
    "innovation_bonus": (-0.5, 0.5),
    "supervision_penalty": (-0.6, -0.4),
}


def _grade_codes(x: np.ndarray) -> np.ndarray:
    """Latent score -> grade position 1 (A) .. 4 (D)."""
    return 1 + np.searchsorted(np.array([-1.3, -0.4, 0.5]), -x)


def _unit_observations(year: int) -> pd.DataFrame:
    units = UNITS.load()
    ids = units["unit"].to_numpy(dtype=object)
    n = len(ids)
    rng = np.random.default_rng([SEED, 0])
    theta24 = rng.standard_normal(n)
    theta = theta24 if year == 2024 else 0.8 * theta24 + 0.6 * rng.standard_normal(n)
    rng = np.random.default_rng([SEED, year])
    cols: dict[str, np.ndarray] = {}
    for ind, (c, s, lo, hi, dec) in _CONTINUOUS.items():
        v = c + s * (0.6 * theta + 0.8 * rng.standard_normal(n))
        cols[ind] = np.round(np.clip(v, lo, hi), dec)
    for ind in _GRADES:
        cols[ind] = _grade_codes(0.7 * theta + 0.7 * rng.standard_normal(n)).astype(float)
    for ind, (m, b) in _COUNTS.items():
        cols[ind] = rng.poisson(np.exp(m + b * theta)).astype(float)
    cols["audit_findings"] = np.minimum(cols["audit_findings"], 8)
    veto_i = np.zeros(n)
    veto_c = np.zeros(n)
    county = (units["group"] == "county_level").to_numpy()
    if year == 2025:  # the best-placed county-level unit: the veto must cost it 优秀
        veto_i[np.flatnonzero(county)[np.argmax(theta[county])]] = 1
    else:
        order = np.flatnonzero(county)[np.argsort(-theta[county])]
        veto_i[order[4]] = 1
        veto_c[order[5]] = 1
    cols["veto_integrity"] = veto_i
    cols["veto_civilisation"] = veto_c
    frame = pd.DataFrame(cols, index=pd.Index(ids, name="unit"))
    long = frame.stack().rename("value").reset_index().rename(columns={"level_1": "indicator"})
    return long[["unit", "indicator", "value"]]


def observations_2024() -> pd.DataFrame:
    """Synthetic 2024 observations for the 18 example units (kunming_2025 scheme, 2024 year)."""
    return _unit_observations(2024)


def observations_2025() -> pd.DataFrame:
    """Synthetic 2025 observations for the 18 example units (kunming_2025 scheme)."""
    return _unit_observations(2025)


def observations_projects_2025() -> pd.DataFrame:
    """Synthetic evaluation findings for the 8 expenditure items (MoF scheme)."""
    rng = np.random.default_rng([SEED, 8])
    n = len(ITEMS)
    q = rng.standard_normal(n)  # latent project quality
    grade_inds = (
        "project_basis",
        "goal_reasonableness",
        "goal_clarity",
        "budget_preparation",
        "fund_allocation",
        "management_rules",
        "rules_execution",
        "social_benefit",
        "green_benefit",
        "sustainability",
    )
    cols: dict[str, np.ndarray] = {}
    cols["project_procedure"] = (0.8 * q + rng.standard_normal(n) > -1.5).astype(float)
    for ind in grade_inds:
        cols[ind] = _grade_codes(0.7 * q + 0.6 * rng.standard_normal(n)).astype(float)

    def draw(c, s, lo, hi, dec):
        return np.round(np.clip(c + s * (0.6 * q + 0.8 * rng.standard_normal(n)), lo, hi), dec)

    cols["funds_in_place"] = draw(0.97, 0.04, 0.6, 1.0, 4)
    cols["budget_execution"] = draw(0.88, 0.1, 0.3, 1.0, 4)
    cols["funds_compliance"] = rng.poisson(np.exp(-0.3 - 0.6 * q)).astype(float)
    cols["output_quantity"] = draw(0.93, 0.08, 0.4, 1.1, 4)
    cols["output_quality"] = draw(0.94, 0.06, 0.5, 1.0, 4)
    cols["output_timeliness"] = draw(20.0, -15.0, 0.0, 120.0, 0)
    cols["output_cost"] = draw(1.02, -0.06, 0.85, 1.3, 4)
    cols["satisfaction"] = draw(0.84, 0.06, 0.5, 0.99, 4)
    frame = pd.DataFrame(cols, index=pd.Index(ITEMS, name="unit"))
    long = frame.stack().rename("value").reset_index().rename(columns={"level_1": "indicator"})
    return long[["unit", "indicator", "value"]]


def _check_obs(df: pd.DataFrame, probs: Problems) -> None:
    dup = df.duplicated(["unit", "indicator"], keep=False)
    if dup.any():
        probs.add(
            f"duplicate (unit, indicator) in {rows_phrase(dup.to_numpy().nonzero()[0])}",
            "columns unit, indicator",
        )


_COLUMNS = {"unit": "string", "indicator": "string", "value": "float64"}

DATASETS = [
    Dataset(
        name="observations_2024",
        file="observations_2024.csv",
        provenance="synthetic",
        description="Synthetic 2024 indicator values for the 18 example units (kunming_2025 scheme)",
        columns=_COLUMNS,
        generator=observations_2024,
        check=_check_obs,
    ),
    Dataset(
        name="observations_2025",
        file="observations_2025.csv",
        provenance="synthetic",
        description="Synthetic 2025 indicator values for the 18 example units, one vetoed unit",
        columns=_COLUMNS,
        generator=observations_2025,
        check=_check_obs,
    ),
    Dataset(
        name="observations_projects_2025",
        file="observations_projects_2025.csv",
        provenance="synthetic",
        description="Synthetic evaluation findings for the 8 expenditure items (MoF scheme)",
        columns=_COLUMNS,
        generator=observations_projects_2025,
        check=_check_obs,
    ),
]
