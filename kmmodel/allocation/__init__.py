"""Evaluation-budget optimisation: budget allocation, package awards and the GAP.

- :func:`allocate_budget` — split an evaluation budget across items (LP, or MILP
  with a granularity), with the budget's marginal value per yuan (LP dual) and the
  gain of the next 10,000 yuan (re-solved); :func:`budget_sweep` (or
  ``result.sweep()``) gives the budget curve.
- :func:`assign_packages` — award bidding sub-packages to agencies under
  independence, qualification, capacity, deadline and budget rules (a GAP with
  side constraints).
- :func:`form_packages` — decide which items go together *and* who wins each
  package, from item-level bids (sizes, package count, volume discount; same rules);
  ``fixed=True`` keeps the given grouping.
- :func:`tender_scores`, :func:`award_tender` — the legal tender (综合评分法 /
  最低评标价法 of 财政部令第87号, small-firm price deduction, abnormally low bids);
  :func:`compare_awards` and :func:`price_weight_sensitivity` — what the rule costs.
- :func:`solve_gap` — the plain generalized assignment problem (OR-Library format,
  :func:`read_gap`).
- :class:`InfeasibleError` — raised with the rules that conflict, found by an
  elastic re-solve.

Building, solving and reading results are separate steps (``build_*`` functions
returning a :class:`~kmmodel.allocation.fitting.Model`,
:func:`kmmodel.allocation.fitting.solve`, result dataclasses), and one elastic re-solve
explains infeasibility (:mod:`kmmodel.allocation.fitting`). All models are PuLP models
solved by HiGHS (``highspy``, relative MIP gap 1e-9 unless ``mip_gap=`` says otherwise)
unless ``solver="cbc"`` is asked for.

Examples
--------
>>> import kmmodel as km
>>> from kmmodel import allocation
>>> res = allocation.allocate_budget(km.datasets.load("evaluation_items"), budget=550_000)
>>> res.status, round(res.spent)
('optimal', 550000)
"""

from kmmodel.allocation.budget import BudgetResult, allocate_budget, budget_sweep, minimum_budget
from kmmodel.allocation.formation import (
    FormationResult,
    compare_packagings,
    form_packages,
    split_package_bids,
)
from kmmodel.allocation.gap import solve_gap
from kmmodel.allocation.orlib import GapInstance, read_gap
from kmmodel.allocation.packages import AwardResult, assign_packages
from kmmodel.allocation.tender import tender_scores
from kmmodel.allocation.tender_award import (
    TenderAward,
    award_tender,
    compare_awards,
    price_weight_sensitivity,
)
from kmmodel.errors import InfeasibleError

__all__ = [
    "AwardResult",
    "BudgetResult",
    "FormationResult",
    "GapInstance",
    "InfeasibleError",
    "TenderAward",
    "allocate_budget",
    "assign_packages",
    "award_tender",
    "budget_sweep",
    "compare_awards",
    "compare_packagings",
    "form_packages",
    "minimum_budget",
    "price_weight_sensitivity",
    "read_gap",
    "solve_gap",
    "split_package_bids",
    "tender_scores",
]
