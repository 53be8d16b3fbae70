"""Principal components per dimension: variance explained and loadings.

PCA of the indicators' standardised achievements, per dimension and for all scored
indicators, by the symmetric eigendecomposition of their correlation matrix (numpy
``eigh``; the tests check it against the SVD of the standardised data). Loadings are the
correlations of each indicator with each component (eigenvector x sqrt(eigenvalue));
each component's sign is set so its loadings sum to a positive number.

What 18 units can and cannot show: with n units and k indicators the eigenvalues of a
sample correlation matrix scatter widely around the population values even when the
indicators are independent (the largest one exceeds 1 by chance — about
(1 + sqrt(k/n))^2 under independence, Marchenko-Pastur), so "component 1 explains 60 %"
with n = 18 is a description of these 18 units, not evidence of one latent factor, and
the number of components "to keep" cannot be read from it. A first component with all
loadings of one sign and well above the chance bound says the dimension's indicators
move together; mixed signs say they trade off. Factor models need far more units (the
Handbook's rule of thumb is several units per indicator) and are not fitted here.

References
----------
.. [1] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Part I step 4
   and Part II (principal components analysis), including the warning on small samples.
.. [2] Jolliffe, I. T. (2002), *Principal Component Analysis*, 2nd ed., Springer.
.. [3] Marchenko, V. A. & Pastur, L. A. (1967), *Mathematics of the USSR-Sbornik* 1(4),
   457-483 (the chance bound of sample eigenvalues).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["pca", "pca_summary"]


def pca(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int, list[str]]:
    """PCA of the standardised complete rows of ``X``.

    Returns
    -------
    eigenvalues : ndarray, shape (m,)
        Variances of the components [standardised units], descending; they sum to the
        number of non-constant columns.
    loadings : ndarray, shape (p, m)
        Correlation of each used column with each component.
    n : int
        Complete rows used.
    used : list of str
        The columns used (constant columns are left out).
    """
    Xc = X.dropna()
    sd = Xc.std(ddof=1)
    used = [c for c in X.columns if len(Xc) >= 2 and sd[c] > 1e-12]
    n = len(Xc)
    if len(used) < 1 or n < 2:
        return np.zeros(0), np.zeros((len(used), 0)), n, used
    Z = ((Xc[used] - Xc[used].mean()) / sd[used]).to_numpy()
    w, V = np.linalg.eigh(Z.T @ Z / (n - 1))  # the correlation matrix: k x k, cheap for any n
    eig = np.clip(w[::-1], 0.0, None)
    load = V[:, ::-1] * np.sqrt(eig)  # = eigenvector * sqrt(eigenvalue)
    sign = np.where(load.sum(axis=0) < 0, -1.0, 1.0)
    return eig, load * sign, n, used


def pca_summary(A: pd.DataFrame, dimension_of: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Component summary and loadings per dimension (and ``all`` indicators).

    Returns
    -------
    (DataFrame, DataFrame)
        ``components``: dimension, component (1, 2, ...), eigenvalue, variance_share
        [share 0-1], cumulative_share, chance_bound (the Marchenko-Pastur upper edge
        (1 + sqrt(k/n))^2 for independent indicators), n_units, n_indicators, note.
        ``loadings``: dimension, indicator, component, loading [-1 to 1].
    """
    comps, loads = [], []
    groups = [(d, list(dimension_of.index[dimension_of == d])) for d in pd.unique(dimension_of)]
    groups.append(("all", list(A.columns)))
    for d, cols in groups:
        if len(cols) < 2:
            continue
        eig, L, n, used = pca(A[cols])
        k = len(used)
        if k < 2:
            continue
        bound = (1 + np.sqrt(k / n)) ** 2 if n else np.nan
        note = f"n = {n} units for {k} indicators: descriptive only" if n < 5 * k else ""
        if n <= k:
            note += f"; at most {n - 1} non-zero eigenvalues with {n} units"
        if len(used) < len(cols):
            dropped = sorted(set(cols) - set(used))
            note = (note + "; " if note else "") + f"constant, left out: {', '.join(dropped)}"
        share = eig / eig.sum()
        for j, e in enumerate(eig):
            comps.append(
                {
                    "dimension": d,
                    "component": j + 1,
                    "eigenvalue": float(e),
                    "variance_share": float(share[j]),
                    "cumulative_share": float(share[: j + 1].sum()),
                    "chance_bound": float(bound),
                    "n_units": n,
                    "n_indicators": k,
                    "note": note,
                }
            )
        m = L.shape[1]
        loads.append(
            pd.DataFrame(
                {
                    "dimension": d,
                    "indicator": np.repeat(used, m),
                    "component": np.tile(np.arange(1, m + 1), k),
                    "loading": L.ravel(),
                }
            )
        )
    cols = ["dimension", "indicator", "component", "loading"]
    return (
        pd.DataFrame(comps),
        pd.concat(loads, ignore_index=True) if loads else pd.DataFrame(columns=cols),
    )
