"""Solving a PuLP model: HiGHS (through highspy) by default, CBC only when asked.

Model building, solving and reading results are separate steps (as in PyPSA/linopy):
each model module builds a :class:`pulp.LpProblem`, :func:`solve` runs it and
returns a :class:`SolveInfo` (status, objective, solver log, times), and the model
module reads the variable values back into tidy tables.

References
----------
Huangfu, Q. and Hall, J. A. J. (2018). Parallelizing the dual revised simplex
method. Mathematical Programming Computation 10, 119-142 (HiGHS).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

__all__ = ["SOLVERS", "SolveInfo", "make_solver", "solve"]

SOLVERS = ("highs", "cbc")
_BANNER_DONE = False


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


@dataclass(frozen=True)
class SolveInfo:
    """Outcome of one solver run.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"feasible"`` (a time limit stopped a MILP with an incumbent),
        ``"infeasible"``, ``"unbounded"`` or ``"not solved"``.
    objective : float
        Objective value of the returned solution (NaN when there is none).
    log : str
        The solver's log text.
    build_seconds, solve_seconds : float
        Wall time [s] of model building (filled by the caller) and of the solver call.
    """

    status: str
    objective: float
    log: str
    build_seconds: float
    solve_seconds: float


def make_solver(
    solver: str = "highs", time_limit: float | None = None, log_file: str | None = None
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
        Where the solver writes its log (HiGHS only; read back by :func:`solve`).
    """
    import pulp

    if time_limit is not None and not time_limit > 0:
        from kmmodel.errors import DataError

        raise DataError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    if solver == "highs":
        _quiet_highs_banner()
        opts = {"log_to_console": False, "log_file": log_file} if log_file else {}
        return pulp.HiGHS(msg=bool(log_file), timeLimit=time_limit, threads=1, **opts)
    if solver == "cbc":
        # a CBC executable on PATH (never the binary bundled inside PuLP, which PuLP 4 drops)
        cbc = pulp.COIN_CMD(msg=False, timeLimit=time_limit, logPath=log_file)
        if not cbc.available():
            from kmmodel.errors import DataError

            raise DataError(
                "solver 'cbc' asked for but no CBC executable was found on PATH; "
                "install CBC (e.g. `conda install coin-or-cbc`) or use solver='highs'"
            )
        return cbc
    from kmmodel.errors import DataError

    raise DataError(f"unknown solver {solver!r}; expected one of {SOLVERS}")


def solve(
    prob, solver: str = "highs", time_limit: float | None = None, build_seconds: float = 0.0
) -> SolveInfo:
    """Solve ``prob`` in place and describe the outcome.

    Parameters
    ----------
    prob : pulp.LpProblem
        The model; variable values are written back into it.
    solver : {"highs", "cbc"}
        See :func:`make_solver`.
    time_limit : float, optional
        Wall-time limit [s].
    build_seconds : float
        Model-building time [s] to record in the result.

    Returns
    -------
    SolveInfo
    """
    import pulp

    fd, log_path = tempfile.mkstemp(prefix="kmmodel-solver-", suffix=".log")
    os.close(fd)
    try:
        s = make_solver(solver, time_limit, log_file=log_path)
        t0 = time.perf_counter()
        prob.solve(s)
        seconds = time.perf_counter() - t0
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    finally:
        os.unlink(log_path)
    code = prob.status
    sol = getattr(prob, "sol_status", None)
    if code == pulp.LpStatusOptimal:
        status = "optimal" if sol in (None, pulp.LpSolutionOptimal) else "feasible"
    elif code == pulp.LpStatusInfeasible:
        status = "infeasible"
    elif code == pulp.LpStatusUnbounded:
        status = "unbounded"
    else:
        status = "not solved"
    obj = pulp.value(prob.objective) if status in ("optimal", "feasible") else None
    return SolveInfo(
        status=status,
        objective=float("nan") if obj is None else float(obj),
        log=log,
        build_seconds=float(build_seconds),
        solve_seconds=seconds,
    )
