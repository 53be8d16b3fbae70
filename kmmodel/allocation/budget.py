"""Allocating an evaluation budget across expenditure items (LP, or MILP with a granularity).

Each item i has a concave value-of-effort curve

.. math:: V_i(x) = p_i F_i r_i \\left(1 - e^{-x / s_i}\\right)

the expected at-risk funds [yuan] an evaluation costing x [yuan] examines: fund F_i,
share at risk r_i, policy priority p_i, and effort scale s_i (spending s_i reaches
63 % of the attainable coverage). The curve is replaced by ``n_segments`` linear pieces
between 0 and the item's cap, so the model stays an LP: because slopes fall, the
solver fills each item's pieces in order without binary variables.

Rules: total budget, per-item floor (minimum credible evaluation cost) and cap, share
rules for groups of items (e.g. livelihood items get at least 40 % of what is spent),
and optionally whole multiples of ``granularity`` yuan (then a MILP).

References
----------
Dantzig, G. B. (1963). Linear Programming and Extensions, ch. 24 (separable convex
programming by piecewise-linear approximation). Princeton University Press.
Ministry of Finance of the PRC (2020). 项目支出绩效评价管理办法 (财预〔2020〕10号):
key evaluations of expenditure items commissioned to third parties.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.allocation.fitting import (
    DEFAULT_MIP_GAP,
    Model,
    OptimResult,
    Solution,
    check_solve_options,
    solution_fields,
    solve,
    solve_or_explain,
    values,
)
from kmmodel.allocation.inputs import check_items
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = [
    "BudgetInputs",
    "BudgetResult",
    "allocate_budget",
    "budget_sweep",
    "build_budget",
    "minimum_budget",
    "value_breakpoints",
]

PER = 10_000  # the re-solved gain is quoted for the next 10,000 yuan (1 万元)


def value_breakpoints(items: pd.DataFrame, n_segments: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints of each item's piecewise-linear value curve.

    Parameters
    ----------
    items : pandas.DataFrame
        Validated items (``fund``, ``risk``, ``priority``, ``max_cost``, ``saturation``).
    n_segments : int
        Equal-width pieces between 0 and ``max_cost``.

    Returns
    -------
    cost : numpy.ndarray, shape (n_items, n_segments + 1)
        Evaluation cost at each breakpoint [yuan].
    value : numpy.ndarray, same shape
        :math:`V_i` at each breakpoint [yuan of at-risk funds examined].
    """
    frac = np.linspace(0.0, 1.0, n_segments + 1)
    cost = items["max_cost"].to_numpy(float)[:, None] * frac[None, :]
    scale = (items["priority"] * items["fund"] * items["risk"]).to_numpy(float)[:, None]
    value = scale * -np.expm1(-cost / items["saturation"].to_numpy(float)[:, None])
    return cost, value


def _pl_value(cost: np.ndarray, value: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Piecewise-linear value of each row's curve at ``x`` (vectorised ``np.interp``)."""
    n_seg = cost.shape[1] - 1
    width = cost[:, -1] / n_seg
    pos = np.divide(x, width, out=np.zeros_like(x, dtype=float), where=width > 0)
    k = np.clip(np.floor(pos).astype(int), 0, n_seg - 1)
    rows = np.arange(len(x))
    frac = np.clip(pos - k, 0.0, 1.0)
    return value[rows, k] + frac * (value[rows, k + 1] - value[rows, k])


# ------------------------------------------------------------------------------ validation


def _is_number(value) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(value)
    )


def _share_rule(rule) -> tuple | None:
    """``0.4`` -> (0.4, 1.0); ``(None, 0.3)`` -> (0.0, 0.3); anything else -> None."""
    pair = tuple(rule) if isinstance(rule, (tuple, list)) else (rule, None)
    if len(pair) != 2 or not all(v is None or _is_number(v) for v in pair):
        return None
    lo, hi = pair
    return (0.0 if lo is None else float(lo), 1.0 if hi is None else float(hi))


def _check_shares(shares, groups: pd.Series, probs: Problems) -> dict[str, tuple[float, float]]:
    if shares is not None and not isinstance(shares, dict):
        probs.add(f"expected a dict {{group: share}}, got {type(shares).__name__}", "shares")
        return {}
    known = sorted(set(groups.dropna()))
    out = {}
    for g, rule in (shares or {}).items():
        pair = _share_rule(rule)
        if g not in known:
            probs.add(f"group {g!r} has no items; groups are {known}", "shares")
        elif pair is None or not (0 <= pair[0] <= pair[1] <= 1):
            probs.add(
                f"expected a share or (min, max) with 0 <= min <= max <= 1 (fractions), "
                f"got {rule!r}",
                f"shares[{g!r}]",
            )
        else:
            out[g] = pair
    return out


