"""Cost-performance chain: budget preparation -> execution -> final accounts, per project and phase.

The seed text describes the high-tech zone's "cost performance management": ex-ante
assessment of the budget, in-process monitoring of execution, ex-post review of the final
accounts. This module puts the three numbers of each project phase side by side:

- ``budget`` (预算) [yuan]: the approved budget of the phase;
- ``executed`` (执行) [yuan]: spent so far;
- ``final_account`` (决算) [yuan]: the closed account (empty while the phase is open);
- ``time_share`` [share 0-1]: share of the phase's planned time already elapsed.

and derives execution rates, variances and flags:

- ``overrun``: spending (executed, or final account when closed) above the budget by more
  than ``overrun`` (default 10 %);
- ``slow``: an open phase whose execution rate trails elapsed time by more than ``lag``
  (default 15 percentage points) — the usual "time-progress" warning of budget execution;
- ``underspend``: a closed phase whose final account is below budget by more than
  ``overrun`` (money budgeted but not needed or not delivered).

Thresholds are policy choices, not facts; they are arguments.

References
----------
.. [1] 财政部.《项目支出绩效评价管理办法》(财预〔2020〕10号): 预算执行率, 成本指标.
.. [2] 中共中央 国务院.《关于全面实施预算绩效管理的意见》(2018): 事前绩效评估, 绩效运行监控,
   绩效评价 — the ex-ante / in-process / ex-post cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.errors import DataError
from kmmodel.tables import Column, Table

__all__ = ["CHAIN", "CHAIN_COLUMNS", "PHASES", "CostChain", "cost_chain"]

PHASES = ("preparation", "construction", "equipment", "operation")
PHASE_ZH = {"preparation": "前期", "construction": "建设", "equipment": "设备", "operation": "运营"}


_YUAN = " [yuan]"
#: The cost chain, one row per project and phase (``final_account`` empty while open).
CHAIN = Table(
    "cost-chain rows",
    (
        Column("project"),
        Column("phase", choices=PHASES),
        Column("budget", "float", low=0, low_open=True, expect="a budget > 0" + _YUAN),
        Column("executed", "float", low=0, expect="an amount >= 0" + _YUAN),
        Column("final_account", "float", nullable=True, low=0, expect="an amount >= 0" + _YUAN),
        Column("time_share", "float", low=0, high=1, expect="a share between 0 and 1"),
    ),
    key=("project", "phase"),
    key_message="duplicate (project, phase) in {rows}",
)
CHAIN_COLUMNS = CHAIN.names


def _validate(df: pd.DataFrame, source: str) -> pd.DataFrame:
    res = CHAIN.check(df, source)[list(CHAIN_COLUMNS)]
    return res.astype({"project": str, "phase": str})


@dataclass(frozen=True)
class CostChain:
    """Result of :func:`cost_chain`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per project and phase: the inputs plus ``status`` (open/closed),
        ``execution_rate`` [share], ``progress_gap`` [share], ``spend`` [yuan]
        (final account if closed, else executed), ``variance`` [yuan], ``variance_rate``
        [share], and the flags ``overrun``, ``slow``, ``underspend``.
    """

    table: pd.DataFrame

    @property
    def ex_ante(self) -> pd.DataFrame:
        """Budget preparation view: budget by phase and its share of the project budget."""
        t = self.table[["project", "phase", "budget"]].copy()
        t["budget_share"] = t["budget"] / t.groupby("project")["budget"].transform("sum")
        return t

    @property
    def in_process(self) -> pd.DataFrame:
        """Monitoring view of the open phases: execution vs elapsed time, flags."""
        cols = [
            "project",
            "phase",
            "budget",
            "executed",
            "time_share",
            "execution_rate",
            "progress_gap",
            "slow",
            "overrun",
        ]
        return self.table.loc[self.table["status"] == "open", cols].reset_index(drop=True)

    @property
    def ex_post(self) -> pd.DataFrame:
        """Review view of the closed phases: final accounts vs budget, flags."""
        cols = [
            "project",
            "phase",
            "budget",
            "executed",
            "final_account",
            "variance",
            "variance_rate",
            "overrun",
            "underspend",
        ]
        return self.table.loc[self.table["status"] == "closed", cols].reset_index(drop=True)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per project: totals [yuan], overall variance rate, number of flags."""
        t = self.table
        g = t.groupby("project", sort=False)
        out = g.agg(
            budget=("budget", "sum"),
            spend=("spend", "sum"),
            open_phases=("status", lambda s: int((s == "open").sum())),
            overruns=("overrun", "sum"),
            slow=("slow", "sum"),
            underspend=("underspend", "sum"),
        ).reset_index()
        out["variance_rate"] = out["spend"] / out["budget"] - 1.0
        return out

    def plot(self, project: str, ax=None, scale: float = 1e4):
        """Bars of budget, executed and final account by phase for one project [万元]."""
        import matplotlib.pyplot as plt

        t = self.table[self.table["project"] == project]
        if t.empty:
            raise DataError(f"unknown project {project!r}", source="cost chain")
        if ax is None:
            _, ax = plt.subplots()
        x = np.arange(len(t))
        w = 0.27
        ax.bar(x - w, t["budget"] / scale, w, label="预算 budget", color="#9bbb59")
        ax.bar(x, t["executed"] / scale, w, label="执行 executed", color="#4f81bd")
        ax.bar(x + w, t["final_account"].fillna(0) / scale, w, label="决算 final", color="#c0504d")
        top = float(np.nanmax(t[["budget", "executed", "final_account"]].to_numpy())) / scale
        for xi, over, slow in zip(x, t["overrun"], t["slow"]):
            note = " ".join(n for n, f in (("超支 overrun", over), ("滞后 slow", slow)) if f)
            if note:
                ax.annotate(note, (xi, top * 1.02), ha="center", color="#c0504d", fontsize=9)
        ax.set_ylim(0, top * 1.12)
        ax.set_xticks(x, [f"{PHASE_ZH.get(p, p)}\n{p}" for p in t["phase"]])
        ax.set_ylabel("金额 [万元]" if scale == 1e4 else f"[{scale:g} yuan]")
        ax.set_title(f"{project}: 预算 → 执行 → 决算")
        ax.legend(fontsize=8)
        return ax


