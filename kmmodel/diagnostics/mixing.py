"""Mixing aggregation within a level: one dimension aggregated unlike its siblings.

The scheme declares one aggregation per level (``weighted_sum``, ``geometric`` or
``weakest_link`` for indicators -> dimension). :func:`mixed_aggregation` scores a
what-if in which chosen dimensions aggregate their indicators differently — e.g.
weakest-link for the common targets only, so a lapse in party conduct cannot be
compensated by civilisation work — through the engine: each unit's achievements in
such a dimension are replaced by the dimension's aggregate under the chosen method
(every indicator of the dimension then carries that one value, which any of the three
aggregations returns unchanged), and :func:`kmmodel.scoring.score_achievement` does the
rest (vetoes, bonus/penalty, grades, caps, ranks).

References
----------
.. [1] PEFA Secretariat (2016), *Framework for assessing public financial management*,
   scoring methods M1 (weakest link) and M2 (averaging).
.. [2] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Part I step 6
   (aggregation and compensability).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems

__all__ = ["METHODS", "mixed_aggregation"]

METHODS = ("weighted_sum", "geometric", "weakest_link")


def _aggregate(A: np.ndarray, w: np.ndarray, method: str) -> np.ndarray:
    from kmmodel.scoring import aggregate

    return aggregate(A, w, method)


def mixed_aggregation(
    scheme, observations, methods: dict, *, units=None, missing=None, source="observations"
):
    """Score with some dimensions aggregating their indicators differently.

    Parameters
    ----------
    scheme : Scheme
    observations : DataFrame
        Long ``unit, indicator, value``.
    methods : dict
        Dimension id -> ``weighted_sum`` / ``geometric`` / ``weakest_link``.
    units, missing, source
        As for :func:`kmmodel.score`.

    Returns
    -------
    (ScoreResult, DataFrame)
        The mixed result and :func:`kmmodel.compare` of the nominal result with it.

    Raises
    ------
    DataError
        Unknown dimensions or methods (all listed at once).
    """
    from kmmodel.diagnostics._common import prepare
    from kmmodel.scoring import compare, score_achievement

    inp = prepare(scheme, observations, units=units, missing=missing, source=source)
    probs = Problems(source="methods")
    if not isinstance(methods, dict) or not methods:
        raise DataError("methods must be a non-empty mapping dimension -> aggregation method")
    for d, m in methods.items():
        if d not in inp.dimensions:
            probs.add(f"unknown dimension {d!r}; expected one of {inp.dimensions}")
        if m not in METHODS:
            probs.add(
                f"unknown aggregation {m!r}; expected one of {', '.join(METHODS)}", f"dimension {d}"
            )
    probs.raise_if_any(DataError)
    over = pd.DataFrame(np.nan, index=inp.A.index, columns=inp.A.columns)
    for d, m in methods.items():
        cols = inp.indicators_of(d)
        agg = _aggregate(inp.A[cols].to_numpy(), inp.points[cols].to_numpy(), m)
        over[cols] = np.repeat(agg[:, None], len(cols), axis=1)
    res = score_achievement(
        scheme, observations, achievement=over, units=units, missing=inp.base.missing, source=source
    )
    return res, compare(inp.base, res)
