"""The legal tender award, and what it costs against the optimum.

:func:`award_tender` awards each package as the tender law prescribes: the eligibility
rules of :func:`kmmodel.allocation.assign_packages` (three-independence, qualification,
deadlines, capacity fit) are applied first, each excluded bid keeping its reason; bids
above the package's ceiling are invalid (财政部令第87号 第六十三条: 报价超过招标文件中规定的
预算金额或者最高限价的, 投标无效); the remaining bids are scored and ranked by
:func:`kmmodel.allocation.tender_scores` (综合评分法 or 最低评标价法); and the packages are
awarded one after another in their evaluation order, each to its first-ranked bidder that
still has capacity and has not yet won ``max_packages`` packages (the tender document's
"兼投不兼中" rule). An agency passed over for that reason is named with the reason.

Because each package is awarded on its own ranking, the legal rule can cost money or
quality where awards interact. The same rules are solved jointly as MILPs through
:func:`kmmodel.allocation.assign_packages` (HiGHS): the assignment with the highest total
score, the value-for-money optimum (quality/100 x reserve - price) and the minimum-price
award. :func:`compare_awards` puts them side by side; :func:`price_weight_sensitivity`
re-runs the legal award over the allowed range of the price weight.

The score-maximising assignment is solved as the minimum-"price" award with each bid's
price replaced by its score shortfall ``101 - total`` [points]: every package is awarded
exactly once, so minimising the summed shortfall maximises the summed score.

References
----------
财政部 (2017). 政府采购货物和服务招标投标管理办法 (财政部令第87号), 第五十五至五十七条, 第六十三条.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kmmodel.allocation.inputs import check_agencies, check_items
from kmmodel.allocation.packages import AwardResult, assign_packages
from kmmodel.allocation.tender import PRICE_WEIGHT_FLOOR, check_tender_bids, tender_scores
from kmmodel.errors import DataError, InfeasibleError, Problems

__all__ = [
    "AwardComparison",
    "TenderAward",
    "award_tender",
    "compare_awards",
    "plot_price_weight_sensitivity",
    "price_weight_sensitivity",
]

_PLACEHOLDER = "__placeholder__"
#: the optimal awards compared with the legal one: name -> description
OPTIMA = {
    "max_score": "highest total tender score under the same limits (MILP)",
    "value": "value for money: quality/100 x reserve - price (MILP)",
    "min_price": "lowest total price (MILP)",
}
_NO_MONTHS = 1e-3  # [months] stands in for a missing plan/report time: always on time


@dataclass
class TenderAward:
    """Result of :func:`award_tender`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per package in evaluation order: ``package``, ``order``, ``items``,
        ``status`` (``awarded`` / ``failed`` / ``unawarded``), ``agency``,
        ``agency_name``, ``price`` [yuan, the contract price], ``evaluated_price``
        [yuan], ``technical_score``, ``total`` [points], ``rank`` of the winner in the
        package's ranking, ``reserve`` [yuan, the package ceiling], ``effort_pm``,
        ``net_value`` [yuan: technical/100 x reserve - price], ``note``.
    scores : pandas.DataFrame
        Every bid scored (:func:`tender_scores` output) with ``eligible`` and
        ``reasons`` from the eligibility rules.
    passed_over : pandas.DataFrame
        ``package``, ``agency``, ``rank``, ``reason``: higher-ranked bidders that did not
        win a package because of the capacity or package-count rule.
    optima : dict
        ``"max_score"``, ``"value"``, ``"min_price"`` -> :class:`AwardResult`, or the
        text of why that model has no solution.
    options : dict
        The options used.
    """

    table: pd.DataFrame
    scores: pd.DataFrame
    passed_over: pd.DataFrame
    optima: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict, repr=False)

    @property
    def winners(self) -> dict[str, str]:
        """package -> winning agency (awarded packages only)."""
        t = self.table[self.table["status"] == "awarded"]
        return dict(zip(t["package"], t["agency"]))

    def compare(self) -> AwardComparison:
        """The legal award beside the optima (:func:`compare_awards`)."""
        return compare_awards(self)


@dataclass
class AwardComparison:
    """Result of :func:`compare_awards`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per rule (``legal`` and each optimum): ``rule``, ``status``,
        ``packages``, ``total_price`` [yuan], ``mean_technical`` [points],
        ``total_score`` [points], ``net_value`` [yuan], and the differences to the
        legal award ``price_vs_legal`` and ``net_value_vs_legal`` [yuan].
    winners : pandas.DataFrame
        One row per package, one column per rule: the winning agency.
    """

    table: pd.DataFrame
    winners: pd.DataFrame


def _validate(items, agencies, bids, max_packages, order, probs):
    it = check_items(items, "items", for_packages=True, probs=probs)
    ag = check_agencies(agencies, "agencies", probs=probs)
    if probs:
        probs.raise_if_any(DataError)
    packages = sorted(set(it["package"].dropna()))
    bd = check_tender_bids(bids, probs, agencies=set(ag["agency"].dropna()), packages=packages)
    if max_packages is not None and not (
        isinstance(max_packages, (int, np.integer)) and max_packages >= 1
    ):
        probs.add(f"expected a whole number >= 1 or None, got {max_packages!r}", "max_packages")
    if order is not None:
        order = [str(p) for p in order]
        extra = sorted(set(order) - set(packages))
        lacking = sorted(set(packages) - set(order))
        if extra or lacking or len(order) != len(set(order)):
            probs.add(
                "expected every package exactly once"
                + (f"; unknown {extra}" if extra else "")
                + (f"; missing {lacking}" if lacking else ""),
                "order",
            )
    probs.raise_if_any(DataError)
    return it, ag, bd, (order or packages)


def _eligibility(it, ag, bd, commissioner, plan_deadline, report_deadline) -> pd.DataFrame:
    """Each bid's ``eligible`` and ``reasons`` under :func:`assign_packages`' own rules.

    The rules are read from ``assign_packages``' result (its ``bids`` table), so the
    legal award and the optima apply exactly the same checks. One placeholder bidder
    per package, qualified and untied, keeps the check from stopping at a package no
    real bidder qualifies for; its rows are dropped.
    """
    q = pd.DataFrame(
        {
            "package": bd["package"],
            "agency": bd["agency"],
            "price": bd["price"],
            "quality": 100.0,
            "plan_months": bd["plan_months"] if "plan_months" in bd else _NO_MONTHS,
            "report_months": bd["report_months"] if "report_months" in bd else _NO_MONTHS,
        }
    )
    for c in ("plan_months", "report_months"):
        q[c] = pd.to_numeric(q[c], errors="coerce").fillna(_NO_MONTHS)
    pk = sorted(set(it["package"]))
    ph_bids = pd.DataFrame(
        {
            "package": pk,
            "agency": _PLACEHOLDER,
            "price": 1.0,
            "quality": 100.0,
            "plan_months": _NO_MONTHS,
            "report_months": _NO_MONTHS,
        }
    )
    ph_agency = pd.DataFrame(
        {
            "agency": [_PLACEHOLDER],
            "name_zh": [""],
            "qualifications": ["cpa;research;engineering"],
            "capacity_pm": [float(it["effort_pm"].sum()) + 1.0],
            "ties": [None],
        }
    )
    res = assign_packages(
        it,
        pd.concat([ag, ph_agency], ignore_index=True),
        pd.concat([q, ph_bids], ignore_index=True),
        budget=None,
        objective="price",
        quality_floor=0.0,
        max_packages=None,
        commissioner=commissioner,
        plan_deadline=plan_deadline,
        report_deadline=report_deadline,
    )
    b = res.bids[res.bids["agency"] != _PLACEHOLDER]
    return bd[["package", "agency"]].merge(
        b[["package", "agency", "eligible", "reasons"]], on=["package", "agency"], how="left"
    )


def _package_info(it: pd.DataFrame) -> pd.DataFrame:
    g = it.groupby("package", sort=True)
    return pd.DataFrame(
        {
            "items": g["item"].agg(", ".join),
            "reserve": g["max_cost"].sum(),
            "effort_pm": g["effort_pm"].sum(),
        }
    ).reset_index()


def _sequential(scores, pinfo, ag, order, max_packages):
    """Award packages one by one in ``order``; returns (table rows, passed-over rows)."""
    cap = dict(zip(ag["agency"], ag["capacity_pm"].astype(float)))
    names = dict(zip(ag["agency"], ag["name_zh"].astype(str)))
    effort = dict(zip(pinfo["package"], pinfo["effort_pm"]))
    used = dict.fromkeys(cap, 0.0)
    won = dict.fromkeys(cap, 0)
    ranked = scores[scores["award_rank"].notna()].sort_values(["package", "award_rank"])
    by_pkg = {p: sub for p, sub in ranked.groupby("package", sort=False)}
    rows, passed = [], []
    for k, p in enumerate(order, start=1):
        sub = by_pkg.get(p)
        if sub is None:
            pb = scores[scores["package"] == p]
            failed = pb["flags"].str.contains("第三十六条", regex=False).any()
            rows.append(
                {
                    "package": p,
                    "order": k,
                    "status": "failed" if failed else "unawarded",
                    "note": "fewer valid bids than the law requires: the tender fails (废标)"
                    if failed
                    else "no valid, eligible bid",
                }
            )
            continue
        winner = None
        for r in sub.itertuples(index=False):  # a handful of bidders per package
            why = []
            if max_packages is not None and won[r.agency] >= max_packages:
                why.append(f"already won {won[r.agency]} package(s) (at most {max_packages})")
            if used[r.agency] + effort[p] > cap[r.agency] + 1e-9:
                why.append(
                    f"capacity left {cap[r.agency] - used[r.agency]:g} person-months < "
                    f"{effort[p]:g} needed"
                )
            if why:
                passed.append(
                    {"package": p, "agency": r.agency, "rank": r.rank, "reason": "; ".join(why)}
                )
                continue
            winner = r
            break
        if winner is None:
            rows.append(
                {
                    "package": p,
                    "order": k,
                    "status": "unawarded",
                    "note": "every ranked bidder was passed over (capacity / package count)",
                }
            )
            continue
        used[winner.agency] += effort[p]
        won[winner.agency] += 1
        rows.append(
            {
                "package": p,
                "order": k,
                "status": "awarded",
                "agency": winner.agency,
                "agency_name": names.get(winner.agency, winner.agency),
                "price": winner.price,
                "evaluated_price": winner.evaluated_price,
                "technical_score": winner.technical_score,
                "total": winner.total,
                "rank": winner.rank,
                "note": "" if winner.award_rank == 1 else "first-ranked bidder(s) passed over",
            }
        )
    return rows, passed


def _optima(it, ag, scores, pinfo, max_packages, commissioner, solver, time_limit, method):
    """The three MILP awards on the same candidate bids and limits."""
    cand = scores[scores["award_rank"].notna()].merge(pinfo[["package", "reserve"]], on="package")
    out: dict = {}
    if cand.empty:
        return dict.fromkeys(OPTIMA, "no valid, eligible bid in any package")
    its = it[it["package"].isin(cand["package"])]
    base = pd.DataFrame(
        {
            "package": cand["package"],
            "agency": cand["agency"],
            "plan_months": _NO_MONTHS,
            "report_months": _NO_MONTHS,
        }
    )
    tech = cand["technical_score"].to_numpy(float)
    has_tech = np.isfinite(tech).all()
    score = cand["total"].to_numpy(float) if method == "composite" else None
    specs = {
        # minimise the score shortfall 101 - total (or the evaluated price under lowest_price)
        "max_score": (
            101.0 - score if score is not None else cand["evaluated_price"].to_numpy(float),
            np.nan_to_num(tech, nan=100.0),
            "price",
        ),
        "value": (cand["price"].to_numpy(float), tech, "value"),
        "min_price": (cand["price"].to_numpy(float), np.nan_to_num(tech, nan=100.0), "price"),
    }
    for name, (price, quality, objective) in specs.items():
        if name == "value" and not has_tech:
            out[name] = "no technical scores: the value objective needs a quality measure"
            continue
        try:
            out[name] = assign_packages(
                its,
                ag,
                base.assign(price=price, quality=quality),
                budget=None,
                objective=objective,
                quality_floor=0.0,
                max_packages=max_packages,
                commissioner=commissioner,
                plan_deadline=1.0,
                report_deadline=1.0,
                solver=solver,
                time_limit=time_limit,
            )
        except InfeasibleError as exc:
            out[name] = str(exc)
    return out


def award_tender(
    items: pd.DataFrame,
    agencies: pd.DataFrame,
    bids: pd.DataFrame,
    method: str = "composite",
    price_weight: float = 0.3,
    sme_deduction: float = 0.1,
    *,
    ratings: pd.DataFrame | None = None,
    order=None,
    max_packages: int | None = 2,
    commissioner: str = "市财政局",
    plan_deadline: float | None = None,
    report_deadline: float | None = None,
    compare: bool = True,
    solver: str = "highs",
    time_limit: float | None = None,
    **score_options,
) -> TenderAward:
    """Award every package as the tender law prescribes, and solve the optima beside it.

    Parameters
    ----------
    items : pandas.DataFrame
        Evaluation items with ``package`` (as for :func:`assign_packages`); a package's
        ceiling (最高限价) is the sum of its items' ``max_cost`` [yuan].
    agencies : pandas.DataFrame
        As for :func:`assign_packages` (qualifications, ``capacity_pm``, ties).
    bids : pandas.DataFrame
        As for :func:`tender_scores`, plus optional ``plan_months`` / ``report_months``
        [months after signing] checked against the deadlines when present.
    method, price_weight, sme_deduction
        See :func:`tender_scores`.
    ratings : pandas.DataFrame, optional
        Expert ratings (see :func:`tender_scores`).
    order : list of str, optional
        The order in which packages are evaluated and awarded; default by package id.
    max_packages : int or None, default 2
        Packages one agency may win (the tender document's rule); None for no limit.
    commissioner : str
        The commissioning body (agencies tied to it are not independent).
    plan_deadline, report_deadline : float, optional
        [months after signing]; default the seed's 1 and 3 months.
    compare : bool, default True
        Also solve the three optimal awards (``TenderAward.optima``).
    solver, time_limit
        Passed to :func:`assign_packages`.
    **score_options
        Further options of :func:`tender_scores` (``category``, ``abnormal``,
        ``abnormal_share``, ``business_weight``, ``weights``, ``tie_break``, ``seed`` …).

    Returns
    -------
    TenderAward

    Raises
    ------
    DataError
        Bad tables or options, unknown bidders or packages (every problem at once).
    """
    probs = Problems(source="award_tender")
    it, ag, bd, order = _validate(items, agencies, bids, max_packages, order, probs)
    el = _eligibility(it, ag, bd, commissioner, plan_deadline, report_deadline)
    pinfo = _package_info(it)
    ceiling = bd["package"].map(dict(zip(pinfo["package"], pinfo["reserve"]))).to_numpy(float)
    over = bd["price"].to_numpy(float) > ceiling
    reasons = el["reasons"].fillna("").to_numpy(object)
    over_txt = np.where(
        over,
        "price above the package ceiling of "
        + pd.Series(ceiling).map("{:,.0f}".format).to_numpy(object)
        + " yuan (第六十三条)",
        "",
    )
    own = bd["reason"].to_numpy(object)
    parts = np.stack([own, reasons, over_txt], axis=1)
    why = pd.Series(["; ".join(p for p in row if p) for row in parts.tolist()])
    b2 = bd.copy()
    b2["valid"] = bd["valid"].to_numpy(bool) & el["eligible"].fillna(False).to_numpy(bool) & ~over
    b2["reason"] = np.where(b2["valid"], "", why)
    scores = tender_scores(
        b2,
        method,
        price_weight,
        sme_deduction,
        ratings=ratings,
        agencies=set(ag["agency"]),
        packages=set(pinfo["package"]),
        source="award_tender",
        **score_options,
    )
    scores = scores.merge(el, on=["package", "agency"], how="left")
    scores["reasons"] = scores["reasons"].fillna("")
    rows, passed = _sequential(scores, pinfo, ag, order, max_packages)
    table = pd.DataFrame(rows).merge(pinfo, on="package", how="left")
    for c in ("agency", "agency_name", "price", "evaluated_price", "technical_score", "total"):
        if c not in table.columns:
            table[c] = np.nan
    table["rank"] = pd.array(table.get("rank", pd.Series(pd.NA, index=table.index)), dtype="Int64")
    table["net_value"] = table["technical_score"] / 100.0 * table["reserve"] - table["price"]
    table = table[
        [
            "package",
            "order",
            "items",
            "status",
            "agency",
            "agency_name",
            "price",
            "evaluated_price",
            "technical_score",
            "total",
            "rank",
            "reserve",
            "effort_pm",
            "net_value",
            "note",
        ]
    ]
    passed_over = pd.DataFrame(passed, columns=["package", "agency", "rank", "reason"])
    optima = (
        _optima(
            it,
            ag,
            scores,
            pinfo,
            max_packages,
            commissioner,
            solver,
            time_limit,
            method,
        )
        if compare
        else {}
    )
    return TenderAward(
        table=table,
        scores=scores,
        passed_over=passed_over,
        optima=optima,
        options={
            "method": method,
            "price_weight": price_weight,
            "sme_deduction": sme_deduction,
            "max_packages": max_packages,
            "order": list(order),
            **score_options,
        },
    )


def _summary(rule, status, wins: pd.DataFrame, scores, pinfo) -> dict:
    """Totals of one award: ``wins`` has package, agency."""
    m = wins.merge(scores, on=["package", "agency"], how="left").merge(
        pinfo[["package", "reserve"]], on="package", how="left"
    )
    return {
        "rule": rule,
        "status": status,
        "packages": len(m),
        "total_price": float(m["price"].sum()),
        "mean_technical": float(m["technical_score"].mean()) if len(m) else float("nan"),
        "total_score": float(m["total"].sum(min_count=1)) if len(m) else float("nan"),
        "net_value": float(
            (m["technical_score"] / 100.0 * m["reserve"] - m["price"]).sum(min_count=1)
        ),
    }


def compare_awards(award: TenderAward) -> AwardComparison:
    """The legal award beside the optimal awards under the same rules.

    Parameters
    ----------
    award : TenderAward
        From :func:`award_tender` with ``compare=True``.

    Returns
    -------
    AwardComparison
        ``.table``: one row per rule (``legal``, ``max_score``, ``value``,
        ``min_price``) with total price [yuan], mean technical score [points], total
        tender score [points], net value [yuan] and the differences to the legal award;
        ``.winners``: who wins each package under each rule.

    Notes
    -----
    Totals cover the packages each rule awards; when the legal award leaves a package
    unawarded that the optima award, the rows are not like for like (``packages``
    shows it).
    """
    pinfo = award.table[["package", "reserve"]]
    legal = award.table[award.table["status"] == "awarded"][["package", "agency"]]
    rows = [_summary("legal", "awarded", legal, award.scores, pinfo)]
    winners = pd.DataFrame({"package": award.table["package"]}).merge(
        legal.rename(columns={"agency": "legal"}), on="package", how="left"
    )
    for name in OPTIMA:
        res = award.optima.get(name)
        if isinstance(res, AwardResult):
            w = res.table[["package", "agency"]]
            rows.append(_summary(name, res.status, w, award.scores, pinfo))
            winners = winners.merge(w.rename(columns={"agency": name}), on="package", how="left")
        else:
            rows.append(
                {
                    "rule": name,
                    "status": "not solved" if res is None else f"no solution: {res}",
                    "packages": 0,
                }
            )
            winners[name] = None
    t = pd.DataFrame(rows)
    for c in ("total_price", "mean_technical", "total_score", "net_value"):
        if c not in t.columns:
            t[c] = np.nan
    t["price_vs_legal"] = t["total_price"] - t["total_price"].iloc[0]
    t["net_value_vs_legal"] = t["net_value"] - t["net_value"].iloc[0]
    return AwardComparison(table=t, winners=winners)


def price_weight_sensitivity(
    items: pd.DataFrame,
    agencies: pd.DataFrame,
    bids: pd.DataFrame,
    price_weights=None,
    **award_options,
) -> pd.DataFrame:
    """The legal award as the price weight moves across its allowed range.

    Parameters
    ----------
    items, agencies, bids
        As for :func:`award_tender`.
    price_weights : array-like, optional
        Price weights [share 0-1]; default from the legal floor of the category
        (0.10 for services, 0.30 for goods; 财政部令第87号 第五十五条) to
        ``1 - business_weight`` in steps of 0.05.
    **award_options
        Passed to :func:`award_tender` (composite method).

    Returns
    -------
    pandas.DataFrame
        One row per price weight and package: ``price_weight``, ``package``,
        ``agency`` (winner), ``price`` [yuan], ``technical_score`` [points],
        ``total_price`` [yuan, all packages awarded at that weight] and
        ``mean_technical`` [points].
    """
    category = award_options.get("category", "services")
    floor = PRICE_WEIGHT_FLOOR.get(category, 0.10)
    top = 1.0 - float(award_options.get("business_weight") or 0.0)
    if price_weights is None:
        price_weights = np.round(np.arange(floor, top + 1e-9, 0.05), 2)
    frames = []
    for wgt in np.asarray(price_weights, dtype=float):  # one legal award per weight
        res = award_tender(
            items, agencies, bids, "composite", float(wgt), compare=False, **award_options
        )
        t = res.table[res.table["status"] == "awarded"]
        frames.append(
            pd.DataFrame(
                {
                    "price_weight": float(wgt),
                    "package": t["package"].to_numpy(),
                    "agency": t["agency"].to_numpy(),
                    "price": t["price"].to_numpy(float),
                    "technical_score": t["technical_score"].to_numpy(float),
                    "total_price": float(t["price"].sum()),
                    "mean_technical": float(t["technical_score"].mean()),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def plot_price_weight_sensitivity(sens: pd.DataFrame, ax=None):
    """Total awarded price [10,000 yuan] and mean technical score against the price weight,
    with the winners of each package written where they change.

    Parameters
    ----------
    sens : pandas.DataFrame
        From :func:`price_weight_sensitivity`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    from kmmodel import plots

    plots.setup()
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4))
    per = sens.groupby("price_weight", sort=True).agg(
        total_price=("total_price", "first"), mean_technical=("mean_technical", "first")
    )
    wan = 1e4
    ax.step(per.index, per["total_price"] / wan, where="post", color="#3b75af", label="中标总价")
    ax.set_xlabel("价格分权重 price weight")
    ax.set_ylabel("中标总价 [万元]")
    ax2 = ax.twinx()
    ax2.step(
        per.index, per["mean_technical"], where="post", color="#c0392b", ls="--", label="平均技术分"
    )
    ax2.set_ylabel("中标人平均技术分 [分]")
    wide = sens.pivot(index="price_weight", columns="package", values="agency")
    label = wide.astype(str).agg(" ".join, axis=1)
    change = label.ne(label.shift())
    for wgt in label.index[change.to_numpy()]:
        ax.annotate(
            label[wgt],
            (wgt, per.loc[wgt, "total_price"] / wan),
            textcoords="offset points",
            xytext=(3, -4),
            va="top",
            fontsize=7,
            color="#1f4e79",
        )
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper right", fontsize=8)
    ax.set_title("价格权重敏感性:中标人 (" + " ".join(wide.columns) + ") 与中标总价", pad=10)
    ax.margins(y=0.15)
    return ax
