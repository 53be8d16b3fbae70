"""The generalized assignment problem (GAP) as a PuLP model.

Assign each of n jobs to exactly one of m agents; agent i spends ``weight[i, j]``
of its ``capacity[i]`` on job j; maximise total profit (or minimise total cost).
Awarding evaluation packages to agencies with limited person-months is a GAP
with side constraints (:mod:`kmmodel.allocation.packages`); this module solves
the plain problem and is checked against the OR-Library instances.

References
----------
Ross, G. T. and Soland, R. M. (1975). A branch and bound algorithm for the
generalized assignment problem. Mathematical Programming 8, 91-103.
Cattrysse, D. G. and Van Wassenhove, L. N. (1992). A survey of algorithms for the
generalized assignment problem. European Journal of Operational Research 60, 260-272.
"""

from __future__ import annotations

import time

import numpy as np

from kmmodel.allocation.solver import SolveInfo, solve
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = ["build_gap_model", "check_gap_input", "gap_solve_info", "solve_gap"]


def check_gap_input(profit, weight, capacity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and convert GAP arrays; raise :class:`DataError` listing every problem.

    Returns ``(profit, weight, capacity)`` as float arrays (m x n, m x n, m).
    """
    probs = Problems(source="solve_gap")
    arrays = {}
    for name, val, ndim in (
        ("profit", profit, 2),
        ("weight", weight, 2),
        ("capacity", capacity, 1),
    ):
        try:
            arr = np.asarray(val, dtype=float)
        except (TypeError, ValueError):
            probs.add(f"expected numbers, got {type(val).__name__}", name)
            continue
        if arr.ndim != ndim:
            probs.add(f"expected a {ndim}-d array, got shape {arr.shape}", name)
            continue
        if not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[:5].tolist()
            probs.add(f"expected finite numbers; NaN/inf at index {bad}", name)
        arrays[name] = arr
    if len(arrays) < 3:
        probs.raise_if_any(DataError)
    p, w, c = arrays["profit"], arrays["weight"], arrays["capacity"]
    if p.shape != w.shape:
        probs.add(f"profit is {p.shape} but weight is {w.shape}; expected the same m x n", "weight")
    if c.shape[0] != p.shape[0]:
        probs.add(f"expected one capacity per agent ({p.shape[0]}), got {c.shape[0]}", "capacity")
    if p.size == 0:
        probs.add("expected at least one agent and one job", "profit")
    if (w < 0).any():
        probs.add(
            f"expected weights >= 0; negative at index {np.argwhere(w < 0)[:5].tolist()}", "weight"
        )
    if (c < 0).any():
        probs.add(
            f"expected capacities >= 0; negative for agent(s) {np.flatnonzero(c < 0).tolist()}",
            "capacity",
        )
    probs.raise_if_any(DataError)
    return p, w, c


def build_gap_model(profit, weight, capacity, maximize=True, elastic=False):
    """Build the GAP as a :class:`pulp.LpProblem` (constraints built from lists).

    Parameters
    ----------
    profit, weight : array-like, shape (m, n)
        Profit (or cost) and resource use of agent i doing job j.
    capacity : array-like, shape (m,)
        Resource available to each agent.
    maximize : bool
        Maximise profit (True) or minimise cost (False).
    elastic : bool
        Add a non-negative overflow variable to every capacity row and minimise the
        total overflow instead (used to explain infeasibility).

    Returns
    -------
    prob : pulp.LpProblem
    x : list of list of pulp.LpVariable
        ``x[i][j]`` = 1 when agent i does job j.
    overflow : list of pulp.LpVariable
        Capacity overflow per agent (empty unless ``elastic``).
    """
    import pulp

    p, w, c = np.asarray(profit, float), np.asarray(weight, float), np.asarray(capacity, float)
    m, n = p.shape
    sense = pulp.LpMaximize if maximize and not elastic else pulp.LpMinimize
    prob = pulp.LpProblem("gap", sense)
    x = prob.add_variable_matrix("x", (range(m), range(n)), cat=pulp.LpBinary)
    flat = [v for row in x for v in row]
    overflow = [prob.add_variable(f"overflow_{i}", lowBound=0) for i in range(m)] if elastic else []
    if elastic:
        prob.setObjective(pulp.lpSum(overflow))
    else:
        prob.setObjective(pulp.LpAffineExpression(zip(flat, p.ravel().tolist())))
    cons = {}
    for j in range(n):  # each job to exactly one agent
        cons[f"job_{j}"] = pulp.LpConstraint(
            pulp.LpAffineExpression((x[i][j], 1.0) for i in range(m)), pulp.LpConstraintEQ, rhs=1
        )
    for i in range(m):  # agent capacity
        terms = list(zip(x[i], w[i].tolist()))
        if elastic:
            terms.append((overflow[i], -1.0))
        cons[f"capacity_{i}"] = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=float(c[i])
        )
    prob.extend(cons)
    return prob, x, overflow


def _explain_gap(p, w, c, solver, time_limit) -> list[str]:
    """Why a GAP has no feasible assignment: jobs that fit nowhere, else the least overflow."""
    reasons = []
    fits = w <= c[:, None]
    nowhere = np.flatnonzero(~fits.any(axis=0))
    if nowhere.size:
        reasons.append(
            f"job(s) {nowhere.tolist()} need more than any agent's capacity "
            f"(smallest need {w[:, nowhere].min(axis=0).tolist()}, largest capacity {c.max():g})"
        )
        return reasons
    if w.min(axis=0).sum() > c.sum():
        reasons.append(
            f"the jobs need at least {w.min(axis=0).sum():g} units in total but the agents "
            f"have {c.sum():g}"
        )
    prob, _, overflow = build_gap_model(p, w, c, elastic=True)
    info = solve(prob, solver, time_limit)
    if info.status in ("optimal", "feasible"):
        over = np.array([v.varValue or 0.0 for v in overflow])
        short = np.flatnonzero(over > 1e-6)
        parts = ", ".join(f"agent {i} by {over[i]:g}" for i in short)
        reasons.append(
            f"capacity rules conflict with 'every job assigned': the least total overflow is "
            f"{over.sum():g} units ({parts})"
        )
    return reasons


def gap_solve_info(
    profit, weight, capacity, maximize=True, time_limit=None, solver="highs"
) -> tuple[np.ndarray, SolveInfo]:
    """Solve a GAP and return ``(assign, SolveInfo)`` (status, log, build/solve times).

    See :func:`solve_gap` for the parameters.
    """
    p, w, c = check_gap_input(profit, weight, capacity)
    t0 = time.perf_counter()
    prob, x, _ = build_gap_model(p, w, c, maximize=maximize)
    info = solve(prob, solver, time_limit, build_seconds=time.perf_counter() - t0)
    if info.status == "infeasible":
        raise InfeasibleError(
            ["no assignment gives every job to one agent within capacity"]
            + _explain_gap(p, w, c, solver, time_limit),
            source="solve_gap",
        )
    if info.status not in ("optimal", "feasible"):
        raise InfeasibleError(
            f"the solver stopped with status '{info.status}' and no assignment "
            f"(time limit {time_limit} s; not proven infeasible)",
            source="solve_gap",
        )
    vals = np.array([[v.varValue or 0.0 for v in row] for row in x])
    assign = vals.argmax(axis=0).astype(np.int64)
    return assign, info


def solve_gap(profit, weight, capacity, maximize=True, time_limit=None, solver="highs"):
    """Solve the generalized assignment problem.

    Parameters
    ----------
    profit : array-like, shape (m, n)
        Profit [any unit] (``maximize=True``) or cost (``maximize=False``) of agent i
        doing job j, laid out as in the OR-Library files.
    weight : array-like, shape (m, n)
        Resource agent i uses for job j [same unit as capacity], >= 0.
    capacity : array-like, shape (m,)
        Resource available to each agent, >= 0.
    maximize : bool, default True
        Maximise profit; False minimises cost.
    time_limit : float, optional
        Solver wall-time limit [s]; the best assignment found so far is returned.
    solver : {"highs", "cbc"}
        HiGHS (default) or CBC.

    Returns
    -------
    assign : numpy.ndarray of int, shape (n,)
        The agent of each job.
    objective : float
        Total profit (or cost) of ``assign``, recomputed from the input matrices.

    Raises
    ------
    DataError
        Shapes, NaNs, negative weights or capacities (all problems listed).
    InfeasibleError
        No feasible assignment; the message names jobs that fit nowhere or the least
        capacity overflow found by an elastic re-solve.

    Examples
    --------
    >>> assign, obj = solve_gap([[6, 2], [3, 5]], [[1, 1], [1, 1]], [1, 1])
    >>> assign.tolist(), obj
    ([0, 1], 11.0)
    """
    assign, _ = gap_solve_info(profit, weight, capacity, maximize, time_limit, solver)
    p = np.asarray(profit, float)
    return assign, float(p[assign, np.arange(p.shape[1])].sum())
