"""Force-majeure correction methods in one standard array form.

Every method is a function ``method(panel, **params) -> Adjusted`` registered in
:data:`METHODS`. A :class:`Panel` holds, for one assessment period, arrays over
units x indicators (with any number of leading batch axes, e.g. replications):
actual values, targets, the previous period's values and targets, each unit's
exposure to the shock and months affected, each (unit, indicator)'s sensitivity,
indicator weights and each unit's peer group. A method returns every
(unit, indicator)'s score [share 0-1] and effective weight [points]. On the
simulation bench (:mod:`kmmodel.correction.bench`) the unit total is
``100 * sum(weight * score) / sum(weight)`` (:func:`totals`); on a real scheme
(:mod:`kmmodel.correction.apply`) the same scores and weights go through the
scheme's own aggregation, vetoes, bonus items and grades
(:func:`kmmodel.scoring.score_achievement`).

A new proposal plugs in with the :func:`register` decorator::

    @register("my_rule")
    def my_rule(panel, *, alpha=0.5):
        ...
        return Adjusted(score, weight)

References
----------
- CMS, Medicare Shared Savings Program, 42 CFR 425.605(f) / 425.606(i):
  shared losses reduced by the share of the year and of assigned beneficiaries in
  an area hit by an extreme and uncontrollable circumstance (``target_rebase``).
- CMS, Medicare Part C & D Star Ratings, 42 CFR 422.166(i): for contracts with 25% or
  more of enrollees in FEMA-designated areas, the higher of the current and previous
  year's measure star is used (``hold_harmless``).
- CMS, Merit-based Incentive Payment System, 42 CFR 414.1380(c)(2): performance
  categories hit by extreme and uncontrollable circumstances are weighted zero and
  the weights redistributed (``reweight``).
- Angrist, J. D. and Pischke, J.-S. (2009), *Mostly Harmless Econometrics*, ch. 5
  (difference-in-differences; ``counterfactual``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from kmmodel.errors import DataError, Problems

__all__ = [
    "METHODS",
    "Adjusted",
    "Panel",
    "coefficient",
    "correct",
    "counterfactual",
    "hold_harmless",
    "none",
    "ratio_score",
    "register",
    "reweight",
    "target_rebase",
    "totals",
]


def ratio_score(value: np.ndarray, target: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Indicator score [share 0-1]: achievement of the target, capped at full marks.

    ``value / target`` for indicators where more is better (``direction = +1``),
    ``target / value`` where less is better (``direction = -1``), clipped to [0, 1].

    Parameters
    ----------
    value, target : ndarray
        Actual values and targets [indicator units], broadcastable; targets > 0.
    direction : ndarray
        +1 or -1 per indicator (last axis).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(direction > 0, value / target, target / value)
    return np.clip(np.nan_to_num(ratio, nan=0.0, posinf=1.0), 0.0, 1.0)


Scorer = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Panel:
    """One assessment period in the standard form the correction methods use.

    Shapes: ``U`` units, ``I`` indicators, ``...`` optional leading batch axes.

    Parameters
    ----------
    actual : ndarray (..., U, I)
        This period's values [indicator units].
    target : ndarray (..., U, I) or (I,)
        This period's targets [indicator units], > 0.
    previous : ndarray (..., U, I)
        The previous period's values [indicator units].
    previous_target : ndarray (..., U, I) or (I,)
        The previous period's targets [indicator units], > 0.
    exposure : ndarray (..., U)
        Share of the unit's population or output affected by the shock [share 0-1].
    months : ndarray (..., U)
        Months of the period the shock lasted [months 0-12].
    sensitivity : ndarray (..., U, I)
        Share of the indicator lost at full exposure for the unit's event, after
        the event's severity [share 0-1]; 0 for indicators the event does not touch.
    weights : ndarray (I,)
        Indicator weights [points].
    direction : ndarray (I,)
        +1 where more is better, -1 where less is better.
    group : ndarray (U,)
        Peer group of each unit (integer labels), used by ``counterfactual``.
    scorer : callable
        ``scorer(value, target, direction) -> score`` [share 0-1]; defaults to
        :func:`ratio_score`. Real schemes pass their own rule.
    prev_score : ndarray (..., U, I), optional
        The previous period's scores [share 0-1] as that period's own scheme gave
        them; by default they are recomputed with ``scorer`` from ``previous`` and
        ``previous_target``.
    unit_ids, indicator_ids : tuple of str, optional
        Labels used in error messages (default: positions).
    """

    actual: np.ndarray
    target: np.ndarray
    previous: np.ndarray
    previous_target: np.ndarray
    exposure: np.ndarray
    months: np.ndarray
    sensitivity: np.ndarray
    weights: np.ndarray
    direction: np.ndarray
    group: np.ndarray
    scorer: Scorer = field(default=ratio_score, repr=False)
    prev_score: np.ndarray | None = field(default=None, repr=False)
    unit_ids: tuple | None = field(default=None, repr=False)
    indicator_ids: tuple | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.actual.shape

    def score(self, value: np.ndarray | None = None, target: np.ndarray | None = None):
        """Scores [share 0-1] of ``value`` (default: actual) against ``target``."""
        value = self.actual if value is None else value
        target = self.target if target is None else target
        return self.scorer(value, target, self.direction)

    def previous_score(self) -> np.ndarray:
        """The previous period's scores [share 0-1] (``prev_score`` when given)."""
        if self.prev_score is not None:
            return self.prev_score
        return self.scorer(self.previous, self.previous_target, self.direction)

    def impact(self) -> np.ndarray:
        """Exposure x sensitivity per (unit, indicator) [share 0-1]."""
        return self.exposure[..., None] * self.sensitivity

    def with_exposure(self, exposure: np.ndarray) -> Panel:
        """A copy with other exposures (e.g. a unit overstating its exposure)."""
        return replace(self, exposure=exposure)

    def check(self, units=None, indicators=None, source: str = "panel") -> Panel:
        """Validate shapes and ranges; raise :class:`DataError` listing every problem.

        ``units`` / ``indicators`` (labels) make messages name the offenders.
        """
        probs = Problems(source=source)
        a = np.asarray(self.actual, dtype=float)
        if a.ndim < 2:
            raise DataError("actual must have shape (..., units, indicators)", source=source)
        n_u, n_i = a.shape[-2:]
        units = units if units is not None else self.unit_ids
        indicators = indicators if indicators is not None else self.indicator_ids
        units = list(units) if units is not None else [f"unit {j}" for j in range(n_u)]
        indicators = (
            list(indicators) if indicators is not None else [f"indicator {j}" for j in range(n_i)]
        )

        def names(mask: np.ndarray, labels: list) -> str:
            hit = np.flatnonzero(mask)
            shown = ", ".join(str(labels[j]) for j in hit[:10])
            return shown + (f" and {len(hit) - 10} more" if len(hit) > 10 else "")

        for fname in ("actual", "previous", "sensitivity"):
            arr = np.asarray(getattr(self, fname), dtype=float)
            if arr.shape[-2:] != (n_u, n_i):
                probs.add(f"expected shape (..., {n_u}, {n_i}), got {arr.shape}", fname)
        for fname in ("target", "previous_target"):
            arr = np.asarray(getattr(self, fname), dtype=float)
            if arr.shape[-1] != n_i:
                probs.add(f"expected {n_i} indicators on the last axis, got {arr.shape}", fname)
            elif not (np.isfinite(arr).all() and (arr > 0).all()):
                bad = ~(np.isfinite(arr) & (arr > 0))
                bad_i = bad.reshape(-1, n_i).any(axis=0)
                probs.add(
                    f"targets must be positive numbers; not so for {names(bad_i, indicators)}",
                    fname,
                )
        for fname in ("exposure", "months"):
            arr = np.asarray(getattr(self, fname), dtype=float)
            if arr.shape[-1] != n_u:
                probs.add(f"expected {n_u} units on the last axis, got {arr.shape}", fname)
        for fname in ("weights", "direction"):
            arr = np.asarray(getattr(self, fname), dtype=float)
            if arr.shape != (n_i,):
                probs.add(f"expected shape ({n_i},), got {arr.shape}", fname)
        if np.asarray(self.group).shape != (n_u,):
            probs.add(f"expected shape ({n_u},), got {np.asarray(self.group).shape}", "group")
        probs.raise_if_any(DataError)

        def unit_range(fname: str, lo: float, hi: float, what: str) -> None:
            arr = np.asarray(getattr(self, fname), dtype=float).reshape(-1, n_u)
            bad = (~np.isfinite(arr) | (arr < lo) | (arr > hi)).any(axis=0)
            if bad.any():
                probs.add(
                    f"{what} must lie in [{lo:g}, {hi:g}]; not so for {names(bad, units)}", fname
                )

        unit_range("exposure", 0.0, 1.0, "exposure (share affected)")
        unit_range("months", 0.0, 12.0, "months affected")
        s = np.asarray(self.sensitivity, dtype=float).reshape(-1, n_u, n_i)
        bad = ~np.isfinite(s) | (s < 0) | (s > 1)
        if bad.any():
            probs.add(
                f"sensitivity must lie in [0, 1]; not so for units {names(bad.any(axis=(0, 2)), units)}"
                f" / indicators {names(bad.any(axis=(0, 1)), indicators)}",
                "sensitivity",
            )
        touched = (
            np.asarray(self.exposure, dtype=float)[..., None]
            * s.reshape(np.shape(self.sensitivity))
        ) > 0
        touched = np.broadcast_to(touched, a.shape).reshape(-1, n_u, n_i)
        for fname in ("actual", "previous"):
            arr = np.asarray(getattr(self, fname), dtype=float).reshape(-1, n_u, n_i)
            bad = ~np.isfinite(arr)
            if bad.any():
                probs.add(
                    f"values must be finite; not so for units {names(bad.any(axis=(0, 2)), units)}"
                    f" / indicators {names(bad.any(axis=(0, 1)), indicators)}",
                    fname,
                )
            bad = touched & (arr <= 0)
            if bad.any():
                probs.add(
                    "values a correction touches must be > 0 (a coefficient or a log change "
                    "would flip sign; give growth rates scale 'growth'); not so for units "
                    f"{names(bad.any(axis=(0, 2)), units)} / indicators {names(bad.any(axis=(0, 1)), indicators)}",
                    fname,
                )
        w = np.asarray(self.weights, dtype=float)
        if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
            probs.add("weights must be >= 0 with a positive sum", "weights")
        d = np.asarray(self.direction)
        if not np.isin(d, (-1, 1)).all():
            probs.add(
                f"direction must be +1 or -1; not so for {names(~np.isin(d, (-1, 1)), indicators)}",
                "direction",
            )
        probs.raise_if_any(DataError)
        return self


