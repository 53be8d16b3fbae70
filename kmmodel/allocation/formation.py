"""Forming bidding sub-packages and awarding them in one model.

:func:`~kmmodel.allocation.assign_packages` takes the packages as given (the items'
``package`` column) and only decides who wins each. :func:`form_packages` also decides
**which items go together**: from item-level bids (price and quality per item and
agency) it groups the items into packages of ``min_items``-``max_items`` items (exactly
``n_packages`` of them, or any number) and awards each package to one agency, under the
same hard rules as the award model:

- **independence**, **qualification**, **deadlines**, **quality floor**: checked per
  item bid before the model is built (each excluded bid carries its reason); a package
  goes to an agency only if every one of its items has an eligible bid from it — so the
  agency is independent of every budget unit and evaluated object in the package and
  holds every qualification its items require, as in :func:`assign_packages`;
- **capacity**: the effort of all items an agency wins within its capacity
  [person-months in the report window];
- **at most k packages per agency**, and the **budget** on the total price.

Package price [yuan] = the sum of its items' prices minus ``volume_discount`` [yuan]
for every item beyond the first (a stated assumption, default 0: a bidder pricing a
package as the sum of its items). Package value follows the award model: sum over the
items of quality/100 x ``max_cost`` [yuan], minus the price.

MILP (binary): ``x[i, p, a]`` item i is in package slot p, won by agency a (only for
eligible item bids); ``y[p, a]`` slot p goes to agency a::

    sum_{p,a} x[i,p,a] = 1                          each item in exactly one package
    x[i,p,a] <= y[p,a]                              items follow their package
    min_items y[p,a] <= sum_i x[i,p,a] <= max_items y[p,a]   package sizes
    sum_a y[p,a] <= 1  (= 1 for p < n_packages)     one agency per package
    sum_{i,p} effort_i x[i,p,a] <= capacity_a       capacity
    sum_p y[p,a] <= k                               package count
    sum (price_ia - D) x + D sum y <= budget        budget (D = volume discount)

Slots are interchangeable, so symmetry is cut down: item i (0-based, in table order)
may only sit in slots 0..i (any grouping can be relabelled so, by ranking packages by
their first item), and without a fixed ``n_packages`` used slots come first. With ``fixed=True`` the grouping is the items'
``package`` column and the model only awards — it then reproduces
:func:`assign_packages` when item bids are the package bids split over the items
(:func:`split_package_bids`).

References
----------
Ross, G. T. and Soland, R. M. (1975). A branch and bound algorithm for the
generalized assignment problem. Mathematical Programming 8, 91-103.
Margot, F. (2010). Symmetry in integer linear programming. In 50 Years of Integer
Programming 1958-2008, Springer, 647-686 (ordering constraints on identical slots).
Ministry of Finance of the PRC (2021). 第三方机构预算绩效评价业务监督管理暂行办法
(财监〔2021〕4号): independence and qualification of third-party evaluators.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.allocation.inputs import check_agencies, check_bids, check_items
from kmmodel.allocation.packages import (
    OBJECTIVES,
    AwardResult,
    award_fields,
    bid_eligibility,
    seed_deadlines,
    slack_amount,
)
from kmmodel.allocation.solver import solve
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = ["FormationResult", "compare_packagings", "form_packages", "split_package_bids"]


@dataclass
class FormationResult(AwardResult):
    """Result of :func:`form_packages` (an :class:`AwardResult` plus the grouping).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per formed package: ``package`` (``F1``, ``F2``… in order of their
        first item, or the given names with ``fixed=True``), ``items``, ``names_zh``,
        ``agency``, ``agency_name``, ``n_items``, ``list_price`` [yuan, sum of item
        prices], ``price`` [yuan, after the volume discount], ``quality`` [points,
        ``max_cost``-weighted mean], ``effort_pm``, ``reserve`` [yuan], ``net_value``
        [yuan].
    assignment : pandas.DataFrame
        One row per item: ``item``, ``name_zh``, ``package``, ``agency``, ``price``
        [yuan, the item bid], ``quality`` [points], ``effort_pm``, ``max_cost`` [yuan].
    bids : pandas.DataFrame
        Every item bid with ``eligible`` and the ``reasons`` it was excluded.
    Other attributes as in :class:`AwardResult`.
    """

    assignment: pd.DataFrame = field(default_factory=pd.DataFrame)


def split_package_bids(items: pd.DataFrame, bids: pd.DataFrame) -> pd.DataFrame:
    """Item-level bids derived from package bids (deterministic).

    Each package bid's price is split over the package's items in proportion to their
    ``max_cost`` (whole yuan; the rounding remainder goes to the package's last item,
    so the item prices add up to the package price exactly); quality and the plan /
    report months are copied to every item.

    Parameters
    ----------
    items : pandas.DataFrame
        With ``item``, ``package``, ``max_cost`` [yuan].
    bids : pandas.DataFrame
        Package bids: ``package``, ``agency``, ``price`` [yuan], ``quality``,
        ``plan_months``, ``report_months``.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``agency``, ``price``, ``quality``, ``plan_months``, ``report_months``.
    """
    it = check_items(items, "items", for_packages=True)
    bd = check_bids(bids, "bids", packages=set(it["package"].dropna()))
    m = bd.merge(it[["package", "item", "max_cost"]], on="package", how="inner")
    m = m.sort_values(["package", "agency", "item"], kind="stable", ignore_index=True)
    share = m["max_cost"] / m.groupby(["package", "agency"])["max_cost"].transform("sum")
    part = np.round(m["price"] * share)
    last = m.groupby(["package", "agency"]).cumcount(ascending=False) == 0
    rest = part.where(~last, 0.0).groupby([m["package"], m["agency"]]).transform("sum")
    m["price"] = np.where(last, m["price"] - rest, part).astype(float)
    cols = ["item", "agency", "price", "quality", "plan_months", "report_months"]
    return m[cols].sort_values(["item", "agency"], ignore_index=True)


def _validate(
    items,
    agencies,
    item_bids,
    budget,
    objective,
    quality_floor,
    max_packages,
    n_packages,
    min_items,
    max_items,
    volume_discount,
    fixed,
):
    probs = Problems(source="form_packages")
    if isinstance(items, pd.DataFrame) and "package" not in items.columns and not fixed:
        items = items.assign(package=items.get("item"))
    it = check_items(items, "items", for_packages=True)
    ag = check_agencies(agencies, "agencies")
    bd = check_bids(item_bids, "item_bids", agencies=ag, packages=set(it["item"]), key="item")
    if objective not in OBJECTIVES:
        probs.add(f"expected one of {OBJECTIVES}, got {objective!r}", "objective")
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        probs.add(f"expected a budget >= 0 [yuan], got {budget!r}", "budget")
    if not (0 <= quality_floor <= 100):
        probs.add(f"expected 0-100 points, got {quality_floor!r}", "quality_floor")

    def whole(value, name, low, allow_none=True):
        if value is None and allow_none:
            return True
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low
        if not ok:
            probs.add(f"expected a whole number >= {low}, got {value!r}", name)
        return ok

    whole(max_packages, "max_packages", 1)
    ok_n = whole(n_packages, "n_packages", 1)
    ok_lo = whole(min_items, "min_items", 1, allow_none=False)
    ok_hi = whole(max_items, "max_items", 1)
    if ok_lo and ok_hi and max_items is not None and max_items < min_items:
        probs.add(f"max_items ({max_items}) is below min_items ({min_items})", "max_items")
    if ok_n and n_packages is not None and n_packages > len(it):
        probs.add(
            f"expected at most {len(it)} packages (one per item), got {n_packages}", "n_packages"
        )
    if not (np.isfinite(volume_discount) and volume_discount >= 0):
        probs.add(f"expected >= 0 yuan per extra item, got {volume_discount!r}", "volume_discount")
    elif volume_discount > 0 and volume_discount >= bd["price"].min():
        probs.add(
            f"expected a discount below the lowest item price ({bd['price'].min():,.0f} yuan), "
            f"got {volume_discount:,.0f}",
            "volume_discount",
        )
    probs.raise_if_any(DataError)
    return it, ag, bd


def _eligibility(it, ag, bd, commissioner, quality_floor, plan_deadline, report_deadline):
    """Per-item-bid eligibility: each item treated as a package of its own."""
    single = it.assign(package=it["item"])
    b = bid_eligibility(
        single,
        ag,
        bd.rename(columns={"item": "package"}),
        commissioner,
        quality_floor,
        plan_deadline,
        report_deadline,
    )
    b = b.rename(columns={"package": "item", "reserve": "max_cost"})
    b["reasons"] = b["reasons"].str.replace("package needs", "item needs", regex=False)
    return b


def _no_candidate(b: pd.DataFrame, it: pd.DataFrame) -> list[str]:
    ok = b.groupby("item")["eligible"].any().reindex(it["item"], fill_value=False)
    names = it.set_index("item")["name_zh"]
    lines = []
    for item in ok.index[~ok.to_numpy()]:
        ib = b[b["item"] == item]
        why = "; ".join(f"{a}: {r}" for a, r in zip(ib["agency"], ib["reasons"])) or "no bids"
        lines.append(
            f"item {item} ({names[item]}) has no qualified, independent agency with capacity "
            f"and an on-time bid — {why}"
        )
    return lines


def _no_common_agency(b: pd.DataFrame, it: pd.DataFrame) -> list[str]:
    """Given packages whose items share no eligible agency (``fixed=True``)."""
    el = b.loc[b["eligible"], ["item", "agency"]].merge(it[["item", "package"]], on="item")
    n_ok = el.groupby(["package", "agency"]).size()
    size = it.groupby("package").size()
    full = n_ok[n_ok.to_numpy() == size.reindex(n_ok.index.get_level_values(0)).to_numpy()]
    lines = []
    for package in sorted(set(size.index) - set(full.index.get_level_values(0))):
        who = el[el["package"] == package].groupby("item")["agency"].agg(", ".join)
        detail = "; ".join(f"{i}: {a}" for i, a in who.items())
        lines.append(
            f"package {package} has no agency eligible for every one of its items "
            f"(eligible per item — {detail})"
        )
    return lines


def _slots(it, cand, fixed, n_packages, min_items):
    """Candidate x rows (item bid x package slot) and the slot names."""
    pos = pd.Series(np.arange(len(it)), index=it["item"])
    if fixed:
        names = sorted(it["package"].unique())
        slot_of = it.set_index("item")["package"].map({p: k for k, p in enumerate(names)})
        x = cand.assign(slot=cand["item"].map(slot_of).to_numpy())
        return x.reset_index(drop=True), names
    n_slots = n_packages if n_packages is not None else len(it) // min_items
    x = cand.assign(_pos=cand["item"].map(pos).to_numpy()).merge(
        pd.DataFrame({"slot": np.arange(n_slots)}), how="cross"
    )
    # symmetry: packages ordered by their first item, so item i sits in a slot <= i
    x = x[x["slot"] <= x["_pos"]].drop(columns="_pos").reset_index(drop=True)
    return x, [f"F{k + 1}" for k in range(n_slots)]


def _build(
    x,
    it,
    slot_names,
    *,
    budget,
    objective,
    max_packages,
    n_packages,
    min_items,
    max_items,
    discount,
    fixed,
    elastic=False,
    min_price=False,
):
    """The formation MILP over candidate rows ``x`` (item bid x slot)."""
    import pulp

    t0 = time.perf_counter()
    sense = pulp.LpMinimize if (elastic or min_price or objective == "price") else pulp.LpMaximize
    prob = pulp.LpProblem("package_formation", sense)
    xv = [prob.add_variable(f"x_{k}", cat=pulp.LpBinary) for k in range(len(x))]
    ykeys = x[["slot", "agency"]].drop_duplicates().sort_values(["slot", "agency"])
    ykeys = ykeys.reset_index(drop=True)
    yv = [prob.add_variable(f"y_{k}", cat=pulp.LpBinary) for k in range(len(ykeys))]
    yid = pd.Series(np.arange(len(ykeys)), index=pd.MultiIndex.from_frame(ykeys))
    price = x["price"].to_numpy(float)
    effort = x["effort_pm"].to_numpy(float)
    sizes = it.groupby("package").size() if fixed else None
    slack, rules, cons = {}, {}, {}

    def relax(name, rule, sign, weight, terms):
        """Add the rule's elastic slack (one variable per rule name) when re-solving."""
        if not elastic:
            return terms
        if name not in slack:
            slack[name] = (prob.add_variable(f"slack_{name}", lowBound=0), weight)
            rules[name] = rule
        return [*terms, (slack[name][0], sign)]

    def add(name, terms, op, rhs):
        cons[name] = pulp.LpConstraint(pulp.LpAffineExpression(terms), op, rhs=float(rhs))

    for k, (item, rows) in enumerate(x.groupby("item", sort=False).indices.items()):
        terms = relax(
            f"cover_{k}",
            f"item {item} is left out of every package",
            1.0,
            1000.0,
            [(xv[r], 1.0) for r in rows],
        )
        add(f"cover_{k}", terms, pulp.LpConstraintEQ, 1)
    for (slot, agency), rows in x.groupby(["slot", "agency"], sort=True).indices.items():
        j = int(yid[(slot, agency)])
        y = yv[j]
        xs = [(xv[r], 1.0) for r in rows]
        tag = str(j)
        if fixed:
            n = int(sizes[slot_names[slot]])
            add(f"whole_{tag}", [*xs, (y, -float(n))], pulp.LpConstraintEQ, 0)
            continue
        # items follow their package's agency: x <= y (tight; not relaxed)
        for r in rows:
            add(f"link_{r}", [(xv[r], 1.0), (y, -1.0)], pulp.LpConstraintLE, 0)
        lo = relax(
            "min_size",
            f"at least {min_items} items per package",
            1.0,
            10.0,
            [*xs, (y, -float(min_items))],
        )
        add(f"min_{tag}", lo, pulp.LpConstraintGE, 0)
        hi_n = max_items if max_items is not None else len(it)
        hi = relax(
            "max_size", f"at most {hi_n} items per package", -1.0, 10.0, [*xs, (y, -float(hi_n))]
        )
        add(f"max_{tag}", hi, pulp.LpConstraintLE, 0)
    slot_rows = ykeys.groupby("slot", sort=True).indices
    exact = fixed or n_packages is not None
    for slot, rows in slot_rows.items():
        ys = [(yv[r], 1.0) for r in rows]
        if exact:
            terms = relax(f"used_{slot}", f"package {slot_names[slot]} awarded", 1.0, 1000.0, ys)
            add(f"one_{slot}", terms, pulp.LpConstraintEQ, 1)
        else:
            add(f"one_{slot}", ys, pulp.LpConstraintLE, 1)
            if slot + 1 in slot_rows:  # used slots first (symmetry)
                nxt = [(yv[r], -1.0) for r in slot_rows[slot + 1]]
                add(f"order_{slot}", ys + nxt, pulp.LpConstraintGE, 0)
    caps = x.groupby("agency", sort=True)["capacity_pm"].first()
    y_by_agency = ykeys.groupby("agency", sort=True).indices
    for k, (agency, rows) in enumerate(x.groupby("agency", sort=True).indices.items()):
        cap = float(caps[agency])
        terms = relax(
            f"cap_{k}",
            f"capacity of agency {agency} ({cap:g} person-months)",
            -1.0,
            1.0,
            [(xv[r], float(effort[r])) for r in rows],
        )
        add(f"cap_{k}", terms, pulp.LpConstraintLE, cap)
        if max_packages is not None:
            terms = relax(
                f"count_{k}",
                f"at most {max_packages} package(s) for agency {agency}",
                -1.0,
                1.0,
                [(yv[r], 1.0) for r in y_by_agency[agency]],
            )
            add(f"count_{k}", terms, pulp.LpConstraintLE, max_packages)
    cost = list(zip(xv, (price - discount).tolist())) + [(y, float(discount)) for y in yv]
    if budget is not None and not min_price:
        terms = relax("budget", f"budget ({budget:,.0f} yuan)", -1.0, 1e-4, cost)
        add("budget", terms, pulp.LpConstraintLE, budget)
    prob.extend(cons)
    if elastic:
        prob.setObjective(pulp.LpAffineExpression((v, w) for v, w in slack.values()))
    elif min_price or objective == "price":
        prob.setObjective(pulp.LpAffineExpression(cost))
    else:
        gain = x["quality"].to_numpy(float) / 100.0 * x["max_cost"].to_numpy(float)
        net = list(zip(xv, (gain - price + discount).tolist()))
        prob.setObjective(pulp.LpAffineExpression(net + [(y, -float(discount)) for y in yv]))
    return prob, xv, slack, rules, time.perf_counter() - t0


