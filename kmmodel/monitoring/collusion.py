"""Bid-rigging screens: statistics of the bids in each tender that collusion tends to move.

Third-party evaluation markets are small and the same firms meet again and again. The
screens of the competition-economics literature look at the distribution of the bids
within one tender:

- **coefficient of variation** ``CV = s / mean`` (sample standard deviation over the
  mean bid): cover bids placed close together shrink the spread of the bids, so a low
  CV is suspicious (Imhof 2017; Imhof, Karagök & Rutz 2018, the "variance screen");
- **relative distance** ``RD = (b2 - b1) / s_losing``: the gap between the lowest and
  second-lowest bid over the standard deviation of the losing bids; when the designated
  winner bids low and the others bid high and close together, RD is large (Imhof,
  Karagök & Rutz 2018, the "cover-bidding screen"; RD > 1 means the gap exceeds the
  spread of the losers);
- **percent difference** ``DIFFP = (b2 - b1) / b1`` and **spread** ``(max - min) / min``
  (Huber & Imhof 2019);
- **skewness** and **kurtosis** of the bids (sample, bias-corrected): collusion without
  side payments gives a negatively skewed, more peaked distribution (Imhof 2017;
  Huber & Imhof 2019).

No screen proves collusion; a flagged tender is a reason to look at who bid, who won
and how the roles rotate. The thresholds are **declared** (``cv_max``, ``rd_min``,
``skew_max``, ``kurtosis_min``), not estimated: the papers report the screens'
distributions in cartel and competitive periods of Swiss construction markets, which
differ from a municipal evaluation-services market, so set them for the market at hand.
A tender is flagged when at least ``min_flags`` screens trip.

References
----------
Imhof, D. (2017). Simple statistical screens to detect bid rigging. Working Papers SES
484, University of Fribourg.
Imhof, D., Karagök, Y. and Rutz, S. (2018). Screening for bid rigging — does it work?
Journal of Competition Law & Economics 14(2), 235-261.
Huber, M. and Imhof, D. (2019). Machine learning with screens for detecting
bid-rigging cartels. International Journal of Industrial Organization 65, 277-301.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase

__all__ = ["SCREENS", "bid_screens"]

#: screen -> (direction that is suspicious, what it measures)
SCREENS = {
    "cv": ("low", "coefficient of variation of the bids"),
    "rd": ("high", "gap between the two lowest bids over the spread of the losing bids"),
    "skewness": ("low", "skewness of the bids (negative: a low outlier below a tight group)"),
    "kurtosis": ("high", "excess kurtosis of the bids (peaked distribution)"),
}


def _moments(g: pd.Series, key: pd.Series):
    """Per-group n, mean, sample sd and bias-corrected skewness / excess kurtosis."""
    grp = g.groupby(key)
    n = grp.transform("count").to_numpy(float)
    mean = grp.transform("mean").to_numpy(float)
    d = g.to_numpy(float) - mean
    frame = pd.DataFrame({"k": key.to_numpy(), "d2": d**2, "d3": d**3, "d4": d**4})
    s = frame.groupby("k", sort=True).sum()
    cnt = key.value_counts().reindex(s.index).to_numpy(float)
    m2, m3, m4 = (s[c].to_numpy() / cnt for c in ("d2", "d3", "d4"))
    with np.errstate(invalid="ignore", divide="ignore"):
        g1 = m3 / m2**1.5
        g2 = m4 / m2**2 - 3.0
        skew = np.where(cnt >= 3, np.sqrt(cnt * (cnt - 1)) / (cnt - 2) * g1, np.nan)
        kurt = np.where(
            cnt >= 4, ((cnt + 1) * g2 + 6) * (cnt - 1) / ((cnt - 2) * (cnt - 3)), np.nan
        )
    return s.index, cnt, skew, kurt, n, mean


def bid_screens(
    bids: pd.DataFrame,
    *,
    tender: str = "package",
    price: str = "price",
    cv_max: float = 0.05,
    rd_min: float = 1.0,
    skew_max: float = -0.5,
    kurtosis_min: float = 1.0,
    min_flags: int = 2,
    source: str = "bids",
) -> pd.DataFrame:
    """Screen every tender's bids for signs of coordination.

    Parameters
    ----------
    bids : pandas.DataFrame
        One row per bid: ``tender`` id column and ``price`` [yuan] > 0. Screen only
        bids that were really submitted (invalid bids included: a cover bid is often
        deliberately non-compliant).
    tender, price : str
        Column names.
    cv_max : float, default 0.05
        CV below this is suspicious [share].
    rd_min : float, default 1.0
        RD above this is suspicious.
    skew_max : float, default -0.5
        Skewness below this is suspicious.
    kurtosis_min : float, default 1.0
        Excess kurtosis above this is suspicious.
    min_flags : int, default 2
        Screens that must trip for the tender to be flagged.

    Returns
    -------
    pandas.DataFrame
        One row per tender: ``tender``, ``n_bids``, ``mean_bid`` [yuan], ``cv``,
        ``spread``, ``diffp``, ``rd``, ``skewness``, ``kurtosis`` (NaN where a tender has
        too few bids: RD and skewness need 3, kurtosis 4), ``n_flags``, ``flagged`` and
        ``explanation`` (which screens tripped, with their values and thresholds).

    Raises
    ------
    DataError
        Missing columns, non-positive or non-numeric prices (all listed).

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"package": ["T"] * 5, "price": [70, 80, 80.5, 81, 81.5]})
    >>> s = bid_screens(b)
    >>> round(s["rd"].item(), 2), bool(s["flagged"].item())
    (15.49, True)
    """
    probs = Problems(source=source)
    if not isinstance(bids, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame of bids, got {type(bids).__name__}", source)
    missing = [c for c in (tender, price) if c not in bids.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected {tender}, {price}", source)
    df = bids[[tender, price]].reset_index(drop=True)
    num = pd.to_numeric(df[price], errors="coerce").astype(float)
    bad = ~(num > 0) | ~np.isfinite(num)
    if bad.any():
        probs.add(
            f"expected a price > 0 [yuan] in {rows_phrase(np.flatnonzero(bad))}, "
            f"got {df.loc[bad, price].astype(str).head(3).tolist()}",
            f"column {price}",
        )
    key = df[tender].astype("string")
    if key.isna().any():
        probs.add(f"missing value in {rows_phrase(np.flatnonzero(key.isna()))}", f"column {tender}")
    if not (isinstance(min_flags, (int, np.integer)) and 1 <= min_flags <= len(SCREENS)):
        probs.add(f"expected a whole number 1-{len(SCREENS)}, got {min_flags!r}", "min_flags")
    probs.raise_if_any(DataError)
    order = np.lexsort((num.to_numpy(), key.to_numpy()))
    k = key.iloc[order].reset_index(drop=True)
    v = num.iloc[order].reset_index(drop=True)
    pos = v.groupby(k).cumcount()
    g = v.groupby(k)
    idx, n, skew, kurt, _, _ = _moments(v, k)
    mean = g.mean().reindex(idx).to_numpy()
    sd = g.std(ddof=1).reindex(idx).to_numpy()
    b1 = v[pos == 0].groupby(k[pos == 0]).first().reindex(idx).to_numpy()
    b2 = v[pos == 1].groupby(k[pos == 1]).first().reindex(idx).to_numpy()
    lose = v[pos >= 1].groupby(k[pos >= 1])
    sd_lose = lose.std(ddof=1).reindex(idx).to_numpy()
    hi = g.max().reindex(idx).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = sd / mean
        rd = np.where(n >= 3, (b2 - b1) / sd_lose, np.nan)
        rd = np.where((n >= 3) & (sd_lose == 0) & (b2 > b1), np.inf, rd)
        out = pd.DataFrame(
            {
                "tender": idx.astype(str),
                "n_bids": n.astype(int),
                "mean_bid": mean,
                "cv": cv,
                "spread": (hi - b1) / b1,
                "diffp": (b2 - b1) / b1,
                "rd": rd,
                "skewness": skew,
                "kurtosis": kurt,
            }
        )
    trip = {
        "cv": (out["cv"] < cv_max, f"CV {{:.3f}} < {cv_max:g}"),
        "rd": (out["rd"] > rd_min, f"RD {{:.2f}} > {rd_min:g}"),
        "skewness": (out["skewness"] < skew_max, f"skewness {{:.2f}} < {skew_max:g}"),
        "kurtosis": (out["kurtosis"] > kurtosis_min, f"kurtosis {{:.2f}} > {kurtosis_min:g}"),
    }
    text = pd.Series("", index=out.index)
    count = np.zeros(len(out), int)
    for name, (mask, fmt) in trip.items():
        m = mask.fillna(False).to_numpy(bool)
        count += m
        part = out[name].map(fmt.format)
        text = np.where(m, np.where(text == "", part, text + "; " + part), text)
        text = pd.Series(text, index=out.index)
    out["n_flags"] = count
    out["flagged"] = count >= min_flags
    out["explanation"] = np.where(
        out["flagged"],
        "bids look coordinated: " + text,
        np.where(count > 0, "one screen only: " + text, ""),
    )
    return out.rename(columns={"tender": tender}) if tender != "tender" else out