class Adjusted(NamedTuple):
    """A method's result: scores [share 0-1] and effective weights [points], (..., U, I)."""

    score: np.ndarray
    weight: np.ndarray


def totals(adj: Adjusted) -> np.ndarray:
    """Unit totals [points 0-100] from scores and effective weights, shape (..., U)."""
    w = adj.weight
    return 100.0 * (w * adj.score).sum(axis=-1) / w.sum(axis=-1)


METHODS: dict[str, Callable[..., Adjusted]] = {}


def register(name: str) -> Callable[[Callable[..., Adjusted]], Callable[..., Adjusted]]:
    """Decorator: add a correction function to :data:`METHODS` under ``name``.

    The function takes a :class:`Panel` and keyword parameters and returns an
    :class:`Adjusted`. The bench and :func:`kmmodel.correction.apply.apply` pick
    it up with no other change.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("method name must be a non-empty string")

    def deco(func: Callable[..., Adjusted]) -> Callable[..., Adjusted]:
        METHODS[name] = func
        return func

    return deco


def _full_weights(panel: Panel) -> np.ndarray:
    return np.broadcast_to(np.asarray(panel.weights, dtype=float), panel.shape)


@register("none")
def none(panel: Panel) -> Adjusted:
    """Baseline: score the actual values against the unchanged targets."""
    return Adjusted(panel.score(), _full_weights(panel))


def _check_coefficient(panel: Panel, k: float, cap: float | None) -> None:
    probs = Problems(source="coefficient")
    if not np.isfinite(k) or k < 0:
        probs.add(
            f"k must be a finite number >= 0 (a negative k flips the correction's sign), got {k}",
            "k",
        )
    if cap is not None and (not np.isfinite(cap) or cap < 1):
        probs.add(f"cap must be a finite number >= 1 (or None), got {cap}", "cap")
    probs.raise_if_any(DataError)
    if cap is None:
        x = k * panel.impact()
        if (x >= 1).any():
            n_u, n_i = panel.shape[-2:]
            hit = (x >= 1).reshape(-1, n_u, n_i)
            u_lab = panel.unit_ids or [f"unit {j}" for j in range(n_u)]
            i_lab = panel.indicator_ids or [f"indicator {j}" for j in range(n_i)]
            units = [str(u_lab[j]) for j in np.flatnonzero(hit.any(axis=(0, 2)))[:10]]
            inds = [str(i_lab[j]) for j in np.flatnonzero(hit.any(axis=(0, 1)))[:10]]
            raise DataError(
                f"k x exposure x sensitivity reaches {x.max():.3g} >= 1 (units {', '.join(units)}; "
                f"indicators {', '.join(inds)}): 1 / (1 - k e s) would divide by zero or flip "
                "sign; lower k or set a cap",
                source="coefficient",
            )


@register("coefficient")
def coefficient(panel: Panel, *, k: float = 1.0, cap: float | None = 1.5) -> Adjusted:
    """The seed's dynamic correction coefficient.

    adjusted value = actual / (1 - k * exposure * sensitivity) where more is better,
    actual * (1 - k * exposure * sensitivity) where less is better, with the factor
    ``1 / (1 - k e s)`` never above ``cap``.

    Parameters
    ----------
    k : float
        Strength of the correction [-], >= 0 (1 = undo the loss the sensitivity
        table predicts).
    cap : float or None
        Largest correction factor [-], >= 1. ``None`` means no cap; then any
        ``k * e * s >= 1`` raises :class:`DataError` (division by zero / sign flip).
    """
    _check_coefficient(panel, k, cap)
    x = k * panel.impact()
    floor = 0.0 if cap is None else 1.0 / cap
    denom = np.maximum(1.0 - x, floor)
    value = np.where(panel.direction > 0, panel.actual / denom, panel.actual * denom)
    return Adjusted(panel.score(value), _full_weights(panel))


@register("target_rebase")
def target_rebase(panel: Panel, *, use_sensitivity: bool = True) -> Adjusted:
    """Scale targets by the share of the period and of the population affected.

    target' = target * (1 - m/12 * exposure * s) where more is better and
    target / (1 - m/12 * exposure * s) where less is better (Medicare ACO rule:
    months-affected share x population-affected share), ``s`` the sensitivity
    (or 1 for every indicator when ``use_sensitivity`` is False).

    Notes
    -----
    The ACO rule scales an ACO's *shared losses* by that share; here the same share
    scales the target the unit is scored against (an adaptation, not the CMS rule).
    """
    s = panel.sensitivity if use_sensitivity else (panel.sensitivity > 0).astype(float)
    share = (panel.months / 12.0 * panel.exposure)[..., None] * s
    keep = np.clip(1.0 - share, 1e-9, 1.0)
    target = np.broadcast_to(panel.target, panel.shape)
    new_target = np.where(panel.direction > 0, target * keep, target / keep)
    return Adjusted(panel.score(target=new_target), _full_weights(panel))


def _affected(panel: Panel, min_exposure: float, min_sensitivity: float) -> np.ndarray:
    if not 0 <= min_exposure <= 1:
        raise DataError(f"min_exposure must lie in [0, 1], got {min_exposure}", source="method")
    if not 0 <= min_sensitivity <= 1:
        raise DataError(
            f"min_sensitivity must lie in [0, 1], got {min_sensitivity}", source="method"
        )
    unit = (panel.exposure > 0) & (panel.exposure >= min_exposure)
    return unit[..., None] & (panel.sensitivity > min_sensitivity)


@register("hold_harmless")
def hold_harmless(
    panel: Panel, *, min_exposure: float = 0.25, min_sensitivity: float = 0.0
) -> Adjusted:
    """The higher of this and the previous period's score on affected indicators.

    Applies to units with exposure >= ``min_exposure`` (Star Ratings: 25% of
    enrollees in disaster areas) and to their indicators with sensitivity above
    ``min_sensitivity``.
    """
    now = panel.score()
    aff = _affected(panel, min_exposure, min_sensitivity)
    return Adjusted(
        np.where(aff, np.maximum(now, panel.previous_score()), now), _full_weights(panel)
    )


@register("reweight")
def reweight(panel: Panel, *, min_exposure: float = 0.25, min_sensitivity: float = 0.2) -> Adjusted:
    """Drop affected indicators of affected units; the remaining weights are rescaled.

    A unit with exposure >= ``min_exposure`` loses the indicators whose sensitivity
    exceeds ``min_sensitivity`` (MIPS extreme-and-uncontrollable reweighting). When
    every indicator of a unit would be dropped, the unit keeps its previous
    period's scores with full weights (MIPS gives a neutral score in that case).

    Notes
    -----
    MIPS moves a reweighted category's weight to named other categories by a fixed
    table; here the remaining indicators keep their relative weights (proportional
    rescaling), which needs no table per scheme. On a real scheme the rescaling
    happens inside each dimension (the scheme's own aggregation); a dimension with
    every indicator dropped is left out and the other dimensions are rescaled.
    """
    now = panel.score()
    aff = _affected(panel, min_exposure, min_sensitivity)
    w = np.where(aff, 0.0, _full_weights(panel))
    empty = (w.sum(axis=-1) <= 0)[..., None]
    score = np.where(empty, panel.previous_score(), now)
    return Adjusted(score, np.where(empty, _full_weights(panel), w))


def _oriented_log(panel: Panel, value: np.ndarray) -> np.ndarray:
    return panel.direction * np.log(np.maximum(value, 1e-12))


@register("counterfactual")
def counterfactual(panel: Panel, *, allow_penalty: bool = False) -> Adjusted:
    """Difference-in-differences estimate of the shock's effect, removed from actuals.

    For every (unit, indicator) the change ``d = log(actual / previous)``
    (sign-flipped where less is better) is compared with the mean change of
    unaffected units in the same peer group (all unaffected units when the group has
    none). The excess change of affected units is regressed through the origin on
    their impact ``x = exposure * sensitivity``, pooled over units and indicators:
    ``beta = sum(x * did) / sum(x**2)``. Each unit is then scored on
    ``log actual - beta * x``, i.e. its actual value with the estimated shock effect
    taken out. ``beta`` is kept <= 0 (a shock never raises the bar) unless
    ``allow_penalty``. A unit's own history enters through ``previous``; its effort
    this period stays in the score.
    """
    lead = panel.shape[:-2]
    d = _oriented_log(panel, panel.actual) - _oriented_log(panel, panel.previous)
    x = panel.impact()
    clean = ~(x > 0).any(axis=-1)  # (..., U) units with no affected indicator
    group = np.asarray(panel.group)
    labels, gidx = np.unique(group, return_inverse=True)
    onehot = (gidx[:, None] == np.arange(labels.size)[None, :]).astype(float)  # (U, G)
    cw = clean[..., None].astype(float) * onehot  # (..., U, G)
    n_g = cw.sum(axis=-2)  # (..., G)
    sum_g = np.einsum("...ug,...ui->...gi", cw, d)  # (..., G, I)
    n_all = clean.sum(axis=-1)[..., None]  # (..., 1)
    mean_all = np.where(
        n_all > 0, (clean[..., None] * d).sum(axis=-2) / np.maximum(n_all, 1), d.mean(axis=-2)
    )  # (..., I)
    mean_g = np.where(
        n_g[..., None] > 0, sum_g / np.maximum(n_g, 1)[..., None], mean_all[..., None, :]
    )  # (..., G, I)
    peer = np.take(mean_g, gidx, axis=-2)  # (..., U, I)
    did = d - peer
    beta = (x * did).sum(axis=(-2, -1)) / np.maximum((x * x).sum(axis=(-2, -1)), 1e-12)
    if not allow_penalty:
        beta = np.minimum(beta, 0.0)
    beta = np.reshape(beta, lead + (1, 1))
    log_adj = _oriented_log(panel, panel.actual) - beta * x
    value = np.where(x > 0, np.exp(panel.direction * log_adj), panel.actual)
    return Adjusted(panel.score(value), _full_weights(panel))


def correct(method: str | Callable[..., Adjusted], panel: Panel, **params) -> Adjusted:
    """Validate ``panel`` (:meth:`Panel.check`) and apply a method (name or function)."""
    func = _resolve(method)
    panel.check()
    return func(panel, **params)


def _resolve(method: str | Callable[..., Adjusted]) -> Callable[..., Adjusted]:
    if callable(method):
        return method
    if method not in METHODS:
        raise DataError(
            f"unknown correction method {method!r}; expected one of: {', '.join(METHODS)}",
            source="correction",
        )
    return METHODS[method]
