"""Charts of rank uncertainty and Sobol indices (Chinese labels render anywhere).

Each function draws on ``ax`` (a new figure when omitted) and returns the axes.
``labels`` maps unit ids to display names, e.g. ``units.set_index("unit")["name_zh"]``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kmmodel.uncertainty.ranks import RankUncertainty
from kmmodel.uncertainty.sobol import SobolResult

__all__ = ["grade_probabilities", "rank_intervals", "sobol_bars", "sobol_heatmap"]


def _axes(ax, size):
    from kmmodel.plots import setup

    setup()
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _name(labels: Mapping | pd.Series | None, unit) -> str:
    if labels is None:
        return str(unit)
    return str(labels.get(unit, unit))


def rank_intervals(res: RankUncertainty, ax=None, labels=None, title: str | None = None):
    """Median rank (dot), 5-95 % interval (bar) and nominal rank (cross) of each unit.

    Units are ordered by group, then nominal rank; rank 1 is at the top.
    """
    t = res.table.sort_values(["group", "rank", "unit"], kind="stable").reset_index(drop=True)
    ax = _axes(ax, (7, 0.32 * len(t) + 1.2))
    y = np.arange(len(t))[::-1]
    ax.hlines(
        y, t["rank_p05"], t["rank_p95"], color="tab:blue", lw=4, alpha=0.45, label="5–95% 区间"
    )
    ax.plot(t["median_rank"], y, "o", color="tab:blue", label="中位排名")
    ax.plot(t["rank"], y, "x", color="black", label="名义排名")
    ax.set_yticks(
        y,
        [
            f"{_name(labels, u)} ({g})" if t["group"].nunique() > 1 else _name(labels, u)
            for u, g in zip(t["unit"], t["group"])
        ],
    )
    ax.set_xlabel("排名 (1 = 最好)")
    ax.invert_xaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(title or f"排名的不确定性（{res.n_draws} 次抽样）")
    return ax


def grade_probabilities(res: RankUncertainty, ax=None, labels=None, title: str | None = None):
    """Stacked bars: probability of each grade for every unit [share 0-1]."""
    order = res.table.sort_values(["group", "rank", "unit"], kind="stable")["unit"].tolist()
    g = res.grades.loc[order]
    ax = _axes(ax, (7, 0.32 * len(g) + 1.2))
    y = np.arange(len(g))[::-1]
    left = np.zeros(len(g))
    colors = ["#1a9850", "#91cf60", "#fee08b", "#d73027", "#762a83", "#999999"]
    for j, grade in enumerate(g.columns):
        ax.barh(y, g[grade], left=left, color=colors[j % len(colors)], label=str(grade))
        left += g[grade].to_numpy()
    ax.set_yticks(y, [_name(labels, u) for u in order])
    ax.set_xlim(0, 1)
    ax.set_xlabel("概率")
    ax.legend(ncol=len(g.columns), loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8)
    ax.set_title(title or "各等次的概率")
    return ax


def sobol_heatmap(
    res: SobolResult,
    index: str = "ST",
    ax=None,
    labels=None,
    title: str | None = None,
    order=None,
    min_sd: float = 0.2,
):
    """Outputs x factors heat map of a Sobol index (``"S1"`` or ``"ST"``).

    Outputs whose standard deviation is below ``min_sd`` (in the output's unit: rank
    places or points) are left blank and marked "稳定": they barely vary, so their
    indices are noise.
    """
    m = res.pivot(index)
    if order is not None:
        m = m.loc[[o for o in order if o in m.index]]
    sd = res.table.groupby("output", sort=False)["output_sd"].first().reindex(m.index)
    values = np.where((sd.to_numpy() < min_sd)[:, None], np.nan, m.to_numpy())
    ax = _axes(ax, (1.1 * m.shape[1] + 3, 0.32 * m.shape[0] + 1.8))
    im = ax.imshow(values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.grid(False)
    ax.set_xticks(range(m.shape[1]), [str(c) for c in m.columns], rotation=35, ha="right")
    stable = sd.to_numpy() < min_sd
    ax.set_yticks(
        range(m.shape[0]),
        [_name(labels, u) + ("（稳定）" if st else "") for u, st in zip(m.index, stable)],
    )
    for (i, j), v in np.ndenumerate(values):
        if not np.isnan(v):
            color = "white" if v < 0.6 else "black"
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color=color)
    ax.figure.colorbar(im, ax=ax, label=index)
    ax.set_title(title or f"Sobol {'总效应' if index == 'ST' else '一阶'}指数 ({index})")
    return ax


def sobol_bars(res: SobolResult, output, ax=None, title: str | None = None):
    """First- and total-order indices of one output, with bootstrap intervals."""
    t = res.table[res.table["output"] == output]
    if t.empty:
        from kmmodel.errors import DataError

        raise DataError(f"no Sobol indices for output {output!r}")
    ax = _axes(ax, (1.0 * len(t) + 3, 3.5))
    x = np.arange(len(t))
    for off, col, lab in ((-0.2, "S1", "一阶 S1"), (0.2, "ST", "总效应 ST")):
        err = np.vstack([t[col] - t[f"{col}_low"], t[f"{col}_high"] - t[col]]).clip(min=0)
        ax.bar(x + off, t[col], width=0.4, yerr=err, capsize=3, label=lab)
    ax.set_xticks(x, t["factor"].astype(str), rotation=30, ha="right")
    ax.set_ylabel("指数")
    ax.axhline(0, color="black", lw=0.5)
    ax.legend(fontsize=8)
    ax.set_title(title or f"Sobol 指数：{output}")
    return ax
