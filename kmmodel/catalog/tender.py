"""Tender data sets (synthetic): the bidder pool, the bids and the experts' technical ratings.

Everything here is **synthetic** and made by the seeded generators below: the tender for
the third-party evaluation of the 8 items' packages P1-P4 (``evaluation_items``), scored
as 财政部令第87号 prescribes by :func:`kmmodel.allocation.tender_scores`.

Generator assumptions (also in ``data/README.md``):

- bidder pool: the six fictional agencies of ``agencies`` plus four more (庚辛壬癸, marked
  示例); ``sme`` marks the small and micro enterprises (A04, A07, A08, A10) entitled to
  the price deduction of 财库〔2020〕46号 第九条;
- per package, 5 bidders drawn from the agencies holding every qualification the
  package needs, plus (with probability 0.5) one agency lacking one, whose bid the
  qualification rule excludes; agencies tied to a body of the package (or to the
  commissioner) bid anyway and are excluded by the independence rule;
- price = package ceiling (summed ``max_cost``) x uniform 0.62-0.90, rounded to 1,000
  yuan; plan due uniform 0.5-1.0 and report uniform 2.0-3.0 months after signing;
- business (商务) score uniform 60-95 points, rounded to 0.5;
- technical quality uniform 60-92 points; each of 5 experts (E1-E5; a procurement
  evaluation committee has at least 5 members, 财政部令第87号 第四十七条) scores
  quality + expert bias + normal noise (sd 3 points), rounded to 0.5 and clipped to
  0-100; expert E5 is lenient by +7 points (a systematic deviation to be found);
- planted cases: in P1 one bid fails the compliance review (未按招标文件要求签署、盖章);
  in P3 one bid is priced at 0.40 x the ceiling (an abnormally low bid, 第六十条); in
  P4 the bids follow a cover-bidding pattern (one low bid at 0.70 x the ceiling, the
  others close together at 0.83-0.85), which the bid-rigging screens should flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.allocation.inputs import check_agencies
from kmmodel.allocation.tender import check_tender_bids
from kmmodel.catalog._dataset import Dataset
from kmmodel.catalog.allocation import AGENCY_COLUMNS, make_agencies, make_evaluation_items
from kmmodel.errors import Problems, rows_phrase

SEED_TENDER_AGENCIES = 20250410
SEED_TENDER_BIDS = 20250411
SEED_TENDER_RATINGS = 20250412

_MORE_AGENCIES = [
    ("A07", "庚财务咨询公司(示例)", "consultancy", "cpa;engineering;research", ""),
    ("A08", "辛会计师事务所(示例)", "cpa_firm", "cpa;research", ""),
    ("A09", "壬工程造价咨询公司(示例)", "consultancy", "engineering;research;cpa", ""),
    ("A10", "癸绩效研究中心(示例)", "research_institute", "research;engineering;cpa", ""),
]
SME = ("A04", "A07", "A08", "A10")
EXPERTS = ("E1", "E2", "E3", "E4", "E5")
EXPERT_BIAS = (0.0, 0.0, 0.0, 0.0, 7.0)  # [points]; E5 lenient

BID_COLUMNS = {
    "package": "string",
    "agency": "string",
    "price": "float64",
    "business": "float64",
    "sme": "bool",
    "valid": "bool",
    "reason": "string",
    "plan_months": "float64",
    "report_months": "float64",
}
RATING_COLUMNS = {
    "package": "string",
    "agency": "string",
    "factor": "string",
    "rater": "string",
    "score": "float64",
}


def _round(x, step):
    return np.round(np.asarray(x, dtype=float) / step) * step


def make_tender_agencies() -> pd.DataFrame:
    """The bidder pool: the six ``agencies`` plus four more fictional firms (seeded)."""
    rng = np.random.default_rng(SEED_TENDER_AGENCIES)
    more = pd.DataFrame(
        _MORE_AGENCIES, columns=["agency", "name_zh", "kind", "qualifications", "ties"]
    )
    more["capacity_pm"] = _round(rng.uniform(12, 20, len(more)), 0.5)
    more["ties"] = more["ties"].replace("", None)
    out = pd.concat([make_agencies(), more[make_agencies().columns]], ignore_index=True)
    return out


def _true_quality() -> pd.DataFrame:
    """Bids with their latent technical quality (shared by the bid and rating generators)."""
    rng = np.random.default_rng(SEED_TENDER_BIDS)
    items = make_evaluation_items()
    ag = make_tender_agencies()
    held = ag["qualifications"].str.split(";").map(set)
    ties = dict(zip(ag["agency"], ag["ties"].fillna("").str.split(";").map(set)))
    frames = []
    for package, sub in items.groupby("package", sort=True):  # four packages
        need = set(sub["qualification"]) - {"any"}
        ok = held.map(need.issubset).to_numpy()
        who = list(rng.choice(ag["agency"].to_numpy()[ok], size=min(5, ok.sum()), replace=False))
        if rng.random() < 0.5 and (~ok).any():
            who.append(rng.choice(ag["agency"].to_numpy()[~ok]))
        who = np.sort(np.array(who))
        k = len(who)
        ceiling = float(sub["max_cost"].sum())
        bodies = {"市财政局", *sub["budget_unit"], *sub["evaluated_object"]}
        # planted cases go to bidders that pass independence and qualification
        clean = np.flatnonzero(
            [not (ties[a] & bodies) and need <= held[ag["agency"] == a].iat[0] for a in who]
        )
        share = rng.uniform(0.62, 0.90, k)
        if package == "P3":  # planted: an abnormally low bid
            share[rng.choice(clean)] = 0.40
        if package == "P4":  # planted: cover bidding — one low bid, the rest bunched
            share = rng.uniform(0.83, 0.85, k)
            share[int(rng.integers(k))] = 0.70
        frames.append(
            pd.DataFrame(
                {
                    "package": package,
                    "agency": who,
                    "price": _round(ceiling * share, 1_000),
                    "business": _round(rng.uniform(60, 95, k), 0.5),
                    "quality": rng.uniform(60, 92, k),
                    "plan_months": np.round(rng.uniform(0.5, 1.0, k), 1),
                    "report_months": np.round(rng.uniform(2.0, 3.0, k), 1),
                    "clean": np.isin(np.arange(k), clean),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df["sme"] = df["agency"].isin(SME)
    df["valid"] = True
    df["reason"] = ""
    bad = rng.choice(df.index[(df["package"] == "P1") & df["clean"]])
    df.loc[bad, "valid"] = False
    df.loc[bad, "reason"] = "投标文件未按招标文件要求签署、盖章(第六十三条)"
    return df


def make_tender_bids() -> pd.DataFrame:
    """Bids of the tender for P1-P4 with business scores and SME flags (seeded)."""
    df = _true_quality()
    df["reason"] = df["reason"].replace("", None)
    return df[list(BID_COLUMNS)]


def make_tender_ratings() -> pd.DataFrame:
    """Five experts' technical scores of every bid (seeded; E5 lenient)."""
    rng = np.random.default_rng(SEED_TENDER_RATINGS)
    q = _true_quality()
    n, m = len(q), len(EXPERTS)
    score = q["quality"].to_numpy()[:, None] + np.array(EXPERT_BIAS)[None, :]
    score = np.clip(_round(score + rng.normal(0.0, 3.0, (n, m)), 0.5), 0, 100)
    return pd.DataFrame(
        {
            "package": np.repeat(q["package"].to_numpy(), m),
            "agency": np.repeat(q["agency"].to_numpy(), m),
            "factor": "technical",
            "rater": np.tile(np.array(EXPERTS), n),
            "score": score.ravel(),
        }
    )


