"""Optimism-bias uplifts on capital cost and works duration (HM Treasury supplementary guidance).

Appraisers systematically underestimate costs and durations. The Green Book's
supplementary guidance gives, per project type, an *upper bound* (to use at the outset,
before risks are managed) and a *lower bound* (what well-managed projects achieved) for
the uplift on capital expenditure and on works duration. The uplift actually applied is
the upper bound reduced by the share of it that risk management has mitigated (the
"mitigation factor" summed over the project risk areas), as the guidance computes it::

    uplift = (1 - mitigation) * upper,    mitigation in [0, 1]

Worked example of [1]_ (section 4.1, Example 1, at contract award): mitigating 92 % of
the 51 % capital-expenditure upper bound of a non-standard building leaves
``(100 % - 92 %) * 51 % = 4 %`` (4.08 %), about the 4 % lower bound; works duration,
23.8 % mitigated: ``(100 % - 23.8 %) * 39 % = 29.7 %``. R's ``greenbook`` package applies
the same formula (``gb_apply_ob``: ``cost * (1 + ob * (1 - mitigation))``). The lower bound
is what well-managed projects reached, a target, not a floor: full mitigation gives 0.

A different reading, kmmodel's earlier one, interpolates between the two bounds
(``upper - share * (upper - lower)``, never below the lower bound); it is kept as
:func:`uplift_between_bounds` for comparison and is not the guidance's method.

Values (per cent of the estimate), Table 2 of [1]_, verified against the published table:

==============================  ===============  ===============
project type                    works duration   capital expend.
                                upper / lower    upper / lower
==============================  ===============  ===============
non-standard buildings          39 / 2           51 / 4
standard buildings              4 / 1            24 / 2
non-standard civil engineering  25 / 3           66 / 6
standard civil engineering      20 / 1           44 / 3
equipment / development         54 / 10          200 / 10
outsourcing                     n/a              41 / 0 (operating expenditure)
==============================  ===============  ===============

The guidance gives no duration values for outsourcing (``nan`` here) and measures its
cost uplift on operating, not capital, expenditure. The numbers are indicative starting
values derived from UK projects (Mott MacDonald, 2002); applying them to Chinese projects
is an assumption of the user, stated in every report that does so.

References
----------
.. [1] HM Treasury (2003). Supplementary Green Book Guidance: Optimism Bias. Table 2
   "Optimism Bias Guidelines"; section 4.1 worked examples (mitigation factors, capital
   expenditure and works duration of a non-standard building); worked example for
   combined projects in section 4.
.. [2] Mott MacDonald (2002). Review of Large Public Procurement in the UK. Report for
   HM Treasury.
.. [3] Coverdale, C. greenbook: HM Treasury Green Book appraisal in R (``gb_apply_ob``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kmmodel.costbenefit.flows import LINES
from kmmodel.errors import DataError, Problems

__all__ = [
    "OPTIMISM_BIAS",
    "apply_optimism_bias",
    "combined_uplift",
    "optimism_table",
    "uplift",
    "uplift_between_bounds",
]

# Table 2 of HM Treasury (2003) Supplementary Green Book Guidance: Optimism Bias [share 0-1]
#            category: (duration upper, duration lower, capex upper, capex lower)
OPTIMISM_BIAS: dict[str, tuple[float, float, float, float]] = {
    "non_standard_buildings": (0.39, 0.02, 0.51, 0.04),
    "standard_buildings": (0.04, 0.01, 0.24, 0.02),
    "non_standard_civil_engineering": (0.25, 0.03, 0.66, 0.06),
    "standard_civil_engineering": (0.20, 0.01, 0.44, 0.03),
    "equipment_development": (0.54, 0.10, 2.00, 0.10),
    "outsourcing": (np.nan, np.nan, 0.41, 0.00),  # cost uplift on OPEX; no duration value
}


def optimism_table() -> pd.DataFrame:
    """The uplift table as a DataFrame [share 0-1] (one row per project category)."""
    df = pd.DataFrame.from_dict(
        OPTIMISM_BIAS,
        orient="index",
        columns=["duration_upper", "duration_lower", "cost_upper", "cost_lower"],
    )
    df.index.name = "category"
    df["cost_applies_to"] = np.where(df.index == "outsourcing", "operation", "investment")
    return df.reset_index()


def _check(category: str, bound, mitigation: float) -> None:
    probs = Problems(source="optimism bias")
    if category not in OPTIMISM_BIAS:
        probs.add(f"unknown category {category!r}; expected one of {sorted(OPTIMISM_BIAS)}")
    if not isinstance(bound, str) or bound not in ("upper", "lower"):
        probs.add(f"bound must be 'upper' or 'lower', got {bound!r}")
    if not (np.isfinite(mitigation) and 0.0 <= mitigation <= 1.0):
        probs.add(f"mitigation must be a share between 0 and 1, got {mitigation!r}")
    probs.raise_if_any(DataError)


def uplift(category: str, bound: str = "upper", mitigation: float = 0.0) -> tuple[float, float]:
    """Cost and duration uplift for one project category [share 0-1].

    Parameters
    ----------
    category : str
        A key of :data:`OPTIMISM_BIAS` (``"standard_buildings"`` …).
    bound : {"upper", "lower"}
        Starting bound.
    mitigation : float
        Share of the upper-bound uplift mitigated by risk management, the guidance's
        mitigation factor [share 0-1]; the uplift is ``(1 - mitigation) * upper`` [1]_.
        Only used with ``bound="upper"``.

    Returns
    -------
    (cost, duration) : tuple of float
        Duration is ``nan`` for outsourcing (no published value).

    See Also
    --------
    uplift_between_bounds : the upper-to-lower interpolation (not the guidance's method).

    Examples
    --------
    >>> uplift("standard_buildings")
    (0.24, 0.04)
    >>> [round(v, 3) for v in uplift("standard_buildings", mitigation=0.5)]
    [0.12, 0.02]

    The guidance's worked example: 92 % of the 51 % upper bound mitigated leaves 4 %.

    >>> round(uplift("non_standard_buildings", mitigation=0.92)[0], 4)
    0.0408
    """
    _check(category, bound, mitigation)
    du, dl, cu, cl = OPTIMISM_BIAS[category]
    if bound == "lower":
        return cl, dl
    return (1.0 - mitigation) * cu, (1.0 - mitigation) * du


def uplift_between_bounds(category: str, closed: float) -> tuple[float, float]:
    """Uplift a share ``closed`` of the way from the upper to the lower bound [share 0-1].

    ``upper - closed * (upper - lower)``: ``closed = 0`` gives the upper bound,
    ``closed = 1`` the lower bound, never less. This is *not* the guidance's method
    (:func:`uplift` applies ``(1 - mitigation) * upper``, which reaches the lower bound
    at a mitigation of ``1 - lower / upper``, 92 % for non-standard buildings' capital
    cost, and goes below it beyond); it is kept to compare with appraisals made that way. The two agree only at
    the upper bound: for non-standard buildings, 0.92 gives 7.76 % here against 4.08 %
    by the guidance.

    Parameters
    ----------
    category : str
        A key of :data:`OPTIMISM_BIAS`.
    closed : float
        Share of the gap between the bounds that is closed [share 0-1].

    Returns
    -------
    (cost, duration) : tuple of float

    Examples
    --------
    >>> round(uplift_between_bounds("non_standard_buildings", 0.92)[0], 4)
    0.0776
    """
    _check(category, "upper", closed)
    du, dl, cu, cl = OPTIMISM_BIAS[category]
    return cu - closed * (cu - cl), du - closed * (du - dl)


def combined_uplift(shares: Mapping[str, float], bound: str = "upper") -> tuple[float, float]:
    """Uplift of a project with standard and non-standard parts: share-weighted sum [1]_.

    Parameters
    ----------
    shares : mapping
        Category -> share of capital value (and of works duration) [share 0-1]; the
        shares must sum to 1.

    Examples
    --------
    Worked example of the guidance (30 % non-standard, 70 % standard buildings):

    >>> [round(v, 3) for v in combined_uplift({"non_standard_buildings": 0.3, "standard_buildings": 0.7})]
    [0.321, 0.145]
    """
    if not shares:
        raise DataError("shares must name at least one category", "optimism bias")
    for c in shares:
        _check(c, bound, 0.0)
    w = np.array(list(shares.values()), dtype=float)
    if np.any(~np.isfinite(w)) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise DataError(f"shares must be >= 0 and sum to 1, got {dict(shares)}", "optimism bias")
    pairs = np.array([uplift(c, bound) for c in shares])
    return float(w @ pairs[:, 0]), float(w @ pairs[:, 1])


def apply_optimism_bias(amounts: np.ndarray, cost: float, duration: float) -> np.ndarray:
    """Apply uplifts to one project's flows ``amounts[line, year]`` [yuan].

    - Cost: the investment line (operation for outsourcing-type uplifts the caller picks)
      is multiplied by ``1 + cost``.
    - Duration: the works (years with investment, from the first to the last) stretch to
      ``round(d * (1 + duration))`` years; the cumulative investment profile is resampled
      onto the longer period, and every other line moves later by the added years. The
      horizon grows by the same number of years, so no benefit is cut off.

    Parameters
    ----------
    amounts : numpy.ndarray
        Shape (len(LINES), n_years + 1), lines in :data:`~kmmodel.costbenefit.flows.LINES` order.
    cost, duration : float
        Uplifts [share 0-1]; ``nan`` duration means none.

    Returns
    -------
    numpy.ndarray
        Shape (len(LINES), n_years + 1 + delay).
    """
    a = np.asarray(amounts, dtype=float)
    if a.ndim != 2 or a.shape[0] != len(LINES):
        raise DataError(f"expected amounts of shape ({len(LINES)}, years)", "amounts")
    if not np.isfinite(cost) or cost < 0:
        raise DataError(f"cost uplift must be >= 0, got {cost}", "optimism bias")
    inv = a[LINES.index("investment")]
    works = np.flatnonzero(inv > 0)
    dur = 0.0 if not np.isfinite(duration) else float(duration)
    if dur < 0:
        raise DataError(f"duration uplift must be >= 0, got {duration}", "optimism bias")
    if works.size == 0:
        out = a.copy()
        return out
    start, end = int(works[0]), int(works[-1])
    d = end - start + 1
    new_d = int(round(d * (1.0 + dur)))
    delay = new_d - d
    n = a.shape[1]
    out = np.zeros((a.shape[0], n + delay))
    # every line except investment shifts by the delay
    out[:, delay:] = a
    # investment: resample the cumulative profile of the works onto new_d years
    cum = np.concatenate(([0.0], np.cumsum(inv[start : end + 1])))
    new_cum = np.interp(np.arange(new_d + 1) * d / new_d, np.arange(d + 1), cum)
    new_inv = np.zeros(n + delay)
    new_inv[:start] = inv[:start]
    new_inv[start : start + new_d] = np.diff(new_cum)
    # investment after the works window (none by construction) is left shifted
    out[LINES.index("investment")] = new_inv * (1.0 + cost)
    return out
