"""Cronbach's alpha per dimension, alpha if an item is deleted, item-rest correlations.

alpha = k / (k - 1) * (1 - sum_i var(x_i) / var(sum_i x_i))          (Cronbach 1951)

computed on the indicators' achievements [share 0-1] (raw alpha, from covariances), and
the standardised alpha k r̄ / (1 + (k - 1) r̄) from the mean inter-item correlation r̄,
as R's ``psych::alpha`` reports them (``raw_alpha``, ``std.alpha``; "reliability if an
item is dropped"; ``r.drop``). Units with a missing achievement in the dimension are
left out (listwise).

Reading alpha for an assessment scheme: a high alpha says the dimension's indicators
move together (one construct, possibly double counting); a low one that they measure
different things. Neither is wrong in itself — a dimension of distinct tasks is not a
psychometric scale — but a negative alpha, or an item whose deletion raises alpha
markedly, deserves a look.

References
----------
.. [1] Cronbach, L. J. (1951), Coefficient alpha and the internal structure of tests,
   *Psychometrika* 16, 297-334.
.. [2] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Part II
   (multivariate analysis: Cronbach coefficient alpha).
.. [3] Revelle, W., R package ``psych``, function ``alpha``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["alpha_if_deleted", "cronbach_alpha", "reliability"]


def cronbach_alpha(X) -> float:
    """Raw Cronbach's alpha of the columns of ``X`` (rows = units) [dimensionless, <= 1].

    NaN when there are fewer than 2 items or 2 complete rows, or the total does not vary.

    Examples
    --------
    >>> round(cronbach_alpha([[1, 2], [2, 3], [3, 4]]), 6)  # two identical items
    1.0
    """
    X = np.asarray(X, dtype=float)
    X = X[~np.isnan(X).any(axis=1)]
    n, k = X.shape
    if k < 2 or n < 2:
        return np.nan
    item_var = X.var(axis=0, ddof=1).sum()
    tot_var = X.sum(axis=1).var(ddof=1)
    if tot_var <= 1e-15:
        return np.nan
    return float(k / (k - 1) * (1.0 - item_var / tot_var))


def standardised_alpha(X) -> float:
    """Standardised alpha k r̄ / (1 + (k - 1) r̄) from the mean inter-item correlation."""
    X = np.asarray(X, dtype=float)
    X = X[~np.isnan(X).any(axis=1)]
    n, k = X.shape
    if k < 2 or n < 3:
        return np.nan
    sd = X.std(axis=0, ddof=1)
    if (sd <= 1e-15).any():
        return np.nan
    R = np.corrcoef(X, rowvar=False)
    rbar = R[np.triu_indices(k, 1)].mean()
    return float(k * rbar / (1 + (k - 1) * rbar))


def alpha_if_deleted(X: pd.DataFrame) -> pd.DataFrame:
    """For each item: raw alpha of the others, and its item-rest correlation (r.drop).

    Returns
    -------
    DataFrame
        indicator, alpha_if_deleted (NaN when fewer than 2 items would remain),
        item_rest_r [-1 to 1] (correlation with the sum of the other items).
    """
    Xc = X.dropna()
    rows = []
    for c in X.columns:
        rest = Xc.drop(columns=c)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (
                float(np.corrcoef(Xc[c], rest.sum(axis=1))[0, 1])
                if rest.shape[1] and len(Xc) > 2 and Xc[c].std() > 0 and rest.sum(axis=1).std() > 0
                else np.nan
            )
        rows.append({"indicator": c, "alpha_if_deleted": cronbach_alpha(rest), "item_rest_r": r})
    return pd.DataFrame(rows)


def reliability(A: pd.DataFrame, dimension_of: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Alpha per dimension (and for all indicators together) and alpha-if-deleted.

    Returns
    -------
    (DataFrame, DataFrame)
        ``alpha``: dimension (``all`` for every scored indicator), n_indicators,
        n_units (complete rows used), alpha, std_alpha, note. ``items``: dimension,
        indicator, alpha_if_deleted, item_rest_r, raises_alpha (deleting it raises the
        dimension's alpha).
    """
    rows, items = [], []
    groups = [(d, list(dimension_of.index[dimension_of == d])) for d in pd.unique(dimension_of)]
    groups.append(("all", list(A.columns)))
    for d, cols in groups:
        X = A[cols]
        n = int(X.dropna().shape[0])
        a = cronbach_alpha(X)
        note = ""
        if len(cols) < 2:
            note = "one indicator: alpha needs at least two"
        elif n < 2:
            note = "fewer than 2 units with every indicator observed"
        elif np.isnan(a):
            note = "the dimension total does not vary across units"
        rows.append(
            {
                "dimension": d,
                "n_indicators": len(cols),
                "n_units": n,
                "alpha": a,
                "std_alpha": standardised_alpha(X),
                "note": note,
            }
        )
        if d != "all" and len(cols) >= 2:
            t = alpha_if_deleted(X).assign(dimension=d)
            t["raises_alpha"] = (t["alpha_if_deleted"] > a).fillna(False).astype(bool)
            items.append(t)
    cols = ["dimension", "indicator", "alpha_if_deleted", "item_rest_r", "raises_alpha"]
    item_table = pd.concat(items, ignore_index=True)[cols] if items else pd.DataFrame(columns=cols)
    return pd.DataFrame(rows), item_table
