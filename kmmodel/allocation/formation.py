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
Margot, F. (2010). Symmetry in integer linear programming. In 50 Years of Integer
Programming 1958-2008, Springer, 647-686 (ordering constraints on identical slots).
The GAP (Ross and Soland 1975) and the independence and qualification rules
(财监〔2021〕4号) as cited in :mod:`kmmodel.allocation.packages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.allocation.fitting import DEFAULT_MIP_GAP, Model, Solution, solve_or_explain, values
from kmmodel.allocation.inputs import check_agencies, check_bids, check_items
from kmmodel.allocation.packages import (
    NO_SOLVE,
    AwardResult,
    add_agency_rules,
    add_budget,
    award_fields,
    bid_eligibility,
    check_award_options,
    check_whole,
    deadlines,
    no_candidate,
)
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = [
    "FormationOptions",
    "FormationResult",
    "build_formation",
    "compare_packagings",
    "form_packages",
    "split_package_bids",
]


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


@dataclass(frozen=True)
class FormationOptions:
    """The packaging rules of :func:`form_packages` (validated)."""

    budget: float | None = 550_000
    objective: str = "value"
    max_packages: int | None = 2
    n_packages: int | None = None
    min_items: int = 1
    max_items: int | None = None
    discount: float = 0.0
    fixed: bool = False


def _validate(items, agencies, item_bids, opts: FormationOptions, solve_opts, eligibility):
    """Validated items, agencies and item bids; every option problem listed at once.

    ``eligibility`` = (quality_floor, commissioner, plan, report)."""
    probs = Problems(source="form_packages")
    quality_floor, commissioner, plan, report = eligibility
    kw = {"commissioner": commissioner, "months": (plan, report)}
    check_award_options(
        probs, opts.budget, opts.objective, quality_floor, opts.max_packages, *solve_opts, **kw
    )
    if not isinstance(opts.fixed, (bool, np.bool_)):
        probs.add(f"expected True or False, got {opts.fixed!r}", "fixed")
    ok_n = check_whole(opts.n_packages, "n_packages", 1, probs)
    ok_lo = check_whole(opts.min_items, "min_items", 1, probs, allow_none=False)
    ok_hi = check_whole(opts.max_items, "max_items", 1, probs)
    if ok_lo and ok_hi and opts.max_items is not None and opts.max_items < opts.min_items:
        probs.add(
            f"max_items ({opts.max_items}) is below min_items ({opts.min_items})", "max_items"
        )
    d = opts.discount
    if not (isinstance(d, (int, float, np.integer, np.floating)) and np.isfinite(d) and d >= 0):
        probs.add(f"expected >= 0 yuan per extra item, got {d!r}", "volume_discount")
        d = 0.0
    probs.raise_if_any(DataError)
    if isinstance(items, pd.DataFrame) and "package" not in items.columns and not opts.fixed:
        items = items.assign(package=items.get("item"))
    it = check_items(items, "items", for_packages=True)
    ag = check_agencies(agencies, "agencies")
    bd = check_bids(item_bids, "item_bids", agencies=ag, packages=set(it["item"]), key="item")
    if ok_n and opts.n_packages is not None and opts.n_packages > len(it):
        probs.add(
            f"expected at most {len(it)} packages (one per item), got {opts.n_packages}",
            "n_packages",
        )
    if d > 0 and d >= bd["price"].min():
        probs.add(
            f"expected a discount below the lowest item price ({bd['price'].min():,.0f} yuan), "
            f"got {d:,.0f}",
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


def _size_conflicts(n_items: int, opts: FormationOptions) -> list[str]:
    """Package sizes that cannot hold exactly ``n_items`` items (no solver needed)."""
    if opts.fixed:
        return []
    lo = opts.min_items
    hi = opts.max_items if opts.max_items is not None else n_items
    k = opts.n_packages
    if k is not None and not (k * lo <= n_items <= k * hi):
        return [f"{k} package(s) of {lo}-{hi} items cannot hold exactly {n_items} items"]
    if k is None and (n_items // lo) * hi < n_items:
        return [f"packages of {lo}-{hi} items cannot hold exactly {n_items} items"]
    return []


def _formation_model(x, it, slot_names, opts: FormationOptions, elastic=False) -> Model:
    """The formation MILP over candidate rows ``x`` (item bid x slot)."""
    m = Model.new(
        "package_formation",
        "min" if opts.objective == "price" else "max",
        "form_packages",
        elastic,
    )
    xv = m.variables("x", len(x), integer=True, up=1)
    ykeys = x[["slot", "agency"]].drop_duplicates().sort_values(["slot", "agency"])
    ykeys = ykeys.reset_index(drop=True)
    yv = m.variables("y", len(ykeys), integer=True, up=1)
    yid = pd.Series(np.arange(len(ykeys)), index=pd.MultiIndex.from_frame(ykeys))
    for k, (item, idx) in enumerate(x.groupby("item", sort=False).indices.items()):
        rule = f"item {item} in exactly one package"
        m.add(
            f"cover_{k}",
            [(xv[r], 1.0) for r in idx],
            "==",
            1,
            rule=rule,
            relax=(f"cover_{k}", "item(s)", 1000),
        )
    _package_rows(m, x, xv, yv, yid, it, slot_names, opts)
    y_by_agency = ykeys.groupby("agency", sort=True).indices
    counted = {a: [yv[r] for r in idx] for a, idx in y_by_agency.items()}
    add_agency_rules(m, x, xv, counted, opts.max_packages)
    price, d = x["price"].to_numpy(float), float(opts.discount)
    cost = list(zip(xv, (price - d).tolist())) + [(y, d) for y in yv]
    add_budget(m, cost, opts.budget)
    if opts.objective == "price":
        m.objective(cost)
    else:
        gain = x["quality"].to_numpy(float) / 100.0 * x["max_cost"].to_numpy(float)
        net = list(zip(xv, (gain - price + d).tolist()))
        m.objective(net + [(y, -d) for y in yv])
    m.handles.update(x=xv, y=yv)
    return m.done()


def _package_rows(m, x, xv, yv, yid, it, slot_names, opts: FormationOptions) -> None:
    """Items follow their package's agency, package sizes, one agency per package."""
    sizes = it.groupby("package").size() if opts.fixed else None
    hi_n = opts.max_items if opts.max_items is not None else len(it)
    for (slot, agency), idx in x.groupby(["slot", "agency"], sort=True).indices.items():
        j = int(yid[(slot, agency)])
        xs = [(xv[r], 1.0) for r in idx]
        if opts.fixed:
            n = float(sizes[slot_names[slot]])
            m.add(f"whole_{j}", [*xs, (yv[j], -n)], "==", 0)
            continue
        # items follow their package's agency: x <= y (tight; not relaxed)
        for r in idx:
            m.add(f"link_{r}", [(xv[r], 1.0), (yv[j], -1.0)], "<=", 0)
        rule = f"at least {opts.min_items} items per package"
        m.add(
            f"min_{j}",
            [*xs, (yv[j], -float(opts.min_items))],
            ">=",
            0,
            rule=rule,
            relax=("min_size", "item(s)", 10),
        )
        rule = f"at most {hi_n} items per package"
        m.add(
            f"max_{j}",
            [*xs, (yv[j], -float(hi_n))],
            "<=",
            0,
            rule=rule,
            relax=("max_size", "item(s)", 10),
        )
    slot_rows = (
        pd.Series(yid.to_numpy(), index=yid.index.get_level_values(0))
        .groupby(level=0, sort=True)
        .agg(list)
    )
    exact = opts.fixed or opts.n_packages is not None
    for slot, idx in slot_rows.items():
        ys = [(yv[r], 1.0) for r in idx]
        if exact:
            rule = f"package {slot_names[slot]} awarded to one agency"
            m.add(f"one_{slot}", ys, "==", 1, rule=rule, relax=(f"used_{slot}", "package(s)", 1000))
            continue
        m.add(f"one_{slot}", ys, "<=", 1)
        if slot + 1 in slot_rows.index:  # used slots first (symmetry)
            nxt = [(yv[r], -1.0) for r in slot_rows[slot + 1]]
            m.add(f"order_{slot}", ys + nxt, ">=", 0)


def _prepare(
    items, agencies, item_bids, opts, solve_opts, quality_floor, commissioner, plan, report
):
    """Validated tables, eligibility, candidate rows, slots; raises what needs no solver."""
    eligibility = (quality_floor, commissioner, plan, report)
    it, ag, bd = _validate(items, agencies, item_bids, opts, solve_opts, eligibility)
    plan, report = deadlines(plan, report)
    b = _eligibility(it, ag, bd, commissioner, quality_floor, plan, report)
    labels = "item " + it["item"] + " (" + it["name_zh"].astype(str) + ")"
    missing = no_candidate(b, "item", pd.Series(labels.to_numpy(), index=it["item"]))
    missing += _size_conflicts(len(it), opts)
    if opts.fixed and not missing:
        missing = _no_common_agency(b, it)
    if missing:
        raise InfeasibleError(missing, source="form_packages")
    cand = b[b["eligible"]].reset_index(drop=True)
    x, slot_names = _slots(it, cand, opts.fixed, opts.n_packages, opts.min_items)
    return it, ag, b, x, slot_names


def build_formation(items, agencies, item_bids, *, elastic: bool = False, **options) -> Model:
    """Build (validate, not solve) the formation MILP of :func:`form_packages`.

    ``options`` are the keywords of :func:`form_packages` but the solver's;
    ``handles["x"]`` / ``handles["y"]`` are the item-in-slot and slot-to-agency binaries
    over ``data["rows"]``.
    """
    opts, rest = _options(options)
    it, _, _, x, names = _prepare(items, agencies, item_bids, opts, NO_SOLVE, **rest)
    m = _formation_model(x, it, names, opts, elastic)
    m.data["rows"] = x
    return m


def _options(options: dict) -> tuple[FormationOptions, dict]:
    """Split :func:`form_packages` keywords into packaging rules and eligibility rules."""
    rules = {f: options.pop(f) for f in list(options) if f in FormationOptions.__dataclass_fields__}
    if "volume_discount" in options:
        rules["discount"] = options.pop("volume_discount")
    eligibility = {"quality_floor": 60.0, "commissioner": "市财政局", "plan": None, "report": None}
    for old, new in (("plan_deadline", "plan"), ("report_deadline", "report")):
        if old in options:
            options[new] = options.pop(old)
    unknown = sorted(set(options) - set(eligibility))
    if unknown:
        raise DataError(f"unknown option(s) {unknown}", source="form_packages")
    return FormationOptions(**rules), eligibility | options


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
    mip_gap: float = DEFAULT_MIP_GAP,
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
    opts = FormationOptions(
        budget, objective, max_packages, n_packages, min_items, max_items, volume_discount, fixed
    )
    solve_opts = (solver, time_limit, mip_gap)
    months = {"plan": plan_deadline, "report": report_deadline}
    it, ag, b, x, names = _prepare(
        items, agencies, item_bids, opts, solve_opts, quality_floor, commissioner, **months
    )
    cheapest = FormationOptions(**{**opts.__dict__, "budget": None, "objective": "price"})
    m, sol = solve_or_explain(
        lambda elastic: _formation_model(x, it, names, opts, elastic),
        headline="no packaging and award satisfies every rule",
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        budget=budget,
        cheapest=lambda: _formation_model(x, it, names, cheapest),
        budget_detail=lambda need: "the cheapest packaging and award that meets the other rules",
    )
    return _read(x, values(m.handles["x"]) > 0.5, it, ag, b, names, sol, opts)


#: Columns of the formed-package table, in order.
FORMATION_COLUMNS = (
    "package items names_zh agency agency_name n_items list_price price quality effort_pm "
    "reserve net_value"
).split()
ASSIGNMENT_COLUMNS = "item name_zh package agency price quality effort_pm max_cost".split()


def _read(x, won, it, ag, b, slot_names, sol: Solution, opts: FormationOptions):
    """Formed packages and the item assignment from the chosen rows ``x[won]``."""
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
    table["price"] = table["list_price"] - float(opts.discount) * (table["n_items"] - 1)
    table["quality"] = 100.0 * table["gain"] / table["reserve"]
    table["net_value"] = table["gain"] - table["price"]
    # formed packages renumbered F1, F2 … in order of their first item
    if opts.fixed:
        names = [slot_names[s] for s in table.index]
    else:
        names = [f"F{k + 1}" for k in range(len(table))]
    table.insert(0, "package", names)
    label = dict(zip(table.index, names))
    agency_names = ag[["agency", "name_zh"]].rename(columns={"name_zh": "agency_name"})
    table = table.merge(agency_names, on="agency")[FORMATION_COLUMNS].reset_index(drop=True)
    assignment = w.assign(package=w["slot"].map(label))[ASSIGNMENT_COLUMNS]
    return FormationResult(
        **award_fields(table, b, "item", ag, opts.budget, sol),
        options=dict(opts.__dict__),
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
