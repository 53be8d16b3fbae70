"""Charts that explain the correction bench (Chinese and English labels).

All functions take the tidy tables of :func:`kmmodel.correction.evaluate` /
:func:`~kmmodel.correction.evaluate_grid` and return a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "METHOD_LABELS",
    "METRIC_LABELS",
    "plot_metrics",
    "plot_ranking",
    "plot_sweep",
    "plot_tradeoff",
]

METRIC_LABELS = {
    "spearman": "与真实努力的 Spearman 相关 (higher = fairer)",
    "kendall": "与真实努力的 Kendall 相关 (higher = fairer)",
    "mae": "得分平均绝对误差 [分] (lower = better)",
    "grade_changes_undone": "纠正的等次变化比例 (higher = better)",
    "unaffected_places_lost": "未受灾单位损失名次 (≈0 best)",
    "overshoot": "受灾单位过度纠正 [分] (lower = better)",
    "gaming_payoff": "夸大受灾程度的收益 [分] (lower = harder to game)",
    "stability": "年度排名稳定性 (higher = steadier)",
}
METHOD_LABELS = {
    "none": "不纠正 none",
    "coefficient": "动态系数 coefficient",
    "target_rebase": "目标重设 target_rebase",
    "hold_harmless": "就高不就低 hold_harmless",
    "reweight": "权重重分配 reweight",
    "counterfactual": "反事实 counterfactual",
}


def _cjk() -> None:
    from kmmodel import plots

    plots.setup()  # Chinese labels render on any machine


def _label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def plot_metrics(table: pd.DataFrame, metrics: Sequence[str] | None = None, ncols: int = 4):
    """One panel per metric: each method's mean with its 95% confidence interval."""
    import matplotlib.pyplot as plt

    _cjk()

    metrics = list(metrics or dict.fromkeys(table["metric"]))
    methods = list(dict.fromkeys(table["method"]))
    nrows = int(np.ceil(len(metrics) / ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(4.2 * ncols, 0.45 * len(methods) * nrows + 1.2 * nrows),
        squeeze=False,
    )
    y = np.arange(len(methods))
    for ax, metric in zip(axes.flat, metrics, strict=False):
        t = table.loc[table["metric"] == metric].set_index("method").reindex(methods)
        err = np.vstack([t["value"] - t["low"], t["high"] - t["value"]])
        ax.barh(y, t["value"], xerr=err, color="#4c78a8", ecolor="#333333", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, [_label(m) for m in methods], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize=9)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_tradeoff(table: pd.DataFrame, fairness: str = "spearman", gaming: str = "gaming_payoff"):
    """Fairness (rank correlation with true effort) against the payoff to exaggeration."""
    import matplotlib.pyplot as plt

    _cjk()

    t = table.pivot(index="method", columns="metric", values=["value", "low", "high"])
    fig, ax = plt.subplots(figsize=(7, 5))
    x, y = t["value"][gaming], t["value"][fairness]
    ax.errorbar(
        x,
        y,
        xerr=[x - t["low"][gaming], t["high"][gaming] - x],
        yerr=[y - t["low"][fairness], t["high"][fairness] - y],
        fmt="o",
        capsize=3,
    )
    for m in t.index:
        ax.annotate(_label(m), (x[m], y[m]), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xlabel(METRIC_LABELS.get(gaming, gaming))
    ax.set_ylabel(METRIC_LABELS.get(fairness, fairness))
    ax.set_title("公平与抗操纵的权衡 fairness vs gaming resistance (best: top left)")
    fig.tight_layout()
    return fig


def plot_sweep(frame: pd.DataFrame, x: Sequence[float], metrics: Sequence[str], xlabel: str):
    """Metric against a swept setting, one line per method with its CI band.

    ``frame`` is :func:`~kmmodel.correction.evaluate_grid`'s output; ``x`` gives the
    swept value of each grid point.
    """
    import matplotlib.pyplot as plt

    _cjk()

    xs = np.asarray(x, dtype=float)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=True):
        sub = frame.loc[frame["metric"] == metric]
        for method, g in sub.groupby("method", sort=False):
            g = g.sort_values("point")
            px = xs[g["point"].to_numpy()]
            ax.plot(px, g["value"], marker="o", label=_label(method))
            ax.fill_between(px, g["low"], g["high"], alpha=0.15)
        ax.set_xlabel(xlabel)
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize=9)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_ranking(ranks: pd.DataFrame, labels: pd.Series | None = None):
    """Heat map of each unit's rank place under each method (rows: units, columns: methods)."""
    import matplotlib.pyplot as plt

    _cjk()

    fig, ax = plt.subplots(figsize=(1.3 * ranks.shape[1] + 2.5, 0.35 * ranks.shape[0] + 1.2))
    im = ax.imshow(ranks.to_numpy(dtype=float), cmap="RdYlGn_r", aspect="auto")
    ax.set_xticks(
        range(ranks.shape[1]),
        [_label(c) for c in ranks.columns],
        rotation=30,
        ha="right",
        fontsize=8,
    )
    names = ranks.index if labels is None else [labels.get(u, u) for u in ranks.index]
    ax.set_yticks(range(ranks.shape[0]), names, fontsize=8)
    ax.grid(False)
    for (i, j), v in np.ndenumerate(ranks.to_numpy(dtype=float)):
        ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, label="名次 rank (1 = best)")
    fig.tight_layout()
    return fig
