"""Synthetic resident-satisfaction survey with known true effects.

``data/survey.csv`` is **synthetic**: a seeded generator (:func:`make_survey`) draws
respondents in the 18 example units; nothing in it describes real residents of
Kunming. Because the process is known, tests can check that the models recover it.

Data-generating process (all constants below are the "truth"):

1. Each unit ``u`` has a service quality ``q[u, k]`` per attribute ``k``
   (normal, sd 0.45) and a residual satisfaction effect ``ALPHA[u]``
   (:data:`TRUE_UNIT_EFFECTS`, latent-scale units).
2. A respondent is urban with the unit's :data:`URBAN_SHARE`; age (18-80) is older
   and income band (1-5) lower in rural units; female is 0/1 at random; a general
   disposition is ``d ~ N(0, 1)``; attribute rating
   ``round(3.1 + q[u, k] + 0.55 d + 0.25 urban (health, transport) + N(0, 0.85))``
   clipped to 1-5, so ratings are positively correlated, as in real surveys.
3. Latent satisfaction ``y* = sum_k TRUE_SLOPES[k] rating_k + TRUE_SLOPES[c] c
   + ALPHA[u] + e`` with ``e`` standard logistic; ``overall`` is the category of
   ``y*`` between :data:`TRUE_CUTPOINTS`. This is exactly an ordered logit, so
   ``overall ~ ratings + characteristics + C(unit)`` is correctly specified.
4. Survey weights correct a design that over-samples urban and younger
   respondents: ``weight`` depends on urban and age only (so weighted and
   unweighted model estimates target the same slopes), rescaled to mean 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.catalog._dataset import Dataset
from kmmodel.catalog.base import unit_ids
from kmmodel.errors import Problems, rows_phrase
from kmmodel.satisfaction.schema import check_survey

SEED = 20260604
"""Seed of the shipped survey."""

TRUE_SLOPES = {
    "education": 0.35,
    "health": 0.55,
    "transport": 0.30,
    "environment": 0.25,
    "safety": 0.45,
    "gov_service": 0.60,
    "age": 0.012,  # per year
    "female": 0.10,
    "urban": -0.20,
    "income_band": 0.15,  # per quintile step
}
"""True ordered-logit slopes [latent units per rating point / per covariate unit]."""

TRUE_CUTPOINTS = (6.2, 7.6, 9.0, 10.6)
"""True cut-points between overall categories 1|2, 2|3, 3|4, 4|5 [latent units]."""

RESPONDENTS = {
    "wuhua": 320,
    "panlong": 300,
    "guandu": 320,
    "xishan": 300,
    "dongchuan": 180,
    "chenggong": 260,
    "jinning": 200,
    "anning": 220,
    "fumin": 160,
    "yiliang": 180,
    "shilin": 160,
    "songming": 180,
    "luquan": 160,
    "xundian": 160,
    "gaoxin": 140,
    "jingkai": 120,
    "dianchi": 90,
    "yangzonghai": 24,  # deliberately small: its index is flagged as too few respondents
}
"""Respondents per unit (total 3,474); ``yangzonghai`` is deliberately below 30."""


URBAN_SHARE = {
    "wuhua": 0.95,
    "panlong": 0.9,
    "guandu": 0.9,
    "xishan": 0.88,
    "chenggong": 0.8,
    "gaoxin": 0.95,
    "jingkai": 0.9,
    "dianchi": 0.85,
    "anning": 0.65,
    "jinning": 0.5,
    "dongchuan": 0.4,
    "yangzonghai": 0.4,
    "songming": 0.35,
    "yiliang": 0.35,
    "fumin": 0.3,
    "shilin": 0.3,
    "xundian": 0.25,
    "luquan": 0.2,
}
"""Share of urban respondents per unit: the respondent mix differs between units, so
raw unit means differ from unit effects net of respondent mix."""


def _unit_effects() -> dict[str, float]:
    rng = np.random.default_rng(SEED + 1)
    units = sorted(RESPONDENTS)
    vals = np.round(rng.normal(0.0, 0.35, len(units)), 3)
    return dict(zip(units, vals.tolist(), strict=True))


TRUE_UNIT_EFFECTS = _unit_effects()
"""True residual unit effects on the latent scale (unit -> value), net of respondent mix."""

ATTRIBUTES = ("education", "health", "transport", "environment", "safety", "gov_service")


def make_survey(
    seed: int = SEED, respondents: dict[str, int] | None = None, slopes: dict | None = None
) -> pd.DataFrame:
    """Draw a synthetic survey (one row per respondent) from the process above.

    Parameters
    ----------
    seed : int
        Seed of the draw.
    respondents : dict, optional
        Unit -> number of respondents; default :data:`RESPONDENTS`.
    slopes : dict, optional
        Override of :data:`TRUE_SLOPES` (tests use it for known-effect checks).
    """
    rng = np.random.default_rng(seed)
    counts = RESPONDENTS if respondents is None else respondents
    beta = {**TRUE_SLOPES, **(slopes or {})}
    units = sorted(counts)
    quality = rng.normal(0.0, 0.45, (len(units), len(ATTRIBUTES)))
    unit_idx = np.repeat(np.arange(len(units)), [counts[u] for u in units])
    n = unit_idx.size
    urban_share = np.array([URBAN_SHARE.get(u, 0.65) for u in units])[unit_idx]
    age = np.clip(np.rint(rng.normal(52 - 12 * urban_share, 15, n)), 18, 80).astype(int)
    female = rng.integers(0, 2, n)
    urban = (rng.random(n) < urban_share).astype(int)
    income = np.clip(
        np.rint(rng.normal(1.8 + 2.2 * urban_share + 0.5 * urban, 1.0, n)), 1, 5
    ).astype(int)
    disp = rng.normal(0.0, 1.0, n)
    shift = np.zeros(len(ATTRIBUTES))
    shift[[ATTRIBUTES.index("health"), ATTRIBUTES.index("transport")]] = 0.25
    latent = (
        3.1
        + quality[unit_idx]
        + 0.55 * disp[:, None]
        + urban[:, None] * shift[None, :]
        + rng.normal(0.0, 0.85, (n, len(ATTRIBUTES)))
    )
    ratings = np.clip(np.rint(latent), 1, 5).astype(int)
    alpha = np.array([TRUE_UNIT_EFFECTS.get(u, 0.0) for u in units])[unit_idx]
    xb = (
        ratings @ np.array([beta[a] for a in ATTRIBUTES])
        + beta["age"] * age
        + beta["female"] * female
        + beta["urban"] * urban
        + beta["income_band"] * income
        + alpha
    )
    ystar = xb + rng.logistic(0.0, 1.0, n)
    overall = 1 + np.searchsorted(np.asarray(TRUE_CUTPOINTS), ystar)
    # design over-samples urban and under-60 respondents; weights undo it (mean 1)
    raw = np.where(urban == 1, 0.8, 1.35) * np.where(age >= 60, 1.3, 1.0)
    weight = np.round(raw / raw.mean(), 4)
    frame = pd.DataFrame(
        {
            "respondent": [f"r{i + 1:05d}" for i in range(n)],
            "unit": np.array(units, dtype=object)[unit_idx],
            "age": age,
            "female": female,
            "urban": urban,
            "income_band": income,
            **{a: ratings[:, j] for j, a in enumerate(ATTRIBUTES)},
            "overall": overall,
            "weight": weight,
        }
    )
    return frame


def _check(df: pd.DataFrame, probs: Problems) -> None:
    check_survey(df, probs, units=unit_ids())
    for col, lo, hi in (("age", 16, 100), ("female", 0, 1), ("urban", 0, 1), ("income_band", 1, 5)):
        bad = (df[col] < lo) | (df[col] > hi)
        if bad.any():
            probs.add(
                f"expected {lo}-{hi} in {rows_phrase(np.flatnonzero(bad.to_numpy()))}",
                f"column {col}",
            )


DATASETS = [
    Dataset(
        name="survey",
        file="survey.csv",
        provenance="synthetic",
        description="Synthetic resident-satisfaction survey (3,474 respondents, 18 units, known effects)",
        columns={
            "respondent": "string",
            "unit": "string",
            "age": "int64",
            "female": "int64",
            "urban": "int64",
            "income_band": "int64",
            **{a: "int64" for a in ATTRIBUTES},
            "overall": "int64",
            "weight": "float64",
        },
        generator=make_survey,
        check=_check,
    )
]
