"""Outliers in the raw values, their treatment, and what the treatment does to ranks.

Detection follows COINr's ``check_SkewKurt``: an indicator fails when its absolute
skewness is at least ``skew_thresh`` (2) **and** its excess kurtosis at least
``kurt_thresh`` (3.5), both with the bias-corrected (Excel / ``e1071`` type 2)
definitions. Two treatments of the raw values, each re-scored by the engine and
compared with the nominal ranks:

``skew_kurtosis`` (COINr's ``winsorise``)
    while the indicator fails and fewer than ``winmax`` (5) points were changed,
    give the most extreme point(s) on the side of the skew the value of the next one in;
``percentile``
    clip every value to the declared ``percentiles`` of its indicator (e.g. 5th-95th).

Only scored indicators with a numeric rule (ratio, linear, steps, rank, formula,
deduction) are treated; grades, pass/fail, vetoes and bonus/penalty counts are not.
With 18 units one value is 5.6 % of the sample: skewness and kurtosis are themselves
noisy, so a flag is a prompt to check the figure, not proof of an error.

References
----------
.. [1] OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Part I step 3-5
   (outliers, winsorisation before normalisation).
.. [2] COINr documentation, "Outlier treatment" vignette; functions ``check_SkewKurt``,
   ``winsorise``, ``skew``, ``kurt``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError

__all__ = ["TREATED_RULES", "outliers", "skew_kurtosis", "winsorise"]

TREATED_RULES = ("ratio", "linear", "steps", "rank", "formula", "deduction")


def skew_kurtosis(x) -> tuple[float, float]:
    """Bias-corrected sample skewness and excess kurtosis (COINr ``skew``/``kurt``).

    NaN when fewer than 3 (skewness) / 4 (kurtosis) values or no variation.
    """
    from scipy.stats import kurtosis, skew

    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 3 or np.ptp(x) <= 1e-15:
        return np.nan, np.nan
    s = float(skew(x, bias=False))
    k = float(kurtosis(x, bias=False)) if len(x) >= 4 else np.nan
    return s, k


def _fails(x, skew_thresh, kurt_thresh) -> bool:
    s, k = skew_kurtosis(x)
    return bool(np.isfinite(s) and np.isfinite(k) and abs(s) >= skew_thresh and k >= kurt_thresh)


def winsorise(x, winmax: int = 5, skew_thresh: float = 2.0, kurt_thresh: float = 3.5):
    """COINr's winsorisation of one vector.

    Returns
    -------
    (ndarray, ndarray)
        Treated values (NaN kept) and a boolean mask of the points changed.
    """
    x = np.asarray(x, dtype=float).copy()
    orig = x.copy()
    ok = ~np.isnan(x)
    while _fails(x[ok], skew_thresh, kurt_thresh) and (x != orig)[ok].sum() < winmax:
        v = x[ok]
        s, _ = skew_kurtosis(v)
        ext = v.max() if s > 0 else v.min()
        rest = v[v != ext]
        if len(rest) == 0:
            break
        nxt = rest.max() if s > 0 else rest.min()
        x[ok & (x == ext)] = nxt
    return x, ok & (x != orig)


def _values(inp) -> pd.DataFrame:
    """Units x treatable indicators: the raw observed values [indicator unit]."""
    ind = inp.scheme.indicators.set_index("id")
    ids = [c for c in inp.points.index if ind.loc[c, "rule"] in TREATED_RULES]
    p = inp.base.points
    p = p[p["indicator"].astype(str).isin(ids)]
    V = p.pivot_table(
        index="unit", columns="indicator", values="value", aggfunc="first", observed=True
    )
    V.index = V.index.astype(str)
    V.columns = V.columns.astype(str)
    return V.reindex(index=inp.A.index, columns=ids).astype(float)


def outliers(
    inp,
    method: str = "skew_kurtosis",
    percentiles: tuple[float, float] = (0.05, 0.95),
    winmax: int = 5,
    skew_thresh: float = 2.0,
    kurt_thresh: float = 3.5,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Flag outlying indicators, treat them, re-score, compare ranks.

    Parameters
    ----------
    inp : Inputs
    method : {"skew_kurtosis", "percentile", "none"}
    percentiles : (float, float)
        Lower and upper clipping quantiles [share 0-1] for ``method="percentile"``.
    winmax : int
        Most points changed per indicator (``skew_kurtosis``).
    skew_thresh, kurt_thresh : float
        COINr's thresholds.

    Returns
    -------
    (DataFrame, DataFrame, DataFrame)
        ``indicators``: indicator, skew, kurtosis, flagged, n_treated, treated_units.
        ``values``: unit, indicator, value, treated_value (changed cells only).
        ``ranks``: unit, group, rank, treated_rank, shift — after re-scoring every
        treated value at once (empty when nothing was treated).
    """
    if method not in ("skew_kurtosis", "percentile", "none"):
        raise DataError(
            f"outlier method must be 'skew_kurtosis', 'percentile' or 'none', got {method!r}"
        )
    lo_q, hi_q = percentiles
    if not (0 <= lo_q < hi_q <= 1):
        raise DataError(f"percentiles must satisfy 0 <= low < high <= 1, got {percentiles!r}")
    V = _values(inp)
    T = V.copy()
    rows = []
    for c in V.columns:  # one pass per indicator (tens), vectorised over units
        x = V[c].to_numpy()
        s, k = skew_kurtosis(x)
        flagged = bool(
            np.isfinite(s) and np.isfinite(k) and abs(s) >= skew_thresh and k >= kurt_thresh
        )
        if method == "skew_kurtosis" and flagged:
            t, changed = winsorise(x, winmax, skew_thresh, kurt_thresh)
        elif method == "percentile" and np.isfinite(x).sum() >= 2:
            a, b = np.nanquantile(x, [lo_q, hi_q])
            t = np.where(np.isnan(x), np.nan, np.clip(x, a, b))
            changed = ~np.isnan(x) & (t != x)
        else:
            t, changed = x, np.zeros(len(x), bool)
        T[c] = t
        rows.append(
            {
                "indicator": c,
                "skew": s,
                "kurtosis": k,
                "flagged": flagged,
                "n_treated": int(changed.sum()),
                "treated_units": ", ".join(V.index[changed]),
            }
        )
    table = pd.DataFrame(
        rows, columns=["indicator", "skew", "kurtosis", "flagged", "n_treated", "treated_units"]
    )
    diff = (T != V) & V.notna()
    u, i = np.nonzero(diff.to_numpy())
    values = pd.DataFrame(
        {
            "unit": V.index.to_numpy()[u],
            "indicator": V.columns.to_numpy()[i],
            "value": V.to_numpy()[u, i],
            "treated_value": T.to_numpy()[u, i],
        }
    )
    if len(values) == 0:
        ranks = pd.DataFrame(columns=["unit", "group", "rank", "treated_rank", "shift"])
        return table, values, ranks
    from kmmodel.scoring import score

    obs = inp.observations.copy()
    key = obs["unit"].astype(str) + "\x1f" + obs["indicator"].astype(str)
    new = pd.Series(
        values["treated_value"].to_numpy(), index=values["unit"] + "\x1f" + values["indicator"]
    )
    hit = key.isin(new.index)
    obs["value"] = obs["value"].astype(object)
    obs.loc[hit, "value"] = key[hit].map(new).to_numpy()
    res = score(
        inp.scheme, obs, units=inp.units, missing=inp.base.missing, source="treated observations"
    )
    new_rank = res.table.set_index("unit")["rank"].reindex(inp.A.index).astype(int)
    ranks = pd.DataFrame(
        {
            "unit": inp.A.index,
            "group": inp.group.to_numpy(),
            "rank": inp.rank.to_numpy(),
            "treated_rank": new_rank.to_numpy(),
        }
    )
    ranks["shift"] = ranks["rank"] - ranks["treated_rank"]
    return table, values, ranks
