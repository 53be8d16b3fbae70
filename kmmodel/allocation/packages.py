"""Awarding bidding sub-packages to evaluation agencies (a GAP with side constraints).

Items are grouped into packages (the ``package`` column of the items table); each
package goes to exactly one agency that bid for it. Hard rules, checked before the
model is built so that each excluded bid carries its reason:

- **independence** ("three-independent"): the agency has no tie to the commissioning
  body, to any item's budget unit or to any evaluated object in the package;
- **qualification**: the agency holds every qualification the package's items require;
- **deadlines**: the bid delivers the plan within ``plan_deadline`` and the report
  within ``report_deadline`` months of signing (1 and 3 months in the seed text);
- **quality floor**: the bid's technical score is at least ``quality_floor``;
- **fit**: the package's effort fits the agency's capacity at all.

In the MILP: each package awarded once; each agency's awarded effort within its
capacity [person-months]; at most ``max_packages`` packages per agency; total price
within the budget. Objective: quality-weighted value minus price (``"value"``) or the
lowest total price (``"price"``).

References
----------
Ross, G. T. and Soland, R. M. (1975). A branch and bound algorithm for the
generalized assignment problem. Mathematical Programming 8, 91-103.
Ministry of Finance of the PRC (2021). 第三方机构预算绩效评价业务监督管理暂行办法
(财监〔2021〕4号): independence and qualification of third-party evaluators.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.allocation.inputs import check_agencies, check_bids, check_items, split_list
from kmmodel.allocation.solver import solve
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = [
    "PLAN_DEADLINE",
    "REPORT_DEADLINE",
    "AwardResult",
    "assign_packages",
    "bid_eligibility",
    "package_table",
    "seed_deadlines",
]

OBJECTIVES = ("value", "price")


PLAN_DEADLINE = 1.0
"""Evaluation plan due within 1 month of signing [months]; seed text, fact
``evaluation_plan_deadline`` of ``data/seed_facts.yaml`` (which quotes the sentence)."""

REPORT_DEADLINE = 3.0
"""Evaluation report due within 3 months of signing [months]; seed text, fact
``evaluation_report_deadline`` of ``data/seed_facts.yaml``."""


def seed_deadlines() -> tuple[float, float]:
    """(plan, report) deadlines [months after signing] from the seed text (1 and 3).

    The figures are :data:`PLAN_DEADLINE` and :data:`REPORT_DEADLINE`; a test checks
    them against the shipped ``seed_facts`` (which quote the seed sentence).
    """
    return PLAN_DEADLINE, REPORT_DEADLINE


def package_table(items: pd.DataFrame, commissioner: str) -> pd.DataFrame:
    """One row per package: items, effort [person-months], reserve [yuan, summed
    ``max_cost``], the bodies an agency must be independent of, and required qualifications."""
    g = items.groupby("package", sort=True)
    out = pd.DataFrame(
        {
            "items": g["item"].agg(", ".join),
            "names_zh": g["name_zh"].agg("、".join),
            "effort_pm": g["effort_pm"].sum(),
            "reserve": g["max_cost"].sum(),
        }
    )
    out.index.name = "package"
    return out.reset_index()


def _long(df: pd.DataFrame, key: str, col: str, name: str) -> pd.DataFrame:
    """Explode a ``;``-list column into (key, name) rows."""
    s = df[col].map(lambda v: sorted(split_list(v)))
    return pd.DataFrame({key: df[key], name: s}).explode(name).dropna()


def bid_eligibility(
    items: pd.DataFrame,
    agencies: pd.DataFrame,
    bids: pd.DataFrame,
    commissioner: str,
    quality_floor: float,
    plan_deadline: float,
    report_deadline: float,
) -> pd.DataFrame:
    """Every bid with ``eligible`` and ``reasons`` (why it is excluded), vectorised by merges.

    Inputs must be validated. Returns ``bids`` plus ``effort_pm``, ``reserve``,
    ``capacity_pm``, ``eligible`` and ``reasons``.
    """
    pk = package_table(items, commissioner)
    b = bids.merge(pk[["package", "effort_pm", "reserve"]], on="package", how="left")
    b = b.merge(agencies[["agency", "capacity_pm"]], on="agency", how="left")
    reasons = pd.Series([[] for _ in range(len(b))], index=b.index, dtype=object)
    key = ["package", "agency"]

    # independence: ties of the agency x bodies of the package (commissioner, units, objects)
    bodies = pd.concat(
        [
            items[["package", "budget_unit"]].rename(columns={"budget_unit": "body"}),
            items[["package", "evaluated_object"]].rename(columns={"evaluated_object": "body"}),
            pd.DataFrame({"package": pk["package"], "body": commissioner}),
        ]
    ).drop_duplicates()
    ties = _long(agencies, "agency", "ties", "body")
    clash = b[key].merge(ties, on="agency").merge(bodies, on=["package", "body"])
    clash_txt = clash.groupby(key)["body"].agg(lambda s: "tied to " + "、".join(sorted(set(s))))
    # qualification: required by any item of the package, not held by the agency
    need = items.loc[
        items["qualification"] != "any", ["package", "qualification"]
    ].drop_duplicates()
    held = _long(agencies, "agency", "qualifications", "qualification").assign(ok=True)
    lack = b[key].merge(need, on="package").merge(held, on=["agency", "qualification"], how="left")
    lack = lack[lack["ok"].isna()]
    lack_txt = lack.groupby(key)["qualification"].agg(
        lambda s: "lacks qualification " + "、".join(sorted(set(s)))
    )

    idx = pd.MultiIndex.from_frame(b[key])
    txt = pd.DataFrame(index=idx)
    txt["independence"] = clash_txt.reindex(idx).to_numpy()
    txt["qualification"] = lack_txt.reindex(idx).to_numpy()

    def flag(mask, *parts) -> np.ndarray:
        """Reason text where ``mask`` holds (formatting only those rows), else None."""
        out = np.full(len(b), None, dtype=object)
        if mask.any():
            sub = b[mask]
            text = pd.Series("", index=sub.index)
            for part in parts:
                text = text + (sub[part].map("{:g}".format) if part in sub.columns else part)
            out[mask] = text.to_numpy()
        return out

    txt["plan"] = flag(
        b["plan_months"].to_numpy() > plan_deadline,
        "plan after ",
        "plan_months",
        f" months (> {plan_deadline:g})",
    )
    txt["report"] = flag(
        b["report_months"].to_numpy() > report_deadline,
        "report after ",
        "report_months",
        f" months (> {report_deadline:g})",
    )
    txt["quality"] = flag(
        b["quality"].to_numpy() < quality_floor,
        "quality ",
        "quality",
        f" below floor {quality_floor:g}",
    )
    txt["capacity"] = flag(
        b["effort_pm"].to_numpy() > b["capacity_pm"].to_numpy(),
        "package needs ",
        "effort_pm",
        " person-months, agency has ",
        "capacity_pm",
    )
    # join the reasons column by column (no per-row Python loop)
    reasons = np.full(len(b), "", dtype=object)
    for col in txt.columns:
        v = txt[col].to_numpy(dtype=object)
        has = pd.notna(v)
        reasons = np.where(
            has & (reasons == ""), v, np.where(has, reasons + "; " + v.astype(str), reasons)
        )
    b["reasons"] = reasons
    b["eligible"] = b["reasons"] == ""
    return b


@dataclass
class AwardResult:
    """Result of :func:`assign_packages`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per package: ``package``, ``items``, ``agency``, ``agency_name``,
        ``price`` [yuan], ``quality`` [points], ``effort_pm`` [person-months],
        ``reserve`` [yuan], ``net_value`` [yuan: quality/100 x reserve - price].
    objective : float
        Model objective: total net value [yuan] (``"value"``) or total price [yuan].
    status : str
        Solver status.
    bids : pandas.DataFrame
        Every bid with ``eligible`` and the ``reasons`` it was excluded.
    load : pandas.DataFrame
        Per agency: ``packages`` won, ``effort_pm`` used, ``capacity_pm``.
    total_price, budget : float
        Total awarded price and the budget [yuan].
    log : str
        Solver log.
    """

    table: pd.DataFrame
    objective: float
    status: str
    bids: pd.DataFrame
    load: pd.DataFrame
    total_price: float
    budget: float
    log: str
    build_seconds: float
    solve_seconds: float
    options: dict = field(default_factory=dict, repr=False)


def _validate(items, agencies, bids, budget, objective, quality_floor, max_packages):
    probs = Problems(source="assign_packages")
    it = check_items(items, "items", for_packages=True)
    ag = check_agencies(agencies, "agencies")
    bd = check_bids(bids, "bids", agencies=ag, packages=set(it["package"].dropna()))
    if objective not in OBJECTIVES:
        probs.add(f"expected one of {OBJECTIVES}, got {objective!r}", "objective")
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        probs.add(f"expected a budget >= 0 [yuan], got {budget!r}", "budget")
    if not (0 <= quality_floor <= 100):
        probs.add(f"expected 0-100 points, got {quality_floor!r}", "quality_floor")
    if max_packages is not None and not (
        isinstance(max_packages, (int, np.integer)) and max_packages >= 1
    ):
        probs.add(f"expected a whole number >= 1, got {max_packages!r}", "max_packages")
    probs.raise_if_any(DataError)
    return it, ag, bd


def _no_candidate(b: pd.DataFrame, pk: pd.DataFrame) -> list[str]:
    """Packages without any eligible bid, each with why every bid fails."""
    lines = []
    ok = b.groupby("package")["eligible"].any().reindex(pk["package"], fill_value=False)
    for package in ok.index[~ok.to_numpy()]:
        row = pk.set_index("package").loc[package]
        pb = b[b["package"] == package]
        why = "; ".join(f"{a}: {r}" for a, r in zip(pb["agency"], pb["reasons"])) or "no bids"
        lines.append(
            f"package {package} (items {row['items']}: {row['names_zh']}) has no qualified, "
            f"independent agency with capacity and an on-time bid — {why}"
        )
    return lines


def _build(b, budget, objective, max_packages, elastic=False, min_price=False):
    """MILP over eligible bids ``b`` (rows = candidate awards)."""
    import pulp

    t0 = time.perf_counter()
    n = len(b)
    sense = pulp.LpMinimize if (elastic or min_price or objective == "price") else pulp.LpMaximize
    prob = pulp.LpProblem("package_award", sense)
    z = [prob.add_variable(f"z_{k}", cat=pulp.LpBinary) for k in range(n)]
    price = b["price"].to_numpy(float)
    effort = b["effort_pm"].to_numpy(float)
    slack, rules, cons = {}, {}, {}

    def relax(name, rule, sign, weight, terms):
        if elastic:
            slack[name] = (prob.add_variable(f"slack_{name}", lowBound=0), weight)
            rules[name] = rule
            return [*terms, (slack[name][0], sign)]
        return terms

    pos = b.groupby("package", sort=True).indices
    for k, (package, rows) in enumerate(pos.items()):
        terms = relax(
            f"cover_{k}", f"package {package} awarded", 1.0, 1000.0, [(z[r], 1.0) for r in rows]
        )
        cons[f"cover_{k}"] = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, rhs=1
        )
    caps = b.groupby("agency", sort=True)["capacity_pm"].first()
    for k, (agency, rows) in enumerate(b.groupby("agency", sort=True).indices.items()):
        cap = float(caps[agency])
        terms = relax(
            f"cap_{k}",
            f"capacity of agency {agency} ({cap:g} person-months)",
            -1.0,
            1.0,
            [(z[r], float(effort[r])) for r in rows],
        )
        cons[f"cap_{k}"] = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=cap
        )
        if max_packages is not None:
            terms = relax(
                f"count_{k}",
                f"at most {max_packages} package(s) for agency {agency}",
                -1.0,
                1.0,
                [(z[r], 1.0) for r in rows],
            )
            cons[f"count_{k}"] = pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=float(max_packages)
            )
    if budget is not None and not min_price:
        terms = relax(
            "budget", f"budget ({budget:,.0f} yuan)", -1.0, 1e-4, list(zip(z, price.tolist()))
        )
        cons["budget"] = pulp.LpConstraint(
            pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=float(budget)
        )
    prob.extend(cons)
    if elastic:
        prob.setObjective(pulp.LpAffineExpression((v, w) for v, w in slack.values()))
    elif min_price or objective == "price":
        prob.setObjective(pulp.LpAffineExpression(zip(z, price.tolist())))
    else:
        net = b["quality"].to_numpy(float) / 100.0 * b["reserve"].to_numpy(float) - price
        prob.setObjective(pulp.LpAffineExpression(zip(z, net.tolist())))
    return prob, z, slack, rules, time.perf_counter() - t0


def slack_amount(name: str, amount: float) -> str:
    """How much an elastic rule gave way, in its own unit (yuan, person-months, count)."""
    if name == "budget":
        return f"{amount:,.0f} yuan"
    if name.startswith("cap"):
        return f"{amount:.3g} person-months"
    if name.endswith("_size"):
        return f"{amount:.0f} item(s)"
    return f"{amount:.0f} package(s)"


def award_fields(table, bids, key: str, agencies, budget, info) -> dict:
    """Fields an award result shares: per-agency load, bid table, totals, solver record.

    ``key`` is the column bids are made on (``"package"`` or ``"item"``).
    """
    load = (
        table.groupby("agency")
        .agg(packages=("package", "count"), effort_pm=("effort_pm", "sum"))
        .reindex(agencies["agency"], fill_value=0)
        .reset_index()
        .merge(agencies[["agency", "capacity_pm"]], on="agency")
    )
    cols = [key, "agency", "price", "quality", "plan_months", "report_months"]
    return {
        "table": table,
        "objective": info.objective,
        "status": info.status,
        "bids": bids[[*cols, "eligible", "reasons"]],
        "load": load,
        "total_price": float(table["price"].sum()),
        "budget": float("nan") if budget is None else float(budget),
        "log": info.log,
        "build_seconds": info.build_seconds,
        "solve_seconds": info.solve_seconds,
    }


def _explain(b, budget, objective, max_packages, solver, time_limit) -> list[str]:
    prob, _, slack, rules, _ = _build(b, budget, objective, max_packages, elastic=True)
    info = solve(prob, solver, time_limit)
    lines = []
    if info.status in ("optimal", "feasible"):
        for name, (var, _) in slack.items():
            amount = var.varValue or 0.0
            if amount > 1e-6:
                by = slack_amount(name, amount)
                what = "is left unawarded" if name.startswith("cover") else f"must give way by {by}"
                lines.append(f"{rules[name]} {what}")
    if budget is not None:
        prob, _, _, _, _ = _build(b, budget, objective, max_packages, min_price=True)
        info = solve(prob, solver, time_limit)
        if info.status == "optimal" and info.objective > budget + 1e-6:
            lines.append(
                f"the cheapest award that meets the other rules costs {info.objective:,.0f} yuan, "
                f"{info.objective - budget:,.0f} yuan above the budget (the minimum feasible budget)"
            )
        elif info.status != "optimal":
            lines.append(
                "even without the budget, capacity and package-count rules cannot all hold"
            )
    return lines or ["the rules conflict (elastic re-solve found no single rule to relax)"]


def assign_packages(
    items: pd.DataFrame,
    agencies: pd.DataFrame,
    bids: pd.DataFrame,
    budget: float | None = 550_000,
    objective: str = "value",
    quality_floor: float = 60.0,
    max_packages: int | None = 2,
    commissioner: str = "市财政局",
    plan_deadline: float | None = None,
    report_deadline: float | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
) -> AwardResult:
    """Award each sub-package to one eligible agency.

    Parameters
    ----------
    items : pandas.DataFrame
        Items with ``item``, ``package``, ``budget_unit``, ``evaluated_object``,
        ``qualification`` (``cpa``/``research``/``engineering``/``any``), ``effort_pm``
        [person-months] and ``max_cost`` [yuan] (a package's reserve is the sum).
    agencies : pandas.DataFrame
        ``agency``, ``qualifications`` (``;``-list), ``capacity_pm`` [person-months in
        the report window], ``ties`` (``;``-list of bodies; may be empty), ``name_zh``.
    bids : pandas.DataFrame
        ``package``, ``agency``, ``price`` [yuan], ``quality`` [points 0-100],
        ``plan_months``, ``report_months`` [months after signing].
    budget : float or None, default 550,000
        Cap on the total awarded price [yuan]; None for no cap.
    objective : {"value", "price"}
        Maximise sum of quality/100 x reserve - price [yuan], or minimise total price.
    quality_floor : float, default 60
        Bids scoring below are excluded [points].
    max_packages : int or None, default 2
        Packages one agency may win.
    commissioner : str, default "市财政局"
        The commissioning body (agencies tied to it are never independent).
    plan_deadline, report_deadline : float, optional
        [months after signing]; default from ``seed_facts`` (1 and 3 months).
    solver, time_limit
        See :func:`kmmodel.allocation.solver.solve`.

    Returns
    -------
    AwardResult

    Raises
    ------
    DataError
        Bad tables (unknown agency ids in bids, unknown packages, duplicate ids,
        negative prices …) or options; all problems listed.
    InfeasibleError
        A package has no eligible bid (each bid's reason given), or the capacity,
        package-count and budget rules conflict (elastic re-solve; minimum budget).
    """
    it, ag, bd = _validate(items, agencies, bids, budget, objective, quality_floor, max_packages)
    if plan_deadline is None or report_deadline is None:
        p0, r0 = seed_deadlines()
        plan_deadline = p0 if plan_deadline is None else plan_deadline
        report_deadline = r0 if report_deadline is None else report_deadline
    b = bid_eligibility(it, ag, bd, commissioner, quality_floor, plan_deadline, report_deadline)
    pk = package_table(it, commissioner)
    missing = _no_candidate(b, pk)
    if missing:
        raise InfeasibleError(missing, source="assign_packages")
    cand = b[b["eligible"]].reset_index(drop=True)
    prob, z, _, _, build_s = _build(cand, budget, objective, max_packages)
    info = solve(prob, solver, time_limit, build_seconds=build_s)
    if info.status == "infeasible":
        raise InfeasibleError(
            ["no award satisfies every rule"]
            + _explain(cand, budget, objective, max_packages, solver, time_limit),
            source="assign_packages",
        )
    if info.status not in ("optimal", "feasible"):
        raise InfeasibleError(
            f"solver stopped with status '{info.status}' (time limit {time_limit} s)",
            source="assign_packages",
        )
    won = np.array([(v.varValue or 0.0) > 0.5 for v in z])
    w = (
        cand[won]
        .merge(pk[["package", "items"]], on="package")
        .merge(ag[["agency", "name_zh"]].rename(columns={"name_zh": "agency_name"}), on="agency")
    )
    w["net_value"] = w["quality"] / 100.0 * w["reserve"] - w["price"]
    table = w[
        [
            "package",
            "items",
            "agency",
            "agency_name",
            "price",
            "quality",
            "effort_pm",
            "reserve",
            "net_value",
        ]
    ].sort_values("package", ignore_index=True)
    return AwardResult(
        **award_fields(table, b, "package", ag, budget, info),
        options={
            "objective": objective,
            "quality_floor": quality_floor,
            "max_packages": max_packages,
        },
    )
