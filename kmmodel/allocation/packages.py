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

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.allocation.fitting import (
    DEFAULT_MIP_GAP,
    Model,
    OptimResult,
    Solution,
    check_solve_options,
    solution_fields,
    solve_or_explain,
    values,
)
from kmmodel.allocation.inputs import check_agencies, check_bids, check_items, split_list
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = [
    "AwardResult",
    "assign_packages",
    "bid_eligibility",
    "build_award",
    "package_table",
    "seed_deadlines",
]

OBJECTIVES = ("value", "price")
NO_SOLVE = ("highs", None, 0.0)  # solver options checked by build_* (they do not solve)


def seed_deadlines() -> tuple[float, float]:
    """(plan, report) deadlines [months after signing] from the seed text (1 and 3)."""
    from kmmodel import datasets

    facts = datasets.load("seed_facts").set_index("id")["value"]
    return float(facts["evaluation_plan_deadline"]), float(facts["evaluation_report_deadline"])


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


# ------------------------------------------------- validation shared with form_packages


def check_whole(value, name: str, low: int, probs: Problems, allow_none: bool = True) -> bool:
    """Add a problem unless ``value`` is a whole number >= ``low`` (or None if allowed)."""
    if value is None and allow_none:
        return True
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low
    if not ok:
        probs.add(f"expected a whole number >= {low}, got {value!r}", name)
    return ok


def check_award_options(
    probs: Problems,
    budget,
    objective,
    quality_floor,
    max_packages,
    solver,
    time_limit,
    mip_gap,
    *,
    commissioner="市财政局",
    months=(None, None),
) -> None:
    """The options :func:`assign_packages` and :func:`form_packages` share.

    ``months`` are the (plan, report) deadlines [months after signing], None for the
    seed text's."""

    def number(v) -> bool:
        return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
            v, (bool, np.bool_)
        )

    if objective not in OBJECTIVES:
        probs.add(f"expected one of {OBJECTIVES}, got {objective!r}", "objective")
    if budget is not None and not (number(budget) and math.isfinite(budget) and budget >= 0):
        probs.add(f"expected a budget >= 0 [yuan] or None, got {budget!r}", "budget")
    if not (number(quality_floor) and 0 <= quality_floor <= 100):
        probs.add(f"expected 0-100 points, got {quality_floor!r}", "quality_floor")
    check_whole(max_packages, "max_packages", 1, probs)
    check_solve_options(solver, time_limit, mip_gap, probs)
    if not (isinstance(commissioner, str) and commissioner.strip()):
        probs.add(f"expected the commissioning body's name, got {commissioner!r}", "commissioner")
    for name, v in zip(("plan_deadline", "report_deadline"), months):
        if v is not None and not (number(v) and math.isfinite(v) and v > 0):
            probs.add(f"expected a positive number of months or None, got {v!r}", name)


def deadlines(plan_deadline, report_deadline) -> tuple[float, float]:
    """The given (plan, report) deadlines [months], each defaulting to the seed text's."""
    if plan_deadline is None or report_deadline is None:
        p0, r0 = seed_deadlines()
        plan_deadline = p0 if plan_deadline is None else plan_deadline
        report_deadline = r0 if report_deadline is None else report_deadline
    return float(plan_deadline), float(report_deadline)


def no_candidate(b: pd.DataFrame, key: str, labels: pd.Series) -> list[str]:
    """Every package (``key="package"``) or item without an eligible bid, with why each
    of its bids fails; ``labels`` maps the id to its text in the message."""
    ok = b.groupby(key)["eligible"].any().reindex(labels.index, fill_value=False)
    lines = []
    for k in ok.index[~ok.to_numpy()]:
        kb = b[b[key] == k]
        why = "; ".join(f"{a}: {r}" for a, r in zip(kb["agency"], kb["reasons"])) or "no bids"
        lines.append(
            f"{labels[k]} has no qualified, independent agency with capacity and an on-time "
            f"bid — {why}"
        )
    return lines


# ------------------------------------------------------- build rules shared by both models


