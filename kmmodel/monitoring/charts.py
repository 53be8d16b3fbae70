"""Charts for the monitoring dashboard (matplotlib, Chinese labels allowed).

Call :func:`kmmodel.plots.setup` (or ``kmmodel.notebook.setup``) first so CJK text renders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.errors import DataError
from kmmodel.monitoring.benford import BenfordResult
from kmmodel.monitoring.feed import validate_feed
from kmmodel.monitoring.progress import ProgressResult

__all__ = ["benford_chart", "progress_chart", "status_chart"]

STATUS_COLOURS = {"red": "#d62728", "yellow": "#f2b701", "green": "#2ca02c", "invalid": "#7f7f7f"}


def progress_chart(
    result: ProgressResult,
    feed: pd.DataFrame,
    unit: str,
    indicator: str,
    title: str | None = None,
    ax=None,
):
    """Cumulative progress of one unit x indicator against its expected schedule.

    Draws the actual cumulative share of the annual target [share 0-1] to ``result.month``,
    the expected profile (序时进度) for the whole year, the rest of the year if the feed
    has it (dotted, not used by the warning), and the projected year-end with its interval.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    row = result.table[(result.table["unit"] == unit) & (result.table["indicator"] == indicator)]
    if row.empty:
        raise DataError(
            f"no progress row for unit {unit!r}, indicator {indicator!r}", source="chart"
        )
    row = row.iloc[0]
    f = validate_feed(feed)
    s = f[(f["unit"] == unit) & (f["indicator"] == indicator) & (f["year"] == result.year)]
    tgt = float(row["target"])
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    prof = result.profile[result.profile["indicator"] == indicator]
    ax.plot(prof["month"], prof["expected"], color="#555555", ls="--", label="序时进度 expected")
    done = s[s["month"] <= result.month]
    ax.plot(done["month"], done["actual"] / tgt, marker="o", color=STATUS_COLOURS.get(row["status"], "k"),
            label=f"actual to month {result.month} ({row['status']})")  # fmt: skip
    later = s[s["month"] >= result.month]
    if len(later) > 1:
        ax.plot(
            later["month"],
            later["actual"] / tgt,
            ls=":",
            color="#999999",
            label="rest of year (not used)",
        )
    if np.isfinite(row["projected_high"]):
        lo, hi = row["projected_low"] / tgt, row["projected_high"] / tgt
        ax.errorbar([12.25], [row["projected"] / tgt], yerr=[[row["projected"] / tgt - lo], [hi - row["projected"] / tgt]],
                    fmt="s", color="k", capsize=4, label=f"projected year-end ({result.level:.0%} interval)")  # fmt: skip
    ax.axhline(1.0, color="#1f77b4", lw=0.8)
    ax.set_xticks(range(1, 13))
    ax.set_xlabel("month 月")
    ax.set_ylabel("share of annual target 完成比例")
    ax.set_title(title or f"{unit} · {indicator} · {result.year}")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def status_chart(result: ProgressResult, labels: dict | None = None, ax=None):
    """Heat map of statuses: units (rows) x indicators (columns), coloured green/yellow/red."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    t = result.table
    order = ["green", "yellow", "red", "invalid"]
    grid = t.pivot(index="unit", columns="indicator", values="status")
    codes = grid.apply(lambda c: c.map({s: i for i, s in enumerate(order)})).astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * grid.shape[1] + 3, 0.3 * grid.shape[0] + 1.5))
    cmap = ListedColormap([STATUS_COLOURS[s] for s in order])
    ax.imshow(codes.to_numpy(), cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, aspect="auto")
    ax.set_xticks(
        range(grid.shape[1]), grid.columns.astype(str), rotation=30, ha="right", fontsize=8
    )
    names = [labels.get(u, u) if labels else u for u in grid.index.astype(str)]
    ax.set_yticks(range(grid.shape[0]), names, fontsize=8)
    ax.grid(False)
    ax.set_title(f"序时进度 status, {result.year} month {result.month}")
    return ax


def benford_chart(result: BenfordResult, title: str | None = None, ax=None):
    """Observed vs Benford-expected leading-digit shares [share 0-1]."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    t = result.table
    ax.bar(t["digit"], t["observed"], color="#9ecae1", label="observed")
    ax.plot(t["digit"], t["expected"], color="#d62728", marker=".", label="Benford")
    ax.set_xlabel("first digit" if result.digits == 1 else "first two digits")
    ax.set_ylabel("share")
    ax.set_title(title or f"MAD {result.mad:.4f} ({result.band})")
    ax.legend(fontsize=8)
    return ax
