"""Bunching: values clustering just above a scoring threshold.

If a scheme gives full points at, say, 100% completion, units that game the rules
report just enough: the number of values in a narrow window just above the threshold
exceeds the number just below it. With a smooth density and a narrow window the two
counts are about equal, so the count above is Binomial(n_above + n_below, 1/2) under no
manipulation; a one-sided binomial test gives the p-value and the excess-mass ratio
``n_above / n_below - 1`` the size.

References
----------
.. [1] McCrary, J. (2008). Manipulation of the running variable in the regression
   discontinuity design: a density test. *Journal of Econometrics* 142(2), 698-714.
.. [2] Kleven, H. J. (2016). Bunching. *Annual Review of Economics* 8, 435-464.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems
from kmmodel.monitoring._common import flags_frame, numeric_column, require_columns

__all__ = ["BunchingResult", "bunching", "bunching_flags", "completion"]


@dataclass(frozen=True)
class BunchingResult:
    """Result of :func:`bunching`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group x threshold: the ``by`` columns, threshold, n_below, n_above,
        expected_above [share 0-1], excess [ratio], p_value, flag, reason.
    width : float
        Window width on each side of a threshold [same unit as the values].
    """

    table: pd.DataFrame
    width: float

    @property
    def flagged(self) -> pd.DataFrame:
        return self.table[self.table["flag"]].reset_index(drop=True)


def bunching(
    data: pd.DataFrame,
    value: str,
    thresholds,
    width: float = 0.02,
    by: str | list[str] | None = None,
    alpha: float = 0.01,
    min_count: int = 5,
    null: str | None = None,
) -> BunchingResult:
    """Test for excess values just above each scoring threshold.

    Parameters
    ----------
    data : pandas.DataFrame
        Values (e.g. year-end completion rates [share] from :func:`completion`).
    value : str
        Column tested.
    thresholds : sequence of float
        Scoring thresholds of the scheme (points jump at these values), e.g. ``[1.0]`` for
        full points at 100% completion. Taken from the assessment scheme by the caller.
    width : float
        Window on each side: counts in ``[t - width, t)`` vs ``[t, t + width)``.
    by : str or list of str, optional
        Groups tested separately (e.g. ``"unit"``); None: all values together.
    alpha : float
        Flag when the one-sided p-value is below ``alpha`` [share 0-1].
    min_count : int
        Windows holding fewer values in total are not tested.
    null : {"peers", "flat"}, optional
        Share of the window expected above the threshold without manipulation.
        ``"flat"``: 1/2 (a locally flat density). ``"peers"``: the share above among all
        *other* groups' values in the same window (leave-one-out), which absorbs a sloped
        density common to all units (e.g. most units just exceed their targets). Default:
        ``"peers"`` when ``by`` is given, else ``"flat"``.

    Returns
    -------
    BunchingResult

    Notes
    -----
    The equal-counts null (``"flat"``) holds for a locally flat density; on a slope use
    ``"peers"`` or a narrower ``width``. The peer null cannot see manipulation that every
    group shares.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    require_columns(data, [value, *by], source="bunching")
    probs = Problems(source="bunching")
    th = (
        np.atleast_1d(np.asarray(thresholds, dtype=float))
        if thresholds is not None
        else np.array([])
    )
    if th.size == 0 or not np.isfinite(th).all():
        probs.add("give at least one finite scoring threshold", "argument thresholds")
    if not width > 0:
        probs.add(f"width must be > 0, got {width!r}", "argument width")
    x = numeric_column(data, value, "bunching", probs)
    probs.raise_if_any(DataError)
    from scipy import stats

    keys = [data[c] for c in by] if by else [pd.Series("all", index=data.index, name="group")]
    v = x.to_numpy()[:, None]
    below = ((v >= th - width) & (v < th)).astype(np.int64)
    above = ((v >= th) & (v < th + width)).astype(np.int64)
    cols = [f"t{i}" for i in range(th.size)]
    nb = pd.DataFrame(below, columns=cols, index=data.index).groupby(keys, observed=True).sum()
    na = pd.DataFrame(above, columns=cols, index=data.index).groupby(keys, observed=True).sum()
    t = nb.stack().rename("n_below").to_frame().join(na.stack().rename("n_above"))
    t = t.reset_index()
    t = t.rename(columns={t.columns[len(keys)]: "threshold"})
    t["threshold"] = th[t["threshold"].str[1:].astype(int).to_numpy()]
    null = null or ("peers" if by else "flat")
    if null not in ("peers", "flat"):
        raise DataError(f"null must be 'peers' or 'flat', got {null!r}", source="bunching")
    n = (t["n_below"] + t["n_above"]).to_numpy()
    k = t["n_above"].to_numpy()
    if null == "peers":
        tot_a = t.groupby("threshold")["n_above"].transform("sum").to_numpy()
        tot_n = t.groupby("threshold")["n_below"].transform("sum").to_numpy() + tot_a
        rest_a, rest_n = tot_a - k, tot_n - n
        p0 = np.where(rest_n > 0, (rest_a + 0.5) / (rest_n + 1.0), 0.5)  # smoothed
    else:
        p0 = np.full(len(t), 0.5)
    t["expected_above"] = p0
    t["excess"] = np.where(t["n_below"] > 0, k / np.maximum(t["n_below"], 1) - 1, np.inf)
    t.loc[n == 0, "excess"] = 0.0
    t["p_value"] = np.where(n > 0, stats.binom.sf(k - 1, n, p0), 1.0)
    tested = n >= min_count
    t["flag"] = tested & (t["p_value"] < alpha)
    t["reason"] = np.where(
        ~tested,
        "fewer than " + str(min_count) + " values near the threshold: not tested",
        t["n_above"].astype(str)
        + " values in ["
        + t["threshold"].map("{:g}".format)
        + f", +{width:g}) vs "
        + t["n_below"].astype(str)
        + " just below; expected share above "
        + np.char.mod("%.2f", p0)
        + " (binomial p = "
        + np.char.mod("%.2g", t["p_value"].to_numpy())
        + ")",
    )
    return BunchingResult(t, width)


def completion(feed: pd.DataFrame, month: int = 12) -> pd.DataFrame:
    """Completion rate ``actual / target`` at ``month`` of every unit x indicator x year.

    Returns
    -------
    pandas.DataFrame
        unit, indicator, year, completion [share of the annual target].
    """
    from kmmodel.monitoring.feed import validate_feed

    f = validate_feed(feed, source="feed")
    f = f[f["month"] == month]
    return f.assign(completion=f["actual"] / f["target"])[
        ["unit", "indicator", "year", "completion"]
    ].reset_index(drop=True)


def bunching_flags(res: BunchingResult) -> pd.DataFrame:
    """Flagged units of a per-unit :func:`bunching` in the common flag format."""
    t = res.flagged
    return flags_frame(
        unit=t["unit"].astype(str).to_numpy(),
        check="bunching",
        item=("threshold " + t["threshold"].map("{:g}".format).astype("string")).to_numpy(),
        statistic=t["excess"].to_numpy(),
        score=t["p_value"].to_numpy(),
        score_kind="p-value",
        flag=True,
        reason=t["reason"].to_numpy(),
    )
