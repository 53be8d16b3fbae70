"""Importance-performance analysis (Martilla & James 1977).

Each service attribute gets an *importance* (how much it drives overall
satisfaction: its LMG share of R^2 by default, a derived importance) and a
*performance* (its survey-weighted mean rating on the 0-100 index scale). Crossing
lines split the plane into four quadrants:

=====================  ==================  =====================
importance             performance low     performance high
=====================  ==================  =====================
high                   concentrate here    keep up the good work
low                    low priority        possible overkill
=====================  ==================  =====================

The crossing lines are the means over attributes (data-centred, the common
practice) or, with ``centre="scale"``, the scale midpoint (50) and an equal share
of R^2 (``1/k``).

References
----------
Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *Journal of
Marketing* 41(1), 77-79.
Bacon, D. R. (2003). A comparison of approaches to importance-performance analysis.
*International J. Market Research* 45(1), 55-71.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError
from kmmodel.rng import SeedLike
from kmmodel.satisfaction.drivers import key_drivers
from kmmodel.satisfaction.index import to_index
from kmmodel.satisfaction.schema import ATTRIBUTE_LABELS, SCALE

__all__ = ["IPAResult", "QUADRANTS", "ipa", "quadrant"]

QUADRANTS = {
    (True, False): "concentrate here",
    (True, True): "keep up the good work",
    (False, False): "low priority",
    (False, True): "possible overkill",
}
"""(high importance, high performance) -> quadrant name."""

QUADRANTS_ZH = {
    "concentrate here": "重点改进",
    "keep up the good work": "继续保持",
    "low priority": "次要改进",
    "possible overkill": "可能过度",
}


def quadrant(importance, performance, importance_cut: float, performance_cut: float) -> np.ndarray:
    """Quadrant name for each (importance, performance) pair; ties count as high."""
    hi_i = np.asarray(importance, float) >= importance_cut
    hi_p = np.asarray(performance, float) >= performance_cut
    names = np.array(
        [
            [QUADRANTS[(False, False)], QUADRANTS[(False, True)]],
            [QUADRANTS[(True, False)], QUADRANTS[(True, True)]],
        ]
    )
    return names[hi_i.astype(int), hi_p.astype(int)]


@dataclass
class IPAResult:
    """Importance-performance table and its crossing lines.

    Attributes
    ----------
    table : DataFrame
        One row per attribute: ``attribute``, ``label`` (Chinese), ``importance``
        [share 0-1 of R^2], ``importance_low``, ``importance_high`` (bootstrap
        interval, NaN without), ``performance`` [index points 0-100], ``quadrant``.
    importance_cut, performance_cut : float
        The crossing lines.
    r2 : float
        R^2 of the driver model the importances come from.
    """

    table: pd.DataFrame
    importance_cut: float
    performance_cut: float
    r2: float

    def plot(self, ax=None, chinese: bool = True):
        """Scatter of performance (x) against importance (y) with quadrant lines; returns the Axes."""
        import matplotlib.pyplot as plt

        from kmmodel import plots

        plots.setup()
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 5.5))
        t = self.table
        err = None
        if t["importance_low"].notna().all():
            err = np.vstack(
                [t["importance"] - t["importance_low"], t["importance_high"] - t["importance"]]
            )
        ax.errorbar(
            t["performance"],
            t["importance"],
            yerr=err,
            fmt="o",
            color="C0",
            ecolor="0.6",
            capsize=3,
        )
        for _, row in t.iterrows():  # one label per attribute (a handful)
            ax.annotate(
                row["label"] if chinese else row["attribute"],
                (row["performance"], row["importance"]),
                textcoords="offset points",
                xytext=(6, 4),
            )
        ax.axvline(self.performance_cut, color="0.4", lw=1, ls="--")
        ax.axhline(self.importance_cut, color="0.4", lw=1, ls="--")
        names = QUADRANTS_ZH if chinese else {k: k for k in QUADRANTS_ZH}
        for (hi_i, hi_p), name in QUADRANTS.items():
            ax.text(
                0.98 if hi_p else 0.02,
                0.97 if hi_i else 0.03,
                names[name],
                transform=ax.transAxes,
                ha="right" if hi_p else "left",
                va="top" if hi_i else "bottom",
                color="0.35",
            )
        ax.set_xlabel("表现（满意度指数 0-100）" if chinese else "performance [index 0-100]")
        ax.set_ylabel("重要性（占 R² 的份额）" if chinese else "importance [share of R²]")
        return ax


def ipa(
    data: pd.DataFrame,
    attributes: Sequence[str],
    *,
    target: str = "overall",
    weights: str | None = "weight",
    method: str = "lmg",
    centre: str = "mean",
    scale: Sequence[int] = SCALE,
    n_boot: int = 0,
    seed: SeedLike = 0,
) -> IPAResult:
    """Importance-performance table of service attributes.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    attributes : sequence of str
        Attribute-rating columns [points on ``scale``].
    target : str
        Overall-satisfaction column.
    weights : str or None
        Survey weights (importance and performance).
    method : {"lmg", "relative_weights"}
        Derived importance (see :func:`key_drivers`).
    centre : {"mean", "scale"}
        Crossing lines at the attribute means, or at 50 and ``1/k``.
    scale : (int, int)
        Answer scale [points].
    n_boot, seed
        Bootstrap intervals of importance.

    Returns
    -------
    IPAResult
    """
    if centre not in ("mean", "scale"):
        raise DataError(f"centre must be 'mean' or 'scale', got {centre!r}", source="ipa")
    kd = key_drivers(
        data, target, list(attributes), method, weights=weights, n_boot=n_boot, seed=seed
    )
    r2 = kd.attrs["r2"]
    kd = kd.set_index("driver").loc[list(attributes)]
    w = np.ones(len(data)) if weights is None else data[weights].to_numpy(float)
    ratings = data[list(attributes)].to_numpy(float)
    lo, hi = scale
    if ((ratings < lo) | (ratings > hi)).any():
        bad = [a for a in attributes if ((data[a] < lo) | (data[a] > hi)).any()]
        raise DataError(f"ratings outside {lo}-{hi} in column(s) {bad}", source="ipa")
    perf = to_index(np.average(ratings, axis=0, weights=w), scale)
    imp = kd["share_of_r2"].to_numpy()
    if centre == "mean":
        i_cut, p_cut = float(imp.mean()), float(perf.mean())
    else:
        i_cut, p_cut = 1.0 / len(attributes), 50.0
    table = pd.DataFrame(
        {
            "attribute": list(attributes),
            "label": [ATTRIBUTE_LABELS.get(a, a) for a in attributes],
            "importance": imp,
            "importance_low": kd["low"].to_numpy() / r2,
            "importance_high": kd["high"].to_numpy() / r2,
            "performance": perf,
            "quadrant": quadrant(imp, perf, i_cut, p_cut),
        }
    )
    return IPAResult(table=table, importance_cut=i_cut, performance_cut=p_cut, r2=r2)