def _explain(x, it, slot_names, solver, time_limit, **kw) -> list[str]:
    prob, _, slack, rules, _ = _build(x, it, slot_names, elastic=True, **kw)
    info = solve(prob, solver, time_limit)
    lines = []
    if info.status in ("optimal", "feasible"):
        for name, (var, _) in slack.items():
            amount = var.varValue or 0.0
            if amount > 1e-6:
                by = slack_amount(name, amount)
                if name.startswith(("cover", "used")):
                    what = "is left unawarded" if name.startswith("used") else ""
                    lines.append(f"{rules[name]} {what}".strip())
                else:
                    lines.append(f"{rules[name]} must give way by {by}")
    budget = kw["budget"]
    if budget is not None:
        prob, _, _, _, _ = _build(x, it, slot_names, min_price=True, **kw)
        info = solve(prob, solver, time_limit)
        if info.status == "optimal" and info.objective > budget + 1e-6:
            lines.append(
                f"the cheapest packaging and award that meets the other rules costs "
                f"{info.objective:,.0f} yuan, {info.objective - budget:,.0f} yuan above the "
                f"budget (the minimum feasible budget)"
            )
        elif info.status != "optimal":
            lines.append(
                "even without the budget, the size, capacity and package-count rules "
                "cannot all hold"
            )
    return lines or ["the rules conflict (elastic re-solve found no single rule to relax)"]


