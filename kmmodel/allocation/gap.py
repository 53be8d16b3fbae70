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

import numpy as np

from kmmodel.allocation.fitting import (
    DEFAULT_MIP_GAP,
    Model,
    Solution,
    check_solve_options,
    solve_or_explain,
    values,
)
from kmmodel.errors import DataError, Problems

__all__ = ["build_gap", "check_gap_input", "gap_solve_info", "solve_gap"]


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


def _gap_model(p, w, c, maximize=True, elastic=False) -> Model:
    m = Model.new("gap", "max" if maximize else "min", "solve_gap", elastic)
    n_agents, n_jobs = p.shape
    x = [m.variables(f"x_{i}", n_jobs, integer=True, up=1) for i in range(n_agents)]
    for j in range(n_jobs):  # each job to exactly one agent
        m.add(f"job_{j}", [(x[i][j], 1.0) for i in range(n_agents)], "==", 1)
    for i in range(n_agents):  # agent capacity
        rule = f"capacity of agent {i} ({c[i]:g} units)"
        m.add(
            f"capacity_{i}",
            list(zip(x[i], w[i].tolist())),
            "<=",
            c[i],
            rule=rule,
            relax=(f"capacity_{i}", "units", 1),
        )
    m.objective(zip((v for row in x for v in row), p.ravel().tolist()))
    m.handles["x"] = x
    return m.done()


def build_gap(profit, weight, capacity, maximize=True, *, elastic=False) -> Model:
    """Build (validate, not solve) the GAP (constraints built from lists).

    Parameters
    ----------
    profit, weight : array-like, shape (m, n)
        Profit (or cost) and resource use of agent i doing job j.
    capacity : array-like, shape (m,)
        Resource available to each agent.
    maximize : bool
        Maximise profit (True) or minimise cost (False).
    elastic : bool
        Give every capacity row an overflow slack and minimise the total overflow
        (used to explain infeasibility).

    Returns
    -------
    kmmodel.allocation.fitting.Model
        ``handles["x"][i][j]`` = 1 when agent i does job j.
    """
    p, w, c = check_gap_input(profit, weight, capacity)
    return _gap_model(p, w, c, maximize, elastic)


def _fits_nowhere(p, w, c) -> list[str]:
    """Jobs no agent can take, and a total need above the total capacity (no solver)."""
    nowhere = np.flatnonzero(~(w <= c[:, None]).any(axis=0))
    if nowhere.size:
        return [
            f"job(s) {nowhere.tolist()} need more than any agent's capacity "
            f"(smallest need {w[:, nowhere].min(axis=0).tolist()}, largest capacity {c.max():g})"
        ]
    if w.min(axis=0).sum() > c.sum():
        return [
            f"the jobs need at least {w.min(axis=0).sum():g} units in total but the agents "
            f"have {c.sum():g}"
        ]
    return []


def gap_solve_info(
    profit, weight, capacity, maximize=True, time_limit=None, **options
) -> tuple[np.ndarray, Solution]:
    """Solve a GAP and return ``(assign, Solution)`` (status, MIP gap, log, times).

    See :func:`solve_gap` for the parameters (``solver``, ``mip_gap`` as keywords).
    """
    solver = options.pop("solver", "highs")
    mip_gap = options.pop("mip_gap", DEFAULT_MIP_GAP)
    if options:
        raise DataError(f"unknown option(s) {sorted(options)}", source="solve_gap")
    p, w, c = check_gap_input(profit, weight, capacity)
    probs = Problems(source="solve_gap")
    check_solve_options(solver, time_limit, mip_gap, probs)
    if not isinstance(maximize, (bool, np.bool_)):
        probs.add(f"expected True or False, got {maximize!r}", "maximize")
    probs.raise_if_any(DataError)
    m, sol = solve_or_explain(
        lambda elastic: _gap_model(p, w, c, maximize, elastic),
        headline="no assignment gives every job to one agent within capacity",
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        pre_lines=lambda: _fits_nowhere(p, w, c),
    )
    vals = np.array([values(row) for row in m.handles["x"]])
    return vals.argmax(axis=0).astype(np.int64), sol


def solve_gap(profit, weight, capacity, maximize=True, time_limit=None, **options):
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
    **options
        ``solver`` (``"highs"``, default, or ``"cbc"``) and ``mip_gap`` (relative MIP gap
        at which the solver may stop [share 0-1], default 1e-9).

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
    assign, _ = gap_solve_info(profit, weight, capacity, maximize, time_limit, **options)
    p = np.asarray(profit, float)
    return assign, float(p[assign, np.arange(p.shape[1])].sum())
