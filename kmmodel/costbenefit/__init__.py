"""Lifecycle cost-benefit analysis: discounting, NPV/BCR/IRR, uncertainty, cost chain, satisfaction.

Modules
-------
- :mod:`~kmmodel.costbenefit.discount`: schedules (constant, ``"china"`` 8 %,
  ``"china_long"`` 6 %, ``"green_book"`` declining, per-year) and annuity factors
- :mod:`~kmmodel.costbenefit.metrics`: NPV, BCR, IRR, discounted payback, EAC,
  cost-effectiveness
- :mod:`~kmmodel.costbenefit.flows`: lifecycle flows by phase and benefit line, real/nominal
- :mod:`~kmmodel.costbenefit.appraisal`: appraise a portfolio of projects
- :mod:`~kmmodel.costbenefit.optimism`: Green Book optimism-bias uplifts
- :mod:`~kmmodel.costbenefit.model`, :mod:`~kmmodel.costbenefit.inputs`,
  :mod:`~kmmodel.costbenefit.sensitivity`, :mod:`~kmmodel.costbenefit.montecarlo`:
  tornado, switching values, scenarios, Monte Carlo
- :mod:`~kmmodel.costbenefit.chain`: budget -> execution -> final-accounts cost chain
- :mod:`~kmmodel.costbenefit.satisfaction`: cost and satisfaction in one frame
- :mod:`~kmmodel.costbenefit.green`: green-power / carbon benefit line
- the ``kmmodel appraise`` command is :mod:`kmmodel.cli.appraise`

Examples
--------
>>> from kmmodel import costbenefit as cba
>>> cba.discount_factors(3, "china").round(4).tolist()
[1.0, 0.9259, 0.8573, 0.7938]
>>> round(cba.npv([-100, 60, 60], 0.1), 4)
4.1322
>>> round(cba.irr([-100, 60, 60]), 4)
0.1307
"""

from __future__ import annotations

from kmmodel.costbenefit.appraisal import (
    Appraisal,
    appraise,
    compare_schedules,
    plot_npv,
    validate_projects,
)
from kmmodel.costbenefit.chain import CostChain, cost_chain
from kmmodel.costbenefit.discount import (
    CHINA_LONG_RATE,
    CHINA_RATE,
    GREEN_BOOK_BANDS,
    SCHEDULES,
    annuity_factor,
    check_appraisal_schedule,
    discount_factors,
    nominal_rate,
    real_rate,
)
from kmmodel.costbenefit.flows import (
    BENEFIT_LINES,
    COST_LINES,
    LINES,
    FlowCube,
    cube,
    to_nominal,
    to_real,
    validate_flows,
)
from kmmodel.costbenefit.green import carbon_benefit
from kmmodel.costbenefit.inputs import Input
from kmmodel.costbenefit.metrics import (
    bcr,
    cost_effectiveness,
    discounted_payback,
    equivalent_annual_cost,
    irr,
    irr_roots,
    npv,
)
from kmmodel.costbenefit.model import ProjectModel
from kmmodel.costbenefit.montecarlo import MonteCarloResult, monte_carlo
from kmmodel.costbenefit.optimism import (
    OPTIMISM_BIAS,
    apply_optimism_bias,
    combined_uplift,
    optimism_table,
    uplift,
    uplift_between_bounds,
)
from kmmodel.costbenefit.satisfaction import CostSatisfaction, cost_satisfaction
from kmmodel.costbenefit.sensitivity import (
    default_inputs,
    plot_tornado,
    rank_switch,
    rank_switches,
    scenarios,
    switching_values,
    tornado,
)

__all__ = [
    "BENEFIT_LINES",
    "CHINA_LONG_RATE",
    "CHINA_RATE",
    "COST_LINES",
    "GREEN_BOOK_BANDS",
    "LINES",
    "OPTIMISM_BIAS",
    "SCHEDULES",
    "Appraisal",
    "CostChain",
    "CostSatisfaction",
    "FlowCube",
    "Input",
    "MonteCarloResult",
    "ProjectModel",
    "annuity_factor",
    "check_appraisal_schedule",
    "apply_optimism_bias",
    "appraise",
    "bcr",
    "compare_schedules",
    "carbon_benefit",
    "combined_uplift",
    "cost_chain",
    "cost_effectiveness",
    "cost_satisfaction",
    "cube",
    "default_inputs",
    "discount_factors",
    "discounted_payback",
    "equivalent_annual_cost",
    "irr",
    "irr_roots",
    "monte_carlo",
    "nominal_rate",
    "npv",
    "optimism_table",
    "plot_npv",
    "plot_tornado",
    "rank_switch",
    "rank_switches",
    "real_rate",
    "scenarios",
    "switching_values",
    "to_nominal",
    "to_real",
    "tornado",
    "uplift",
    "uplift_between_bounds",
    "validate_flows",
    "validate_projects",
]
