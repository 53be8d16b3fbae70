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
    "irr_roots",
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


def _single_root(npv_at, first_sign: float) -> float:
    """The one growth factor ``1 + r`` where NPV changes sign, by doubling out from 1.

    Used when the flows change sign once (Descartes: exactly one positive root). NPV has
    the sign of the first non-zero flow for ``1 + r`` large, the opposite for it small.
    """
    from scipy.optimize import brentq

    a = 1.0
    fa = npv_at(a)
    if fa == 0.0:
        return a
    step = 2.0 if np.sign(fa) != first_sign else 0.5  # towards the sign of large 1 + r
    for _ in range(2100):  # 2**±1074 spans every double
        b = a * step
        fb = npv_at(b)
        if not np.isfinite(fb) or b == 0.0 or not np.isfinite(b):
            break
        if fb == 0.0:
            return b
        if np.sign(fb) != np.sign(fa):
            lo, hi = min(a, b), max(a, b)
            return brentq(npv_at, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500)
        a, fa = b, fb
    raise DataError(
        "IRR cannot be resolved: the NPV changes sign beyond the range of floating point",
        source="flows",
    )


def irr_roots(flows) -> np.ndarray:
    """Every rate ``r > -1`` at which the NPV of ``flows`` is zero [share 0-1], ascending.

    With ``v = 1 / (1 + r)`` the NPV is the polynomial ``sum_t flows[t] v^t``; a rate
    above -100 % is a positive real root ``v``. The roots are the eigenvalues of the
    polynomial's companion matrix (:func:`numpy.roots`); each candidate near the positive
    real axis (imaginary part within 0.1 % of its modulus) is then confirmed by a sign
    change of the NPV in a bracket that holds no other candidate and refined there with
    :func:`scipy.optimize.brentq` in ``1 + r``.
    A candidate without a sign change counts only where the NPV touches zero (a double
    root). Rates whose ``1 + r`` agree to about 1e-7 (relative) are reported as one.
    Descartes' rule of signs bounds the count by the sign changes of the flows; with one
    sign change (a conventional project) there is exactly one root, found by bracketing
    outward from ``r = 0`` without the eigenvalues. With several sign changes, end terms
    below 1e-13 of the largest flow are dropped before the eigenvalues: they only add
    roots with ``1 + r`` beyond 1e13 or within 1e-13 of zero, which flows in double
    precision cannot resolve.

    Parameters
    ----------
    flows : array-like
        Net flows [yuan], ``flows[0]`` at year 0 (1-D).

    Returns
    -------
    numpy.ndarray
        The rates, ascending (empty when none).

    Raises
    ------
    DataError
        Flows not 1-D, or not finite.

    Examples
    --------
    Flows built from three chosen rates give them back:

    >>> import numpy as np
    >>> f = np.poly([1 / 1.5, 1 / 1.02, 1 / 1.0205])[::-1]
    >>> [round(float(r), 6) for r in irr_roots(f)]
    [0.02, 0.0205, 0.5]
    """
    from scipy.optimize import brentq

    f = as_flows(flows)
    if f.ndim != 1:
        raise DataError("irr takes one project's flows (1-D)", source="flows")

    def npv_at(x: float) -> float:
        return float(_npv_on_grid(f, np.array([x]))[0])

    nz = np.flatnonzero(f)
    signs = np.sign(f[nz])
    changes = int(np.count_nonzero(signs[1:] != signs[:-1]))
    if changes == 0:
        return np.empty(0)
    if changes == 1:  # Descartes: exactly one positive root; bracket it from 1 + r = 1
        return np.array([_single_root(npv_at, signs[0]) - 1.0])
    c = f[nz[0] : nz[-1] + 1]  # a factor v^nz[0] has no positive root
    c = c / np.max(np.abs(c))
    big = np.flatnonzero(np.abs(c) > 1e-13)
    c = c[big[0] : big[-1] + 1]  # negligible end terms only add roots at |v| beyond 1e13
    z = np.roots(c[::-1])  # numpy wants the highest power first
    # generous: every candidate is confirmed below, so a complex pair slipping in is harmless
    near_real = np.abs(z.imag) <= 1e-3 * np.abs(z)
    v = np.sort(z.real[near_real & (z.real > 0)])
    if v.size == 0:
        return np.empty(0)
    # merge candidates that are one root split by rounding (double roots, conjugate pairs)
    keep = np.concatenate(([True], np.diff(v) > 1e-7 * v[1:]))
    groups = np.cumsum(keep) - 1
    v = np.bincount(groups, weights=v) / np.bincount(groups)
    g = (1.0 / v)[::-1]  # candidate growth factors 1 + r, ascending

    # bracket each candidate halfway to its neighbours (at most 1 % of 1 + r)
    gaps = np.diff(g)
    left = np.concatenate(([np.inf], gaps))
    right = np.concatenate((gaps, [np.inf]))
    lo = g - np.minimum(0.45 * left, 0.01 * g)
    hi = g + np.minimum(0.45 * right, 0.01 * g)
    vals = _npv_on_grid(f, np.concatenate((lo, hi, g)))
    f_lo, f_hi, f_mid = vals[: g.size], vals[g.size : 2 * g.size], vals[2 * g.size :]
    scale = _npv_on_grid(np.abs(f), g)  # size of the terms at the candidate
    out = []
    for k in range(g.size):  # one entry per root (a handful), not per year or project
        if f_lo[k] == 0.0:
            out.append(lo[k])
        elif f_hi[k] == 0.0:
            out.append(hi[k])
        elif np.sign(f_lo[k]) != np.sign(f_hi[k]):
            out.append(brentq(npv_at, lo[k], hi[k], xtol=1e-15, rtol=1e-15, maxiter=200))
        elif abs(f_mid[k]) <= 1e-10 * scale[k]:
            out.append(g[k])  # touches zero without crossing (even multiplicity)
    out = np.sort(np.asarray(out, dtype=float))
    if out.size > 1:
        out = out[np.concatenate(([True], np.diff(out) > 1e-7 * out[1:]))]
    return out - 1.0


