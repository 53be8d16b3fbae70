"""Draws of a scheme's uncertain choices: weights, aggregation, missing-data policy.

Weights are perturbed in two layers, as in the OECD/JRC practice for composite
indicators: indicator weights are re-drawn *within* their dimension (the dimension keeps
its points), then the dimension totals are re-drawn, and every draw is rescaled to the
scheme's total points (100 in Kunming's scheme). Two laws are offered:

- ``"uniform"``: each weight times an independent factor ``U(1 - spread, 1 + spread)``;
- ``"dirichlet"``: shares drawn from a Dirichlet law centred on the nominal shares,
  ``Dirichlet(concentration * share)``; the larger the concentration, the closer to
  the nominal weights (coefficient of variation of a share ``s`` is
  ``sqrt((1 - s) / (s * (concentration + 1)))``).

References
----------
OECD/JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User
Guide*, section 7 (uncertainty and sensitivity analysis). OECD Publishing, Paris.

Saisana, M., Saltelli, A., Tarantola, S. (2005). Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators. *J. R. Stat.
Soc. A* 168(2), 307-323.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kmmodel.errors import DataError, Problems
from kmmodel.rng import SeedLike, as_generator

__all__ = [
    "AGGREGATIONS",
    "MISSING_POLICIES",
    "Perturbation",
    "dirichlet_weights",
    "membership_matrix",
    "uniform_weights",
]

AGGREGATIONS = ("arithmetic", "geometric", "weakest_link")
"""Aggregation choices: weighted arithmetic sum (fully compensatory); weighted geometric
mean times total (partly compensatory); weakest link, total times the lowest achievement
of any indicator with a positive weight (non-compensatory, PEFA's scoring method M1)."""

MISSING_POLICIES = ("zero", "mean", "reweight")
"""Missing-data policies: a missing indicator scores 0; is imputed with the indicator's
mean achievement over units; or is dropped and the weights of the unit's other
indicators in the same dimension rescaled (the dimension keeps its points)."""

WEIGHT_METHODS = ("uniform", "dirichlet", "none")


def membership_matrix(dimensions: Sequence | np.ndarray | None, k: int) -> tuple[np.ndarray, list]:
    """One-hot indicator -> dimension matrix ``M`` (k x g) and the dimension labels.

    ``dimensions=None`` puts every indicator in one dimension.
    """
    if dimensions is None:
        return np.ones((k, 1)), ["all"]
    dims = np.asarray(dimensions, dtype=object)
    if dims.shape != (k,):
        raise DataError(
            f"dimensions: expected one label per indicator ({k}), got shape {dims.shape}"
        )
    labels = list(dict.fromkeys(dims.tolist()))
    idx = np.array([labels.index(d) for d in dims.tolist()])
    member = np.zeros((k, len(labels)))
    member[np.arange(k), idx] = 1.0
    return member, labels


def _check_nominal(nominal) -> np.ndarray:
    w = np.asarray(nominal, dtype=float)
    probs = Problems(source="weights")
    if w.ndim != 1 or w.size == 0:
        raise DataError(f"weights: expected a non-empty 1-D vector, got shape {w.shape}")
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        probs.add(f"not a finite number at positions {bad.tolist()}", where="weights")
    neg = np.flatnonzero(np.isfinite(w) & (w < 0))
    if neg.size:
        probs.add(f"negative weight at positions {neg.tolist()}; expected >= 0 [points]")
    if not bad.size and not neg.size and w.sum() <= 0:
        probs.add("all weights are zero; expected a positive total [points]")
    probs.raise_if_any(DataError)
    return w


def _rescale(w: np.ndarray, member: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Rescale each draw so the indicators of dimension j sum to ``targets[..., j]``."""
    sums = w @ member  # (n, g)
    factor = np.divide(targets, sums, out=np.zeros_like(sums), where=sums > 0)
    return w * (factor @ member.T)


def uniform_weights(
    nominal,
    n: int,
    *,
    spread: float = 0.25,
    dimensions=None,
    dimension_spread: float = 0.0,
    seed: SeedLike = None,
) -> np.ndarray:
    """Draw weights as nominal weights times independent uniform factors.

    Parameters
    ----------
    nominal : array-like of shape (k,)
        Nominal indicator weights [points], >= 0.
    n : int
        Number of draws.
    spread : float
        Indicator factor ``U(1 - spread, 1 + spread)`` [share 0-1]; 0 <= spread < 1
        (a spread of 1 or more could make weights zero or negative).
    dimensions : array-like of shape (k,), optional
        Dimension of each indicator. Indicator weights are rescaled so each dimension
        keeps its nominal points; then dimension totals are perturbed.
    dimension_spread : float
        Dimension factor ``U(1 - dimension_spread, 1 + dimension_spread)`` [share 0-1].
    seed : int or Generator, optional

    Returns
    -------
    ndarray of shape (n, k)
        Weights [points]; each row sums to the nominal total.
    """
    w0 = _check_nominal(nominal)
    _check_spreads(spread, dimension_spread)
    rng = as_generator(seed)
    member, _ = membership_matrix(dimensions, w0.size)
    dim_total = w0 @ member
    w = w0 * rng.uniform(1 - spread, 1 + spread, size=(n, w0.size))
    w = _rescale(w, member, np.broadcast_to(dim_total, (n, dim_total.size)))
    if dimension_spread > 0:
        d = dim_total * rng.uniform(1 - dimension_spread, 1 + dimension_spread, (n, dim_total.size))
        w = _rescale(w, member, d)
    return w * (w0.sum() / w.sum(axis=1, keepdims=True))


def dirichlet_weights(
    nominal,
    n: int,
    *,
    concentration: float = 100.0,
    dimensions=None,
    dimension_concentration: float = math.inf,
    seed: SeedLike = None,
) -> np.ndarray:
    """Draw weights from Dirichlet laws centred on the nominal shares.

    Parameters
    ----------
    nominal : array-like of shape (k,)
        Nominal indicator weights [points], >= 0. Zero weights stay zero.
    n : int
        Number of draws.
    concentration : float
        Dirichlet concentration of the indicator shares within each dimension (> 0;
        ``inf`` keeps them nominal).
    dimensions : array-like of shape (k,), optional
        Dimension of each indicator.
    dimension_concentration : float
        Dirichlet concentration of the dimension shares (``inf``: nominal dimension points).
    seed : int or Generator, optional

    Returns
    -------
    ndarray of shape (n, k)
        Weights [points]; each row sums to the nominal total.
    """
    w0 = _check_nominal(nominal)
    _check_concentrations(concentration, dimension_concentration)
    rng = as_generator(seed)
    member, _ = membership_matrix(dimensions, w0.size)
    dim_total = w0 @ member
    if math.isinf(concentration):
        w = np.broadcast_to(w0, (n, w0.size)).copy()
    else:
        share_in_dim = w0 / np.where(dim_total > 0, dim_total, 1.0)[member.argmax(axis=1)]
        alpha = concentration * share_in_dim
        g = np.zeros((n, w0.size))
        pos = alpha > 0
        g[:, pos] = rng.standard_gamma(alpha[pos], size=(n, int(pos.sum())))
        w = _rescale(g, member, np.broadcast_to(dim_total, (n, dim_total.size)))
    if not math.isinf(dimension_concentration):
        alpha_d = dimension_concentration * dim_total / dim_total.sum()
        d = np.zeros((n, dim_total.size))
        pos = alpha_d > 0
        d[:, pos] = rng.standard_gamma(alpha_d[pos], size=(n, int(pos.sum())))
        d *= dim_total.sum() / d.sum(axis=1, keepdims=True)
        w = _rescale(w, member, d)
    return w


def _check_spreads(spread: float, dimension_spread: float, probs: Problems | None = None) -> None:
    own = probs is None
    if probs is None:
        probs = Problems(source="perturbation")
    for name, value in (("spread", spread), ("dimension_spread", dimension_spread)):
        if not (isinstance(value, int | float) and np.isfinite(value) and 0 <= value < 1):
            probs.add(
                f"expected a share in [0, 1), got {value!r}: a factor U(1 - {value}, 1 + {value}) "
                "would make weights zero or negative",
                where=name,
            )
    if own:
        probs.raise_if_any(DataError)


def _check_concentrations(c: float, cd: float, probs: Problems | None = None) -> None:
    own = probs is None
    if probs is None:
        probs = Problems(source="perturbation")
    for name, value in (("concentration", c), ("dimension_concentration", cd)):
        if not (isinstance(value, int | float) and not np.isnan(value) and value > 0):
            probs.add(f"expected a positive number (or inf), got {value!r}", where=name)
    if own:
        probs.raise_if_any(DataError)


@dataclass(frozen=True)
class Perturbation:
    """What is uncertain in a scheme, and how much.

    The first option of ``aggregation``, ``missing`` (and of the achievement
    alternatives given to :func:`~kmmodel.uncertainty.rank_uncertainty`) is the nominal
    choice; each draw picks one option of each uniformly at random.

    Parameters
    ----------
    weights : {"uniform", "dirichlet", "none"}
        Law of the weight draws (``"none"`` keeps nominal weights).
    spread : float
        Uniform law: indicator factor ``U(1 - spread, 1 + spread)`` within dimensions
        [share 0-1], in [0, 1).
    dimension_spread : float
        Uniform law: dimension factor [share 0-1], in [0, 1).
    concentration, dimension_concentration : float
        Dirichlet law: concentrations (> 0; ``inf`` = nominal).
    aggregation : tuple of {"arithmetic", "geometric", "weakest_link"}
        Aggregation options. Geometric: ``total * prod(max(a, floor) ** (w / sum w))``;
        weakest link: ``total * min(a)`` over indicators with a positive weight.
    missing : tuple of {"zero", "mean", "reweight"}
        Missing-data options (see :data:`MISSING_POLICIES`).
    geometric_floor : float
        Achievement floor in the geometric mean [share 0-1], in [0, 1]: a positive floor
        keeps one zero from zeroing the whole score; 0 is the assessment engine's own
        geometric mean (any zero achievement gives a zero score).
    """

    weights: str = "uniform"
    spread: float = 0.25
    dimension_spread: float = 0.0
    concentration: float = 100.0
    dimension_concentration: float = math.inf
    aggregation: tuple[str, ...] = ("arithmetic",)
    missing: tuple[str, ...] = ("zero",)
    geometric_floor: float = 0.01

    def __post_init__(self) -> None:
        probs = Problems(source="perturbation")
        if self.weights not in WEIGHT_METHODS:
            probs.add(f"expected one of {WEIGHT_METHODS}, got {self.weights!r}", where="weights")
        _check_spreads(self.spread, self.dimension_spread, probs)
        _check_concentrations(self.concentration, self.dimension_concentration, probs)
        for name, allowed in (("aggregation", AGGREGATIONS), ("missing", MISSING_POLICIES)):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
                value = (value,)
            if len(value) == 0:
                probs.add(f"expected at least one of {allowed}", where=name)
            bad = [v for v in value if v not in allowed]
            if bad:
                probs.add(f"unknown option(s) {bad}; expected some of {allowed}", where=name)
        f = self.geometric_floor
        if not (isinstance(f, int | float) and 0 <= f <= 1):
            probs.add(f"expected a share in [0, 1], got {f!r}", where="geometric_floor")
        probs.raise_if_any(DataError)

    @classmethod
    def none(cls) -> Perturbation:
        """No perturbation at all: every draw is the nominal scheme."""
        return cls(weights="none", spread=0.0)

    def draw_weights(self, nominal, n: int, dimensions=None, seed: SeedLike = None) -> np.ndarray:
        """``n`` weight draws (n x k) [points] under this perturbation."""
        if self.weights == "none":
            w0 = _check_nominal(nominal)
            return np.broadcast_to(w0, (n, w0.size)).copy()
        if self.weights == "uniform":
            return uniform_weights(
                nominal,
                n,
                spread=self.spread,
                dimensions=dimensions,
                dimension_spread=self.dimension_spread,
                seed=seed,
            )
        return dirichlet_weights(
            nominal,
            n,
            concentration=self.concentration,
            dimensions=dimensions,
            dimension_concentration=self.dimension_concentration,
            seed=seed,
        )