def cost_chain(
    chain: pd.DataFrame, overrun: float = 0.10, lag: float = 0.15, source: str = "cost chain"
) -> CostChain:
    """Budget vs execution vs final accounts with variances and flags (vectorised).

    Parameters
    ----------
    chain : pandas.DataFrame
        Columns :data:`CHAIN_COLUMNS`; ``final_account`` empty for open phases.
    overrun : float
        Tolerance above (and below, for underspend) the budget [share 0-1].
    lag : float
        Tolerated shortfall of execution rate behind elapsed time [share 0-1].

    Returns
    -------
    CostChain

    Raises
    ------
    DataError
        Every problem in the table at once (rows, columns, what was expected).
    """
    for name, v in (("overrun", overrun), ("lag", lag)):
        if not (np.isfinite(v) and 0 <= v <= 1):
            raise DataError(f"{name} must be a share between 0 and 1, got {v!r}", source)
    t = _validate(chain, source)
    closed = t["final_account"].notna()
    t["status"] = np.where(closed, "closed", "open")
    t["execution_rate"] = t["executed"] / t["budget"]
    t["progress_gap"] = t["execution_rate"] - t["time_share"]
    t["spend"] = t["final_account"].where(closed, t["executed"])
    t["variance"] = t["spend"] - t["budget"]
    t["variance_rate"] = t["variance"] / t["budget"]
    t["overrun"] = t["variance_rate"] > overrun
    t["slow"] = ~closed & (t["progress_gap"] < -lag)
    t["underspend"] = closed & (t["variance_rate"] < -overrun)
    return CostChain(t)