@dataclass(frozen=True)
class BudgetInputs:
    """Validated inputs of the budget model."""

    items: pd.DataFrame
    shares: dict
    granularity: float | None
    n_segments: int


def _prepare(
    items, budget, shares, granularity, n_segments, solver, time_limit, mip_gap, allow_none=False
) -> BudgetInputs:
    probs = Problems(source="items")
    df = check_items(items, "items", probs=probs)
    if not (isinstance(n_segments, (int, np.integer)) and not isinstance(n_segments, bool)):
        probs.add(f"expected a whole number >= 1, got {n_segments!r}", "n_segments")
    elif n_segments < 1:
        probs.add(f"expected a whole number >= 1, got {n_segments!r}", "n_segments")
    if granularity is not None and not (_is_number(granularity) and granularity > 0):
        probs.add(f"expected a positive amount [yuan] or None, got {granularity!r}", "granularity")
    if not (budget is None and allow_none) and not (_is_number(budget) and budget >= 0):
        probs.add(f"expected a budget >= 0 [yuan], got {budget!r}", "budget")
    check_solve_options(solver, time_limit, mip_gap, probs)
    rules = _check_shares(shares, df["group"], probs) if "group" in df else {}
    probs.raise_if_any(DataError)
    return BudgetInputs(df, rules, float(granularity) if granularity else None, int(n_segments))


# ---------------------------------------------------------------------------------- build


def _model(inp: BudgetInputs, budget, elastic=False, objective="value") -> Model:
    """The allocation LP/MILP over validated inputs (``budget=None``: no budget row)."""
    df, g, n_seg = inp.items, inp.granularity, inp.n_segments
    n, ids = len(df), df["item"].tolist()
    cost, value = value_breakpoints(df, n_seg)
    width = np.diff(cost, axis=1)
    slope = np.diff(value, axis=1) / np.where(width > 0, width, 1.0)
    m = Model.new(
        "evaluation_budget", "max" if objective == "value" else "min", "allocate_budget", elastic
    )
    x = m.variables("x", n)
    seg = [m.variables(f"seg_{i}", n_seg) for i in range(n)]
    for i in range(n):
        for k, v in enumerate(seg[i]):
            v.upBound = float(width[i, k])
    units = m.variables("units", n, integer=True) if g else []
    floors, caps = df["min_cost"].to_numpy(float), df["max_cost"].to_numpy(float)
    # elastic weights: a yuan of budget weighs 1, a yuan of floor or share rule 100, so
    # the explanation names the budget whenever more money would do (with a granularity
    # too, where dropping part of a floor can save a whole step)
    for i in range(n):
        m.add(f"def_{i}", [(x[i], 1.0), *((v, -1.0) for v in seg[i])], "==", 0.0)
        if g:
            m.add(f"grain_{i}", [(x[i], 1.0), (units[i], -g)], "==", 0.0)
        rule = f"floor of item {ids[i]} ({floors[i]:,.0f} yuan)"
        m.add(
            f"floor_{i}",
            [(x[i], 1.0)],
            ">=",
            floors[i],
            rule=rule,
            relax=(f"floor_{i}", "yuan", 100),
        )
        rule = f"cap of item {ids[i]} ({caps[i]:,.0f} yuan)"
        m.add(f"cap_{i}", [(x[i], 1.0)], "<=", caps[i], rule=rule)
    if budget is not None:
        rule = f"budget ({budget:,.0f} yuan)"
        m.add("budget", [(v, 1.0) for v in x], "<=", budget, rule=rule, relax=("budget", "yuan", 1))
    groups = df["group"].to_numpy(object)
    for k, (grp, (lo, hi)) in enumerate(inp.shares.items()):
        member = (groups == grp).astype(float)
        for bound, sense, name in ((lo, ">=", "min"), (hi, "<=", "max")):
            if (name == "min" and bound <= 0) or (name == "max" and bound >= 1):
                continue
            rule = f"share of group {grp} {sense} {bound:.0%}"
            terms = [(x[i], member[i] - bound) for i in range(n) if member[i] != bound]
            key = f"share_{name}_{k}"
            m.add(key, terms, sense, 0.0, rule=rule, relax=(key, "yuan", 100))
    if objective == "spend":
        m.objective((v, 1.0) for v in x)
    else:
        flat = [v for row in seg for v in row]
        m.objective(zip(flat, slope.ravel().tolist()))
    m.handles["x"] = x
    m.data.update(inputs=inp, budget=budget)
    return m.done()