def irr(flows, low: float = -0.99, high: float = 100.0) -> float:
    """Internal rate of return [share 0-1]: the unique rate at which NPV = 0.

    Every rate above -100 % with NPV = 0 is found by :func:`irr_roots` (roots of the NPV
    polynomial in ``v = 1 / (1 + r)``, confirmed and refined by bracketing), so roots
    that lie close together are neither missed nor merged. Exactly one must exist.

    Parameters
    ----------
    flows : array-like
        Net flows [yuan], ``flows[0]`` at year 0.
    low, high : float
        Range of plausible rates [share 0-1], ``-1 < low < high``: a unique root outside
        it is reported as an error, not returned. Roots are counted over all rates above
        -100 %, whatever the range.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        (as :class:`kmmodel.DataError`) when flows never change sign (IRR undefined), when
        no rate zeroes the NPV or the only one lies outside ``[low, high]``, or when
        several rates zero the NPV (not unique; all are named; Descartes' rule of signs
        allows as many roots as sign changes [3]_).

    References
    ----------
    .. [3] Boardman et al. (2018), Cost-Benefit Analysis, 5th ed., section 9.2.

    Examples
    --------
    >>> round(irr([-100, 60, 60]), 10)
    0.1306623863
    """
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
    roots = irr_roots(f)
    if roots.size == 0:
        raise DataError("IRR is undefined: NPV is not zero at any rate above -100%", source="flows")
    if roots.size > 1:
        shown = ", ".join(f"{r:.4%}" for r in roots)
        raise DataError(
            f"IRR is not unique: NPV is zero at {roots.size} rates ({shown}); "
            "use NPV at a stated discount rate instead",
            source="flows",
        )
    r = float(roots[0])
    if not low <= r <= high:
        raise DataError(
            f"IRR is undefined in the range {low:.0%} to {high:.0%}: NPV is zero only at {r:.4%}",
            source="flows",
        )
    return r


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