def _check_bids(df: pd.DataFrame, probs: Problems) -> None:
    check_tender_bids(df, probs, packages=set(make_evaluation_items()["package"]))


def _check_ratings(df: pd.DataFrame, probs: Problems) -> None:
    out = ~df["score"].between(0, 100)
    if out.any():
        probs.add(f"expected 0-100 points in {rows_phrase(np.flatnonzero(out))}", "column score")
    dup = df.duplicated(["package", "agency", "factor", "rater"], keep=False)
    if dup.any():
        probs.add(f"the same expert scores a bid twice in {rows_phrase(np.flatnonzero(dup))}")


def _check_agencies(df: pd.DataFrame, probs: Problems) -> None:
    check_agencies(df, probs=probs)


DATASETS = [
    Dataset(
        name="tender_agencies",
        file="tender_agencies.csv",
        provenance="synthetic",
        description="Bidder pool of the evaluation tender: the six fictional agencies and four more",
        columns=AGENCY_COLUMNS,
        generator=make_tender_agencies,
        check=_check_agencies,
        nullable=("ties",),
    ),
    Dataset(
        name="tender_bids",
        file="tender_bids.csv",
        provenance="synthetic",
        description="Tender bids for P1-P4 with business scores and SME flags (planted invalid, abnormally low and cover bids)",
        columns=BID_COLUMNS,
        generator=make_tender_bids,
        check=_check_bids,
        nullable=("reason",),
    ),
    Dataset(
        name="tender_ratings",
        file="tender_ratings.csv",
        provenance="synthetic",
        description="Five experts' technical scores of every tender bid (one lenient expert)",
        columns=RATING_COLUMNS,
        generator=make_tender_ratings,
        check=_check_ratings,
    ),
]
