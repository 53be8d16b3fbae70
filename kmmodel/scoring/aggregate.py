"""Aggregation of achievements into dimension and total scores.

Three methods, chosen per level (indicators -> dimension, dimensions -> total) in
the scheme's ``aggregation`` field, so researchers can test how much a ranking
depends on compensability:

``weighted_sum``  (default, fully compensatory)  share = Σ w·a / Σ w
``geometric``     (partly compensatory)          share = Π a^(w/Σw)
``weakest_link``  (non-compensatory, PEFA M1)    share = min a

Each returns the aggregated achievement share [0-1]; missing parts (NaN) are
left out and the remaining weights rescaled. A row with no part at all gives NaN.

References
----------
.. [1] PEFA Secretariat (2016), *Framework for assessing public financial management*,
   "Scoring methodology": M1 weakest link, M2 averaging.
.. [2] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6
   (aggregation methods and compensability).
"""

from __future__ import annotations

import numpy as np

__all__ = ["aggregate"]


def aggregate(A: np.ndarray, w: np.ndarray, method: str) -> np.ndarray:
    """Aggregate achievement rows.

    Parameters
    ----------
    A : ndarray, shape (n, k)
        Achievement shares [share 0-1]; NaN marks a part left out.
    w : ndarray, shape (k,) or (n, k)
        Non-negative weights [points]; a 2-D array gives each row its own weights
        (a weight of 0 leaves that part out of that row).
    method : {"weighted_sum", "geometric", "weakest_link"}

    Returns
    -------
    ndarray, shape (n,)
        Aggregated share [share 0-1]; NaN where a row has no available part.
    """
    have = ~np.isnan(A)
    w = np.asarray(w, dtype=float)
    W = np.where(have, w, 0.0)
    wsum = W.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "weighted_sum":
            if w.ndim == 1:
                out = np.where(have, A, 0.0) @ w / wsum
            else:
                out = (np.where(have, A, 0.0) * W).sum(axis=1) / wsum
        elif method == "geometric":
            logs = np.log(np.where(have, A, 1.0))
            out = np.exp((np.where(W > 0, logs, 0.0) * W).sum(axis=1) / wsum)
        elif method == "weakest_link":
            out = np.min(np.where(have & (W > 0), A, np.inf), axis=1)
            out = np.where(np.isinf(out), np.nan, out)
        else:
            raise ValueError(f"unknown aggregation {method!r}")
    return np.where(wsum > 0, out, np.nan)