def build_budget(
    items: pd.DataFrame, budget=550_000, *, elastic=False, objective="value", **options
) -> Model:
    """Build (validate, not solve) the allocation model of :func:`allocate_budget`.

    Parameters
    ----------
    items, budget
        As for :func:`allocate_budget`; ``budget=None`` drops the budget row.
    elastic : bool
        Give the budget, every floor and every share rule a slack and minimise their
        weighted sum [yuan] (a yuan of budget weighs 1, of a floor or share rule 100).
    objective : {"value", "spend"}
        Maximise the value examined, or minimise the total spent (the minimum budget).
    **options
        ``shares``, ``granularity``, ``n_segments`` as for :func:`allocate_budget`.

    Returns
    -------
    kmmodel.allocation.fitting.Model
        ``handles["x"]`` are the allocations [yuan]; solve with
        :func:`kmmodel.allocation.fitting.solve`.
    """
    if objective not in ("value", "spend"):
        raise DataError(f"expected 'value' or 'spend', got {objective!r}", source="objective")
    known = {"shares": None, "granularity": None, "n_segments": 20}
    if set(options) - set(known):
        raise DataError(f"unknown option(s) {sorted(set(options) - set(known))}", "build_budget")
    o = known | options
    inp = _prepare(items, budget, *o.values(), "highs", None, 0.0, allow_none=True)
    return _model(inp, budget, elastic, objective)


# -------------------------------------------------------------------------------- explain


def _grain_conflicts(inp: BudgetInputs) -> list[str]:
    """Items with no multiple of the granularity between floor and cap (no solver needed)."""
    g = inp.granularity
    if not g:
        return []
    df = inp.items
    lo, hi = df["min_cost"].to_numpy(float), df["max_cost"].to_numpy(float)
    bad = np.ceil(lo / g - 1e-9) * g > hi + 1e-6
    if not bad.any():
        return []
    which = ", ".join(
        f"{i} ({a:,.0f}-{b:,.0f} yuan)" for i, a, b in zip(df["item"][bad], lo[bad], hi[bad])
    )
    fits = float(np.min(hi - lo))
    return [
        f"granularity ({g:,.0f} yuan) has no multiple between the floor and the cap of "
        f"{bad.sum()} of {len(df)} items: {which}; any granularity up to {fits:,.0f} yuan "
        f"(the narrowest floor-to-cap range) fits every item"
    ]


def _budget_detail(inp: BudgetInputs):
    df, g = inp.items, inp.granularity
    floors = float(df["min_cost"].sum())
    rounded = float((np.ceil(df["min_cost"].to_numpy(float) / g - 1e-9) * g).sum()) if g else floors

    def detail(need: float) -> str:
        parts = [f"the floors of the {len(df)} items need {floors:,.0f} yuan"]
        if rounded > floors + 0.5:
            parts.append(
                f"whole multiples of the granularity ({g:,.0f} yuan) {rounded - floors:,.0f} "
                "yuan more"
            )
        if need > rounded + 0.5:
            parts.append(f"the share rules {need - rounded:,.0f} yuan more")
        return ", ".join(parts)

    return detail


def _solve(
    inp, budget, solver, time_limit, mip_gap, headline, objective="value"
) -> tuple[Model, Solution]:
    grain = _grain_conflicts(inp)
    if grain:
        raise InfeasibleError([headline, *grain], source="allocate_budget")
    return solve_or_explain(
        lambda elastic: _model(inp, budget, elastic, objective),
        headline=headline,
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        budget=budget,
        cheapest=lambda: _model(inp, None, objective="spend"),
        budget_detail=_budget_detail(inp),
    )


def minimum_budget(
    items, shares=None, granularity=None, solver="highs", mip_gap=DEFAULT_MIP_GAP
) -> float:
    """Smallest budget [yuan] under which the floors, caps and share rules can all hold.

    Raises
    ------
    InfeasibleError
        When no budget helps (share rules conflict with floors or caps, or a
        granularity no item's floor-to-cap range can meet).
    """
    inp = _prepare(items, None, shares, granularity, 1, solver, None, mip_gap, allow_none=True)
    headline = "no budget is enough for the floors, caps and share rules"
    _, sol = _solve(inp, None, solver, None, mip_gap, headline, objective="spend")
    return float(sol.objective)


# ----------------------------------------------------------------------------------- result


