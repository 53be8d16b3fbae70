"""kmmodel: modelling toolkit for government performance assessment and fiscal
performance evaluation, built around Kunming's performance-management system.

Submodules load on first use, so ``import kmmodel`` stays fast:

- :mod:`kmmodel.datasets` — shipped data sets (``names()``, ``load(name)``)
- :mod:`kmmodel.examples` — the shipped example as defaults: schemes
  (``scheme_path(name)``), units, ``score`` with the example units' ranking groups
- :mod:`kmmodel.scheme` / :mod:`kmmodel.scoring` — assessment schemes and scores
  (``load_scheme``, ``score``, ``compare``)
- :mod:`kmmodel.allocation` — evaluation-budget allocation and package awards
- :mod:`kmmodel.costbenefit` — lifecycle cost-benefit analysis
- :mod:`kmmodel.satisfaction` — survey models and key drivers
- :mod:`kmmodel.correction` — force-majeure correction proposals and test bench
- :mod:`kmmodel.monitoring` — early warning and data-distortion checks
- :mod:`kmmodel.panel` — expert panels: combined scores, rater agreement
- :mod:`kmmodel.uncertainty`, :mod:`kmmodel.sweep` — robustness and scenario sweeps
- :mod:`kmmodel.diagnostics` — scheme diagnostics before adoption (``diagnose``)
- :mod:`kmmodel.plots`, :mod:`kmmodel.notebook`, :mod:`kmmodel.report` — charts with
  Chinese labels, notebook helpers, the HTML report runner
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kmmodel.errors import DataError, InfeasibleError, KmmodelError, ReportError, SchemeError

__version__ = "0.1.0"

_SUBMODULES = {
    "allocation",
    "catalog",
    "correction",
    "costbenefit",
    "datasets",
    "diagnostics",
    "examples",
    "monitoring",
    "notebook",
    "panel",
    "paths",
    "plots",
    "report",
    "rng",
    "satisfaction",
    "scheme",
    "scoring",
    "sweep",
    "uncertainty",
}
# public functions re-exported from submodules: name -> module
_FUNCTIONS = {
    "load_scheme": "kmmodel.scheme",
    "score": "kmmodel.examples",  # scoring.score with the example units' groups as default
    "compare": "kmmodel.scoring",
    "diagnose": "kmmodel.examples",  # diagnostics.diagnose with the example units' groups
}

__all__ = [
    "DataError",
    "InfeasibleError",
    "KmmodelError",
    "ReportError",
    "SchemeError",
    "__version__",
    *sorted(_FUNCTIONS),
    *sorted(_SUBMODULES),
]

if TYPE_CHECKING:  # pragma: no cover
    from kmmodel import datasets, paths, plots, rng  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"kmmodel.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'kmmodel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
