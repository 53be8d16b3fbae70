"""Appraisal metrics: NPV, BCR, IRR, discounted payback, equivalent annual cost, cost-effectiveness.

Flows are yearly amounts [yuan] with ``flows[0]`` at year 0 (not discounted). Arrays
with two dimensions hold one project (or one Monte Carlo draw) per row and years along
the last axis; every metric is vectorised over rows.

References
----------
.. [1] HM Treasury (2022). The Green Book, Chapter 5 and Annex A6 (NPV, BCR, discounting).
.. [2] 国家发展改革委、建设部.《建设项目经济评价方法与参数》(第三版), 2006: 经济净现值、
   经济内部收益率、效益费用比.
.. [3] Boardman, Greenberg, Vining, Weimer (2018). Cost-Benefit Analysis: Concepts and
   Practice, 5th ed., ch. 9 (multiple IRRs, equivalent annual net benefit).
"""

from __future__ import annotations

import numpy as np

from kmmodel.costbenefit.discount import Schedule, discount_factors
from kmmodel.errors import DataError

__all__ = [
    "as_flows",
    "bcr",
    "cost_effectiveness",
    "discounted_payback",
    "equivalent_annual_cost",
    "irr",
    "npv",
    "present_value",
]


def as_flows(flows, field: str = "flows") -> np.ndarray:
    """Flows as a float array (1-D or 2-D), with every NaN/inf reported at once.

    Raises
    ------
    DataError
        Not numeric, empty, more than two dimensions, or non-finite values (positions named).
    """
    try:
        arr = np.asarray(flows, dtype=float)
    except (TypeError, ValueError):
        raise DataError("expected numbers (one amount per year)", source=field) from None
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise DataError(
            f"expected a 1-D array of yearly amounts (or 2-D, one row per case), got shape {arr.shape}",
            source=field,
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = np.argwhere(bad)[:10]
        where = ", ".join(
            f"year {p[-1]}" if arr.ndim == 1 else f"row {p[0]} year {p[1]}" for p in pos
        )
        raise DataError(f"missing or infinite amounts at {where}", source=field)
    return arr


def present_value(flows, schedule: Schedule = "china") -> np.ndarray | float:
    """Present value of yearly amounts [yuan]; same as :func:`npv` (kept for readability)."""
    return npv(flows, schedule)


def npv(flows, schedule: Schedule = "china") -> np.ndarray | float:
    """Net present value [yuan].

    Parameters
    ----------
    flows : array-like
        Net flows [yuan], ``flows[0]`` at year 0 (undiscounted), or a 2-D array with one
        case per row.
    schedule : float, str or sequence
        See :func:`kmmodel.costbenefit.discount_factors`.

    Returns
    -------
    float or numpy.ndarray
        ``sum_t flows[t] * D[t]`` (one value per row for 2-D input).

    Examples
    --------
    >>> round(npv([-100, 60, 60], 0.1), 6)
    4.132231
    """
    arr = as_flows(flows)
    d = discount_factors(arr.shape[-1] - 1, schedule)
    out = arr @ d
    return float(out) if arr.ndim == 1 else out


def bcr(benefits, costs, schedule: Schedule = "china") -> np.ndarray | float:
    """Benefit-cost ratio: PV(benefits) / PV(costs) [ratio].

    Parameters
    ----------
    benefits, costs : array-like
        Yearly benefits and costs [yuan], both positive amounts, same length.

    Raises
    ------
    DataError
        Lengths differ, NaN, or present value of costs not positive.
    """
    b = as_flows(benefits, "benefits")
    c = as_flows(costs, "costs")
    if b.shape != c.shape:
        raise DataError(
            f"benefits and costs must cover the same years: shapes {b.shape} and {c.shape}",
            source="flows",
        )
    d = discount_factors(b.shape[-1] - 1, schedule)
    pvb, pvc = b @ d, c @ d
    if np.any(pvc <= 0):
        raise DataError("present value of costs must be positive for a BCR", source="costs")
    out = pvb / pvc
    return float(out) if b.ndim == 1 else out


def _npv_on_grid(flows: np.ndarray, growth: np.ndarray) -> np.ndarray:
    """NPV at rates ``growth - 1`` for each grid point (overflow becomes +-inf, not a warning)."""
    t = np.arange(flows.size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # exp(-t log g) computed in log space; huge values saturate to inf
        powers = np.exp(-np.outer(np.log(growth), t))
        vals = powers @ flows
    return vals


def irr(flows, low: float = -0.99, high: float = 100.0, grid: int = 4001) -> float:
    """Internal rate of return [share 0-1]: the unique rate at which NPV = 0.

    A robust root search: NPV is evaluated on a log-spaced grid of ``1 + r`` between
    ``1 + low`` and ``1 + high``; every sign change is refined with
    :func:`scipy.optimize.brentq`. Exactly one root must exist.

    Parameters
    ----------
    flows : array-like
        Net flows [yuan], ``flows[0]`` at year 0.
    low, high : float
        Search range for the rate [share 0-1], ``-1 < low < high``.
    grid : int
        Number of grid points.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        (as :class:`kmmodel.DataError`) when flows never change sign (IRR undefined), when no
        root lies in the range, or when several rates zero the NPV (not unique; Descartes'
        rule of signs allows as many roots as sign changes [3]_).

    References
    ----------
    .. [3] Boardman et al. (2018), Cost-Benefit Analysis, 5th ed., section 9.2.

    Examples
    --------
    >>> round(irr([-100, 60, 60]), 10)
    0.1306623863
    """
    from scipy.optimize import brentq

    f = as_flows(flows)
    if f.ndim != 1:
        raise DataError("irr takes one project's flows (1-D)", source="flows")
    if not -1.0 < low < high:
        raise DataError(f"need -1 < low < high, got low={low}, high={high}", source="irr")
    nz = f[f != 0]
    changes = int(np.count_nonzero(np.diff(np.sign(nz)) != 0))
    if changes == 0:
        raise DataError(
            "IRR is undefined: the flows never change sign (all costs or all benefits)",
            source="flows",
        )
    g = np.geomspace(1.0 + low, 1.0 + high, grid)
    vals = _npv_on_grid(f, g)
    ok = np.isfinite(vals)
    g, vals = g[ok], vals[ok]
    roots = list(g[vals == 0.0] - 1.0)
    s = np.sign(vals)
    idx = np.flatnonzero((s[:-1] * s[1:]) < 0)

    def fn(x: float) -> float:
        return float(_npv_on_grid(f, np.array([x]))[0])

    roots += [brentq(fn, g[i], g[i + 1], xtol=1e-15, rtol=1e-15, maxiter=200) - 1.0 for i in idx]
    roots = sorted(set(roots))
    if not roots:
        raise DataError(
            f"IRR is undefined: NPV does not reach zero for rates between {low:.0%} and {high:.0%}",
            source="flows",
        )
    if len(roots) > 1:
        shown = ", ".join(f"{r:.4%}" for r in roots)
        raise DataError(
            f"IRR is not unique: NPV is zero at {len(roots)} rates ({shown}); "
            "use NPV at a stated discount rate instead",
            source="flows",
        )
    return float(roots[0])


def discounted_payback(flows, schedule: Schedule = "china") -> np.ndarray | float:
    """Years until cumulative discounted net flows first reach zero [years].

    Linear interpolation within the year in which the cumulative sum crosses zero;
    ``nan`` if it never does. A project that is never below zero pays back at 0.
    Vectorised over rows of a 2-D array.

    Examples
    --------
    >>> discounted_payback([-100, 50, 50, 50], 0.0)
    2.0
    """
    f = as_flows(flows)
    cum = np.atleast_2d(np.cumsum(f * discount_factors(f.shape[-1] - 1, schedule), axis=-1))
    reached = cum >= 0
    k = np.argmax(reached, axis=1)  # first year at or above zero
    rows = np.arange(cum.shape[0])
    cur = cum[rows, k]
    prev = cum[rows, np.maximum(k - 1, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(k > 0, -prev / (cur - prev), 0.0)
    out = np.where(reached.any(axis=1), np.where(k > 0, k - 1 + frac, 0.0), np.nan)
    return float(out[0]) if f.ndim == 1 else out


def equivalent_annual_cost(costs, schedule: Schedule = "china") -> float:
    """Equivalent annual cost [yuan/year]: the level annual amount over years 1..n with
    the same present value as ``costs`` (PV divided by the annuity factor).
    """
    c = as_flows(costs, "costs")
    if c.ndim != 1 or c.size < 2:
        raise DataError("equivalent_annual_cost needs one project's costs over >= 2 years", "costs")
    d = discount_factors(c.size - 1, schedule)
    return float(c @ d / d[1:].sum())


def cost_effectiveness(pv_cost, outcome, field: str = "outcome") -> np.ndarray:
    """Cost per unit of outcome [yuan per unit], e.g. per beneficiary or per satisfaction point.

    Non-positive outcomes give ``nan`` (no cost-effectiveness ratio exists).
    """
    c = np.asarray(pv_cost, dtype=float)
    o = np.asarray(outcome, dtype=float)
    if np.isnan(o).any() or np.isnan(c).any():
        raise DataError("missing values in cost or outcome", source=field)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(o > 0, c / np.where(o > 0, o, 1.0), np.nan)
