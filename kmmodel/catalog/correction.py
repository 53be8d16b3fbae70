"""Force-majeure shock data sets (synthetic, illustrative) for the correction bench."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.datasets import Dataset
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


def _check_shocks(df: pd.DataFrame, probs: Problems) -> None:
    from kmmodel import datasets
    from kmmodel.correction.shocks import check_shocks

    check_shocks(df, probs, units=datasets.load("units")["unit"].tolist())


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
]