def form_packages(
    items: pd.DataFrame,
    agencies: pd.DataFrame,
    item_bids: pd.DataFrame,
    n_packages: int | None = None,
    min_items: int = 1,
    max_items: int | None = None,
    budget: float | None = 550_000,
    objective: str = "value",
    quality_floor: float = 60.0,
    max_packages: int | None = 2,
    volume_discount: float = 0.0,
    fixed: bool = False,
    commissioner: str = "市财政局",
    plan_deadline: float | None = None,
    report_deadline: float | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
) -> FormationResult:
    """Group items into sub-packages and award each package to one agency (one MILP).

    Parameters
    ----------
    items : pandas.DataFrame
        As for :func:`assign_packages` (``item``, ``budget_unit``, ``evaluated_object``,
        ``qualification``, ``effort_pm`` [person-months], ``max_cost`` [yuan]); the
        ``package`` column is needed only with ``fixed=True``.
    agencies : pandas.DataFrame
        As for :func:`assign_packages`.
    item_bids : pandas.DataFrame
        One row per item x agency: ``item``, ``agency``, ``price`` [yuan], ``quality``
        [points 0-100], ``plan_months``, ``report_months`` [months after signing].
    n_packages : int, optional
        Exactly this many packages; None lets the model choose.
    min_items, max_items : int
        Items per package [count]; ``max_items=None`` for no upper limit.
    budget : float or None, default 550,000
        Cap on the total price [yuan]; None for no cap.
    objective : {"value", "price"}
        Maximise sum of quality/100 x max_cost - price [yuan], or minimise the price.
    quality_floor : float, default 60
        Item bids scoring below are excluded [points].
    max_packages : int or None, default 2
        Packages one agency may win.
    volume_discount : float, default 0
        Assumed price reduction [yuan] per item beyond the first in a package.
    fixed : bool, default False
        Keep the items' ``package`` grouping and only award (``n_packages``,
        ``min_items``, ``max_items`` are then ignored).
    commissioner, plan_deadline, report_deadline, solver, time_limit
        As for :func:`assign_packages`.

    Returns
    -------
    FormationResult

    Raises
    ------
    DataError
        Bad tables or options, all problems listed (unknown agency or item ids in the
        bids, duplicate bids, negative prices, ``max_items < min_items`` …).
    InfeasibleError
        An item has no eligible bid (each bid's reason given); the sizes cannot cover
        the items; or the size, capacity, package-count and budget rules conflict
        (elastic re-solve naming the rules that must give way; minimum budget).

    Examples
    --------
    >>> import kmmodel as km
    >>> from kmmodel import allocation
    >>> res = allocation.form_packages(
    ...     km.datasets.load("evaluation_items"), km.datasets.load("agencies"),
    ...     km.datasets.load("item_bids"), n_packages=4, min_items=1, max_items=3)
    >>> res.status, len(res.table)
    ('optimal', 4)
    """
    it, ag, bd = _validate(
        items,
        agencies,
        item_bids,
        budget,
        objective,
        quality_floor,
        max_packages,
        n_packages,
        min_items,
        max_items,
        volume_discount,
        fixed,
    )
    if plan_deadline is None or report_deadline is None:
        p0, r0 = seed_deadlines()
        plan_deadline = p0 if plan_deadline is None else plan_deadline
        report_deadline = r0 if report_deadline is None else report_deadline
    b = _eligibility(it, ag, bd, commissioner, quality_floor, plan_deadline, report_deadline)
    missing = _no_candidate(b, it)
    n_items = len(it)
    if not fixed:
        hi = max_items if max_items is not None else n_items
        if n_packages is not None and not (n_packages * min_items <= n_items <= n_packages * hi):
            missing.append(
                f"{n_packages} package(s) of {min_items}-{hi} items cannot hold exactly "
                f"{n_items} items"
            )
        elif n_packages is None and (n_items // min_items) * hi < n_items:
            missing.append(
                f"packages of {min_items}-{hi} items cannot hold exactly {n_items} items"
            )
    if fixed and not missing:
        missing = _no_common_agency(b, it)
    if missing:
        raise InfeasibleError(missing, source="form_packages")
    cand = b[b["eligible"]].reset_index(drop=True)
    x, slot_names = _slots(it, cand, fixed, n_packages, min_items)
    kw = dict(
        budget=budget,
        objective=objective,
        max_packages=max_packages,
        n_packages=n_packages,
        min_items=min_items,
        max_items=max_items,
        discount=float(volume_discount),
        fixed=fixed,
    )
    prob, xv, _, _, build_s = _build(x, it, slot_names, **kw)
    info = solve(prob, solver, time_limit, build_seconds=build_s)
    if info.status == "infeasible":
        raise InfeasibleError(
            ["no packaging and award satisfies every rule"]
            + _explain(x, it, slot_names, solver, time_limit, **kw),
            source="form_packages",
        )
    if info.status not in ("optimal", "feasible"):
        raise InfeasibleError(
            f"solver stopped with status '{info.status}' (time limit {time_limit} s)",
            source="form_packages",
        )
    return _read(x, xv, it, ag, b, slot_names, info, budget, float(volume_discount), kw)


def _read(x, xv, it, ag, b, slot_names, info, budget, discount, kw) -> FormationResult:
    won = np.array([(v.varValue or 0.0) > 0.5 for v in xv])
    w = x[won].merge(it[["item", "name_zh"]], on="item")
    w = w.assign(pos=w["item"].map(pd.Series(np.arange(len(it)), index=it["item"])))
    w = w.sort_values("pos", ignore_index=True)
    w["gain"] = w["quality"] / 100.0 * w["max_cost"]
    g = w.groupby("slot", sort=True)
    table = pd.DataFrame(
        {
            "items": g["item"].agg(", ".join),
            "names_zh": g["name_zh"].agg("、".join),
            "agency": g["agency"].first(),
            "n_items": g.size(),
            "list_price": g["price"].sum(),
            "effort_pm": g["effort_pm"].sum(),
            "reserve": g["max_cost"].sum(),
            "gain": g["gain"].sum(),
            "first": g["pos"].min(),
        }
    ).sort_values("first")
    table["price"] = table["list_price"] - discount * (table["n_items"] - 1)
    table["quality"] = 100.0 * table["gain"] / table["reserve"]
    table["net_value"] = table["gain"] - table["price"]
    # formed packages renumbered F1, F2 … in order of their first item
    names = (
        [slot_names[s] for s in table.index]
        if kw["fixed"]
        else [f"F{k + 1}" for k in range(len(table))]
    )
    table.insert(0, "package", names)
    label = dict(zip(table.index, names))
    table = table.merge(
        ag[["agency", "name_zh"]].rename(columns={"name_zh": "agency_name"}), on="agency"
    )
    table = table[
        [
            "package",
            "items",
            "names_zh",
            "agency",
            "agency_name",
            "n_items",
            "list_price",
            "price",
            "quality",
            "effort_pm",
            "reserve",
            "net_value",
        ]
    ].reset_index(drop=True)
    assignment = w.assign(package=w["slot"].map(label))[
        ["item", "name_zh", "package", "agency", "price", "quality", "effort_pm", "max_cost"]
    ]
    return FormationResult(
        **award_fields(table, b, "item", ag, budget, info),
        options={k: v for k, v in kw.items()},
        assignment=assignment.reset_index(drop=True),
    )


def compare_packagings(results: dict[str, AwardResult]) -> pd.DataFrame:
    """Side-by-side totals of several packagings / awards.

    Parameters
    ----------
    results : dict of str -> AwardResult
        Label -> a result of :func:`assign_packages` or :func:`form_packages`.

    Returns
    -------
    pandas.DataFrame
        Indexed by label: ``packages`` [count], ``items`` [count], ``price`` [yuan,
        total awarded], ``value`` [yuan, sum of quality/100 x reserve], ``net_value``
        [yuan, value - price], ``quality`` [points, reserve-weighted mean],
        ``agencies`` [count of winners], ``winners`` (``package: items → agency``).
    """
    rows = {}
    for label, r in results.items():
        t = r.table
        value = float((t["net_value"] + t["price"]).sum())
        reserve = float(t["reserve"].sum())
        n_items = (
            int(t["n_items"].sum())
            if "n_items" in t
            else int(t["items"].str.count(",").add(1).sum())
        )
        rows[label] = {
            "packages": len(t),
            "items": n_items,
            "price": float(t["price"].sum()),
            "value": value,
            "net_value": float(t["net_value"].sum()),
            "quality": 100.0 * value / reserve if reserve > 0 else float("nan"),
            "agencies": int(t["agency"].nunique()),
            "winners": "; ".join(
                f"{p}: {i} → {a}" for p, i, a in zip(t["package"], t["items"], t["agency"])
            ),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "packaging"
    return out
