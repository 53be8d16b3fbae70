"""Key-driver analysis: how much of the explained variance each driver carries.

Two decompositions of a linear model's R^2 into non-negative driver shares that sum
to R^2:

- **LMG / Shapley** (Lindeman, Merenda & Gold 1980): a driver's share is its
  increase in R^2 when added to a model, averaged over all orders of entry. It is
  computed *exactly* from the R^2 of all 2^k driver subsets; each subset's R^2
  comes from the correlation matrix (``R^2_S = r_yS' R_SS^{-1} r_yS``), solved in
  batches by subset size, so no regression is refitted per order.
- **Relative weights** (Johnson 2000): regress on the orthogonal counterpart of the
  drivers and map the shares back.

Bootstrap confidence intervals resample respondents (seeded); the correlation
matrices of all resamples are computed at once from resample counts.

References
----------
Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to Bivariate and
Multivariate Analysis*, p. 119 ff. Scott, Foresman.
Grömping, U. (2006). Relative importance for linear regression in R: the package
relaimpo. *J. Statistical Software* 17(1).
Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
predictor variables in multiple regression. *Multivariate Behavioral Research* 35(1), 1-19.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.rng import SeedLike, as_generator

__all__ = ["METHODS", "MAX_EXACT", "key_drivers", "lmg_shares", "relative_weights", "subset_r2"]

MAX_EXACT = 12
"""Most drivers the exact LMG decomposition accepts (2^12 = 4,096 subsets)."""

METHODS = ("lmg", "relative_weights")


def _weighted_corr(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Correlation matrices for weight vectors ``w`` (shape (B, n)) of data ``z`` (n, p)."""
    sw = w.sum(axis=1)
    mean = (w @ z) / sw[:, None]  # B x p
    p = z.shape[1]
    second = (w @ (z[:, :, None] * z[:, None, :]).reshape(len(z), p * p)).reshape(-1, p, p)
    cov = second / sw[:, None, None] - mean[:, :, None] * mean[:, None, :]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / (sd[:, :, None] * sd[:, None, :])


def subset_r2(corr: np.ndarray) -> np.ndarray:
    """R^2 of every subset of drivers, from correlation matrices.

    Parameters
    ----------
    corr : ndarray, shape (B, k+1, k+1) or (k+1, k+1)
        Correlation matrices with the target first, then the ``k`` drivers.

    Returns
    -------
    ndarray, shape (B, 2^k) (or (2^k,))
        ``r2[..., m]`` is the R^2 of the subset whose bit ``j`` of ``m`` is set when
        driver ``j`` is in; ``r2[..., 0] = 0``.
    """
    corr = np.asarray(corr, float)
    single = corr.ndim == 2
    c = corr[None] if single else corr
    k = c.shape[-1] - 1
    out = np.zeros((c.shape[0], 1 << k))
    for size in range(1, k + 1):  # k batches, each solves all subsets of that size at once
        combos = np.array(list(combinations(range(k), size)))
        idx = combos + 1
        rxx = c[:, idx[:, :, None], idx[:, None, :]]  # B x C x s x s
        rxy = c[:, 0][:, idx]  # B x C x s
        beta = np.linalg.solve(rxx, rxy[..., None])[..., 0]
        masks = (1 << combos).sum(axis=1)
        out[:, masks] = (rxy * beta).sum(axis=-1)
    return out[0] if single else out


