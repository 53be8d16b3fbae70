"""One-way sensitivity (tornado), switching values and low/central/high scenarios.

A *switching value* is the value an input would have to take, all others central, for
the decision to change: for NPV zero, or for two options to swap rank [1]_. Multiplier
inputs enter NPV linearly, so their switching value is closed-form
(``1 - NPV / PV(line)``); other inputs (discount rate, carbon price) are found with a
bracketing root search (grid scan + :func:`scipy.optimize.brentq`).

References
----------
.. [1] HM Treasury (2022). The Green Book, Chapter 5 and Annex A5 (sensitivity analysis,
   switching values, scenarios).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from kmmodel.costbenefit.flows import BENEFIT_LINES, COST_LINES, LINES
from kmmodel.costbenefit.inputs import Input, as_inputs
from kmmodel.costbenefit.model import ProjectModel
from kmmodel.errors import DataError

__all__ = [
    "default_inputs",
    "plot_tornado",
    "rank_switch",
    "rank_switches",
    "scenarios",
    "switching_values",
    "tornado",
]

_LINEAR = (*LINES, "costs", "benefits", "carbon_price")
# default search range for non-linear inputs (discount rate) [share 0-1]
_BRACKET = {"discount_rate": (-0.9, 5.0)}


def _central_values(inputs: Sequence[Input]) -> dict[str, float]:
    return {x.name: x.central for x in inputs}


def tornado(model: ProjectModel, inputs: Iterable[Input] | pd.DataFrame) -> pd.DataFrame:
    """One-way sensitivity: NPV with each input at its low and high, others central.

    Parameters
    ----------
    model : ProjectModel
    inputs : list of Input or DataFrame

    Returns
    -------
    pandas.DataFrame
        ``input, label, low, central, high, npv_low, npv_central, npv_high, swing`` [yuan],
        sorted by ``swing`` (largest first) — the bars of a tornado chart.
    """
    xs = as_inputs(inputs)
    base = _central_values(xs)
    npv_c = float(model.npv(base)[0])
    rows = []
    for x in xs:
        vals = dict(base)
        vals[x.name] = np.array([x.low, x.high])
        lo, hi = model.npv(vals)
        rows.append(
            {
                "input": x.name,
                "label": x.title,
                "low": x.low,
                "central": x.central,
                "high": x.high,
                "npv_low": float(lo),
                "npv_central": npv_c,
                "npv_high": float(hi),
                "swing": float(abs(hi - lo)),
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values("swing", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def plot_tornado(table: pd.DataFrame, ax=None, title: str = "", scale: float = 1e6):
    """Tornado chart of :func:`tornado` output (NPV in units of ``scale`` yuan).

    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    t = table.iloc[::-1]
    base = float(t["npv_central"].iloc[0]) / scale
    y = np.arange(len(t))
    lo = t["npv_low"].to_numpy() / scale - base
    hi = t["npv_high"].to_numpy() / scale - base
    ax.barh(y, lo, left=base, color="#c0504d", label="低值 low")
    ax.barh(y, hi, left=base, color="#4f81bd", label="高值 high")
    ax.axvline(base, color="black", lw=1)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(y, t["label"])
    unit = "百万元" if scale == 1e6 else f"{scale:g} 元"
    ax.set_xlabel(f"净现值 NPV [{unit}]")
    ax.set_title(title or "单因素敏感性 (tornado)")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def _root(fn, lo: float, hi: float, n: int = 400) -> float:
    """First root of ``fn`` on [lo, hi] from a grid scan refined by brentq (nan if none)."""
    from scipy.optimize import brentq

    grid = np.linspace(lo, hi, n)
    vals = np.array([fn(g) for g in grid]) if not hasattr(fn, "vector") else fn.vector(grid)
    zero = np.flatnonzero(vals == 0)
    if zero.size:
        return float(grid[zero[0]])
    s = np.sign(vals)
    idx = np.flatnonzero(s[:-1] * s[1:] < 0)
    if idx.size == 0:
        return float("nan")
    i = int(idx[0])
    return float(brentq(fn, grid[i], grid[i + 1], xtol=1e-12, rtol=1e-12))


class _Vec:
    """Scalar function with a vectorised evaluation for grid scans."""

    def __init__(self, f_vec):
        self.vector = f_vec

    def __call__(self, x: float) -> float:
        return float(self.vector(np.array([x]))[0])