@dataclass
class BudgetResult(OptimResult):
    """Result of :func:`allocate_budget`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per item: ``item``, ``name_zh``, ``group``, ``min_cost``, ``max_cost``,
        ``allocation`` [yuan], ``share`` [share 0-1 of the spent total], ``value``
        [yuan of at-risk funds examined], ``marginal_per_10k`` [value of the next
        10,000 yuan to this item alone, from its curve], ``at`` (``floor`` / ``cap`` /
        empty).
    objective : float
        Total value [yuan of at-risk funds examined].
    status : str
        Solver status (``optimal`` …).
    mip_gap : float
        Relative MIP gap reached (with a ``granularity``) [share 0-1]; NaN for the LP.
    marginal_value_per_yuan : float
        LP dual of the budget row: value examined per extra yuan of budget [yuan per
        yuan], valid only until the next breakpoint of the value curves; NaN for the MILP
        (a MILP has no dual).
    gain_next_10k : float
        Value gained by the next 10,000 yuan of budget, found by re-solving with
        ``budget + 10,000`` [yuan of at-risk funds examined]. Below 10,000 x the dual when
        the extra money crosses a breakpoint (the curves are concave).
    budget, spent : float
        The budget and what the allocation spends [yuan].
    log : str
        Solver log.
    """

    marginal_value_per_yuan: float
    gain_next_10k: float
    budget: float
    spent: float
    options: dict = field(default_factory=dict, repr=False)
    items: pd.DataFrame = field(default=None, repr=False)

    @property
    def shadow_price(self) -> float:
        """Deprecated: use :attr:`marginal_value_per_yuan` (x 10,000) or :attr:`gain_next_10k`.

        The old value: the LP dual x 10,000 (a finite difference for the MILP).
        """
        warnings.warn(
            "BudgetResult.shadow_price is deprecated: it was the LP dual x 10,000, not the "
            "value of the next 10,000 yuan; use .marginal_value_per_yuan (the dual, per "
            "yuan) or .gain_next_10k (re-solved with 10,000 yuan more)",
            DeprecationWarning,
            stacklevel=2,
        )
        if math.isnan(self.marginal_value_per_yuan):
            return self.gain_next_10k
        return self.marginal_value_per_yuan * PER

    def summary(self) -> str:
        """One line: status, spending, value, marginal value (dual) and re-solved gain."""
        dual = (
            ""
            if math.isnan(self.marginal_value_per_yuan)
            else f"; marginal value {self.marginal_value_per_yuan:,.2f} yuan per yuan (LP dual)"
        )
        return (
            f"status {self.status}; spent {self.spent:,.0f} of {self.budget:,.0f} yuan; value "
            f"{self.objective:,.0f} yuan{dual}; the next 10,000 yuan gains "
            f"{self.gain_next_10k:,.0f} yuan (re-solved){self._gap_text()}"
        )

    def plot(self, ax=None):
        """Each item's allocation between its floor and cap (:func:`plots.plot_allocation`)."""
        from kmmodel.allocation.plots import plot_allocation

        return plot_allocation(self, ax=ax)

    def sweep(self, budgets=None) -> pd.DataFrame:
        """The budget curve for the same items and rules (see :func:`budget_sweep`)."""
        return budget_sweep(self.items, budgets, **self.options)


def _read(m: Model, sol: Solution, budget, gain: float) -> BudgetResult:
    inp: BudgetInputs = m.data["inputs"]
    df, g, n_seg = inp.items, inp.granularity, inp.n_segments
    alloc = values(m.handles["x"])
    # clean solver noise: exact multiples of the granularity, else whole fen (0.01 yuan)
    alloc = np.round(alloc / g) * g if g else np.round(alloc, 2)
    cost, value = value_breakpoints(df, n_seg)
    val = _pl_value(cost, value, alloc)
    val_next = _pl_value(cost, value, np.minimum(alloc + PER, df["max_cost"].to_numpy(float)))
    spent = float(alloc.sum())
    tol = 0.5
    at = np.where(
        alloc <= df["min_cost"].to_numpy() + tol,
        "floor",
        np.where(alloc >= df["max_cost"].to_numpy() - tol, "cap", ""),
    )
    table = df[["item", "name_zh", "group", "min_cost", "max_cost"]].assign(
        allocation=alloc,
        share=alloc / spent if spent > 0 else np.zeros(len(df)),
        value=val,
        marginal_per_10k=val_next - val,
        at=at,
    )
    dual = float("nan") if sol.is_mip else max(sol.duals.get("budget", 0.0), 0.0) + 0.0
    return BudgetResult(
        **{**solution_fields(sol), "objective": float(val.sum())},
        table=table,
        marginal_value_per_yuan=dual,
        gain_next_10k=gain,
        budget=float(budget),
        spent=spent,
    )


