"""Charts for the allocation results (Chinese labels render through :func:`kmmodel.plots.setup`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["plot_allocation", "plot_budget_curve", "plot_packagings"]


def _axes(ax, figsize):
    """``ax``, or new axes of ``figsize`` [inches], after the package's chart setup."""
    from kmmodel import plots

    plots.setup()
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_allocation(result, ax=None):
    """Horizontal bars: each item's allocation [10,000 yuan] between its floor and cap.

    Parameters
    ----------
    result : BudgetResult
        From :func:`kmmodel.allocation.allocate_budget`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    t = result.table
    ax = _axes(ax, (7, 0.45 * len(t) + 1.2))
    y = np.arange(len(t))
    wan = 1e4
    ax.barh(y, t["max_cost"] / wan, color="#e6e6e6", label="上限 cap")
    ax.barh(y, t["allocation"] / wan, color="#3b75af", label="分配 allocation")
    ax.scatter(
        t["min_cost"] / wan, y, marker="|", s=200, color="#c0392b", label="下限 floor", zorder=3
    )
    ax.set_yticks(y, t["name_zh"])
    ax.invert_yaxis()
    ax.set_xlabel("评价经费 [万元]")
    ax.set_title(f"预算 {result.budget / wan:,.0f} 万元的分配")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / len(t)), ncol=3, fontsize=8)
    return ax


def plot_budget_curve(curve: pd.DataFrame, result=None, ax=None):
    """The budget curve: value examined [100 million yuan] and marginal value against budget.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`kmmodel.allocation.budget_sweep` (``budget``, ``objective``,
        ``marginal_value_per_yuan``, ``status``).
    result : BudgetResult, optional
        Marks the chosen budget and draws its marginal value (LP dual) as a tangent
        (for a MILP, the re-solved gain of the next 10,000 yuan as a secant).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The value axis (the marginal value per yuan is on its twin).
    """
    ax = _axes(ax, (7, 4))
    ok = curve[curve["status"] != "infeasible"]
    wan, yi = 1e4, 1e8
    ax.plot(ok["budget"] / wan, ok["objective"] / yi, "o-", color="#3b75af", label="覆盖的风险资金")
    bad = curve[curve["status"] == "infeasible"]
    if len(bad):
        ax.axvspan(
            curve["budget"].min() / wan, bad["budget"].max() / wan, color="#f2d7d5", label="不可行"
        )
    if result is not None:
        b, v, s = result.budget, result.objective, result.marginal_value_per_yuan
        s = result.gain_next_10k / 1e4 if np.isnan(s) else s
        xs = np.array([b - 50_000, b + 50_000])
        ax.plot(xs / wan, (v + s * (xs - b)) / yi, "--", color="#c0392b", label="边际价值切线")
        ax.plot([b / wan], [v / yi], "s", color="#c0392b")
    ax.set_xlabel("评价预算 [万元]")
    ax.set_ylabel("覆盖的风险资金 [亿元]")
    ax2 = ax.twinx()
    ax2.step(ok["budget"] / wan, ok["marginal_value_per_yuan"], where="mid", color="#7f8c8d")
    ax2.set_ylabel("预算的边际价值 [元 / 每元预算] (对偶价格)", color="#7f8c8d")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("预算曲线与边际价值")
    return ax


def plot_packagings(compare: pd.DataFrame, ax=None):
    """Grouped bars per packaging: total price and net value [10,000 yuan].

    Parameters
    ----------
    compare : pandas.DataFrame
        From :func:`kmmodel.allocation.compare_packagings`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (7, 3.2))
    x = np.arange(len(compare))
    wan = 1e4
    ax.bar(x - 0.2, compare["price"] / wan, width=0.4, color="#9aa5b1", label="总价 price")
    ax.bar(x + 0.2, compare["net_value"] / wan, width=0.4, color="#3b75af", label="净值 net value")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, compare.index)
    ax.set_ylabel("[万元]")
    ax.set_title("给定分包 vs 优化分包")
    ax.legend(fontsize=8)
    return ax
