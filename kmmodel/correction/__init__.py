"""Force-majeure correction proposals and the test bench that compares them.

The seed's third proposal: indicators hit by force majeure (epidemics, natural
disasters) get dynamic correction coefficients instead of one-size-fits-all
scoring. This package lets a researcher write competing proposals as functions,
run them on the same simulated or real data, and compare how fair they are and
how easily they are gamed.

- :data:`METHODS` / :func:`register` — correction functions on a :class:`Panel`
  (``none``, ``coefficient``, ``target_rebase``, ``hold_harmless``, ``reweight``,
  ``counterfactual``; add your own with ``@register("name")``).
- :func:`evaluate` — the seeded simulation bench -> tidy DataFrame
  ``method, metric, value, low, high``.
- :mod:`~kmmodel.correction.shocks` — shock and sensitivity data, validated.
- :func:`~kmmodel.correction.apply.apply` — the methods as reforms of a real scheme
  (default: the example scheme, observations and shocks) -> ranking per method.
- :mod:`~kmmodel.correction.plots` — the charts that explain the bench.
"""

from __future__ import annotations

from kmmodel.correction.apply import Application, apply
from kmmodel.correction.bench import (
    GRADES,
    METRICS,
    evaluate,
    evaluate_grid,
    evaluate_reps,
    kendall_tau_b,
    pareto,
    scorecard,
    spearman_rho,
    summarise,
)
from kmmodel.correction.methods import (
    METHODS,
    Adjusted,
    Panel,
    correct,
    ratio_score,
    register,
    totals,
)
from kmmodel.correction.simulate import DEFAULTS, simulate

__all__ = [
    "DEFAULTS",
    "GRADES",
    "METHODS",
    "METRICS",
    "Adjusted",
    "Application",
    "Panel",
    "apply",
    "correct",
    "evaluate",
    "evaluate_grid",
    "evaluate_reps",
    "kendall_tau_b",
    "pareto",
    "scorecard",
    "ratio_score",
    "register",
    "simulate",
    "spearman_rho",
    "summarise",
    "totals",
]
