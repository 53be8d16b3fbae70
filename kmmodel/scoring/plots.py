"""Charts of scoring results (Chinese labels render through :func:`kmmodel.plots.setup`).

Units are labelled by their ids unless ``names`` maps ids to display names (for the
example units: ``km.examples.unit_names()``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["dimension_bars", "rank_shift"]


def _labels(units: pd.Series, names: Mapping[str, str] | pd.Series | None) -> list[str]:
    if names is None:
        return [str(u) for u in units]
    return [str(names.get(u, u)) for u in units]


def dimension_bars(
    res, ax=None, title: str | None = None, names: Mapping[str, str] | pd.Series | None = None
):
    """Horizontal stacked bars: each unit's points by dimension [points], best first.

    Vetoed units are marked with "（否决）" after their name.

    Parameters
    ----------
    res : ScoreResult
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    names : mapping or Series, optional
        Unit id -> display name; default: the ids.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    scheme = res.scheme
    t = res.table.sort_values("total", ascending=True)
    dims = scheme.dimensions
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.32 * len(t) + 1.5))
    left = np.zeros(len(t))
    colors = plt.get_cmap("tab10")
    for k, (did, name) in enumerate(zip(dims["id"], dims["name"])):
        vals = t[did].to_numpy()
        ax.barh(range(len(t)), vals, left=left, color=colors(k), label=name)
        left += vals
    labels = [
        lab + ("（否决）" if v else "") for lab, v in zip(_labels(t["unit"], names), t["vetoed"])
    ]
    ax.set_yticks(range(len(t)), labels)
    ax.scatter(t["total"], range(len(t)), marker="|", color="black", s=80, zorder=3, label="总分")
    ax.set_xlim(0, scheme.total)
    ax.set_xlabel("得分 [分]")
    ax.set_title(title or f"{scheme.name}：分维度得分（{scheme.year}）")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def rank_shift(
    cmp: pd.DataFrame,
    ax=None,
    title: str = "改革前后排名变化",
    names: Mapping[str, str] | pd.Series | None = None,
):
    """Slope chart of ranks from :func:`kmmodel.compare` (baseline left, reform right).

    ``names`` maps unit ids to display names (default: the ids).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(cmp["group"]))
    if ax is None:
        _, ax = plt.subplots(1, len(groups), figsize=(4.5 * len(groups), 5), squeeze=False)
        axes = list(ax[0])
    else:
        axes = [ax] * len(groups)
    for a, g in zip(axes, groups):
        sub = cmp[cmp["group"] == g]
        for r, name in zip(sub.itertuples(index=False), _labels(sub["unit"], names)):
            color = (
                "tab:red" if r.rank_change < 0 else ("tab:green" if r.rank_change > 0 else "grey")
            )
            a.plot([0, 1], [r.rank_a, r.rank_b], color=color, marker="o")
            a.text(1.05, r.rank_b, name, va="center", fontsize=8)
        a.yaxis.get_major_locator().set_params(integer=True)
        a.set_xticks([0, 1], ["基准", "改革"])
        a.set_xlim(-0.2, 1.8)
        a.invert_yaxis()
        a.set_ylabel("组内排名")
        a.set_title(f"{title}（{g}）")
    return axes[0]
