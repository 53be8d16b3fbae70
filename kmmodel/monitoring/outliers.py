"""Robust outliers: modified z-scores within peer groups and across time.

A figure is an outlier when it sits far from the median of comparable figures, measured
in robust standard deviations (1.4826 x the median absolute deviation), so that the
outliers themselves do not hide by inflating the spread.

References
----------
.. [1] Iglewicz, B. and Hoaglin, D. C. (1993). *How to Detect and Handle Outliers*.
   ASQC Quality Press. Modified z-score ``0.6745 (x - median) / MAD``; values with
   ``|z| > 3.5`` are potential outliers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.monitoring._common import flags_frame, numeric_column, require_columns, robust_z
from kmmodel.monitoring.feed import group_key, validate_feed, with_increments

__all__ = ["OutlierResult", "feed_outliers", "outliers"]


@dataclass(frozen=True)
class OutlierResult:
    """Result of :func:`outliers` / :func:`feed_outliers`.

    Attributes
    ----------
    table : pandas.DataFrame
        The input rows with ``median``, ``z`` (modified z-score) and ``flag``.
    threshold : float
        ``|z|`` above which a value is flagged.
    """

    table: pd.DataFrame
    threshold: float

    @property
    def flagged(self) -> pd.DataFrame:
        """Flagged rows, largest ``|z|`` first."""
        t = self.table[self.table["flag"]]
        return t.iloc[np.argsort(-np.abs(t["z"].to_numpy()), kind="stable")].reset_index(drop=True)


def outliers(
    data: pd.DataFrame, value: str, by: str | list[str] | None = None, threshold: float = 3.5
) -> OutlierResult:
    """Modified z-scores of ``value`` within the groups ``by``.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table.
    value : str
        Numeric column to screen.
    by : str or list of str, optional
        Peer groups (e.g. ``["indicator", "year", "month"]``: units compared with each
        other) or series (``["unit", "indicator", "month"]``: a unit's same month across
        years). None: one group.
    threshold : float
        Flag ``|z| > threshold``; 3.5 after Iglewicz and Hoaglin (1993).

    Returns
    -------
    OutlierResult

    Raises
    ------
    DataError
        Missing columns, or non-finite values (rows listed).
    """
    by = [by] if isinstance(by, str) else list(by or [])
    require_columns(data, [value, *by], source="outliers")
    if not threshold > 0:
        raise DataError(f"threshold must be > 0, got {threshold!r}", source="outliers")
    probs = Problems(source="outliers")
    x = numeric_column(data, value, "outliers", probs)
    probs.raise_if_any(DataError)
    key = group_key(data, by) if by else None
    z = robust_z(x.to_numpy(), key)
    med = x.groupby(key).transform("median").to_numpy() if by else x.median()
    table = data.assign(median=med, z=z, flag=np.abs(z) > threshold)
    return OutlierResult(table.reset_index(drop=True), threshold)


def feed_outliers(
    feed: pd.DataFrame,
    year: int,
    month: int = 12,
    threshold: float = 3.5,
    peers: str | list[str] | None = None,
) -> OutlierResult:
    """Outlying monthly amounts in a feed: against peers and against the unit's own past.

    Each monthly amount is expressed as a share of the annual target (so large and small
    units compare), on the log scale (monthly amounts vary multiplicatively). Two robust
    z-scores:

    - ``z_peer``: against the other units' shares for the same indicator, year and month
      (optionally within ``peers`` groups, e.g. a column ``group``);
    - ``z_time``: against the same unit's share for the same indicator and calendar month
      in the other years of the feed (seasonality cancels).

    A month is flagged when both exceed ``threshold`` in absolute value (a figure odd
    against its peers *and* against its own history is unlikely to be a real shock).

    Parameters
    ----------
    feed : pandas.DataFrame
        Monthly feed (validated on entry).
    year : int
        Year whose months are screened (months 1..``month``).
    month : int
        Last month screened.
    threshold : float
        Cut-off of the modified z-scores (3.5, Iglewicz and Hoaglin).
    peers : str or list of str, optional
        Extra feed columns defining peer groups.

    Returns
    -------
    OutlierResult
        ``table``: unit, indicator, year, month, increment [yuan], share [0-1], z_peer,
        z_time, z (the smaller in absolute value), flag, reason.
    """
    extra = [peers] if isinstance(peers, str) else list(peers or [])
    require_columns(feed, extra, source="feed")
    f = with_increments(validate_feed(feed.drop(columns=extra) if extra else feed, source="feed"))
    if extra:
        groups = feed[["unit", *extra]].drop_duplicates("unit").astype({"unit": str})
        labels = groups.set_index("unit").reindex(f["unit"].astype(str).to_numpy())
        for c in extra:
            f[c] = labels[c].to_numpy()
    f = f[f["month"].to_numpy() <= month].reset_index(drop=True)
    cur = f["year"].to_numpy() == year
    if not cur.any():
        raise DataError(f"no rows for year {year}", source="feed")
    s = np.log(np.clip(f["share"].to_numpy(), 1e-9, None))  # multiplicative noise: log shares
    # peers only matter in the screened year: score those rows alone (5x less work)
    z_peer = np.full(len(f), np.nan)
    z_peer[cur] = robust_z(s[cur], group_key(f[cur], ["indicator", "year", "month", *extra]))
    own = group_key(f, ["unit", "indicator", "month"])
    z_time = robust_z(s, own)
    n_years = pd.Series(own).map(pd.Series(own).value_counts()).to_numpy()
    z_time = np.where(n_years >= 3, z_time, np.nan)  # too short a history
    z = np.where(np.abs(z_time) < np.abs(z_peer), z_time, z_peer)
    z = np.where(np.isnan(z_time), z_peer, z)
    flag = (np.abs(z_peer) > threshold) & ~(np.abs(z_time) <= threshold)
    t = f.assign(z_peer=z_peer, z_time=z_time, z=z, flag=flag)[cur]
    t = t.drop(columns=["target", "actual"]).reset_index(drop=True)
    reason = np.full(len(t), "within range", dtype=object)
    fl = np.flatnonzero(t["flag"].to_numpy())  # words only where needed (fast on big feeds)
    if fl.size:
        sub = t.iloc[fl]
        reason[fl] = (
            "month "
            + sub["month"].astype(str).to_numpy().astype(object)
            + " amount is "
            + np.char.mod("%.1f%%", 100 * sub["share"].to_numpy()).astype(object)
            + " of the annual target; robust z "
            + np.char.mod("%.1f", sub["z_peer"].to_numpy()).astype(object)
            + " vs peers, "
            + np.char.mod("%.1f", sub["z_time"].to_numpy()).astype(object)
            + " vs own other years"
        )
    t["reason"] = pd.array(reason, dtype="string")
    return OutlierResult(t, threshold)


def outlier_flags(res: OutlierResult) -> pd.DataFrame:
    """Flagged months of :func:`feed_outliers` in the common flag format."""
    t = res.flagged
    return flags_frame(
        unit=t["unit"].astype(str).to_numpy(),
        check="outliers",
        item=(
            t["indicator"].astype(str)
            + " "
            + t["year"].astype(str)
            + "-"
            + t["month"].astype(str).str.zfill(2)
        ).to_numpy(),
        statistic=t["share"].to_numpy(),
        score=t["z"].to_numpy(),
        score_kind="robust z",
        flag=True,
        reason=t["reason"].to_numpy(),
    )
