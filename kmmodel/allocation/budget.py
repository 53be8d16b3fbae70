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

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.allocation.inputs import check_items
from kmmodel.allocation.solver import solve
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = [
    "BudgetModel",
    "BudgetResult",
    "allocate_budget",
    "budget_sweep",
    "build_budget_model",
    "minimum_budget",
    "value_breakpoints",
]

PER = 10_000  # shadow prices are quoted per 10,000 yuan (1 万元)


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


def _check_shares(shares, groups: pd.Series, probs: Problems) -> dict[str, tuple[float, float]]:
    out = {}
    for g, rule in (shares or {}).items():
        lo, hi = (rule, None) if not isinstance(rule, (tuple, list)) else tuple(rule)
        lo = 0.0 if lo is None else lo
        hi = 1.0 if hi is None else hi
        if g not in set(groups.dropna()):
            probs.add(
                f"group {g!r} has no items; groups are {sorted(set(groups.dropna()))}", "shares"
            )
        elif not (0 <= lo <= hi <= 1):
            probs.add(
                f"expected 0 <= min <= max <= 1 (shares as fractions), got {rule!r}",
                f"shares[{g!r}]",
            )
        else:
            out[g] = (float(lo), float(hi))
    return out


def _pl_value(cost: np.ndarray, value: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Piecewise-linear value of each row's curve at ``x`` (vectorised ``np.interp``)."""
    n_seg = cost.shape[1] - 1
    width = cost[:, -1] / n_seg
    pos = np.divide(x, width, out=np.zeros_like(x, dtype=float), where=width > 0)
    k = np.clip(np.floor(pos).astype(int), 0, n_seg - 1)
    rows = np.arange(len(x))
    frac = np.clip(pos - k, 0.0, 1.0)
    return value[rows, k] + frac * (value[rows, k + 1] - value[rows, k])


@dataclass
class BudgetModel:
    """A built (not yet solved) budget model and the handles to read it back."""

    prob: object
    items: pd.DataFrame
    x: list
    names: dict[str, str]  # constraint name -> readable rule
    elastic: dict = field(default_factory=dict)  # rule -> slack variable
    build_seconds: float = 0.0


def build_budget_model(
    items: pd.DataFrame,
    budget: float | None,
    shares=None,
    granularity: float | None = None,
    n_segments: int = 20,
    elastic: bool = False,
    objective: str = "value",
) -> BudgetModel:
    """Build the allocation model (``items`` already validated).

    ``budget=None`` drops the budget row; ``objective="spend"`` minimises total
    spending (used by :func:`minimum_budget`); ``elastic=True`` adds a slack to the
    budget, every floor and every share rule and minimises their sum [yuan].
    """
    import pulp

    t0 = time.perf_counter()
    n = len(items)
    ids = items["item"].tolist()
    cost, value = value_breakpoints(items, n_segments)
    width = np.diff(cost, axis=1)
    slope = np.diff(value, axis=1) / np.where(width > 0, width, 1.0)
    sense = pulp.LpMaximize if objective == "value" and not elastic else pulp.LpMinimize
    prob = pulp.LpProblem("evaluation_budget", sense)
    if granularity:
        y = [prob.add_variable(f"units_{i}", lowBound=0, cat=pulp.LpInteger) for i in range(n)]
    x = [prob.add_variable(f"x_{i}", lowBound=0) for i in range(n)]
    seg = [
        [prob.add_variable(f"seg_{i}_{k}", 0, float(width[i, k])) for k in range(n_segments)]
        for i in range(n)
    ]
    names: dict[str, str] = {}
    slack: dict[str, object] = {}

    def relax(name: str, rule: str, sign: float, terms: list) -> list:
        if elastic:
            slack[rule] = prob.add_variable(f"slack_{name}", lowBound=0)
            return [*terms, (slack[rule], sign)]
        return terms

    # elastic weights: giving way on the budget is preferred to dropping a floor or a
    # share rule, so the explanation names the budget when more money would do
    weight = {"budget": 1.0}

    cons = {}
    floors = items["min_cost"].to_numpy(float)
    caps = items["max_cost"].to_numpy(float)
    for i in range(n):
        cons[f"def_{i}"] = pulp.LpConstraint(
            pulp.LpAffineExpression([(x[i], 1.0), *((v, -1.0) for v in seg[i])]),
            pulp.LpConstraintEQ,
            rhs=0.0,
        )
        if granularity:
            cons[f"grain_{i}"] = pulp.LpConstraint(
                pulp.LpAffineExpression([(x[i], 1.0), (y[i], -float(granularity))]),
                pulp.LpConstraintEQ,
                rhs=0.0,
            )
        rule = f"floor of item {ids[i]} ({floors[i]:,.0f} yuan)"
        names[f"floor_{i}"] = rule
        cons[f"floor_{i}"] = pulp.LpConstraint(
            pulp.LpAffineExpression(relax(f"floor_{i}", rule, 1.0, [(x[i], 1.0)])),
            pulp.LpConstraintGE,
            rhs=float(floors[i]),
        )
        names[f"cap_{i}"] = f"cap of item {ids[i]} ({caps[i]:,.0f} yuan)"
        cons[f"cap_{i}"] = pulp.LpConstraint(
            pulp.LpAffineExpression([(x[i], 1.0)]), pulp.LpConstraintLE, rhs=float(caps[i])
        )
    if budget is not None:
        rule = f"budget ({budget:,.0f} yuan)"
        names["budget"] = rule
        cons["budget"] = pulp.LpConstraint(
            pulp.LpAffineExpression(relax("budget", rule, -1.0, [(v, 1.0) for v in x])),
            pulp.LpConstraintLE,
            rhs=float(budget),
        )
    groups = items["group"].to_numpy(object)
    for k, (g, (lo, hi)) in enumerate(shares.items()):
        member = (groups == g).astype(float)
        if lo > 0:
            rule = f"share of group {g} >= {lo:.0%}"
            names[f"share_min_{k}"] = rule
            terms = [(x[i], member[i] - lo) for i in range(n) if member[i] - lo != 0]
            cons[f"share_min_{k}"] = pulp.LpConstraint(
                pulp.LpAffineExpression(relax(f"share_min_{k}", rule, 1.0, terms)),
                pulp.LpConstraintGE,
                rhs=0.0,
            )
        if hi < 1:
            rule = f"share of group {g} <= {hi:.0%}"
            names[f"share_max_{k}"] = rule
            terms = [(x[i], member[i] - hi) for i in range(n) if member[i] - hi != 0]
            cons[f"share_max_{k}"] = pulp.LpConstraint(
                pulp.LpAffineExpression(relax(f"share_max_{k}", rule, -1.0, terms)),
                pulp.LpConstraintLE,
                rhs=0.0,
            )
    prob.extend(cons)
    if elastic:
        prob.setObjective(
            pulp.LpAffineExpression(
                (v, weight["budget"] if r.startswith("budget") else 2.0) for r, v in slack.items()
            )
        )
    elif objective == "spend":
        prob.setObjective(pulp.lpSum(x))
    else:
        flat = [v for row in seg for v in row]
        prob.setObjective(pulp.LpAffineExpression(zip(flat, slope.ravel().tolist())))
    return BudgetModel(prob, items, x, names, slack, time.perf_counter() - t0)


@dataclass
class BudgetResult:
    """Result of :func:`allocate_budget`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per item: ``item``, ``name_zh``, ``group``, ``min_cost``, ``max_cost``,
        ``allocation`` [yuan], ``share`` [share 0-1 of the spent total], ``value``
        [yuan of at-risk funds examined], ``marginal_per_10k`` [value of the next
        10,000 yuan to this item], ``at`` (``floor`` / ``cap`` / empty).
    objective : float
        Total value [yuan of at-risk funds examined].
    status : str
        Solver status (``optimal`` …).
    shadow_price : float
        Value of one more 10,000 yuan of budget [yuan per 10,000 yuan].
    shadow_price_method : str
        ``"dual"`` (LP dual of the budget row) or ``"finite difference"`` (MILP: re-solved
        with 10,000 yuan more).
    budget, spent : float
        The budget and what the allocation spends [yuan].
    log : str
        Solver log.
    """

    table: pd.DataFrame
    objective: float
    status: str
    shadow_price: float
    shadow_price_method: str
    budget: float
    spent: float
    log: str
    build_seconds: float
    solve_seconds: float
    options: dict = field(default_factory=dict, repr=False)
    items: pd.DataFrame = field(default=None, repr=False)

    def sweep(self, budgets=None) -> pd.DataFrame:
        """The budget curve for the same items and rules (see :func:`budget_sweep`)."""
        return budget_sweep(self.items, budgets, **self.options)


def _prepare(items, shares, granularity, n_segments, source):
    probs = Problems(source=source)
    df = check_items(items, source, probs=probs)
    if not (isinstance(n_segments, (int, np.integer)) and n_segments >= 1):
        probs.add(f"expected a whole number >= 1, got {n_segments!r}", "n_segments")
    if granularity is not None and not (np.isfinite(granularity) and granularity > 0):
        probs.add(f"expected a positive amount [yuan], got {granularity!r}", "granularity")
    rules = _check_shares(shares, df["group"], probs) if "group" in df else {}
    probs.raise_if_any(DataError)
    return df, rules


def minimum_budget(items, shares=None, granularity=None, solver="highs") -> float:
    """Smallest budget [yuan] under which the floors, caps and share rules can all hold.

    Raises
    ------
    InfeasibleError
        When no budget helps (share rules conflict with floors or caps).
    """
    df, rules = _prepare(items, shares, granularity, 1, "items")
    m = build_budget_model(df, None, rules, granularity, 1, objective="spend")
    info = solve(m.prob, solver)
    if info.status not in ("optimal", "feasible"):
        raise InfeasibleError(
            _explain(df, None, rules, granularity, solver), source="allocate_budget"
        )
    return float(info.objective)


def _explain(df, budget, rules, granularity, solver) -> list[str]:
    """Elastic re-solve: which rules must give, and by how much [yuan]."""
    m = build_budget_model(df, budget, rules, granularity, 1, elastic=True)
    info = solve(m.prob, solver)
    lines = []
    if info.status in ("optimal", "feasible"):
        for rule, var in m.elastic.items():
            amount = var.varValue or 0.0
            if amount > 0.5:
                lines.append(f"{rule} must give way by {amount:,.0f} yuan")
    if budget is not None:
        try:
            need = minimum_budget(df, {g: r for g, r in rules.items()}, granularity, solver)
        except InfeasibleError as exc:
            lines.append("no budget is enough: " + "; ".join(str(p) for p in exc.problems))
        else:
            floors = df["min_cost"].sum()
            lines.append(
                f"the minimum feasible budget is {need:,.0f} yuan: the floors of the "
                f"{len(df)} items need {floors:,.0f} yuan"
                + (
                    f" and the share rules {need - floors:,.0f} yuan more"
                    if need > floors + 0.5
                    else ""
                )
            )
    return lines or ["the rules conflict (elastic re-solve found no single rule to relax)"]


def _solve_once(df, budget, rules, granularity, n_segments, solver, time_limit):
    m = build_budget_model(df, budget, rules, granularity, n_segments)
    info = solve(m.prob, solver, time_limit, build_seconds=m.build_seconds)
    return m, info


def allocate_budget(
    items: pd.DataFrame,
    budget: float = 550_000,
    shares: dict | None = None,
    granularity: float | None = None,
    n_segments: int = 20,
    solver: str = "highs",
    time_limit: float | None = None,
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

    Returns
    -------
    BudgetResult
        ``.table``, ``.objective``, ``.status``, ``.shadow_price`` (per 10,000 yuan),
        ``.log``; ``.sweep(budgets)`` gives the budget curve.

    Raises
    ------
    DataError
        Bad items (duplicate ids, negative or missing costs, floor above cap …) or options.
    InfeasibleError
        The floors and share rules cannot hold within the budget; the message gives the
        rules that must give way (elastic re-solve) and the minimum feasible budget.
    """
    df, rules = _prepare(items, shares, granularity, n_segments, "items")
    if not (np.isfinite(budget) and budget >= 0):
        raise DataError(f"expected a budget >= 0 [yuan], got {budget!r}", source="allocate_budget")
    m, info = _solve_once(df, budget, rules, granularity, n_segments, solver, time_limit)
    if info.status == "infeasible":
        raise InfeasibleError(
            [f"no allocation of {budget:,.0f} yuan satisfies the rules"]
            + _explain(df, budget, rules, granularity, solver),
            source="allocate_budget",
        )
    if info.status not in ("optimal", "feasible"):
        raise InfeasibleError(
            f"solver stopped with status '{info.status}' (time limit {time_limit} s)",
            source="allocate_budget",
        )
    alloc = np.array([v.varValue or 0.0 for v in m.x])
    # clean solver noise: exact multiples of the granularity, else whole fen (0.01 yuan)
    alloc = np.round(alloc / granularity) * granularity if granularity else np.round(alloc, 2)
    if granularity:
        m2, info2 = _solve_once(
            df, budget + PER, rules, granularity, n_segments, solver, time_limit
        )
        shadow = (info2.objective - info.objective) if info2.status == "optimal" else float("nan")
        method = "finite difference"
    else:
        shadow = -m.prob.get_constraint_by_name("budget").pi * PER
        shadow = max(shadow, 0.0) + 0.0
        method = "dual"
    cost, value = value_breakpoints(df, n_segments)
    val = _pl_value(cost, value, alloc)
    val_next = _pl_value(cost, value, np.minimum(alloc + PER, df["max_cost"].to_numpy(float)))
    spent = float(alloc.sum())
    tol = 0.5
    at = np.where(
        alloc <= df["min_cost"].to_numpy() + tol,
        "floor",
        np.where(alloc >= df["max_cost"].to_numpy() - tol, "cap", ""),
    )
    table = pd.DataFrame(
        {
            "item": df["item"],
            "name_zh": df["name_zh"],
            "group": df["group"],
            "min_cost": df["min_cost"],
            "max_cost": df["max_cost"],
            "allocation": alloc,
            "share": alloc / spent if spent > 0 else np.zeros(len(df)),
            "value": val,
            "marginal_per_10k": val_next - val,
            "at": at,
        }
    )
    return BudgetResult(
        table=table,
        objective=float(val.sum()),
        status=info.status,
        shadow_price=float(shadow),
        shadow_price_method=method,
        budget=float(budget),
        spent=spent,
        log=info.log,
        build_seconds=info.build_seconds,
        solve_seconds=info.solve_seconds,
        options={
            "shares": shares,
            "granularity": granularity,
            "n_segments": n_segments,
            "solver": solver,
            "time_limit": time_limit,
        },
        items=df,
    )


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
        at-risk funds examined; NaN when infeasible], ``spent`` [yuan], ``shadow_price``
        [per 10,000 yuan], one row per budget in the given order.
    """
    if budgets is None:
        budgets = np.arange(300_000, 800_001, 25_000)
    rows = []
    for b in np.asarray(budgets, dtype=float):
        try:
            r = allocate_budget(items, float(b), **options)
        except InfeasibleError:
            rows.append(
                {
                    "budget": b,
                    "status": "infeasible",
                    "objective": np.nan,
                    "spent": np.nan,
                    "shadow_price": np.nan,
                }
            )
            continue
        rows.append(
            {
                "budget": b,
                "status": r.status,
                "objective": r.objective,
                "spent": r.spent,
                "shadow_price": r.shadow_price,
            }
        )
    return pd.DataFrame(rows, columns=["budget", "status", "objective", "spent", "shadow_price"])