def lmg_shares(r2: np.ndarray) -> np.ndarray:
    """LMG (Shapley) shares from all-subset R^2 values.

    ``share_j = sum_{S not containing j} |S|! (k-|S|-1)! / k! [R^2(S + j) - R^2(S)]``.

    Parameters
    ----------
    r2 : ndarray, shape (..., 2^k)
        From :func:`subset_r2`.

    Returns
    -------
    ndarray, shape (..., k)
        Shares; they sum to the full-model R^2 ``r2[..., -1]``.
    """
    r2 = np.asarray(r2, float)
    k = int(np.log2(r2.shape[-1]))
    masks = np.arange(1 << k)
    size = ((masks[:, None] >> np.arange(k)) & 1).sum(axis=1)  # subset sizes (popcounts)
    weight = np.array(
        [factorial(s) * factorial(k - s - 1) / factorial(k) if s < k else 0.0 for s in range(k + 1)]
    )
    out = np.empty(r2.shape[:-1] + (k,))
    for j in range(k):  # k drivers; each step is one vectorised sum over 2^(k-1) subsets
        without = masks[(masks >> j) & 1 == 0]
        gain = r2[..., without | (1 << j)] - r2[..., without]
        out[..., j] = gain @ weight[size[without]]
    return out


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's relative weights from correlation matrices (target first).

    Parameters
    ----------
    corr : ndarray, shape (..., k+1, k+1)

    Returns
    -------
    ndarray, shape (..., k)
        Raw relative weights; they sum to the full-model R^2.
    """
    corr = np.asarray(corr, float)
    rxx = corr[..., 1:, 1:]
    rxy = corr[..., 1:, 0]
    lam, vec = np.linalg.eigh(rxx)
    lam = np.clip(lam, 1e-15, None)
    half = vec @ (np.sqrt(lam)[..., :, None] * np.swapaxes(vec, -1, -2))  # R_xx^(1/2)
    inv_half = vec @ ((1 / np.sqrt(lam))[..., :, None] * np.swapaxes(vec, -1, -2))
    beta = (inv_half @ rxy[..., None])[..., 0]  # target on the orthogonal counterparts
    return ((half**2) @ (beta**2)[..., None])[..., 0]


def _shares(corr: np.ndarray, method: str) -> np.ndarray:
    if method == "lmg":
        return lmg_shares(subset_r2(corr))
    return relative_weights(corr)


def key_drivers(
    data: pd.DataFrame,
    target: str,
    drivers: list[str],
    method: str = "lmg",
    *,
    weights: str | None = None,
    n_boot: int = 500,
    level: float = 0.95,
    seed: SeedLike = 0,
) -> pd.DataFrame:
    """Decompose the R^2 of ``target ~ drivers`` into driver shares, with bootstrap CIs.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    target : str
        Outcome column (e.g. ``"overall"``) [answer points].
    drivers : list of str
        Driver columns (2 to :data:`MAX_EXACT` for ``"lmg"``), numeric.
    method : {"lmg", "relative_weights"}
        Exact LMG/Shapley decomposition, or Johnson's relative weights.
    weights : str, optional
        Survey-weight column: correlations are design-weighted.
    n_boot : int
        Bootstrap resamples of respondents for the intervals (0: no intervals).
    level : float
        Confidence level of the percentile intervals [share 0-1].
    seed : int or Generator
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per driver, largest share first: ``driver``, ``share`` [R^2 units;
        the column sums to the full-model R^2], ``low``, ``high`` (percentile
        bootstrap interval of the share), ``share_of_r2`` [share 0-1 of R^2],
        ``rank``. ``.attrs`` holds ``r2``, ``method``, ``n``, ``n_boot``, ``level``.

    Raises
    ------
    DataError
        Unknown method, missing or non-numeric columns, missing values, a constant
        driver or target, perfectly collinear drivers, too many drivers.

    Examples
    --------
    >>> import kmmodel as km
    >>> from kmmodel import satisfaction as sat
    >>> s = km.datasets.load("survey")
    >>> kd = sat.key_drivers(s, "overall", ["health", "transport", "safety"], n_boot=0)
    >>> bool(abs(kd["share"].sum() - kd.attrs["r2"]) < 1e-12)
    True
    """
    probs = Problems(source="key_drivers")
    if method not in METHODS:
        probs.add(f"method must be one of {METHODS}, got {method!r}", "method")
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"expected a pandas DataFrame, got {type(data).__name__}", source="key_drivers"
        )
    drivers = list(drivers)
    if len(drivers) < 2:
        probs.add(f"need at least 2 drivers, got {drivers}", "drivers")
    if method == "lmg" and len(drivers) > MAX_EXACT:
        probs.add(
            f"exact LMG handles up to {MAX_EXACT} drivers (2^k subsets), got {len(drivers)}; "
            "use method='relative_weights' or group drivers",
            "drivers",
        )
    if len(set(drivers)) != len(drivers) or target in drivers:
        probs.add("drivers must be distinct and must not include the target", "drivers")
    if not 0 < level < 1:
        probs.add(f"level must be between 0 and 1, got {level}", "level")
    if n_boot < 0:
        probs.add(f"n_boot must be >= 0, got {n_boot}", "n_boot")
    cols = [target, *drivers] + ([weights] if weights else [])
    missing = [c for c in cols if c not in data.columns]
    if missing:
        probs.add(f"column(s) not found: {missing}", "columns")
    probs.raise_if_any(DataError)
    for col in cols:
        s = data[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            probs.add(f"expected numbers, got dtype {s.dtype}", f"column {col}")
            continue
        empty = s.isna()
        if empty.any():
            probs.add(
                f"missing values in {rows_phrase(np.flatnonzero(empty.to_numpy()))}",
                f"column {col}",
            )
        elif col != weights and s.nunique() < 2:
            probs.add(
                f"column is constant (every value is {s.iloc[0]}); it explains nothing",
                f"column {col}",
            )
    if weights and pd.api.types.is_numeric_dtype(data[weights]):
        bad = ~(data[weights] > 0)
        if bad.any():
            probs.add(
                f"weights must be positive in {rows_phrase(np.flatnonzero(bad.to_numpy()))}",
                f"column {weights}",
            )
    if len(data) <= len(drivers) + 1:
        probs.add(
            f"{len(data)} respondents for {len(drivers)} drivers; need more rows than drivers + 1"
        )
    probs.raise_if_any(DataError)

    z = data[[target, *drivers]].to_numpy(float)
    w = np.ones(len(z)) if weights is None else data[weights].to_numpy(float)
    corr = _weighted_corr(z, w[None, :])[0]
    eig = np.linalg.eigvalsh(corr[1:, 1:])
    if eig.min() < 1e-10 * eig.max():
        raise DataError(
            f"drivers are perfectly collinear (one is a combination of others): {drivers}; "
            "drop or combine the redundant ones",
            source="key_drivers",
        )
    share = _shares(corr, method)
    r2 = float(subset_r2(corr)[-1])
    out = pd.DataFrame({"driver": drivers, "share": share})
    if n_boot > 0:
        rng = as_generator(seed)
        n = len(z)
        boots = []
        chunk = max(1, min(n_boot, 2_000_000 // max(1, (1 << len(drivers)) * len(drivers))))
        for start in range(0, n_boot, chunk):  # memory cap; each chunk is one batched solve
            b = min(chunk, n_boot - start)
            counts = rng.multinomial(n, np.full(n, 1.0 / n), size=b).astype(float)
            cb = _weighted_corr(z, counts * w[None, :])
            ok = np.isfinite(cb).all(axis=(1, 2))
            cb = np.where(ok[:, None, None], cb, np.eye(len(drivers) + 1)[None])
            sb = _shares(cb, method)
            boots.append(np.where(ok[:, None], sb, np.nan))
        boot = np.concatenate(boots)
        alpha = (1 - level) / 2
        out["low"] = np.nanquantile(boot, alpha, axis=0)
        out["high"] = np.nanquantile(boot, 1 - alpha, axis=0)
    else:
        out["low"] = np.nan
        out["high"] = np.nan
    out["share_of_r2"] = out["share"] / r2 if r2 > 0 else np.nan
    out = out.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs.update(
        {"r2": r2, "method": method, "n": len(z), "n_boot": int(n_boot), "level": level}
    )
    return out