def allocate_budget(
    items: pd.DataFrame,
    budget: float = 550_000,
    shares: dict | None = None,
    granularity: float | None = None,
    n_segments: int = 20,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = DEFAULT_MIP_GAP,
) -> BudgetResult:
    """Split an evaluation budget across expenditure items to maximise the value examined.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per item: ``item`` (unique id), ``fund`` [yuan], ``risk`` [share 0-1 of
        the fund at risk], ``min_cost`` (floor: minimum credible evaluation cost) and
        ``max_cost`` (cap) [yuan], ``saturation`` [yuan, effort scale of the value
        curve]; optional ``priority`` [weight, default 1], ``group``, ``name_zh``.
        ``km.datasets.load("evaluation_items")`` is an example.
    budget : float, default 550,000
        Total evaluation budget [yuan]; 550,000 yuan is the 2025 figure of the seed text
        (``seed_facts`` id ``evaluation_budget_2025``).
    shares : dict, optional
        Share rules by ``group``: ``{"livelihood": 0.4}`` (at least 40 % of the spent
        total) or ``{"industry": (None, 0.3)}`` (at most 30 %) [share 0-1].
    granularity : float, optional
        Allocate whole multiples of this amount [yuan] (1 = whole yuan, 1000 = 1,000-yuan
        steps); makes the model a MILP.
    n_segments : int, default 20
        Linear pieces per value curve.
    solver : {"highs", "cbc"}
        HiGHS (default) or CBC.
    time_limit : float, optional
        Solver wall-time limit [s].
    mip_gap : float, default 1e-9
        Relative MIP gap at which the MILP may stop [share 0-1] (HiGHS' own default,
        1e-4, can leave thousands of yuan on the table); the gap reached is
        ``result.mip_gap``.

    Returns
    -------
    BudgetResult
        ``.table``, ``.objective``, ``.status``, ``.mip_gap``,
        ``.marginal_value_per_yuan`` (LP dual), ``.gain_next_10k`` (re-solved),
        ``.summary()``, ``.plot()``, ``.log``; ``.sweep(budgets)`` gives the budget curve.

    Raises
    ------
    DataError
        Bad items (duplicate ids, negative or missing costs, floor above cap …) or options.
    InfeasibleError
        The floors and share rules cannot hold within the budget; the message gives the
        rules that must give way (elastic re-solve) and the minimum feasible budget, or
        names the granularity when no multiple of it fits an item's floor and cap.
    """
    inp = _prepare(items, budget, shares, granularity, n_segments, solver, time_limit, mip_gap)
    headline = f"no allocation of {budget:,.0f} yuan satisfies the rules"
    m, sol = _solve(inp, budget, solver, time_limit, mip_gap, headline)
    more = solve(_model(inp, budget + PER), solver, time_limit, mip_gap)
    gain = more.objective - sol.objective if more.ok and sol.status == "optimal" else math.nan
    res = _read(m, sol, budget, max(gain, 0.0) + 0.0 if not math.isnan(gain) else gain)
    res.options = {
        "shares": shares,
        "granularity": granularity,
        "n_segments": n_segments,
        "solver": solver,
        "time_limit": time_limit,
        "mip_gap": mip_gap,
    }
    res.items = inp.items
    return res


def budget_sweep(items: pd.DataFrame, budgets=None, **options) -> pd.DataFrame:
    """Re-solve the allocation over a range of budgets: the budget curve.

    Parameters
    ----------
    items : pandas.DataFrame
        As for :func:`allocate_budget`.
    budgets : array-like, optional
        Budgets [yuan]; default 300,000 to 800,000 yuan in 25,000-yuan steps.
    **options
        Passed to :func:`allocate_budget` (``shares``, ``granularity`` …).

    Returns
    -------
    pandas.DataFrame
        ``budget``, ``status`` (``optimal`` or ``infeasible``), ``objective`` [yuan of
        at-risk funds examined; NaN when infeasible], ``spent`` [yuan],
        ``marginal_value_per_yuan`` [yuan per yuan, LP dual] and ``gain_next_10k``
        [yuan, re-solved], one row per budget in the given order.
    """
    if budgets is None:
        budgets = np.arange(300_000, 800_001, 25_000)
    cols = ["budget", "status", "objective", "spent", "marginal_value_per_yuan", "gain_next_10k"]
    rows = []
    for b in np.asarray(budgets, dtype=float):
        try:
            r = allocate_budget(items, float(b), **options)
        except InfeasibleError:
            rows.append(dict.fromkeys(cols, np.nan) | {"budget": b, "status": "infeasible"})
            continue
        rows.append({c: b if c == "budget" else getattr(r, c) for c in cols})
    return pd.DataFrame(rows, columns=cols)
