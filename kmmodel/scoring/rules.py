"""The engine's door to the rule types: blocks of units × indicators, one type at a time.

Each rule type computes its own block (see :mod:`kmmodel.scheme.rules`); these
functions pick the class from the registry and silence numpy's warnings for the
divisions by zero the rules resolve themselves (e.g. a lower-is-better ratio at 0).
"""

from __future__ import annotations

import numpy as np

from kmmodel.scheme.rules import rule_class

__all__ = ["achievement_block", "adjustment_block", "veto_block"]


def achievement_block(rule_type: str, V: np.ndarray, inds: list, groups: np.ndarray) -> np.ndarray:
    """Achievement [share 0-1] of scored indicators sharing ``rule_type``.

    Parameters
    ----------
    rule_type : str
        A registered rule type of kind ``score``.
    V : ndarray, shape (n_units, n_indicators)
        Observed values [indicator unit]; NaN where missing.
    inds : list of Indicator
        The indicators, in column order.
    groups : ndarray of str, shape (n_units,)
        Ranking group of each unit (used by ``rank`` rules).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return rule_class(rule_type).achievement(V, inds, groups)


def veto_block(V: np.ndarray, inds: list) -> np.ndarray:
    """Boolean block: veto triggered; a missing row counts as no incident."""
    out = np.zeros(V.shape, bool)
    for t in dict.fromkeys(i.rule.type for i in inds):
        cols = [j for j, i in enumerate(inds) if i.rule.type == t]
        out[:, cols] = rule_class(t).triggered(V[:, cols], [inds[j] for j in cols])
    return out


def adjustment_block(V: np.ndarray, inds: list) -> np.ndarray:
    """Signed bonus (+) / penalty (−) points [points], each capped at the item's points."""
    out = np.zeros(V.shape)
    for t in dict.fromkeys(i.rule.type for i in inds):
        cols = [j for j, i in enumerate(inds) if i.rule.type == t]
        out[:, cols] = rule_class(t).adjustment(V[:, cols], [inds[j] for j in cols])
    return out
