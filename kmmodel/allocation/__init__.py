"""Evaluation-budget optimisation: budget allocation, package awards and the GAP.

- :func:`allocate_budget` — split an evaluation budget across items (LP, or MILP
  with a granularity), with the budget's shadow price and a budget sweep.
- :func:`assign_packages` — award bidding sub-packages to agencies under
  independence, qualification, capacity, deadline and budget rules (a GAP with
  side constraints).
- :func:`solve_gap` — the plain generalized assignment problem (OR-Library format).
- :class:`InfeasibleError` — raised with the rules that conflict, found by an
  elastic re-solve.

All models are PuLP models solved by HiGHS (``highspy``) unless ``solver="cbc"``.
"""

from kmmodel.allocation.gap import solve_gap
from kmmodel.errors import InfeasibleError

__all__ = ["InfeasibleError", "solve_gap"]
