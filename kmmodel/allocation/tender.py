"""Tender scores as Chinese government procurement computes them (综合评分法, 最低评标价法).

A third-party evaluation service bought by a government body is a *service* procured
under the Government Procurement Law; an open tender for it is evaluated under the
Ministry of Finance's 《政府采购货物和服务招标投标管理办法》(财政部令第87号, 2017). The
rules implemented here, each with the article it comes from:

- **Evaluation methods** (第五十三条): 最低评标价法 (lowest evaluated price) and 综合评分法
  (composite scoring).
- **最低评标价法** (第五十四条, 第五十六条): the bid meeting every substantive requirement
  with the lowest price ranks first; apart from arithmetic correction and the price
  deductions of procurement policy, prices are not adjusted; equal prices rank equal
  (并列).
- **综合评分法** (第五十五条): price score by the low-price-first method — the lowest
  price among bids meeting the tender's requirements is the 评标基准价 and scores full
  marks; every other bid scores ``评标基准价 / 投标报价 x 100``; total score
  ``F1 x A1 + F2 x A2 + ... + Fn x An`` with factor scores F and weights A summing to 1.
  The price weight may not be below **30% for goods** and **10% for services**. The
  highest and lowest prices may not be dropped. Where prices are adjusted to apply
  procurement policy (the small-firm deduction), the adjusted price is used for the
  base price and for each bid's price.
- **Ranking** (第五十七条): by total score, high to low; equal scores by price, low to
  high; equal score *and* price rank equal (并列). The order names no further rule;
  to pick one winner :func:`tender_scores` applies a *declared* rule (``tie_break``):
  the higher technical score (the rule of the repealed 财政部令第18号 and of many tender
  documents: 按技术指标优劣顺序排列), then a seeded lot.
- **Abnormally low bids** (第六十条): where the committee considers a price obviously
  below the other bids that passed the compliance review (符合性审查), possibly affecting
  quality or honest performance, it must ask the bidder for a written explanation (with
  evidence where needed); a bidder who cannot show the price is reasonable is treated as
  an invalid bid. The order gives no number: the threshold here is **declared**
  (``abnormal_share`` of the median, or mean, of the other valid bids).
- **Small and micro enterprises** (《政府采购促进中小企业发展管理办法》财库〔2020〕46号,
  第九条): in projects not reserved for SMEs, small and micro enterprises' prices are cut
  by a set share and the cut price is used in the evaluation (the contract price stays
  the bid). The share was 6%-10% for goods and services (3%-5% for works) in 46号 and
  was raised to **10%-20% for goods and services** by 财库〔2022〕19号 (《关于进一步加大
  政府采购支持中小企业力度的通知》); ``sme_deduction`` must lie in that range, or be 0
  for a package reserved for SMEs (no deduction applies there).
- **Too few bids** (《中华人民共和国政府采购法》第三十六条): a tender with fewer than three
  qualified, substantively responsive bidders fails (废标); :func:`tender_scores` flags
  such packages (``min_valid_bids``).

The technical (and business) factor scores are given per bid, or combined from expert
ratings with :func:`kmmodel.panel.combine` (by default the trimmed mean that drops the
highest and lowest expert score). 第五十五条 itself only says each committee member
scores independently and the scores are summed up (汇总); how they are combined is the
tender document's rule, declared here as ``rating_method``.

Notes
-----
Where this differs from a common reading: the order's tie rule is 第五十七条 and stops at
并列 (the technical-score tie-break is the repealed 18号令's, used here only as a declared
rule); the order sets no upper bound on the price weight (the 30%-60% / 10%-30% bands of
财库〔2007〕2号 no longer apply); the deduction is for *small and micro* enterprises only,
not medium ones; 第六十条 names no numeric threshold. Provenance of the texts: the wording
of 第五十五条 (低价优先法, the formula, the 30% goods floor) and of the 综合评分法 ranking
rule is quoted in published tender documents and award notices; check the current text
of 财库〔2022〕19号 before a tender — if the raised range is no longer in force, change
:data:`SME_DEDUCTION_RANGE`.

References
----------
财政部 (2017). 政府采购货物和服务招标投标管理办法 (财政部令第87号), 第五十三至五十七条, 第六十条.
财政部、工业和信息化部 (2020). 政府采购促进中小企业发展管理办法 (财库〔2020〕46号), 第九条.
财政部 (2022). 关于进一步加大政府采购支持中小企业力度的通知 (财库〔2022〕19号).
中华人民共和国政府采购法 (2002, amended 2014), 第三十六条.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kmmodel.errors import DataError, Problems, rows_phrase
from kmmodel.panel import median_of_others
from kmmodel.rng import as_generator

__all__ = [
    "ABNORMAL_RULES",
    "CATEGORIES",
    "METHODS",
    "PRICE_WEIGHT_FLOOR",
    "SME_DEDUCTION_RANGE",
    "TIE_BREAKS",
    "check_tender_bids",
    "panel_win_shares",
    "tender_scores",
]

#: 综合评分法 and 最低评标价法 (财政部令第87号 第五十三条).
METHODS = ("composite", "lowest_price")
#: Lowest allowed price weight [share 0-1] (财政部令第87号 第五十五条).
PRICE_WEIGHT_FLOOR = {"goods": 0.30, "services": 0.10}
CATEGORIES = tuple(PRICE_WEIGHT_FLOOR)
#: Allowed price deduction for small and micro enterprises [share 0-1]
#: (财库〔2020〕46号 第九条 as raised by 财库〔2022〕19号; works, not covered by the
#: order, 3%-5%).
SME_DEDUCTION_RANGE = {"goods": (0.10, 0.20), "services": (0.10, 0.20)}
#: What happens to an abnormally low bid (财政部令第87号 第六十条).
ABNORMAL_RULES = ("explain", "exclude", "keep")
#: Declared rules that pick one winner among bids tied on score and price (第五十七条).
TIE_BREAKS = ("technical", "lot")

_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f", ""}
_FACTORS = ("technical", "business")


def _bools(df, col, probs, default: bool) -> pd.Series:
    if col not in df.columns:
        return pd.Series(default, index=df.index, dtype=bool)
    raw = df[col]
    if raw.dtype == bool:
        return raw
    s = raw.astype("string").str.strip().str.lower().fillna("")
    bad = ~s.isin(_TRUE | _FALSE)
    if bad.any():
        probs.add(
            f"expected true/false (or 1/0, 是/否) in {rows_phrase(np.flatnonzero(bad))}, "
            f"got {raw[bad].astype(str).head(3).tolist()}",
            f"column {col}",
        )
    out = s.isin(_TRUE)
    if col == "valid":  # an empty validity cell means the bid passed review
        out = out | (s == "")
    return out.astype(bool)


def _numbers(df, col, probs, *, low=None, high=None, strict_low=False, unit="", required=True):
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce").astype("float64")
    empty = raw.isna() | (raw.astype("string").str.strip() == "")
    bad = num.isna() & ~empty
    if required and empty.any():
        probs.add(f"missing value in {rows_phrase(np.flatnonzero(empty))}", f"column {col}")
    if bad.any():
        probs.add(
            f"expected a number in {rows_phrase(np.flatnonzero(bad))}, "
            f"got {raw[bad].astype(str).head(3).tolist()}",
            f"column {col}",
        )
    inf = np.isinf(num.fillna(0.0))
    if inf.any():
        probs.add(
            f"expected a finite number in {rows_phrase(np.flatnonzero(inf))}", f"column {col}"
        )
    if low is not None:
        under = ((num <= low) if strict_low else (num < low)).fillna(False)
        if under.any():
            rel = ">" if strict_low else ">="
            probs.add(
                f"expected {rel} {low:g}{unit} in {rows_phrase(np.flatnonzero(under))}, "
                f"got {num[under].head(3).tolist()}",
                f"column {col}",
            )
    if high is not None:
        over = (num > high).fillna(False)
        if over.any():
            probs.add(
                f"expected <= {high:g}{unit} in {rows_phrase(np.flatnonzero(over))}, "
                f"got {num[over].head(3).tolist()}",
                f"column {col}",
            )
    return num


def check_tender_bids(
    bids: pd.DataFrame,
    probs: Problems,
    *,
    need_factors: tuple[str, ...] = (),
    agencies=None,
    packages=None,
) -> pd.DataFrame | None:
    """Validate a tender's bids table; add every problem to ``probs``.

    Columns: ``package``, ``agency``, ``price`` [yuan] > 0; optional ``technical`` and
    ``business`` [points 0-100], ``sme`` (small or micro enterprise, true/false),
    ``valid`` (passed the qualification and compliance review, default true) and
    ``reason`` (why not). ``need_factors`` must be present and filled for valid bids.
    Agency ids must be in ``agencies`` and packages in ``packages`` when given.
    Returns a clean copy (0-based index) or None when the table cannot be read at all.
    """
    if not isinstance(bids, pd.DataFrame):
        probs.add(f"expected a pandas DataFrame of bids, got {type(bids).__name__}")
        return None
    need = ["package", "agency", "price", *need_factors]
    missing = [c for c in need if c not in bids.columns]
    if missing:
        probs.add(f"missing column(s) {missing}; expected at least {need}")
        return None
    if len(bids) == 0:
        probs.add("expected at least one bid")
        return None
    df = bids.reset_index(drop=True).copy()
    for col in ("package", "agency"):
        s = df[col].astype("string").str.strip()
        empty = s.isna() | (s == "")
        if empty.any():
            probs.add(f"missing value in {rows_phrase(np.flatnonzero(empty))}", f"column {col}")
        df[col] = s
    df["price"] = _numbers(df, "price", probs, low=0, strict_low=True, unit=" yuan")
    df["sme"] = _bools(df, "sme", probs, False)
    df["valid"] = _bools(df, "valid", probs, True)
    df["explained"] = _bools(df, "explained", probs, False)
    if "reason" not in df.columns:
        df["reason"] = ""
    df["reason"] = df["reason"].astype("string").fillna("").str.strip()
    for col in _FACTORS:
        if col in df.columns:
            num = _numbers(df, col, probs, low=0, high=100, unit=" points", required=False)
            if col in need_factors:
                gap = num.isna() & df["valid"]
                if gap.any():
                    probs.add(
                        f"missing {col} score of a valid bid in {rows_phrase(np.flatnonzero(gap))}",
                        f"column {col}",
                    )
            df[col] = num
    dup = df.duplicated(["package", "agency"], keep=False)
    if dup.any():
        probs.add(
            f"more than one bid by the same agency for a package in {rows_phrase(np.flatnonzero(dup))}"
        )
    if agencies is not None:
        unknown = df["agency"].notna() & ~df["agency"].isin(list(agencies))
        if unknown.any():
            probs.add(
                f"unknown bidder(s) {sorted(df.loc[unknown, 'agency'].unique().tolist())} in "
                f"{rows_phrase(np.flatnonzero(unknown))}; expected an agency of the agencies table",
                "column agency",
            )
    if packages is not None:
        unknown = df["package"].notna() & ~df["package"].isin(list(packages))
        if unknown.any():
            probs.add(
                f"unknown package(s) {sorted(df.loc[unknown, 'package'].unique().tolist())} in "
                f"{rows_phrase(np.flatnonzero(unknown))}; expected a package of the items table",
                "column package",
            )
    return df


def _weights(method, price_weight, business_weight, weights, category, probs) -> dict[str, float]:
    """Factor weights {price, technical, business} [share 0-1], checked against 第五十五条."""
    if weights is not None:
        if not isinstance(weights, Mapping):
            probs.add(
                f"expected a mapping factor -> weight, got {type(weights).__name__}", "weights"
            )
            return {"price": 1.0, "technical": 0.0, "business": 0.0}
        unknown = sorted(set(weights) - {"price", *_FACTORS})
        if unknown:
            probs.add(
                f"unknown factor(s) {unknown}; expected price, technical, business", "weights"
            )
        w = {k: weights.get(k, 0.0) for k in ("price", *_FACTORS)}
    else:
        bw = 0.0 if business_weight is None else business_weight
        w = {"price": price_weight, "business": bw}
        try:
            w["technical"] = 1.0 - float(price_weight) - float(bw)
        except (TypeError, ValueError):
            w["technical"] = 0.0
    out = {}
    for k, v in w.items():
        try:
            v = float(v)
        except (TypeError, ValueError):
            probs.add(f"expected a number, got {v!r}", f"weight of {k}")
            v = float("nan")
        if not np.isfinite(v) or v < -1e-12 or v > 1 + 1e-12:
            where = "price_weight" if (k == "price" and weights is None) else f"weight of {k}"
            if k == "technical" and weights is None:
                probs.add(
                    f"price_weight + business_weight = {1 - v:g} leaves a negative technical "
                    "weight; expected the weights to sum to at most 1",
                    "price_weight, business_weight",
                )
            else:
                probs.add(f"expected a share 0-1, got {v!r}", where)
        out[k] = v
    total = sum(out.values())
    if weights is not None and np.isfinite(total) and abs(total - 1.0) > 1e-9:
        probs.add(
            "factor weights must sum to 1 (财政部令第87号 第五十五条: A1+A2+...+An=1), got "
            + " + ".join(f"{k} {v:g}" for k, v in out.items())
            + f" = {total:g}",
            "weights",
        )
    floor = PRICE_WEIGHT_FLOOR.get(category)
    if method == "composite" and floor is not None and np.isfinite(out["price"]):
        if out["price"] < floor - 1e-12:
            probs.add(
                f"price weight {out['price']:g} is below the legal floor for {category} "
                f"({floor:g}: 财政部令第87号 第五十五条 — goods at least 30%, services at least 10%)",
                "price_weight",
            )
    return out


def _validate_options(
    method, category, sme_deduction, abnormal, abnormal_share, abnormal_basis, tie_break, probs
):
    if method not in METHODS:
        probs.add(f"expected one of {METHODS}, got {method!r}", "method")
    if category not in CATEGORIES:
        probs.add(
            f"expected one of {CATEGORIES} (财政部令第87号 covers goods and services), "
            f"got {category!r}",
            "category",
        )
    lo, hi = SME_DEDUCTION_RANGE.get(category, (0.10, 0.20))
    try:
        d = float(sme_deduction)
    except (TypeError, ValueError):
        d = float("nan")
    if not (d == 0 or (lo - 1e-12 <= d <= hi + 1e-12)):
        probs.add(
            f"expected 0 (a package reserved for SMEs) or a deduction within {lo:g}-{hi:g} "
            f"for {category} (财库〔2020〕46号 第九条 as raised by 财库〔2022〕19号), "
            f"got {sme_deduction!r}",
            "sme_deduction",
        )
    if abnormal not in ABNORMAL_RULES:
        probs.add(f"expected one of {ABNORMAL_RULES}, got {abnormal!r}", "abnormal")
    if not (isinstance(abnormal_share, (int, float)) and 0 < abnormal_share < 1):
        probs.add(
            f"expected a share strictly between 0 and 1, got {abnormal_share!r}", "abnormal_share"
        )
    if abnormal_basis not in ("median", "mean"):
        probs.add(f"expected 'median' or 'mean', got {abnormal_basis!r}", "abnormal_basis")
    if tie_break not in TIE_BREAKS:
        probs.add(f"expected one of {TIE_BREAKS}, got {tie_break!r}", "tie_break")
    return d


def _rated_factors(ratings, df, rating_method, min_raters, probs) -> pd.DataFrame | None:
    """Factor scores per bid from expert ratings: package, agency, factor, rater, score."""
    from kmmodel import panel

    if not isinstance(ratings, pd.DataFrame):
        probs.add(f"expected a pandas DataFrame, got {type(ratings).__name__}", "ratings")
        return None
    cols = ["package", "agency", "factor", "rater", "score"]
    missing = [c for c in cols if c not in ratings.columns]
    if missing:
        probs.add(f"missing column(s) {missing}; expected {cols}", "ratings")
        return None
    r = ratings.reset_index(drop=True).copy()
    for c in ("package", "agency", "factor"):
        r[c] = r[c].astype("string").str.strip()
    bad_f = r["factor"].notna() & ~r["factor"].isin(_FACTORS)
    if bad_f.any():
        probs.add(
            f"expected factor technical or business in {rows_phrase(np.flatnonzero(bad_f))}, "
            f"got {sorted(r.loc[bad_f, 'factor'].dropna().unique().tolist())}",
            "ratings, column factor",
        )
    key = pd.MultiIndex.from_frame(df[["package", "agency"]])
    rk = pd.MultiIndex.from_frame(r[["package", "agency"]].fillna(""))
    unknown = ~rk.isin(key)
    if unknown.any():
        pairs = sorted({f"{p}/{a}" for p, a in rk[unknown]})
        probs.add(
            f"ratings for bids not in the bids table: {', '.join(pairs[:10])}"
            + (f" and {len(pairs) - 10} more" if len(pairs) > 10 else "")
            + f" ({rows_phrase(np.flatnonzero(unknown))})",
            "ratings",
        )
    try:
        comb = panel.combine(
            r[~unknown & ~bad_f],
            rating_method,
            min_raters=min_raters,
            unit=["package", "agency"],
            indicator="factor",
            scale=(0.0, 100.0),
            source="ratings",
        )
    except DataError as exc:
        probs.extend(
            type(p)(p.message, f"ratings{', ' + p.where if p.where else ''}") for p in exc.problems
        )
        return None
    return comb.pivot(index=["package", "agency"], columns="factor", values="score")


def tender_scores(
    bids: pd.DataFrame,
    method: str = "composite",
    price_weight: float = 0.3,
    sme_deduction: float = 0.1,
    *,
    business_weight: float | None = None,
    weights: Mapping[str, float] | None = None,
    category: str = "services",
    ratings: pd.DataFrame | None = None,
    rating_method: str = "trimmed",
    min_raters: int | None = None,
    abnormal: str = "explain",
    abnormal_share: float = 0.6,
    abnormal_basis: str = "median",
    min_valid_bids: int = 3,
    tie_break: str = "technical",
    decimals: int | None = None,
    seed=0,
    agencies=None,
    packages=None,
    source: str = "bids",
) -> pd.DataFrame:
    """Score and rank every bid of every package as 财政部令第87号 prescribes.

    Parameters
    ----------
    bids : pandas.DataFrame
        One row per (package, agency): ``price`` [yuan] > 0; ``technical`` [points
        0-100] (unless ``ratings`` give it); optional ``business`` [points 0-100];
        ``sme`` (bool: a small or micro enterprise entitled to the price deduction);
        ``valid`` (bool, default true: passed the qualification and compliance review)
        with ``reason``; ``explained`` (bool, default false: an abnormally low bidder
        gave a written explanation the committee accepted, 第六十条).
    method : {"composite", "lowest_price"}
        综合评分法 or 最低评标价法.
    price_weight : float, default 0.3
        Weight of the price score [share 0-1]; at least 0.30 for goods and 0.10 for
        services (第五十五条). The technical weight is ``1 - price_weight -
        business_weight``.
    sme_deduction : float, default 0.1
        Price deduction for small and micro enterprises [share 0-1]: 0.10-0.20 for goods
        and services (财库〔2020〕46号 第九条, 财库〔2022〕19号), or 0 for a package reserved
        for SMEs.
    business_weight : float, optional
        Weight of the business (商务) score [share 0-1]; default 0.
    weights : mapping, optional
        ``{"price": .., "technical": .., "business": ..}`` instead of the two weights;
        must sum to 1 (第五十五条).
    category : {"services", "goods"}
        What is bought (sets the price-weight floor). Evaluation services are services.
    ratings : pandas.DataFrame, optional
        Expert ratings ``package``, ``agency``, ``factor`` (technical / business),
        ``rater``, ``score`` [points 0-100]; combined with
        :func:`kmmodel.panel.combine` (``rating_method``, ``min_raters``).
    abnormal : {"explain", "exclude", "keep"}, default "explain"
        What happens to an abnormally low bid (第六十条): ``explain`` keeps it only when
        its ``explained`` cell is true and otherwise treats it as invalid; ``exclude``
        treats every flagged bid as invalid; ``keep`` only flags it.
    abnormal_share, abnormal_basis : float, {"median", "mean"}
        Declared threshold: a valid bid priced below ``abnormal_share`` x the median
        (or mean) of the *other* valid bids of its package is abnormally low. Default
        0.6 of the median — an assumption, as the order gives no number.
    min_valid_bids : int, default 3
        A package with fewer valid bids fails (废标, 政府采购法第三十六条): its bids are
        scored but not ranked.
    tie_break : {"technical", "lot"}
        Declared rule that orders bids tied on total score and price (第五十七条 ranks
        them equal): higher technical score, then a seeded lot; or the lot alone.
    decimals : int, optional
        Round factor and total scores to this many decimals before ranking (many tender
        documents score to 2 decimals); default no rounding.
    seed : int or numpy.random.Generator
        Seed of the lot.
    agencies, packages : iterable of str, optional
        Known bidder and package ids; others are reported.
    source : str
        Name used in error messages (a file name).

    Returns
    -------
    pandas.DataFrame
        One row per bid, sorted by package and award order: ``package``, ``agency``,
        ``price`` [yuan, the contract price], ``sme``, ``valid``, ``evaluated_price``
        [yuan, after the deduction], ``price_score`` [points 0-100], ``technical_score``
        and ``business_score`` [points], ``total`` [points; NaN under
        ``lowest_price``], ``rank`` (第五十六/五十七条; ties share a rank; empty for
        invalid bids and failed packages), ``award_rank`` (ties broken by
        ``tie_break``; 1 = winner), ``abnormally_low`` (bool), ``low_ratio`` (price over
        the other valid bids' median or mean) and ``flags`` (why a bid is invalid,
        deducted, abnormally low, tied; ``;``-joined).

    Raises
    ------
    DataError
        Every problem at once: weights not summing to 1, a price weight below the legal
        floor, a deduction outside the legal range, a price of 0 or below, scores
        outside 0-100, ratings from fewer raters than the method needs, ratings or bids
        for unknown bidders or packages, unknown options.

    Notes
    -----
    With the abnormally-low rule active (``explain`` / ``exclude``), a higher price can
    *raise* a bid's score: it can push another bid below the threshold, that bid drops
    out, and the base price rises. With ``abnormal="keep"`` a bid's total never rises
    with its own price (tested).

    Examples
    --------
    >>> import pandas as pd
    >>> bids = pd.DataFrame({"package": "P1", "agency": ["A", "B", "C"],
    ...                      "price": [100_000, 80_000, 90_000], "technical": [90, 70, 80],
    ...                      "sme": [False, False, True]})
    >>> s = tender_scores(bids, price_weight=0.3, sme_deduction=0.1, decimals=2)
    >>> s[["agency", "evaluated_price", "price_score", "total", "rank"]]
      agency  evaluated_price  price_score  total  rank
    0      A         100000.0        80.00  87.00     1
    1      C          81000.0        98.77  85.63     2
    2      B          80000.0       100.00  79.00     3
    """
    probs = Problems(source=source)
    d = _validate_options(
        method, category, sme_deduction, abnormal, abnormal_share, abnormal_basis, tie_break, probs
    )
    if not (isinstance(min_valid_bids, (int, np.integer)) and min_valid_bids >= 1):
        probs.add(f"expected a whole number >= 1, got {min_valid_bids!r}", "min_valid_bids")
    w = _weights(method, price_weight, business_weight, weights, category, probs)
    use_business = w.get("business", 0.0) > 0
    rated: tuple[str, ...] = ()
    if ratings is not None and isinstance(ratings, pd.DataFrame) and "factor" in ratings.columns:
        rated = tuple(f for f in _FACTORS if (ratings["factor"].astype(str).str.strip() == f).any())
    need = []
    if method == "composite":
        need += [
            f for f in ("technical", *(("business",) if use_business else ())) if f not in rated
        ]
    df = check_tender_bids(
        bids, probs, need_factors=tuple(need), agencies=agencies, packages=packages
    )
    if df is None:
        probs.raise_if_any(DataError)
    for f in rated:
        if f in df.columns and df[f].notna().any():
            probs.add(
                f"{f} scores are given both in the bids table and by the ratings; give one",
                f"column {f}",
            )
    if ratings is not None:
        comb = _rated_factors(ratings, df, rating_method, min_raters, probs)
        if comb is not None:
            idx = pd.MultiIndex.from_frame(df[["package", "agency"]])
            for f in rated:
                df[f] = comb[f].reindex(idx).to_numpy() if f in comb.columns else np.nan
                gap = df[f].isna() & df["valid"]
                if method == "composite" and (f == "technical" or use_business) and gap.any():
                    pairs = ", ".join(
                        f"{p}/{a}" for p, a in zip(df.loc[gap, "package"], df.loc[gap, "agency"])
                    )
                    probs.add(f"no {f} ratings for valid bid(s) {pairs}", "ratings")
    probs.raise_if_any(DataError)
    for f in _FACTORS:
        if f not in df.columns:
            df[f] = np.nan

    # --- abnormally low (第六十条): against the other bids that passed the compliance review
    valid = df["valid"].to_numpy(bool)
    price = df["price"].to_numpy(float)
    pk = df["package"].to_numpy()
    vp = pd.Series(np.where(valid, price, np.nan), index=df.index)
    grp = vp.groupby(df["package"])
    n_valid = grp.transform("count").to_numpy()
    if abnormal_basis == "mean":
        others = ((grp.transform("sum") - vp) / (n_valid - 1)).to_numpy()
    else:
        others = median_of_others(pk, np.where(valid, price, np.nan))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = price / others
    low = valid & np.isfinite(ratio) & (ratio < abnormal_share)
    flags = [[] for _ in range(len(df))]
    drop_low = np.zeros(len(df), bool)
    if abnormal == "exclude":
        drop_low = low
    elif abnormal == "explain":
        drop_low = low & ~df["explained"].to_numpy(bool)
    basis = "median" if abnormal_basis == "median" else "mean"
    for i in np.flatnonzero(low):
        txt = (
            f"abnormally low: {ratio[i]:.0%} of the {basis} of the other valid bids "
            f"(< {abnormal_share:.0%}, 第六十条)"
        )
        if abnormal == "keep":
            txt += "; kept"
        elif drop_low[i]:
            txt += (
                "; excluded"
                if abnormal == "exclude"
                else "; no accepted written explanation: invalid"
            )
        else:
            txt += "; written explanation accepted: kept"
        flags[i].append(txt)
    for i in np.flatnonzero(~valid):
        flags[i].append("invalid" + (f": {df['reason'].iat[i]}" if df["reason"].iat[i] else ""))
    scored = valid & ~drop_low

    # --- evaluated price: small-firm deduction (46号 第九条), base price, price score (第五十五条)
    sme = df["sme"].to_numpy(bool)
    evaluated = price * np.where(sme, 1.0 - d, 1.0)
    for i in np.flatnonzero(sme & scored & (d > 0)):
        flags[i].append(f"small/micro firm: price cut {d:.0%} for evaluation")
    ev = pd.Series(np.where(scored, evaluated, np.nan), index=df.index)
    base = ev.groupby(df["package"]).transform("min").to_numpy()
    n_scored = ev.groupby(df["package"]).transform("count").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        price_score = np.where(scored, base / evaluated * 100.0, np.nan)
    tech = np.where(scored, df["technical"].to_numpy(float), np.nan)
    busi = np.where(scored, df["business"].to_numpy(float), np.nan)
    if decimals is not None:
        price_score, tech, busi = (np.round(x, decimals) for x in (price_score, tech, busi))
    if method == "composite":
        total = w["price"] * price_score + w["technical"] * tech
        if use_business:
            total = total + w["business"] * busi
        if decimals is not None:
            total = np.round(total, decimals)
    else:
        total = np.full(len(df), np.nan)
    failed = scored & (n_scored < min_valid_bids)
    for i in np.flatnonzero(failed):
        flags[i].append(
            f"package has {int(n_scored[i])} valid bid(s) (< {min_valid_bids}): the tender fails "
            "(政府采购法第三十六条)"
        )
    ranked = scored & ~failed

    # --- ranking: 第五十七条 (composite) / 第五十六条 (lowest price); ties share a rank
    out = pd.DataFrame(
        {
            "package": pk,
            "agency": df["agency"].to_numpy(),
            "price": price,
            "sme": sme,
            "valid": scored,
            "evaluated_price": evaluated,
            "price_score": price_score,
            "technical_score": tech,
            "business_score": busi,
            "total": total,
            "abnormally_low": low,
            "low_ratio": ratio,
        }
    )
    lot = as_generator(seed).random(len(out))
    order = np.lexsort((out["agency"].to_numpy(), out["package"].to_numpy()))
    out["_lot"] = np.empty(len(out))
    out.loc[order, "_lot"] = lot  # the lot follows (package, agency), not the row order
    key_t = -np.round(np.nan_to_num(total, nan=-np.inf), 9) if method == "composite" else 0.0
    out["_k1"] = np.where(ranked, key_t, np.inf)
    out["_k2"] = np.where(ranked, np.round(evaluated, 6), np.inf)
    out["_k3"] = -np.nan_to_num(tech, nan=-1.0) if tie_break == "technical" else 0.0
    out["_flags"] = flags
    out = out.sort_values(["package", "_k1", "_k2", "_k3", "_lot"], kind="mergesort")
    pos = out.groupby("package").cumcount() + 1
    tie = out.groupby(["package", "_k1", "_k2"])
    first = pos.groupby([out["package"], out["_k1"], out["_k2"]]).transform("min")
    size = tie["agency"].transform("size")
    rk = out["_k1"].to_numpy() < np.inf
    out["rank"] = pd.array(np.where(rk, first, 0), dtype="Int64")
    out.loc[~rk, "rank"] = pd.NA
    out["award_rank"] = pd.array(np.where(rk, pos, 0), dtype="Int64")
    out.loc[~rk, "award_rank"] = pd.NA
    tied = rk & (size.to_numpy() > 1)
    rule = "higher technical score, then lot" if tie_break == "technical" else "lot"
    fl = list(out["_flags"])
    for i in np.flatnonzero(tied):
        fl[i] = [
            *fl[i],
            f"tied on score and price with {size.iat[i] - 1} other(s): ordered by {rule}",
        ]
    out["flags"] = ["; ".join(f) for f in fl]
    cols = [
        "package",
        "agency",
        "price",
        "sme",
        "valid",
        "evaluated_price",
        "price_score",
        "technical_score",
        "business_score",
        "total",
        "rank",
        "award_rank",
        "abnormally_low",
        "low_ratio",
        "flags",
    ]
    if not use_business and df["business"].isna().all():
        cols.remove("business_score")
    res = out[cols].reset_index(drop=True)
    res.attrs["weights"] = w
    res.attrs["method"] = method
    res.attrs["sme_deduction"] = d
    return res


def panel_win_shares(
    bids: pd.DataFrame,
    ratings: pd.DataFrame,
    n_draws: int = 200,
    seed=0,
    **score_options,
) -> pd.DataFrame:
    """How often each bid would win if the expert panel were redrawn.

    The raters are drawn with replacement (as :func:`kmmodel.panel.redraw_panels`) and
    the technical scores recombined with each panel; the price and business scores do
    not depend on the panel. A bid's win share is the share of panels under which it
    ranks first. A winner with a share far below 1 owes its award to who sat on the
    panel.

    Parameters
    ----------
    bids, ratings
        As for :func:`tender_scores` (composite method; ``ratings`` with the technical
        factor, every rater scoring every valid bid).
    n_draws : int, default 200
        Number of redrawn panels.
    seed : int or numpy.random.Generator
        Randomness of the draws.
    **score_options
        Further options of :func:`tender_scores`.

    Returns
    -------
    pandas.DataFrame
        One row per ranked bid: ``package``, ``agency``, ``winner`` (wins with the real
        panel), ``win_share`` [share 0-1], ``mean_total`` and ``sd_total`` [points]
        over the panels.

    Notes
    -----
    Vectorised over bids, draws and raters. Ties on total and price within a draw go to
    the higher technical score, then the lower agency id (the seeded lot of
    :func:`tender_scores` is not redrawn).
    """
    base = tender_scores(bids, ratings=ratings, **score_options)
    if not (isinstance(n_draws, (int, np.integer)) and n_draws >= 1):
        raise DataError(f"expected a whole number >= 1, got {n_draws!r}", source="n_draws")
    if base.attrs["method"] != "composite":
        raise DataError("panel win shares need the composite method (scores from ratings)")
    r = ratings.assign(
        package=ratings["package"].astype(str).str.strip(),
        agency=ratings["agency"].astype(str).str.strip(),
        factor=ratings["factor"].astype(str).str.strip(),
    )
    if set(r["factor"]) != {"technical"}:
        raise DataError("panel win shares redraw technical ratings only", source="ratings")
    ranked = base[base["award_rank"].notna()].reset_index(drop=True)
    wide = r.pivot_table(index=["package", "agency"], columns="rater", values="score")
    S = wide.reindex(pd.MultiIndex.from_frame(ranked[["package", "agency"]])).to_numpy(float)
    if not np.isfinite(S).all():
        raise DataError(
            "panel win shares need every rater to score every valid bid", source="ratings"
        )
    m, k = S.shape
    pick = as_generator(seed).integers(0, k, size=(n_draws, k))
    X = S[:, pick]  # bids x draws x raters
    method = score_options.get("rating_method", "trimmed")
    if method == "trimmed":
        tech = (X.sum(-1) - X.min(-1) - X.max(-1)) / (k - 2)
    elif method == "median":
        tech = np.median(X, axis=-1)
    else:
        tech = X.mean(-1)
    decimals = score_options.get("decimals")
    if decimals is not None:
        tech = np.round(tech, decimals)
    wt = base.attrs["weights"]["technical"]
    fixed = ranked["total"].to_numpy(float) - wt * ranked["technical_score"].to_numpy(float)
    total = fixed[:, None] + wt * tech  # bids x draws
    if decimals is not None:
        total = np.round(total, decimals)
    # winner per (package, draw): lexsort, last key first
    pk = pd.factorize(ranked["package"])[0]
    ag = pd.factorize(ranked["agency"], sort=True)[0]
    bid = np.repeat(np.arange(m), n_draws)
    draw = np.tile(np.arange(n_draws), m)
    t = total.ravel()
    order = np.lexsort(
        (
            ag[bid],
            -tech.ravel(),
            np.round(ranked["evaluated_price"].to_numpy(float)[bid], 6),
            -np.round(t, 9),
            draw,
            pk[bid],
        )
    )
    grp = pk[bid][order] * n_draws + draw[order]
    first = np.r_[True, grp[1:] != grp[:-1]]
    won = np.zeros(m * n_draws, bool)
    won[order[first]] = True
    won = won.reshape(m, n_draws)
    out = ranked[["package", "agency"]].copy()
    out["winner"] = (ranked["award_rank"] == 1).to_numpy(bool)
    out["win_share"] = won.mean(axis=1)
    out["mean_total"] = total.mean(axis=1)
    out["sd_total"] = total.std(axis=1, ddof=1) if n_draws > 1 else np.nan
    return out.sort_values(["package", "agency"], ignore_index=True)