def switching_values(
    model: ProjectModel,
    inputs: Iterable[Input] | pd.DataFrame,
    brackets: dict[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Value of each input at which NPV = 0, all other inputs central.

    Returns
    -------
    pandas.DataFrame
        ``input, label, central, switching_value, change`` where ``change`` is the
        relative change from the central value [share], and ``within_range`` (bool) says
        whether the switching value lies inside the input's [low, high]. ``nan`` when NPV
        never reaches zero (e.g. the line has no flows).
    """
    xs = as_inputs(inputs)
    base = _central_values(xs)
    npv_c = float(model.npv(base)[0])
    br = {**_BRACKET, **(brackets or {})}
    rows = []
    for x in xs:
        if x.name in _LINEAR:
            # NPV(v) = npv_c + slope * (v - central): exact for multipliers and carbon price
            vals = dict(base)
            vals[x.name] = np.array([x.central, x.central + 1.0])
            a, b = model.npv(vals)
            slope = float(b - a)
            sv = x.central - npv_c / slope if slope != 0 else float("nan")
        else:
            lo, hi = br.get(x.name, (x.low - 10 * (x.high - x.low), x.high + 10 * (x.high - x.low)))

            def f_vec(v, name=x.name):
                vals = dict(base)
                vals[name] = v
                return model.npv(vals)

            sv = _root(_Vec(f_vec), lo, hi)
        rows.append(
            {
                "input": x.name,
                "label": x.title,
                "central": x.central,
                "switching_value": sv,
                "change": (sv - x.central) / x.central if x.central != 0 else float("nan"),
                "within_range": bool(np.isfinite(sv) and x.low <= sv <= x.high),
            }
        )
    return pd.DataFrame(rows)


def rank_switch(
    model_a: ProjectModel,
    model_b: ProjectModel,
    name: str,
    bracket: tuple[float, float],
) -> float:
    """Value of input ``name`` (applied to both options) at which their NPVs are equal [input unit].

    Returns ``nan`` when the two options do not swap rank within ``bracket``.

    Examples
    --------
    Two options with the same undiscounted total but different timing swap rank at the
    rate where their NPVs meet (see the tests for a hand-computed case).
    """
    if name not in (*LINES, "costs", "benefits", "carbon_price", "discount_rate"):
        raise DataError(f"unknown input {name!r}", source="rank_switch")
    lo, hi = bracket
    if not lo < hi:
        raise DataError(f"bracket must be (low, high) with low < high, got {bracket}", "bracket")

    def diff(v):
        return model_a.npv({name: v}) - model_b.npv({name: v})

    return _root(_Vec(diff), lo, hi)


def scenarios(model: ProjectModel, inputs: Iterable[Input] | pd.DataFrame) -> pd.DataFrame:
    """Low / central / high scenarios: every input at its pessimistic, central, optimistic end.

    The pessimistic end of an input is whichever of low/high gives the lower NPV one-way
    (so a high cost multiplier and a low benefit multiplier go together).

    Returns
    -------
    pandas.DataFrame
        One row per scenario: ``scenario, npv`` and one column per input value.
    """
    xs = as_inputs(inputs)
    t = tornado(model, xs).set_index("input")
    rows = []
    for scen in ("low", "central", "high"):
        vals = {}
        for x in xs:
            worse_is_low = t.loc[x.name, "npv_low"] <= t.loc[x.name, "npv_high"]
            if scen == "central":
                vals[x.name] = x.central
            elif (scen == "low") == worse_is_low:
                vals[x.name] = x.low
            else:
                vals[x.name] = x.high
        rows.append({"scenario": scen, "npv": float(model.npv(vals)[0]), **vals})
    return pd.DataFrame(rows)


def default_inputs(model: ProjectModel, spread: float = 0.2) -> list[Input]:
    """A simple set of inputs for a first look: each non-empty cost and benefit group
    varied by +-``spread`` [share], the carbon price by +-50 % when the project has a
    carbon line. An assumption to replace with evidence, not a recommendation.
    """
    pv = model.line_pv()
    xs = []
    labels = {
        "investment": "投资 investment",
        "operation": "运营维护 O&M",
        "renewal": "更新 renewal",
        "economic": "经济效益 economic",
        "social": "社会效益 social",
        "ecological": "生态效益 ecological",
    }
    for line in (*COST_LINES, *[b for b in BENEFIT_LINES if b != "carbon"]):
        if pv[line] != 0:
            xs.append(Input(line, 1 - spread, 1.0, 1 + spread, "triangular", labels[line]))
    if pv["carbon"] != 0:
        c = model.base_carbon_price
        xs.append(Input("carbon_price", 0.5 * c, c, 1.5 * c, "triangular", "碳价 carbon price"))
    return xs


def rank_switches(
    models: dict[str, ProjectModel] | Iterable[ProjectModel],
    name: str,
    bracket: tuple[float, float],
) -> pd.DataFrame:
    """Every pair of options that swaps NPV rank as input ``name`` moves across ``bracket``.

    Parameters
    ----------
    models : dict or iterable of ProjectModel
        The options (keyed by project id when a dict).
    name : str
        Input applied to every option (``"discount_rate"``, ``"carbon_price"``, a line …).
    bracket : (float, float)
        Range of the input to search.

    Returns
    -------
    pandas.DataFrame
        ``option_a, option_b, switching_value, better_below`` (the option with the higher
        NPV just below the switching value), one row per pair that swaps, sorted by value.
    """
    ms = list(models.values()) if isinstance(models, dict) else list(models)
    rows = []
    for i, a in enumerate(ms):  # pairs of a handful of options: a small double loop
        for b in ms[i + 1 :]:
            v = rank_switch(a, b, name, bracket)
            if np.isfinite(v):
                probe = max(bracket[0], v - 1e-6 * max(1.0, abs(v)))
                below = a if a.npv({name: probe})[0] > b.npv({name: probe})[0] else b
                rows.append(
                    {
                        "option_a": a.project,
                        "option_b": b.project,
                        "switching_value": v,
                        "better_below": below.project,
                    }
                )
    cols = ["option_a", "option_b", "switching_value", "better_below"]
    return (
        pd.DataFrame(rows, columns=cols)
        .sort_values("switching_value", kind="stable")
        .reset_index(drop=True)
    )
