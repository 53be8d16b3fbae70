"""Appraise a portfolio of projects: PV by line, NPV, BCR, IRR, payback, equivalent annual cost.

Inputs are a projects table (one row per project) and a long flows table (see
:mod:`kmmodel.costbenefit.flows`). Discounting, prices (real or nominal with an
inflation rate) and optimism-bias uplifts are options of :func:`appraise`.

References
----------
.. [1] HM Treasury (2022). The Green Book (NPV, BCR, optimism bias, real prices).
.. [2] 《建设项目经济评价方法与参数》(第三版), 2006 (经济净现值, 经济内部收益率, 效益费用比).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kmmodel.costbenefit import metrics
from kmmodel.costbenefit.discount import Schedule, check_appraisal_schedule, discount_factors
from kmmodel.costbenefit.flows import (
    BENEFIT_LINES,
    COST_LINES,
    LINES,
    FlowCube,
    cube,
    line_sign,
    to_real,
    validate_flows,
)
from kmmodel.costbenefit.model import ProjectModel
from kmmodel.costbenefit.optimism import OPTIMISM_BIAS, apply_optimism_bias, uplift
from kmmodel.errors import DataError
from kmmodel.tables import Column, Table

__all__ = [
    "PROJECT_COLUMNS",
    "Appraisal",
    "appraise",
    "compare_schedules",
    "plot_npv",
    "validate_projects",
]

#: Projects, one row each; columns not declared here are kept as they are.
PROJECTS = Table(
    "projects",
    (
        Column("project", unique=True),
        Column("life_years", "int", low=1, expect="a whole number of years >= 1"),
        Column("ob_category", choices=tuple(sorted(OPTIMISM_BIAS))),
        Column("beneficiaries", "int", low=0, expect="a whole number of people >= 0"),
        Column(
            "carbon_price", "float", low=0, low_open=True, expect="a carbon price > 0 [yuan/tCO2]"
        ),
        Column("satisfaction_gain", "float", required=False, nullable=True, doc="[points]"),
    ),
)
#: Required project columns.
PROJECT_COLUMNS = PROJECTS.required


def validate_projects(projects: pd.DataFrame, source: str = "projects") -> pd.DataFrame:
    """Check a projects table (:data:`PROJECTS`): ids unique, life_years whole >= 1, known
    optimism-bias category, beneficiaries whole >= 0, carbon_price > 0 [yuan/tCO2]; all problems
    at once. ``satisfaction_gain`` [points], when present, must be a number (empty = unknown).
    """
    return PROJECTS.check(projects, source).astype({"project": str})


@dataclass(frozen=True)
class Appraisal:
    """Result of :func:`appraise`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per project: ``project, pv_costs, pv_residual, pv_benefits, npv, bcr, irr,
        payback, eac`` [yuan, ratio, share 0-1, years, yuan/year] plus ``pv_<line>``.
    cube : FlowCube
        The (possibly uplifted, real-price) flows that were discounted.
    projects : pandas.DataFrame
        The validated projects table.
    schedule : float, str or sequence
    """

    table: pd.DataFrame
    cube: FlowCube
    projects: pd.DataFrame
    schedule: Schedule

    def model(self, project: str, schedule: Schedule | None = None) -> ProjectModel:
        """The :class:`ProjectModel` of one project, for sensitivity and Monte Carlo."""
        price = float(self.projects.set_index("project").loc[project, "carbon_price"])
        return ProjectModel.from_cube(
            self.cube, project, self.schedule if schedule is None else schedule, price
        )

    def flows(self, project: str) -> pd.DataFrame:
        """Yearly flows of one project by line (rows) [yuan], net flow last."""
        a = self.cube.amounts[self.cube.index(project)]
        df = pd.DataFrame(a, index=pd.Index(LINES, name="line"))
        df.loc["net"] = line_sign(LINES) @ a
        return df


def appraise(
    projects: pd.DataFrame,
    flows: pd.DataFrame,
    schedule: Schedule = "china",
    prices: str = "real",
    inflation: float = 0.0,
    optimism: str | None = None,
    mitigation: float = 0.0,
    with_irr: bool = True,
) -> Appraisal:
    """Appraise every project.

    Parameters
    ----------
    projects : pandas.DataFrame
        See :func:`validate_projects`.
    flows : pandas.DataFrame
        Long flows (``project, year, line, amount`` [yuan]).
    schedule : float, str or sequence
        Real discount schedule (see :func:`~kmmodel.costbenefit.discount_factors`).
    prices : {"real", "nominal"}
        How ``flows`` are expressed. Nominal flows are deflated with ``inflation`` to real
        base-year yuan before discounting at the real schedule (equivalent to discounting
        nominal flows at the Fisher nominal rate).
    inflation : float
        Constant annual inflation [share 0-1]; only used with ``prices="nominal"``.
    optimism : {None, "upper", "lower"}
        Apply optimism-bias uplifts to investment cost and works duration by each project's
        ``ob_category`` (see :mod:`~kmmodel.costbenefit.optimism`).
    mitigation : float
        Share of the upper-bound uplift mitigated (the guidance's mitigation factor):
        the uplift applied is ``(1 - mitigation) * upper`` [share 0-1].
    with_irr : bool
        Compute IRRs (one root search per project; switch off for very large portfolios).

    Returns
    -------
    Appraisal
        ``irr`` is NaN where the IRR is undefined or not unique (see
        :func:`~kmmodel.costbenefit.irr`) or ``with_irr=False``; ``payback`` is NaN where
        the project never pays back.
    """
    check_appraisal_schedule(schedule)  # 6 meant as 6% would discount at 600%
    pj = validate_projects(projects)
    fl = validate_flows(flows, pj)
    if prices not in ("real", "nominal"):
        raise DataError(f"prices must be 'real' or 'nominal', got {prices!r}", "prices")
    ids = tuple(pj["project"])
    no_flows = sorted(set(ids) - set(fl["project"]))
    if no_flows:
        raise DataError(f"project(s) {no_flows} have no flows", source="flows")
    c = cube(fl, n_years=int(pj["life_years"].max()), projects=ids)
    amounts = c.amounts
    if prices == "nominal":
        amounts = to_real(amounts, inflation)
    if optimism is not None:
        ups = [uplift(cat, optimism, mitigation) for cat in pj["ob_category"]]
        adj = []
        for a, cat, (cu, du) in zip(amounts, pj["ob_category"], ups):
            if cat == "outsourcing":  # uplift on operating expenditure
                a = a.copy()
                a[LINES.index("operation")] *= 1.0 + cu
                adj.append(a)
            else:
                adj.append(apply_optimism_bias(a, cu, du))
        width = max(a.shape[1] for a in adj)
        amounts = np.stack([np.pad(a, ((0, 0), (0, width - a.shape[1]))) for a in adj])
    c = FlowCube(ids, LINES, amounts)
    try:
        d = discount_factors(c.n_years, schedule)
    except DataError as exc:
        if isinstance(schedule, str) or np.ndim(schedule) == 0:
            raise
        longest = ids[
            int(np.argmax([np.flatnonzero(a.any(axis=0)).max(initial=0) for a in amounts]))
        ]
        raise DataError(
            [*exc.problems, f"the appraisal runs {c.n_years} years (longest: project {longest})"],
            source=exc.source,
        ) from None
    pv = amounts @ d  # (projects, lines)
    pv_line = pd.DataFrame(pv, columns=[f"pv_{ln}" for ln in LINES]).drop(columns="pv_residual")
    ci = [LINES.index(x) for x in COST_LINES]
    bi = [LINES.index(x) for x in BENEFIT_LINES]
    pv_costs = pv[:, ci].sum(axis=1)
    pv_res = pv[:, LINES.index("residual")]
    pv_ben = pv[:, bi].sum(axis=1)
    net_cost = pv_costs - pv_res
    net = c.net()
    # equivalent annual cost over each project's own horizon (its last year with a flow)
    last = np.array([np.flatnonzero(a.any(axis=0)).max(initial=1) for a in amounts])
    annuity = np.cumsum(d)[np.maximum(last, 1)] - 1.0
    irr = np.full(len(ids), np.nan)
    if with_irr:
        for k, row in enumerate(net):  # one root search per project (well under 1 ms each)
            try:
                irr[k] = metrics.irr(row)
            except ValueError:  # undefined or not unique: reported as NaN
                pass
    table = pd.DataFrame(
        {
            "project": ids,
            "pv_costs": pv_costs,
            "pv_residual": pv_res,
            "pv_benefits": pv_ben,
            "npv": pv_ben + pv_res - pv_costs,
            "bcr": np.where(net_cost > 0, pv_ben / np.where(net_cost > 0, net_cost, 1), np.nan),
            "irr": irr,
            "payback": metrics.discounted_payback(net, schedule),
            "eac": net_cost / annuity,
        }
    )
    keep = [col for col in ("name_zh", "kind") if col in pj.columns]
    table = pd.concat(
        [table[["project"]], pj[keep], table.drop(columns="project"), pv_line], axis=1
    )
    return Appraisal(table, c, pj, schedule)


def compare_schedules(
    projects: pd.DataFrame,
    flows: pd.DataFrame,
    schedules: dict[str, Schedule] | None = None,
    **options,
) -> pd.DataFrame:
    """NPV and BCR of every project under several discount schedules, side by side.

    Parameters
    ----------
    projects, flows : pandas.DataFrame
        As for :func:`appraise`.
    schedules : dict, optional
        Label -> schedule; default ``{"china": "china", "green_book": "green_book"}``.
    **options
        Passed to :func:`appraise` (``prices``, ``inflation``, ``optimism``, ``mitigation``).

    Returns
    -------
    pandas.DataFrame
        ``project`` (and ``name_zh``, ``kind`` when present), ``irr``, then ``npv_<label>``
        [yuan] and ``bcr_<label>`` [ratio] per schedule, and ``decision_differs`` (bool):
        the sign of NPV is not the same under every schedule.
    """
    schedules = schedules or {"china": "china", "green_book": "green_book"}
    if not schedules:
        raise DataError("schedules must name at least one schedule", "schedules")
    out = None
    for label, sched in schedules.items():
        t = appraise(projects, flows, sched, **options).table
        if out is None:
            keep = [c for c in ("project", "name_zh", "kind", "irr") if c in t.columns]
            out = t[keep].copy()
        out[f"npv_{label}"] = t["npv"].to_numpy()
        out[f"bcr_{label}"] = t["bcr"].to_numpy()
    signs = np.sign(out[[f"npv_{k}" for k in schedules]].to_numpy())
    out["decision_differs"] = (signs != signs[:, [0]]).any(axis=1)
    return out


def plot_npv(table: pd.DataFrame, ax=None, labels: str = "name_zh", scale: float = 1e6):
    """Horizontal bars of ``npv_<label>`` columns of :func:`compare_schedules` [百万元]."""
    import matplotlib.pyplot as plt

    cols = [c for c in table.columns if c.startswith("npv_")]
    if not cols:
        raise DataError("no npv_<schedule> columns to plot", "table")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 0.45 * len(table) + 1.5))
    y = np.arange(len(table))
    h = 0.8 / len(cols)
    for k, col in enumerate(cols):
        ax.barh(y + (k - (len(cols) - 1) / 2) * h, table[col] / scale, h, label=col[4:])
    names = table[labels] if labels in table.columns else table["project"]
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=1)
    ax.set_xlabel("净现值 NPV [百万元]" if scale == 1e6 else f"NPV [{scale:g} yuan]")
    ax.legend(title="折现方案 schedule", fontsize=8)
    return ax
