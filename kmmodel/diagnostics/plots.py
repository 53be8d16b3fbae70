"""Charts of scheme diagnostics (Chinese labels render through :mod:`kmmodel.plots`)."""

from __future__ import annotations

import numpy as np


def _ax(ax, size=(7, 4.5)):
    import matplotlib.pyplot as plt

    from kmmodel.plots import setup

    setup()
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def weights(d, ax=None):
    """Nominal against effective (main-effect) share of each indicator."""
    t = d.table
    ax = _ax(ax)
    lim = float(np.nanmax([t["nominal_share"].max(), t["effective_share"].max()])) * 1.1
    ax.plot([0, lim], [0, lim], color="0.6", lw=1, ls="--", label="有效权重 = 名义权重")
    for dim, sub in t.groupby("dimension", sort=False):
        ax.scatter(sub["nominal_share"], sub["effective_share"], label=dim, s=30)
    for r in t.itertuples():
        ax.annotate(r.indicator, (r.nominal_share, r.effective_share), fontsize=6, alpha=0.8)
    ax.set_xlabel("名义权重（分值占比）")
    ax.set_ylabel("有效权重（相关比 η² 归一化）")
    ax.set_title("名义权重与有效权重")
    ax.legend(fontsize=7)
    return ax


def bod(d, ax=None):
    """Nominal total against the best total under the unit's own admissible weights."""
    b = d.tables["bod"].sort_values("nominal_total")
    ax = _ax(ax, (7, 0.3 * len(b) + 1.5))
    y = np.arange(len(b))
    ax.hlines(y, b["nominal_total"], b["bod_total"], color="0.6")
    ax.scatter(b["nominal_total"], y, label="名义总分", zorder=3)
    ax.scatter(b["bod_total"], y, marker="D", label="最有利权重下的总分", zorder=3)
    first = b["can_be_first"].to_numpy()
    ax.scatter(
        b["bod_total"][first], y[first], marker="*", s=90, color="gold", label="可排第一", zorder=4
    )
    ax.set_yticks(y, b["unit"])
    ax.set_xlabel("维度得分合计 [分]")
    ax.set_title("BoD 模型：各单位自选最有利权重时的最好成绩")
    ax.legend(fontsize=7)
    return ax


def remove_one(d, ax=None):
    """Mean and largest rank move when each element is left out."""
    r = d.tables["remove_one"].iloc[::-1]
    ax = _ax(ax, (7, 0.25 * len(r) + 1.5))
    y = np.arange(len(r))
    ax.barh(y, r["mean_abs_shift"], color=np.where(r["level"] == "dimension", "C1", "C0"))
    ax.scatter(r["max_abs_shift"], y, marker="|", color="k", s=80, label="最大变动")
    ax.set_yticks(
        y, [f"{a}（维度）" if lv == "dimension" else a for a, lv in zip(r["removed"], r["level"])]
    )
    ax.set_xlabel("排名平均变动 [位]")
    ax.set_title("逐一剔除指标 / 维度后的排名变动")
    ax.legend(fontsize=7)
    return ax


def correlation(d, ax=None):
    """Heat map of the Pearson correlations of the indicators' achievements."""
    P = d.tables["correlation_pearson"]
    ax = _ax(ax, (7, 6))
    im = ax.imshow(P.to_numpy(dtype=float), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(P)), P.columns, rotation=90, fontsize=6)
    ax.set_yticks(range(len(P)), P.index, fontsize=6)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="Pearson r")
    ax.set_title("指标得分率的相关系数")
    return ax