def add_agency_rules(m: Model, rows: pd.DataFrame, xv: list, counted: dict, max_packages) -> None:
    """Capacity [person-months] and package count per agency.

    ``rows`` are the candidate rows of ``xv`` (``agency``, ``effort_pm``,
    ``capacity_pm``); ``counted`` maps an agency to the variables that count its packages.
    """
    effort = rows["effort_pm"].to_numpy(float)
    caps = rows.groupby("agency", sort=True)["capacity_pm"].first()
    for k, (agency, idx) in enumerate(rows.groupby("agency", sort=True).indices.items()):
        cap = float(caps[agency])
        m.add(
            f"cap_{k}",
            [(xv[r], float(effort[r])) for r in idx],
            "<=",
            cap,
            rule=f"capacity of agency {agency} ({cap:g} person-months)",
            relax=(f"cap_{k}", "person-months", 1),
        )
        if max_packages is not None:
            m.add(
                f"count_{k}",
                [(v, 1.0) for v in counted[agency]],
                "<=",
                max_packages,
                rule=f"at most {max_packages} package(s) for agency {agency}",
                relax=(f"count_{k}", "package(s)", 1),
            )


def add_budget(m: Model, cost: list, budget) -> None:
    """The budget row on the total price [yuan] (nothing when ``budget`` is None)."""
    if budget is not None:
        rule = f"budget ({budget:,.0f} yuan)"
        m.add("budget", cost, "<=", budget, rule=rule, relax=("budget", "yuan", 1e-4))


# ------------------------------------------------------------------------------- award


def _award_model(b, budget, objective, max_packages, elastic=False) -> Model:
    """The award MILP over eligible bids ``b`` (rows = candidate awards)."""
    m = Model.new(
        "package_award", "min" if objective == "price" else "max", "assign_packages", elastic
    )
    z = m.variables("z", len(b), integer=True, up=1)
    for k, (package, idx) in enumerate(b.groupby("package", sort=True).indices.items()):
        m.add(
            f"cover_{k}",
            [(z[r], 1.0) for r in idx],
            "==",
            1,
            rule=f"package {package} awarded to one agency",
            relax=(f"cover_{k}", "package(s)", 1000),
        )
    by_agency = b.groupby("agency", sort=True).indices
    add_agency_rules(
        m, b, z, {a: [z[r] for r in idx] for a, idx in by_agency.items()}, max_packages
    )
    price = b["price"].to_numpy(float)
    cost = list(zip(z, price.tolist()))
    add_budget(m, cost, budget)
    if objective == "price":
        m.objective(cost)
    else:
        net = b["quality"].to_numpy(float) / 100.0 * b["reserve"].to_numpy(float) - price
        m.objective(zip(z, net.tolist()))
    m.handles["z"] = z
    m.data["bids"] = b
    return m.done()


def _award_inputs(items, agencies, bids, commissioner, quality_floor, plan, report):
    """Validated tables, every bid with its eligibility, and the package table."""
    it = check_items(items, "items", for_packages=True)
    ag = check_agencies(agencies, "agencies")
    bd = check_bids(bids, "bids", agencies=ag, packages=set(it["package"].dropna()))
    plan, report = deadlines(plan, report)
    b = bid_eligibility(it, ag, bd, commissioner, quality_floor, plan, report)
    return it, ag, b, package_table(it, commissioner)


def build_award(items, agencies, bids, *, elastic: bool = False, **options) -> Model:
    """Build (validate, not solve) the award MILP of :func:`assign_packages`.

    ``options`` are the keywords of :func:`assign_packages` but the solver's;
    ``elastic=True`` gives every rule a slack (see :mod:`kmmodel.allocation.fitting`).
    ``handles["z"][k]`` is 1 when the k-th eligible bid (``data["bids"]``) wins.
    """
    known = dict(
        budget=550_000,
        objective="value",
        quality_floor=60.0,
        max_packages=2,
        commissioner="市财政局",
        plan_deadline=None,
        report_deadline=None,
    )
    probs = Problems(source="build_award")
    for name in sorted(set(options) - set(known)):
        probs.add(f"unknown option {name!r}; expected one of {sorted(known)}", name)
    o = known | options
    budget, objective, max_packages = o["budget"], o["objective"], o["max_packages"]
    months = (o["plan_deadline"], o["report_deadline"])
    kw = {"commissioner": o["commissioner"], "months": months}
    check_award_options(probs, budget, objective, o["quality_floor"], max_packages, *NO_SOLVE, **kw)
    probs.raise_if_any(DataError)
    _, _, b, _ = _award_inputs(
        items,
        agencies,
        bids,
        o["commissioner"],
        o["quality_floor"],
        o["plan_deadline"],
        o["report_deadline"],
    )
    return _award_model(
        b[b["eligible"]].reset_index(drop=True), budget, objective, max_packages, elastic
    )


