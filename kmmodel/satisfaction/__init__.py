"""Satisfaction regressions: survey models, key drivers, importance-performance.

Resident surveys (Likert answers about public services, by district) answer three
questions the assessment asks: what drives satisfaction, how districts differ once
the respondent mix is controlled for, and what a project is likely to change.

- :func:`validate_survey` — the survey schema (:mod:`~kmmodel.satisfaction.schema`)
- :func:`linear_model` — OLS/WLS with HC3 or cluster-robust errors
- :func:`ordered_model` — ordered logit/probit (slopes, actual cut-points,
  probabilities, average marginal effects), optionally survey-weighted
  (pseudo-likelihood with robust or cluster-robust sandwich errors)
- :func:`top_box_model` — logit of "satisfied" (top two boxes)
- :func:`key_drivers` — exact LMG/Shapley shares of R^2 or Johnson's relative
  weights, with seeded bootstrap intervals
- :func:`ipa` — importance-performance quadrants (Martilla & James 1977)
- :func:`satisfaction_index`, :func:`unit_effects` — 0-100 index per unit, and net
  of respondent mix
- :func:`scenario`, :func:`index_change_per_point` — predicted index change when
  ratings change (for cost per satisfaction point)
- :func:`vif`, :func:`residual_plots`, :func:`brant_test` — diagnostics

Examples
--------
>>> import kmmodel as km
>>> from kmmodel import satisfaction as sat
>>> survey = km.datasets.load("survey")          # synthetic, known true effects
>>> m = sat.ordered_model(survey, "overall ~ health + transport + safety")
>>> list(m.thresholds.index)
['1|2', '2|3', '3|4', '4|5']
"""

from __future__ import annotations

from kmmodel.satisfaction.binary import BinaryResult, top_box_model
from kmmodel.satisfaction.diagnostics import brant_test, residual_plots, vif
from kmmodel.satisfaction.drivers import key_drivers, lmg_shares, relative_weights, subset_r2
from kmmodel.satisfaction.index import IndexResult, satisfaction_index, to_index, unit_effects
from kmmodel.satisfaction.ipa import IPAResult, ipa
from kmmodel.satisfaction.linear import LinearResult, linear_model
from kmmodel.satisfaction.ordered import OrderedResult, category_probabilities, ordered_model
from kmmodel.satisfaction.scenario import ScenarioResult, index_change_per_point, scenario
from kmmodel.satisfaction.schema import (
    ATTRIBUTE_LABELS,
    ATTRIBUTES,
    CHARACTERISTICS,
    SCALE,
    validate_survey,
)

__all__ = [
    "ATTRIBUTES",
    "ATTRIBUTE_LABELS",
    "BinaryResult",
    "CHARACTERISTICS",
    "IPAResult",
    "IndexResult",
    "LinearResult",
    "OrderedResult",
    "SCALE",
    "ScenarioResult",
    "brant_test",
    "category_probabilities",
    "index_change_per_point",
    "ipa",
    "key_drivers",
    "linear_model",
    "lmg_shares",
    "ordered_model",
    "relative_weights",
    "residual_plots",
    "satisfaction_index",
    "scenario",
    "subset_r2",
    "to_index",
    "top_box_model",
    "unit_effects",
    "validate_survey",
    "vif",
]
