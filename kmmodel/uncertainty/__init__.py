"""Robustness of rankings: Monte Carlo uncertainty and Sobol sensitivity analysis.

- :mod:`~kmmodel.uncertainty.perturb` — weight draws (uniform +-x %, Dirichlet) and
  the :class:`Perturbation` spec (aggregation — arithmetic, geometric, weakest link —
  and missing-data choices);
- :mod:`~kmmodel.uncertainty.core` — vectorised composite scores and ranks;
- :mod:`~kmmodel.uncertainty.ranks` — :func:`rank_uncertainty`: median rank, 5-95 %
  interval, grade probabilities, top/bottom-set changes;
- :mod:`~kmmodel.uncertainty.sobol` — :func:`sobol_indices`, :func:`rank_sensitivity`
  (SALib, seeded, bootstrap intervals);
- :mod:`~kmmodel.uncertainty.adapter` — the same on a scored scheme
  (:func:`scheme_uncertainty`, :func:`scheme_sensitivity`, :func:`target_alternatives`,
  :func:`spread_sweep` — a :mod:`kmmodel.sweep` study over weight spreads);
- :mod:`~kmmodel.uncertainty.rules` — perturbed rule parameters and targets re-scored
  by the engine (:func:`scheme_alternatives`, :func:`rule_alternatives`,
  :func:`perturb_rules`), drawn as the ``targets`` and ``rule parameters`` factors;
- :mod:`~kmmodel.uncertainty.plots` — rank-interval, grade and Sobol charts.
"""

from kmmodel.uncertainty.adapter import (
    SchemeInputs,
    inputs_from_result,
    scheme_sensitivity,
    scheme_uncertainty,
    spread_sweep,
    target_alternatives,
)
from kmmodel.uncertainty.core import composite_scores, prepare, rank_within
from kmmodel.uncertainty.perturb import (
    AGGREGATIONS,
    MISSING_POLICIES,
    Perturbation,
    dirichlet_weights,
    uniform_weights,
)
from kmmodel.uncertainty.ranks import DEFAULT_GRADES, RankUncertainty, rank_uncertainty
from kmmodel.uncertainty.rules import (
    RULE_PARAMETERS,
    SchemeAlternatives,
    perturb_rules,
    rule_alternatives,
    rule_parameters,
    scale_targets,
    scheme_alternatives,
)
from kmmodel.uncertainty.sobol import SobolResult, rank_sensitivity, sobol_indices

__all__ = [
    "AGGREGATIONS",
    "DEFAULT_GRADES",
    "MISSING_POLICIES",
    "Perturbation",
    "RULE_PARAMETERS",
    "RankUncertainty",
    "SchemeAlternatives",
    "SchemeInputs",
    "SobolResult",
    "composite_scores",
    "dirichlet_weights",
    "inputs_from_result",
    "perturb_rules",
    "prepare",
    "rank_sensitivity",
    "rank_uncertainty",
    "rank_within",
    "rule_alternatives",
    "rule_parameters",
    "scale_targets",
    "scheme_alternatives",
    "scheme_sensitivity",
    "scheme_uncertainty",
    "sobol_indices",
    "spread_sweep",
    "target_alternatives",
    "uniform_weights",
]