@dataclass
class AwardResult(OptimResult):
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
    mip_gap : float
        Relative MIP gap reached [share 0-1].
    bids : pandas.DataFrame
        Every bid with ``eligible`` and the ``reasons`` it was excluded.
    load : pandas.DataFrame
        Per agency: ``packages`` won, ``effort_pm`` used, ``capacity_pm``.
    total_price, budget : float
        Total awarded price and the budget [yuan].
    log : str
        Solver log.
    """

    bids: pd.DataFrame
    load: pd.DataFrame
    total_price: float
    budget: float
    options: dict = field(default_factory=dict, repr=False)

    def summary(self) -> str:
        """One line: status, winners, total price against the budget, net value."""
        won = ", ".join(f"{p}→{a}" for p, a in zip(self.table["package"], self.table["agency"]))
        cap = "no budget cap" if math.isnan(self.budget) else f"budget {self.budget:,.0f} yuan"
        return (
            f"status {self.status}; {won}; total price {self.total_price:,.0f} yuan ({cap}); "
            f"net value {self.table['net_value'].sum():,.0f} yuan{self._gap_text()}"
        )


def award_fields(table, bids, key: str, agencies, budget, sol: Solution) -> dict:
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
        **solution_fields(sol),
        "table": table,
        "bids": bids[[*cols, "eligible", "reasons"]],
        "load": load,
        "total_price": float(table["price"].sum()),
        "budget": float("nan") if budget is None else float(budget),
    }


AWARD_COLUMNS = [
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
    mip_gap: float = DEFAULT_MIP_GAP,
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
    solver, time_limit, mip_gap
        See :func:`kmmodel.allocation.fitting.solve` (``mip_gap`` default 1e-9).

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
    probs = Problems(source="assign_packages")
    kw = {"commissioner": commissioner, "months": (plan_deadline, report_deadline)}
    check_award_options(
        probs, budget, objective, quality_floor, max_packages, solver, time_limit, mip_gap, **kw
    )
    probs.raise_if_any(DataError)
    it, ag, b, pk = _award_inputs(
        items, agencies, bids, commissioner, quality_floor, plan_deadline, report_deadline
    )
    labels = pk.set_index("package")
    labels = (
        "package " + labels.index + " (items " + labels["items"] + ": " + labels["names_zh"] + ")"
    )
    missing = no_candidate(b, "package", pd.Series(labels.to_numpy(), index=pk["package"]))
    if missing:
        raise InfeasibleError(missing, source="assign_packages")
    cand = b[b["eligible"]].reset_index(drop=True)
    m, sol = solve_or_explain(
        lambda elastic: _award_model(cand, budget, objective, max_packages, elastic),
        headline="no award satisfies every rule",
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        budget=budget,
        cheapest=lambda: _award_model(cand, None, "price", max_packages),
        budget_detail=lambda need: "the cheapest award that meets the other rules",
    )
    won = values(m.handles["z"]) > 0.5
    w = (
        cand[won]
        .merge(pk[["package", "items"]], on="package")
        .merge(ag[["agency", "name_zh"]].rename(columns={"name_zh": "agency_name"}), on="agency")
    )
    w["net_value"] = w["quality"] / 100.0 * w["reserve"] - w["price"]
    table = w[AWARD_COLUMNS].sort_values("package", ignore_index=True)
    return AwardResult(
        **award_fields(table, b, "package", ag, budget, sol),
        options={
            "objective": objective,
            "quality_floor": quality_floor,
            "max_packages": max_packages,
        },
    )
