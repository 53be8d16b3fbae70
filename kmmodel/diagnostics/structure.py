"""Redundancy and structure: indicator correlations on the achievement scale.

Pearson and Spearman correlations of the indicators' achievements [share 0-1] (what the
scheme actually scores, after targets and rules), summarised within and between
dimensions, with the pairs above a declared threshold named. Following the JRC's
statistical audits and COINr: indicators of one dimension should correlate positively
(a negative within-dimension correlation means they pull the dimension apart), and very
high correlations (|r| >= 0.9 by default) mean double counting.

References
----------
.. [1] OECD/JRC (2008), *Handbook on Constructing Composite Indicators: Methodology and
   User Guide*, Part I step 4 (multivariate analysis: correlation structure).
.. [2] Becker, W. et al. (2022), COINr: an R package for developing composite indicators,
   *Journal of Open Source Software* 7(78), 4567 (``get_corr``, ``get_corr_flags``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["correlations", "dimension_structure", "indicator_structure", "pairs"]


def correlations(A: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pearson and Spearman correlation matrices of the columns of ``A`` [-1 to 1].

    Pairwise-complete observations; a constant column gives NaN (a correlation with a
    constant is undefined).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = A.corr(method="pearson")
        spearman = A.rank().corr(method="pearson")  # Spearman = Pearson of the ranks
    return pearson, spearman


def pairs(
    pearson: pd.DataFrame, spearman: pd.DataFrame, dimension_of: pd.Series, threshold: float
) -> pd.DataFrame:
    """Every indicator pair: correlations, same dimension or not, and the flag raised.

    Returns
    -------
    DataFrame
        indicator_a, indicator_b, dimension_a, dimension_b, same_dimension, pearson,
        spearman, flag (``redundant`` when |r| >= threshold on either measure,
        ``negative within dimension`` when both indicators share a dimension and r < 0,
        else empty). Sorted by |pearson|, largest first.
    """
    ids = list(pearson.columns)
    ia, ib = np.triu_indices(len(ids), k=1)
    p = pearson.to_numpy()[ia, ib]
    s = spearman.to_numpy()[ia, ib]
    da = dimension_of.reindex(ids).to_numpy()[ia]
    db = dimension_of.reindex(ids).to_numpy()[ib]
    same = da == db
    red = (np.abs(np.nan_to_num(p)) >= threshold) | (np.abs(np.nan_to_num(s)) >= threshold)
    neg = same & (np.nan_to_num(p) < 0)
    flag = np.where(red, "redundant", np.where(neg, "negative within dimension", ""))
    out = pd.DataFrame(
        {
            "indicator_a": np.asarray(ids, dtype=object)[ia],
            "indicator_b": np.asarray(ids, dtype=object)[ib],
            "dimension_a": da,
            "dimension_b": db,
            "same_dimension": same,
            "pearson": p,
            "spearman": s,
            "flag": flag,
        }
    )
    order = np.argsort(-np.abs(np.nan_to_num(p, nan=-1.0)), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def _corr_with(X: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation of each column of X with each column of y (pairwise complete)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.concat([X, y], axis=1).corr().loc[X.columns, y.columns]


def indicator_structure(
    A: pd.DataFrame, D: pd.DataFrame, total: pd.Series, dimension_of: pd.Series
) -> pd.DataFrame:
    """How each indicator relates to its own dimension, the others and the total.

    Returns
    -------
    DataFrame
        indicator, dimension, r_own_dimension, r_total, best_other_dimension,
        r_best_other [-1 to 1] and ``misfit`` (True when the indicator correlates more
        with another dimension's score than with its own — COINr's and the JRC audits'
        sign that it may sit in the wrong dimension). The own-dimension score contains
        the indicator itself, so ``r_own_dimension`` is inflated (most in small
        dimensions) and the flag errs on the side of not firing.
    """
    Dn = D.add_prefix("dim:")
    r = _corr_with(A, pd.concat([Dn, total.rename("total")], axis=1))
    rows = []
    for ind in A.columns:
        own = dimension_of[ind]
        others = [c for c in Dn.columns if c != f"dim:{own}"]
        ro = r.loc[ind, others].astype(float)
        best = ro.idxmax() if ro.notna().any() else ""
        rows.append(
            {
                "indicator": ind,
                "dimension": own,
                "r_own_dimension": float(r.loc[ind, f"dim:{own}"]),
                "r_total": float(r.loc[ind, "total"]),
                "best_other_dimension": best.removeprefix("dim:") if best else "",
                "r_best_other": float(ro.max()) if best else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["misfit"] = (out["r_best_other"] > out["r_own_dimension"]).fillna(False).astype(bool)
    return out


def dimension_structure(
    pearson: pd.DataFrame, D: pd.DataFrame, total: pd.Series, dimension_of: pd.Series
) -> pd.DataFrame:
    """Within- and between-dimension correlation summaries.

    Returns
    -------
    DataFrame
        dimension, n_indicators, mean_within_r (mean Pearson r of the dimension's
        indicator pairs; NaN for a one-indicator dimension), min_within_r,
        mean_between_r (mean r of its indicators with the other dimensions'
        indicators), r_total (dimension score with the total) [-1 to 1].
    """
    R = pearson.to_numpy()
    ids = np.asarray(pearson.columns)
    dims = dimension_of.reindex(ids).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rt = pd.concat([D, total.rename("total")], axis=1).corr()["total"]
    rows = []
    for d in pd.unique(dims):
        inn = dims == d
        k = int(inn.sum())
        W = R[np.ix_(inn, inn)][np.triu_indices(k, 1)]
        B = R[np.ix_(inn, ~inn)].ravel()
        rows.append(
            {
                "dimension": d,
                "n_indicators": k,
                "mean_within_r": float(np.nanmean(W)) if np.isfinite(W).any() else np.nan,
                "min_within_r": float(np.nanmin(W)) if np.isfinite(W).any() else np.nan,
                "mean_between_r": float(np.nanmean(B)) if np.isfinite(B).any() else np.nan,
                "r_total": float(rt.get(d, np.nan)),
            }
        )
    return pd.DataFrame(rows)
