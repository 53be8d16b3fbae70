"""Effective weights: how much each indicator (and dimension) actually drives the totals.

A weight of 10 points does not make an indicator matter twice as much as one of 5: what
it contributes to the ranking depends on how much it varies and how it correlates with
the rest. Three measures, each normalised to sum to 1 over the indicators so they can be
set against the nominal shares (points / total):

``r2_share``
    squared Pearson correlation of indicator and total, normalised.
``eta2_share``
    Karl Pearson's correlation ratio eta^2 = Var(E[total | x]) / Var(total), the
    first-order sensitivity index ("main effect") Paruolo, Saisana & Saltelli (2013)
    propose as the measure of an indicator's importance in a composite, normalised.
    E[total | x] is estimated by a cubic polynomial regression of the total on the
    indicator (the paper uses non-parametric smoothing; with 18 units a cubic is about
    as flexible as the data allow); for a linear relation eta^2 = r^2.
``variance_share``
    w_i Cov(a_i, total) / Var(total): an exact split of the total's variance for a
    weighted sum (it sums to 1 when the total is the weighted sum), negative for an
    indicator that works against the others.

Analytic check (Paruolo et al. 2013, section 2): for a weighted sum of independent
indicators with equal variance, eta^2_i = r^2_i = w_i^2 / sum_j w_j^2, so the effective
shares equal the nominal ones only when the nominal weights are equal — with unequal
points the bigger weights matter more than in proportion. (``scale_share``, w_i sd_i
normalised, equals the nominal share whenever the variances are equal.)

References
----------
.. [1] Paruolo, P., Saisana, M. & Saltelli, A. (2013), Ratings and rankings: voodoo or
   science?, *J. R. Stat. Soc. A* 176(3), 609-634.
.. [2] Becker, W., Saisana, M., Paruolo, P. & Vandecasteele, I. (2017), Weights and
   importance in composite indicators: closing the gap, *Ecological Indicators* 80, 12-22.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["correlation_ratio", "effective_weights"]


def correlation_ratio(x, y, degree: int = 3) -> float:
    """Pearson's correlation ratio eta^2 of ``y`` on ``x`` [share 0-1].

    E[y | x] is estimated by least squares on a polynomial in ``x`` of degree
    ``min(degree, distinct x values - 1, n - 2)``; eta^2 = explained / total sum of
    squares. NaN when y does not vary; 0 when x does not vary.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    sst = float(((y - y.mean()) ** 2).sum()) if n else 0.0
    if n < 3 or sst <= 1e-15:
        return np.nan
    if np.ptp(x) <= 1e-15:
        return 0.0
    deg = int(min(degree, len(np.unique(x)) - 1, n - 2))
    z = (x - x.mean()) / x.std()
    V = np.vander(z, deg + 1)
    beta, *_ = np.linalg.lstsq(V, y, rcond=None)
    ssr = float(((y - V @ beta) ** 2).sum())
    return float(min(max(1.0 - ssr / sst, 0.0), 1.0))


def _shares(v: pd.Series) -> pd.Series:
    s = v.clip(lower=0).fillna(0.0)
    tot = s.sum()
    return s / tot if tot > 0 else s * np.nan


def effective_weights(
    X: pd.DataFrame, total: pd.Series, nominal: pd.Series, level: str, dimension_of=None
) -> pd.DataFrame:
    """Nominal against effective weights for the columns of ``X``.

    Parameters
    ----------
    X : DataFrame
        Units x parts (indicators or dimensions): achievement [share 0-1].
    total : Series
        Unit -> total [points].
    nominal : Series
        Part -> points [points].
    level : {"indicator", "dimension"}
    dimension_of : Series, optional
        Indicator -> dimension (indicator level).

    Returns
    -------
    DataFrame
        level, id, dimension, points, nominal_share, pearson, spearman, r2_share,
        eta2, eta2_share, variance_share, scale_share, gap (eta2_share -
        nominal_share) [share 0-1].
    """
    y = total.reindex(X.index).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pear = X.corrwith(y)
        spear = X.rank().corrwith(y.rank())
    pear = pear.where(X.std() > 1e-12, 0.0)  # a constant part has no influence
    spear = spear.where(X.std() > 1e-12, 0.0)
    eta = pd.Series({c: correlation_ratio(X[c], y) for c in X.columns})
    w = nominal.reindex(X.columns).astype(float)
    vy = y.var(ddof=1)
    cov = X.apply(lambda c: c.cov(y))
    var_share = (w * cov / vy) if vy > 0 else cov * np.nan
    out = pd.DataFrame(
        {
            "level": level,
            "id": list(X.columns),
            "dimension": (
                dimension_of.reindex(X.columns).to_numpy()
                if dimension_of is not None
                else list(X.columns)
            ),
            "points": w.to_numpy(),
            "nominal_share": (w / w.sum()).to_numpy(),
            "pearson": pear.to_numpy(),
            "spearman": spear.to_numpy(),
            "r2_share": _shares(pear**2).to_numpy(),
            "eta2": eta.to_numpy(),
            "eta2_share": _shares(eta).to_numpy(),
            "variance_share": var_share.to_numpy(),
            "scale_share": _shares(w * X.std(ddof=1)).to_numpy(),
        }
    )
    out["gap"] = out["eta2_share"] - out["nominal_share"]
    return out
