"""Vectorised scoring rules: observed values -> achievement shares in [0, 1].

Each function takes the value block ``V`` (units × indicators of one rule type,
NaN where missing) and per-indicator parameter rows, and returns the achievement
block of the same shape (NaN where the value is missing). Indicator points are
``achievement × points``. The specifications are in :mod:`kmmodel.scheme.rules`.

References
----------
.. [1] 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号), 附件: 项目支出绩效评价指标体系框架
   (completion-ratio, interpolation and deduction rules of the common indicator table).
.. [2] PEFA Secretariat (2016), *Framework for assessing public financial management*,
   scoring method M1 (weakest link) and M2 (averaging).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.expr import compile_expr
from kmmodel.scheme.rules import FORMULA_NAMES

__all__ = ["achievement_block", "adjustment_block", "veto_block"]


def _row(values) -> np.ndarray:
    return np.asarray(values, dtype=float)[None, :]


def _ratio(V, inds):
    t = _row([i.target for i in inds])
    lower = _row([i.direction == "lower" for i in inds]).astype(bool)
    floor = _row([i.rule.floor for i in inds])
    cap = _row([i.rule.cap for i in inds])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(lower, np.where(V > 0, t / V, np.inf), V / t)
    a = np.where(r < floor, 0.0, np.minimum(r, cap) / cap)
    return np.where(np.isnan(V), np.nan, a)


def _linear(V, inds):
    t = _row([i.target for i in inds])
    f = _row([i.rule.floor for i in inds])
    return np.clip((V - f) / (t - f), 0.0, 1.0)  # NaN stays NaN


def _pass_fail(V, inds):
    t = _row([i.target for i in inds])
    lower = _row([i.direction == "lower" for i in inds]).astype(bool)
    ok = np.where(lower, V <= t, V >= t).astype(float)
    return np.where(np.isnan(V), np.nan, ok)


def _deduction(V, inds):
    pts = _row([i.points for i in inds])
    per = _row([i.rule.per for i in inds])
    cap = _row([i.rule.cap if i.rule.cap is not None else i.points for i in inds])
    return 1.0 - np.minimum(per * V, cap) / pts


def _steps(V, inds):
    out = np.empty_like(V)
    for j, ind in enumerate(inds):  # per indicator column, vectorised over units
        th = np.array([s[0] for s in ind.rule.steps])
        sh = np.array([s[1] for s in ind.rule.steps])
        v = V[:, j]
        if ind.direction == "higher":  # share of the highest threshold reached
            k = np.searchsorted(th, v, side="right") - 1
            a = np.where(k >= 0, sh[np.clip(k, 0, None)], 0.0)
        else:  # share of the lowest threshold not exceeded
            k = np.searchsorted(th, v, side="left")
            a = np.where(k < len(th), sh[np.clip(k, None, len(th) - 1)], 0.0)
        out[:, j] = np.where(np.isnan(v), np.nan, a)
    return out


def _grade(V, inds):
    out = np.empty_like(V)
    for j, ind in enumerate(inds):
        shares = np.array(list(ind.rule.levels.values()))
        v = V[:, j]
        k = np.nan_to_num(v, nan=1).astype(int) - 1
        out[:, j] = np.where(np.isnan(v), np.nan, shares[np.clip(k, 0, len(shares) - 1)])
    return out


def _rank(V, inds, groups):
    out = np.empty_like(V)
    frame = pd.DataFrame(V)
    best = _row([i.rule.best for i in inds])
    worst = _row([i.rule.worst for i in inds])
    lower = np.array([i.direction == "lower" for i in inds])
    g = pd.Series(groups)
    for asc in (False, True):
        cols = np.flatnonzero(lower == asc)
        if not len(cols):
            continue
        sub = frame.iloc[:, cols]
        rk = sub.groupby(g.to_numpy()).rank(method="min", ascending=asc).to_numpy()
        n = sub.notna().groupby(g.to_numpy()).transform("sum").to_numpy()
        frac = np.where(n > 1, (rk - 1) / np.maximum(n - 1, 1), 0.0)
        out[:, cols] = best[:, cols] - (best[:, cols] - worst[:, cols]) * frac
    return out


def _formula(V, inds):
    out = np.empty_like(V)
    for j, ind in enumerate(inds):
        f = compile_expr(ind.rule.expr, FORMULA_NAMES)
        env = {
            "value": V[:, j],
            "target": np.nan if ind.target is None else ind.target,
            "floor": np.nan if ind.rule.floor is None else ind.rule.floor,
        }
        a = np.broadcast_to(f(**env), V[:, j].shape)
        a = np.clip(np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        out[:, j] = np.where(np.isnan(V[:, j]), np.nan, a)
    return out


_BLOCKS = {
    "ratio": _ratio,
    "linear": _linear,
    "pass_fail": _pass_fail,
    "deduction": _deduction,
    "steps": _steps,
    "grade": _grade,
    "formula": _formula,
}


def achievement_block(rule_type: str, V: np.ndarray, inds: list, groups: np.ndarray) -> np.ndarray:
    """Achievement [share 0-1] of scored indicators sharing ``rule_type``.

    Parameters
    ----------
    rule_type : str
        One of the scored rule types.
    V : ndarray, shape (n_units, n_indicators)
        Observed values [indicator unit]; NaN where missing.
    inds : list of Indicator
        The indicators, in column order.
    groups : ndarray of str, shape (n_units,)
        Ranking group of each unit (used by ``rank`` rules).
    """
    if rule_type == "rank":
        return _rank(V, inds, groups)
    return _BLOCKS[rule_type](V, inds)


def veto_block(V: np.ndarray, inds: list) -> np.ndarray:
    """Boolean block: veto triggered (``value >= threshold``); missing counts as no incident."""
    th = _row([i.rule.threshold for i in inds])
    return np.nan_to_num(V, nan=0.0) >= th


def adjustment_block(V: np.ndarray, inds: list) -> np.ndarray:
    """Signed bonus (+) / penalty (−) points [points], each capped at the item's points."""
    per = _row([i.rule.per for i in inds])
    cap = _row([i.points for i in inds])
    sign = _row([1.0 if i.rule.type == "bonus" else -1.0 for i in inds])
    return sign * np.minimum(per * np.nan_to_num(V, nan=0.0), cap)
