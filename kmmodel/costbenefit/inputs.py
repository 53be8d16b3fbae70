"""Uncertain inputs: a range (low, central, high) and a distribution to draw from.

Distributions (all vectorised with :class:`numpy.random.Generator`):

- ``"triangular"``: minimum ``low``, mode ``central``, maximum ``high``;
- ``"pert"``: Beta-PERT on [low, high] with mode ``central`` and shape 4
  (``alpha = 1 + 4 (m - a) / (b - a)``, ``beta = 1 + 4 (b - m) / (b - a)``) [1]_;
- ``"normal"``: mean ``central``, ``sd = (high - low) / (2 * 1.6449)``, so that for a
  range symmetric around ``central``, ``low`` and ``high`` are its 5th and 95th percentiles
  (draws are not truncated);
- ``"uniform"``: on [low, high].

A zero-width range (``low == central == high``) always gives the central value, so a
Monte Carlo with no spread reproduces the deterministic NPV exactly.

References
----------
.. [1] Vose, D. (2008). Risk Analysis: A Quantitative Guide, 3rd ed., Wiley, sec. 9.1.5
   (PERT distribution).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.tables import columns

__all__ = ["DISTRIBUTIONS", "Input", "as_inputs", "draw"]

DISTRIBUTIONS = ("triangular", "pert", "normal", "uniform")
_Z95 = 1.6448536269514722  # standard normal 95th percentile


@dataclass(frozen=True)
class Input:
    """One uncertain input of a :class:`~kmmodel.costbenefit.model.ProjectModel`.

    Parameters
    ----------
    name : str
        Input name (a line, ``"costs"``, ``"benefits"``, ``"carbon_price"``, ``"discount_rate"``).
    low, central, high : float
        Range in the input's unit (multipliers [ratio], carbon price [yuan/tCO2], rate
        [share 0-1]); ``low <= central <= high``.
    dist : str
        One of :data:`DISTRIBUTIONS`.
    label : str, optional
        Display label (Chinese is fine).
    """

    name: str
    low: float
    central: float
    high: float
    dist: str = "triangular"
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name


def _validate(inputs: Sequence[Input]) -> None:
    probs = Problems(source="inputs")
    seen = set()
    for i, x in enumerate(inputs):
        where = f"input {i + 1} ({x.name})"
        vals = np.array([x.low, x.central, x.high], dtype=float)
        if not np.isfinite(vals).all():
            probs.add("low, central and high must be finite numbers", where)
        elif not (x.low <= x.central <= x.high):
            probs.add(f"need low <= central <= high, got {x.low}, {x.central}, {x.high}", where)
        if x.dist not in DISTRIBUTIONS:
            probs.add(f"unknown distribution {x.dist!r}; expected one of {DISTRIBUTIONS}", where)
        if x.name in seen:
            probs.add("input named twice", where)
        seen.add(x.name)
    probs.raise_if_any(DataError)


def as_inputs(spec: Iterable[Input] | pd.DataFrame) -> list[Input]:
    """Inputs from a list of :class:`Input` or a DataFrame with columns
    ``name, low, central, high`` (optional ``dist``, ``label``); validated, all problems listed.
    """
    if isinstance(spec, pd.DataFrame):
        spec = columns(spec, ("name", "low", "central", "high"), Problems(source="inputs"))
        rows = spec.to_dict("records")
        out = [
            Input(
                str(r["name"]),
                float(r["low"]),
                float(r["central"]),
                float(r["high"]),
                str(r.get("dist", "triangular")),
                str(r.get("label", "") or ""),
            )
            for r in rows
        ]
    else:
        out = list(spec)
        if not all(isinstance(x, Input) for x in out):
            raise DataError("expected Input objects or a DataFrame", source="inputs")
    _validate(out)
    return out


def draw(x: Input, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of one input (vectorised); zero width gives the central value."""
    a, m, b = float(x.low), float(x.central), float(x.high)
    if b == a:
        return np.full(n, m)
    if x.dist == "triangular":
        return rng.triangular(a, m, b, size=n)
    if x.dist == "pert":
        alpha = 1.0 + 4.0 * (m - a) / (b - a)
        beta = 1.0 + 4.0 * (b - m) / (b - a)
        return a + (b - a) * rng.beta(alpha, beta, size=n)
    if x.dist == "normal":
        return rng.normal(m, (b - a) / (2.0 * _Z95), size=n)
    if x.dist == "uniform":
        return rng.uniform(a, b, size=n)
    raise DataError(f"unknown distribution {x.dist!r}", source=x.name)  # pragma: no cover
