"""One fitting for every optimisation model: build, solve, read, explain infeasibility.

The models of :mod:`kmmodel.allocation` (budget allocation, package award, package
formation, the plain GAP) follow the PyPSA / linopy pattern of separate steps:

1. **build** — a public ``build_*()`` function returns a :class:`Model`: the PuLP problem
   plus what is needed to read it back (variable handles, the readable text of every
   rule, the validated inputs). Rows are added through :meth:`Model.add`, which, in an
   *elastic* model, gives each relaxable rule one non-negative slack variable.
2. **solve** — :func:`solve` runs HiGHS (or CBC on request) and returns a
   :class:`Solution`: status, objective, the achieved MIP gap and dual bound, the solver
   log, the duals of an LP and the times.
3. **read** — each model module turns variable values into its result tables.
4. **explain** — :func:`solve_or_explain` solves and, when the model is infeasible,
   re-solves the elastic version (least weighted total slack) and raises one
   :class:`~kmmodel.errors.InfeasibleError` in one wording: ``<rule> must give way by
   <amount>``, then the minimum feasible budget where a budget is among the rules.

MIP gap: HiGHS stops a MILP by default at a relative gap of 1e-4 and still calls the
result optimal; on objectives of millions of yuan that is thousands of yuan short.
Problems here solve in well under a second, so :data:`DEFAULT_MIP_GAP` asks for 1e-9
(and an absolute gap of :data:`DEFAULT_MIP_GAP_ABS`), and every result reports the gap
HiGHS reached.

References
----------
Huangfu, Q. and Hall, J. A. J. (2018). Parallelizing the dual revised simplex method.
Mathematical Programming Computation 10, 119-142 (HiGHS).
Chinneck, J. W. (2008). Feasibility and Infeasibility in Optimization, ch. 7 (elastic
programming: minimise the total violation to locate the conflicting rules). Springer.
HiGHS options, ``mip_rel_gap`` (default 1e-4) and ``mip_abs_gap`` (default 1e-6):
https://ergo-code.github.io/HiGHS/dev/options/definitions/
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = [
    "DEFAULT_MIP_GAP",
    "DEFAULT_MIP_GAP_ABS",
    "Model",
    "OptimResult",
    "SOLVERS",
    "Slack",
    "Solution",
    "check_solve_options",
    "make_solver",
    "minimum_budget_line",
    "slack_lines",
    "solution_fields",
    "solve",
    "solve_or_explain",
    "values",
]

SOLVERS = ("highs", "cbc")
#: Relative MIP gap at which HiGHS may stop [share 0-1] (HiGHS' own default is 1e-4).
DEFAULT_MIP_GAP = 1e-9
#: Absolute MIP gap [objective unit, yuan for the allocation models] (HiGHS default 1e-6).
DEFAULT_MIP_GAP_ABS = 1e-6
_SENSES = {"<=": -1, ">=": 1, "==": 0}
_BANNER_DONE = False


# ---------------------------------------------------------------------------- solver objects


def _quiet_highs_banner() -> None:
    """Create the process's first ``highspy.Highs`` with stdout muted.

    HiGHS prints a copyright banner on stdout when its first instance is created,
    before any option can switch output off; in a notebook that banner would land in
    the report. Later instances print nothing, so one muted construction is enough.
    """
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    import sys

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_DONE = True


def _is_number(value) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(value)
    )


def check_solve_options(solver, time_limit, mip_gap, probs: Problems) -> None:
    """Add a problem for a bad ``solver``, ``time_limit`` [s] or ``mip_gap`` [share 0-1]."""
    if solver not in SOLVERS:
        probs.add(f"unknown solver {solver!r}; expected one of {SOLVERS}", "solver")
    if time_limit is not None and not (_is_number(time_limit) and time_limit > 0):
        probs.add(
            f"expected a positive number of seconds or None, got {time_limit!r}", "time_limit"
        )
    if not (_is_number(mip_gap) and 0 <= mip_gap < 1):
        probs.add(f"expected a relative gap 0 <= mip_gap < 1, got {mip_gap!r}", "mip_gap")


def make_solver(
    solver: str = "highs",
    time_limit: float | None = None,
    log_file: str | None = None,
    mip_gap: float = DEFAULT_MIP_GAP,
):
    """A PuLP solver object.

    Parameters
    ----------
    solver : {"highs", "cbc"}
        ``"highs"`` (default) uses :class:`pulp.HiGHS` through the ``highspy`` package;
        ``"cbc"`` uses PuLP's CBC command-line solver and must be asked for explicitly.
    time_limit : float, optional
        Wall-time limit [s].
    log_file : str, optional
        Where the solver writes its log (read back by :func:`solve`).
    mip_gap : float
        Relative MIP gap at which the solver may stop [share 0-1].
    """
    import pulp

    probs = Problems(source="solver")
    check_solve_options(solver, time_limit, mip_gap, probs)
    probs.raise_if_any(DataError)
    if solver == "highs":
        _quiet_highs_banner()
        opts = {"log_to_console": False, "log_file": log_file} if log_file else {}
        return pulp.HiGHS(
            msg=bool(log_file),
            timeLimit=time_limit,
            threads=1,
            gapRel=mip_gap,
            gapAbs=DEFAULT_MIP_GAP_ABS,
            **opts,
        )
    # a CBC executable on PATH (never the binary bundled inside PuLP, which PuLP 4 drops)
    cbc = pulp.COIN_CMD(msg=False, timeLimit=time_limit, logPath=log_file, gapRel=mip_gap)
    if not cbc.available():
        raise DataError(
            "solver 'cbc' asked for but no CBC executable was found on PATH; "
            "install CBC (e.g. `conda install coin-or-cbc`) or use solver='highs'"
        )
    return cbc


# ---------------------------------------------------------------------------------- model


@dataclass
class Slack:
    """The elastic slack of one rule: variable, readable rule, unit and weight."""

    var: Any
    rule: str
    unit: str
    weight: float


@dataclass
class Model:
    """A built, not yet solved, optimisation model.

    Attributes
    ----------
    prob : pulp.LpProblem
        The PuLP problem.
    source : str
        The entry point named in errors (``"allocate_budget"`` …).
    elastic : bool
        Whether relaxable rules carry slack variables (the objective is then their
        weighted sum, minimised).
    rules : dict of str -> str
        Constraint name -> readable rule, for every row added with ``rule=``.
    slacks : dict of str -> Slack
        Rule key -> its slack (elastic models only).
    handles : dict
        Variable handles by role (``"x"``, ``"z"`` …) for reading results back.
    data : dict
        Validated inputs and metadata the model's reader needs.
    build_seconds : float
        Wall time of building [s] (set by :meth:`done`).
    """

    prob: Any
    source: str
    elastic: bool = False
    rules: dict = field(default_factory=dict)
    slacks: dict = field(default_factory=dict)
    handles: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    build_seconds: float = 0.0
    row_names: list = field(default_factory=list, repr=False)
    _rows: dict = field(default_factory=dict, repr=False)
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    @classmethod
    def new(cls, name: str, sense: str, source: str, elastic: bool = False, **data) -> Model:
        """An empty model; ``sense`` ``"max"`` or ``"min"`` (an elastic model minimises)."""
        import pulp

        maximise = sense == "max" and not elastic
        prob = pulp.LpProblem(name, pulp.LpMaximize if maximise else pulp.LpMinimize)
        return cls(prob=prob, source=source, elastic=elastic, data=data)

    @property
    def is_mip(self) -> bool:
        """Whether any variable is integer."""
        return any(v.cat == "Integer" for v in self.prob.variables())

    def variables(self, prefix: str, n: int, *, integer=False, low=0.0, up=None) -> list:
        """``n`` variables ``prefix_0`` … (binary when ``integer`` and ``up == 1``)."""
        import pulp

        cat = pulp.LpInteger if integer else pulp.LpContinuous
        return [
            self.prob.add_variable(f"{prefix}_{k}", lowBound=low, upBound=up, cat=cat)
            for k in range(n)
        ]

    def add(
        self,
        name: str,
        terms: list,
        sense: str,
        rhs: float,
        *,
        rule: str | None = None,
        relax: tuple | None = None,
    ) -> None:
        """Add the row ``sum(coef * var for var, coef in terms) <sense> rhs``.

        Parameters
        ----------
        name : str
            Unique row name (the key of :attr:`Solution.duals`).
        terms : list of (variable, coefficient)
        sense : {"<=", ">=", "=="}
        rhs : float
        rule : str, optional
            Readable text of the rule (``"budget (550,000 yuan)"``).
        relax : (key, unit, weight), optional
            In an elastic model the row may give way: one slack per ``key`` (rows that
            state one rule share it), measured in ``unit`` (``"yuan"``, ``"person-months"``
            …) and weighted ``weight`` in the elastic objective.
        """
        import pulp

        if rule is not None:
            self.rules[name] = rule
        if relax is not None and self.elastic:
            key, unit, weight = relax
            if key not in self.slacks:
                var = self.prob.add_variable(f"slack_{key}", lowBound=0)
                self.slacks[key] = Slack(var, rule or key, unit, float(weight))
            # give way in the direction of the rule: <= rows may grow, >= and == rows shrink
            sign = -1.0 if sense == "<=" else 1.0
            terms = [*terms, (self.slacks[key].var, sign)]
        op = {
            "<=": pulp.LpConstraintLE,
            ">=": pulp.LpConstraintGE,
            "==": pulp.LpConstraintEQ,
        }[sense]
        self._rows[name] = pulp.LpConstraint(pulp.LpAffineExpression(terms), op, rhs=float(rhs))

    def objective(self, terms: Iterable) -> None:
        """Set the objective ``sum(coef * var)`` (ignored in an elastic model)."""
        import pulp

        if not self.elastic:
            self.prob.setObjective(pulp.LpAffineExpression(list(terms)))

    def done(self) -> Model:
        """Add the collected rows (and the elastic objective); record the build time."""
        import pulp

        self.prob.extend(self._rows)
        self.row_names = list(self._rows)
        self._rows = {}
        if self.elastic:
            self.prob.setObjective(
                pulp.LpAffineExpression([(s.var, s.weight) for s in self.slacks.values()])
            )
        self.build_seconds = time.perf_counter() - self._t0
        return self


def values(variables: list) -> np.ndarray:
    """Solved values of a list of variables (0 where the solver left none)."""
    return np.array([v.varValue or 0.0 for v in variables], dtype=float)


# ---------------------------------------------------------------------------------- solve


@dataclass(frozen=True)
class Solution:
    """Outcome of one solver run.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"feasible"`` (a time limit stopped a MILP with an incumbent),
        ``"infeasible"``, ``"unbounded"`` or ``"not solved"``.
    objective : float
        Objective value of the returned solution (NaN when there is none).
    mip_gap : float
        Relative gap reached, ``|objective - bound| / max(1, |objective|)`` [share 0-1]
        (HiGHS' definition); NaN for an LP or when the solver does not report it.
    bound : float
        Best dual bound of a MILP (NaN for an LP).
    log : str
        The solver's log text.
    duals : dict of str -> float
        LP only: change of the objective per unit increase of each row's right-hand
        side [objective unit per row unit], by row name; empty for a MILP.
    build_seconds, solve_seconds : float
        Wall time [s] of model building and of the solver call.
    is_mip : bool
        Whether the model had integer variables.
    """

    status: str
    objective: float
    mip_gap: float
    bound: float
    log: str = field(repr=False)
    duals: dict = field(repr=False)
    build_seconds: float
    solve_seconds: float
    is_mip: bool

    @property
    def ok(self) -> bool:
        """A solution exists (``optimal`` or ``feasible``)."""
        return self.status in ("optimal", "feasible")

    @property
    def gap_abs(self) -> float:
        """Absolute gap ``|objective - bound|`` [objective unit]; NaN for an LP."""
        return abs(self.objective - self.bound)


def _status(prob) -> str:
    import pulp

    code, sol = prob.status, getattr(prob, "sol_status", None)
    if code == pulp.LpStatusOptimal:
        return "optimal" if sol in (None, pulp.LpSolutionOptimal) else "feasible"
    if code == pulp.LpStatusInfeasible:
        return "infeasible"
    if code == pulp.LpStatusUnbounded:
        return "unbounded"
    return "not solved"


def solve(
    model: Model,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = DEFAULT_MIP_GAP,
) -> Solution:
    """Solve ``model`` in place (variable values are written back) and describe the outcome.

    Parameters
    ----------
    model : Model
        From a ``build_*()`` function.
    solver : {"highs", "cbc"}
        See :func:`make_solver`.
    time_limit : float, optional
        Wall-time limit [s].
    mip_gap : float, default :data:`DEFAULT_MIP_GAP`
        Relative MIP gap at which the solver may stop [share 0-1].

    Returns
    -------
    Solution
    """
    import pulp

    prob, is_mip = model.prob, model.is_mip
    fd, log_path = tempfile.mkstemp(prefix="kmmodel-solver-", suffix=".log")
    os.close(fd)
    try:
        s = make_solver(solver, time_limit, log_file=log_path, mip_gap=mip_gap)
        t0 = time.perf_counter()
        prob.solve(s)
        seconds = time.perf_counter() - t0
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    finally:
        os.unlink(log_path)
    status = _status(prob)
    obj = pulp.value(prob.objective) if status in ("optimal", "feasible") else None
    obj = float("nan") if obj is None else float(obj)
    # PuLP hands HiGHS a maximisation as the minimisation of -objective, so HiGHS' dual
    # bound and row duals are in terms of -objective there: flip them back
    flip = -1.0 if (solver == "highs" and prob.sense == pulp.LpMaximize) else 1.0
    gap = bound = float("nan")
    highs = getattr(prob, "solverModel", None) if solver == "highs" else None
    if is_mip and highs is not None and not math.isnan(obj):
        bound = flip * float(highs.getInfo().mip_dual_bound)
        gap = abs(obj - bound) / max(1.0, abs(obj))
    duals = {}
    if not is_mip and status == "optimal":
        rows = (prob.get_constraint_by_name(n) for n in model.row_names)
        duals = {n: flip * (c.pi or 0.0) + 0.0 for n, c in zip(model.row_names, rows)}
    return Solution(status, obj, gap, bound, log, duals, model.build_seconds, seconds, is_mip)


# -------------------------------------------------------------------------------- explain


def _amount(value: float, unit: str) -> str:
    if unit == "yuan":
        return f"{value:,.0f} yuan"
    if unit in ("package(s)", "item(s)"):
        return f"{value:.0f} {unit}"
    return f"{value:.3g} {unit}"


def slack_lines(model: Model, tol: float = 1e-6) -> list[str]:
    """``<rule> must give way by <amount>`` for every slack a solved elastic model uses."""
    lines = []
    for s in model.slacks.values():
        amount = s.var.varValue or 0.0
        if amount > (0.5 if s.unit == "yuan" else tol):
            lines.append(f"{s.rule} must give way by {_amount(amount, s.unit)}")
    return lines


def minimum_budget_line(need: float, budget: float, detail: str = "") -> str:
    """The one wording of a minimum feasible budget [yuan] above the given ``budget``."""
    return (
        f"the minimum feasible budget is {need:,.0f} yuan, {need - budget:,.0f} yuan above "
        f"the budget" + (f" ({detail})" if detail else "")
    )


def solve_or_explain(
    build: Callable[[bool], Model],
    *,
    headline: str,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = DEFAULT_MIP_GAP,
    budget: float | None = None,
    cheapest: Callable[[], Model] | None = None,
    budget_detail: Callable[[float], str] | None = None,
    pre_lines: Callable[[], list[str]] | None = None,
) -> tuple[Model, Solution]:
    """Build and solve; when infeasible, explain by an elastic re-solve and raise.

    Parameters
    ----------
    build : callable(elastic: bool) -> Model
        Builds the model, or its elastic version.
    headline : str
        First line of the error (``"no allocation of 550,000 yuan satisfies the rules"``).
    solver, time_limit, mip_gap
        See :func:`solve`.
    budget : float, optional
        The budget among the rules [yuan]; with ``cheapest`` the error also gives the
        minimum feasible budget.
    cheapest : callable() -> Model, optional
        Builds the model without the budget row, minimising the budgeted amount.
    budget_detail : callable(need) -> str, optional
        What the minimum budget is made of (floors, share rules …).
    pre_lines : callable() -> list of str, optional
        Causes found without a solver (a granularity no item can meet …), listed first.

    Raises
    ------
    InfeasibleError
        The model is infeasible (the rules that must give way, by how much, and the
        minimum feasible budget), or the solver stopped without a solution.
    """
    model = build(False)
    sol = solve(model, solver, time_limit, mip_gap)
    if sol.ok:
        return model, sol
    source = model.source
    if sol.status != "infeasible":
        raise InfeasibleError(
            f"the solver stopped with status '{sol.status}' and no solution "
            f"(time limit {time_limit} s; not proven infeasible)",
            source=source,
        )
    lines = list(pre_lines()) if pre_lines is not None else []
    elastic = build(True)
    if solve(elastic, solver, time_limit, mip_gap).ok:
        lines += slack_lines(elastic)
    if budget is not None and cheapest is not None:
        low = solve(cheapest(), solver, time_limit, mip_gap)
        if low.ok and low.objective > budget + 0.5:
            detail = budget_detail(low.objective) if budget_detail else ""
            lines.append(minimum_budget_line(low.objective, budget, detail))
        elif not low.ok:
            lines.append("no budget is enough: the other rules conflict even without it")
    if not lines:
        lines = ["the rules conflict (the elastic re-solve found no single rule to relax)"]
    raise InfeasibleError([headline, *lines], source=source)


# --------------------------------------------------------------------------------- result


@dataclass
class OptimResult:
    """Fields and hooks every optimisation result shares.

    Attributes
    ----------
    table : pandas.DataFrame
        The result's main table (one row per item or package).
    objective : float
        Objective value [the model's unit].
    status : str
        Solver status (``optimal``, ``feasible`` …).
    mip_gap : float
        Relative MIP gap reached [share 0-1]; NaN for an LP.
    log : str
        Solver log.
    build_seconds, solve_seconds : float
        Wall times [s].
    """

    table: pd.DataFrame
    objective: float
    status: str
    mip_gap: float
    log: str = field(repr=False)
    build_seconds: float
    solve_seconds: float

    def summary(self) -> str:
        """One line: status, objective and MIP gap."""
        return f"status {self.status}; objective {self.objective:,.0f}{self._gap_text()}"

    def _gap_text(self) -> str:
        return "" if math.isnan(self.mip_gap) else f"; MIP gap {self.mip_gap:.1e}"

    def to_frame(self) -> pd.DataFrame:
        """The main table as a new DataFrame (for export)."""
        return self.table.copy()


def solution_fields(sol: Solution) -> dict:
    """The :class:`OptimResult` fields that come from a :class:`Solution`."""
    return {
        "objective": sol.objective,
        "status": sol.status,
        "mip_gap": sol.mip_gap,
        "log": sol.log,
        "build_seconds": sol.build_seconds,
        "solve_seconds": sol.solve_seconds,
    }
