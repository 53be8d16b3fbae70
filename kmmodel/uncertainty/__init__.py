"""Robustness of rankings: Monte Carlo uncertainty and Sobol sensitivity analysis.

- :mod:`~kmmodel.uncertainty.perturb` — weight draws (uniform +-x %, Dirichlet) and
  the :class:`Perturbation` spec (aggregation and missing-data choices);
- :mod:`~kmmodel.uncertainty.core` — vectorised composite scores and ranks;
- :mod:`~kmmodel.uncertainty.ranks` — :func:`rank_uncertainty`: median rank, 5-95 %
  interval, grade probabilities, top/bottom-set changes;
- :mod:`~kmmodel.uncertainty.sobol` — :func:`sobol_indices`, :func:`rank_sensitivity`
  (SALib, seeded, bootstrap intervals);
- :mod:`~kmmodel.uncertainty.plots` — rank-interval, grade and Sobol charts.
"""

from kmmodel.uncertainty.core import composite_scores, prepare, rank_within
from kmmodel.uncertainty.perturb import (
    AGGREGATIONS,
    MISSING_POLICIES,
    Perturbation,
    dirichlet_weights,
    uniform_weights,
)
from kmmodel.uncertainty.ranks import DEFAULT_GRADES, RankUncertainty, rank_uncertainty

__all__ = [
    "AGGREGATIONS",
    "DEFAULT_GRADES",
    "MISSING_POLICIES",
    "Perturbation",
    "RankUncertainty",
    "composite_scores",
    "dirichlet_weights",
    "prepare",
    "rank_uncertainty",
    "rank_within",
    "uniform_weights",
]
