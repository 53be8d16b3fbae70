"""Scoring thresholds of an assessment scheme, for the bunching check.

Values that pile up just on the good side of a threshold where points jump suggest
that figures were nudged to reach it (:func:`kmmodel.monitoring.bunching`). This
module reads those thresholds off a scheme, so the check tests exactly the cut-offs
the units are scored on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["scheme_thresholds"]

_COLUMNS = ["indicator", "rule", "direction", "kind", "value", "completion"]


def scheme_thresholds(scheme) -> pd.DataFrame:
    """Where each scored indicator's points change, in value and completion terms.

    Parameters
    ----------
    scheme : kmmodel.scheme.Scheme
        A loaded scheme (``km.load_scheme``), for one year.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``indicator``, ``rule`` (type), ``direction``
        (``higher`` / ``lower``: which side of the threshold is better), ``kind``
        (``floor``: first points; ``full``: full points; ``step``: a step of a stepped
        rule; ``pass``: pass/fail target), ``value`` [indicator unit] and
        ``completion`` (``value / target`` [ratio]; NaN without a numeric target).
        Rules without value thresholds (rank, grade, deduction, formula, veto,
        bonus, penalty) give no rows.

    Notes
    -----
    A completion-ratio rule with floor ``f`` and cap ``c`` scores ``actual / target``
    (``target / actual`` when lower is better): its thresholds are ``f·target`` and
    ``c·target`` (``target / f`` and ``target / c`` when lower is better). Pass
    :func:`kmmodel.monitoring.bunching` the ``completion`` column when the data hold
    completion rates (e.g. from :func:`kmmodel.monitoring.completion`), or ``value``
    when they hold the indicator itself.

    Examples
    --------
    >>> import kmmodel as km
    >>> from kmmodel import monitoring
    >>> s = km.load_scheme(km.paths.data_dir() / "schemes" / "kunming_2025.yaml", year=2025)
    >>> t = monitoring.scheme_thresholds(s)
    >>> t.loc[t["indicator"] == "budget_execution_rate", ["kind", "completion"]].to_numpy().tolist()
    [['floor', 0.7], ['full', 1.0]]
    """
    rows = []
    for ind in scheme.spec.indicators:
        target, kind = ind.target, ind.rule.type
        # (kind of threshold, value [indicator unit], completion [ratio] or None): the rule's own
        found = ind.rule.thresholds(ind)
        for name, value, completion in found:
            if completion is None:
                completion = value / target if target else np.nan
            rows.append((ind.id, kind, ind.direction, name, float(value), float(completion)))
    return pd.DataFrame(rows, columns=_COLUMNS)
