"""Sudden jumps and end-of-period spikes in cumulative series.

A unit that lags all year and then reports a large amount just before the assessment
(December, or the month before a review) shows an *end-of-period spike*: the share of
the year-to-date total booked in the last month(s) is far above what its peers book in
the same month, and above what the unit itself booked in that month in other years. A
*sudden jump* is one month whose pace, relative to the peers' pace in that month (so
seasonality cancels), stands out from the unit's other months of the year.

References
----------
.. [1] Iglewicz, B. and Hoaglin, D. C. (1993). *How to Detect and Handle Outliers*.
   ASQC Quality Press (modified z-scores).
.. [2] Liebman, J. B. and Mahoney, N. (2017). Do expiring budgets lead to wasteful
   year-end spending? Evidence from federal procurement. *American Economic Review*
   107(11), 3510-3549 (year-end spending spikes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError
from kmmodel.monitoring._common import flags_frame, robust_z
from kmmodel.monitoring.feed import KEYS, group_key, validate_feed, with_increments

__all__ = ["JumpResult", "jump_flags", "jumps"]


@dataclass(frozen=True)
class JumpResult:
    """Result of :func:`jumps`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per unit x indicator of the year: end_share [0-1], peer_end_share [0-1],
        end_z_peer, end_z_time, jump_month, jump_z, spike, jump, flag, reason.
    threshold : float
        Cut-off of the robust z-scores.
    """

    table: pd.DataFrame
    threshold: float

    @property
    def flagged(self) -> pd.DataFrame:
        return self.table[self.table["flag"]].reset_index(drop=True)


def jumps(
    feed: pd.DataFrame,
    year: int,
    month: int = 12,
    last: int = 1,
    threshold: float = 3.5,
) -> JumpResult:
    """End-of-period spikes and sudden jumps in ``year`` up to ``month``.

    Parameters
    ----------
    feed : pandas.DataFrame
        Monthly feed (validated on entry); other years give each unit's own history.
    year : int
        Year screened.
    month : int
        The assessment month: the "end of period" is months ``month - last + 1 .. month``.
    last : int
        Number of months counted as the end of the period (1-6).
    threshold : float
        Robust z cut-off.

    Returns
    -------
    JumpResult

    Notes
    -----
    ``end_share = (A_month - A_{month-last}) / A_month``. A spike is flagged when its log
    has a robust z above ``threshold`` against the peers (other units, same indicator and
    year) **and** against the unit's own other years (when it has at least 3); one-sided,
    since only excess booking is suspicious. A jump: ``r_m = log share_m - median over
    peers of log share_m``; flagged when a month's ``r_m`` has a robust z above
    ``threshold`` within the unit's months of the year and the same month is also above
    the threshold against peers.
    """
    if not (isinstance(month, (int, np.integer)) and 1 <= month <= 12):
        raise DataError(f"month must be a whole number 1-12, got {month!r}", source="jumps")
    if not (isinstance(last, (int, np.integer)) and 1 <= last <= 6 and last < month + 1):
        raise DataError(f"last must be 1-6 and at most month, got {last!r}", source="jumps")
    f = with_increments(validate_feed(feed, source="feed"))
    f = f[f["month"].to_numpy() <= month].reset_index(drop=True)
    if not (f["year"].to_numpy() == year).any():
        raise DataError(f"no rows for year {year}", source="feed")
    # end-of-period share of every year (own history) and unit (peers): rows are sorted by
    # series and month, so the end-of-period window is the tail of each series
    mon = f["month"].to_numpy()
    sid = group_key(f, KEYS)
    in_end = mon > month - last
    end_amt = pd.Series(np.where(in_end, f["increment"].to_numpy(), 0.0)).groupby(sid).sum()
    at_m = mon == month
    e = f.loc[at_m, KEYS].reset_index(drop=True)
    total = f["actual"].to_numpy()[at_m]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = end_amt.reindex(sid[at_m]).to_numpy() / np.where(total > 0, total, np.nan)
    e["end_share"] = np.clip(share, 1e-9, None)
    e = e[np.isfinite(e["end_share"].to_numpy())].reset_index(drop=True)
    le = np.log(e["end_share"].to_numpy())
    peer = group_key(e, ["indicator", "year"])
    own = group_key(e, ["unit", "indicator"])
    e["end_z_peer"] = robust_z(le, peer)
    e["end_z_time"] = robust_z(le, own)
    nyr = pd.Series(own).map(pd.Series(own).value_counts()).to_numpy()
    e.loc[nyr < 3, "end_z_time"] = np.nan
    e["peer_end_share"] = e["end_share"].groupby(peer).transform("median").to_numpy()
    e = e[e["year"].to_numpy() == year].reset_index(drop=True)
    # sudden jumps within the year, relative to the peers' pace
    c = f[f["year"].to_numpy() == year].reset_index(drop=True)
    ls = np.log(np.clip(c["share"].to_numpy(), 1e-9, None))
    pk = group_key(c, ["indicator", "month"])
    rel = ls - pd.Series(ls).groupby(pk).transform("median").to_numpy()
    sk = group_key(c, ["unit", "indicator"])
    jscore = np.minimum(robust_z(rel, sk), robust_z(ls, pk))
    best = pd.Series(jscore).groupby(sk).idxmax().to_numpy()
    top = c.loc[best, ["unit", "indicator", "month", "share"]].assign(jump_z=jscore[best])
    top = top.rename(columns={"month": "jump_month", "share": "jump_share"})
    t = e.merge(top, on=["unit", "indicator"], how="left")
    zt = t["end_z_time"].to_numpy()
    t["spike"] = (t["end_z_peer"] > threshold) & ~(zt <= threshold)
    t["jump"] = t["jump_z"] > threshold
    t["flag"] = t["spike"] | t["jump"]
    what = np.where(
        t["spike"],
        "end-of-period spike: "
        + np.char.mod("%.1f%%", 100 * t["end_share"].to_numpy())
        + f" of the year-to-date total booked in the last {last} month(s) to month {month}, "
        + "peers "
        + np.char.mod("%.1f%%", 100 * t["peer_end_share"].to_numpy())
        + " (robust z "
        + np.char.mod("%.1f", t["end_z_peer"].to_numpy())
        + ")",
        "",
    )
    jmp = np.where(
        t["jump"],
        "sudden jump in month "
        + t["jump_month"].astype("Int64").astype(str).to_numpy()
        + ": "
        + np.char.mod("%.1f%%", 100 * t["jump_share"].to_numpy())
        + " of the annual target in one month (robust z "
        + np.char.mod("%.1f", t["jump_z"].to_numpy())
        + " against the unit's other months, relative to peers)",
        "",
    )
    sep = np.where(t["spike"] & t["jump"], "; ", "")
    t["reason"] = np.where(t["flag"], pd.Series(what) + sep + jmp, "no spike or jump")
    t = t.drop(columns=["jump_share"]).sort_values(["unit", "indicator"], ignore_index=True)
    return JumpResult(t, threshold)


def jump_flags(res: JumpResult) -> pd.DataFrame:
    """Flagged series of :func:`jumps` in the common flag format."""
    t = res.flagged
    return flags_frame(
        unit=t["unit"].astype(str).to_numpy(),
        check="jumps",
        item=(t["indicator"].astype(str) + " " + t["year"].astype(str)).to_numpy(),
        statistic=t["end_share"].to_numpy(),
        score=np.fmax(t["end_z_peer"].to_numpy(), t["jump_z"].to_numpy()),
        score_kind="robust z",
        flag=True,
        reason=t["reason"].astype(str).to_numpy(),
    )
