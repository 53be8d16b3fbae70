"""Evaluation-budget data sets (synthetic): items, high-tech-zone services, agencies, bids.

Everything here is **synthetic**: the item and service names are illustrative kinds of
fiscal expenditure a municipal finance bureau evaluates, the agencies are fictional
(named 甲乙丙… and marked 示例), and every number is drawn by the seeded generators
below. Only the budgets (550,000 and 480,000 yuan), the count of 8 items and the
1-month / 3-month deadlines come from the seed text (``seed_facts``).

Generator assumptions (also in ``data/README.md``):

- fund [yuan]: log-normal, median 120 million, sigma 0.6, rounded to 10,000 yuan;
- risk [share 0-1]: uniform 0.03-0.12, rounded to 0.005;
- priority: 1.2 for livelihood items, 1.0 otherwise;
- min_cost: uniform 25,000-42,000 yuan; max_cost: min_cost x uniform 2.2-3.0;
  saturation: uniform 30,000-80,000 yuan (all rounded to 1,000 yuan);
- effort_pm: uniform 2-5 person-months, rounded to 0.5;
- bids: 4 or 5 agencies per package; price = uniform 0.50-0.80 x the package's summed
  max_cost, rounded to 1,000 yuan; quality uniform 60-95 points; plan due uniform
  0.5-1.1 months and report uniform 2.0-3.3 months after signing (some bids miss the
  seed's 1-month / 3-month deadlines on purpose);
- item bids (for package formation): an agency holding an item's qualification always
  bids for it, the others with probability 0.3 (excluded later, with the reason);
  price = uniform 0.50-0.80 x the item's max_cost, rounded to 1,000 yuan; quality uniform 60-95 points; plan due
  uniform 0.5-1.0 and report uniform 2.0-3.2 months after signing (a few reports late).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kmmodel.allocation.inputs import BIDS, ITEMS, check_agencies, check_bids, check_items
from kmmodel.catalog._dataset import Dataset
from kmmodel.errors import Problems

AGENCY_COLUMNS = {
    "agency": "string",
    "name_zh": "string",
    "kind": "string",
    "qualifications": "string",
    "capacity_pm": "float64",
    "ties": "string",
}
"""Columns of an agencies file (the shipped pool and the tender's larger pool)."""

SEED_ITEMS = 20250401
SEED_HITECH = 20250402
SEED_AGENCIES = 20250403
SEED_BIDS = 20250404
SEED_HITECH_BIDS = 20250405
SEED_ITEM_BIDS = 20250406

# item, name_zh, group, budget_unit, evaluated_object, qualification, package
_ITEMS = [
    (
        "E01",
        "义务教育学生资助资金",
        "livelihood",
        "市教育局",
        "各县(市)区学生资助管理机构",
        "cpa",
        "P1",
    ),
    (
        "E02",
        "城乡居民医疗救助资金",
        "livelihood",
        "市医疗保障局",
        "各县(市)区医疗保障部门",
        "cpa",
        "P1",
    ),
    (
        "E03",
        "农村公路养护补助资金",
        "infrastructure",
        "市交通运输局",
        "各县(市)区公路养护单位",
        "engineering",
        "P2",
    ),
    (
        "E04",
        "高标准农田建设资金",
        "infrastructure",
        "市农业农村局",
        "各县(市)区农业农村部门",
        "engineering",
        "P2",
    ),
    ("E05", "中小企业发展专项资金", "industry", "市工业和信息化局", "获补助中小企业", "cpa", "P3"),
    ("E06", "科技创新券补助资金", "industry", "市科学技术局", "获补助科技企业", "research", "P3"),
    (
        "E07",
        "城镇老旧小区改造资金",
        "livelihood",
        "市住房和城乡建设局",
        "各县(市)区住建部门",
        "engineering",
        "P4",
    ),
    (
        "E08",
        "滇池流域生态保护专项资金",
        "ecology",
        "市生态环境局",
        "滇池流域治理项目单位",
        "research",
        "P4",
    ),
]
# the high-tech zone's full-process budget-performance services (480,000 yuan in the seed)
_HITECH = [
    ("H01", "事前绩效评估", "ex_ante", "高新区财政局", "区级新增重大项目", "research", "H1"),
    ("H02", "绩效目标审核", "ex_ante", "高新区财政局", "区级部门预算项目", "cpa", "H1"),
    ("H03", "绩效运行监控", "in_process", "高新区财政局", "区级部门预算项目", "cpa", "H2"),
    ("H04", "事后绩效评价", "ex_post", "高新区财政局", "区级专项资金", "cpa", "H2"),
    ("H05", "成本绩效分析", "ex_post", "高新区财政局", "产业扶持与基建项目", "engineering", "H3"),
    ("H06", "绩效管理制度建设与培训", "capacity", "高新区财政局", "区级预算单位", "any", "H3"),
]
ITEM_COLUMNS = ITEMS.dtypes()  # declared once, in kmmodel.allocation.inputs
BID_COLUMNS = BIDS.dtypes()
# agency, name_zh, kind, qualifications, ties (bodies it is tied to; breaks independence)
_AGENCIES = [
    ("A01", "甲会计师事务所(示例)", "cpa_firm", "cpa;research", ""),
    ("A02", "乙财经研究院(示例)", "research_institute", "research;cpa", "市教育局"),
    ("A03", "丙工程咨询公司(示例)", "consultancy", "engineering;cpa", "市交通运输局"),
    ("A04", "丁绩效评价中心(示例)", "research_institute", "research;engineering;cpa", ""),
    ("A05", "戊会计师事务所(示例)", "cpa_firm", "cpa;engineering", "市财政局"),
    ("A06", "己大学评估中心(示例)", "university", "research;cpa", "市科学技术局"),
]


def _round(x, step):
    return np.round(np.asarray(x) / step) * step


def _items(rows, seed: int, fund_median: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(rows)
    df = pd.DataFrame(
        rows,
        columns=[
            "item",
            "name_zh",
            "group",
            "budget_unit",
            "evaluated_object",
            "qualification",
            "package",
        ],
    )
    df["fund"] = _round(fund_median * np.exp(rng.normal(0.0, 0.6, n)), 10_000)
    df["risk"] = np.round(_round(rng.uniform(0.03, 0.12, n), 0.005), 3)
    df["priority"] = np.where(df["group"] == "livelihood", 1.2, 1.0)
    df["min_cost"] = _round(rng.uniform(25_000, 42_000, n), 1_000)
    df["max_cost"] = _round(df["min_cost"] * rng.uniform(2.2, 3.0, n), 1_000)
    df["saturation"] = _round(rng.uniform(30_000, 80_000, n), 1_000)
    df["effort_pm"] = _round(rng.uniform(2.0, 5.0, n), 0.5)
    return df[list(ITEM_COLUMNS)]


def make_evaluation_items() -> pd.DataFrame:
    """The 8 synthetic evaluation items (seeded; see module notes)."""
    return _items(_ITEMS, SEED_ITEMS, 120e6)


def make_hitech_services() -> pd.DataFrame:
    """The high-tech zone's 6 synthetic service modules (seeded; see module notes)."""
    return _items(_HITECH, SEED_HITECH, 60e6)


def make_agencies() -> pd.DataFrame:
    """Six fictional evaluation agencies with capacities [person-months in the 3-month window]."""
    rng = np.random.default_rng(SEED_AGENCIES)
    df = pd.DataFrame(_AGENCIES, columns=["agency", "name_zh", "kind", "qualifications", "ties"])
    df["capacity_pm"] = _round(rng.uniform(12, 20, len(df)), 0.5)
    df["ties"] = df["ties"].replace("", None)
    return df[["agency", "name_zh", "kind", "qualifications", "capacity_pm", "ties"]]


def _bids(items: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    agencies = make_agencies()["agency"].to_numpy()
    frames = []
    reserve = items.groupby("package", sort=True)["max_cost"].sum()
    for package, cap in reserve.items():
        k = int(rng.integers(4, 6))  # 4 or 5 of the 6 agencies bid
        who = np.sort(rng.choice(agencies, size=k, replace=False))
        frames.append(
            pd.DataFrame(
                {
                    "package": package,
                    "agency": who,
                    "price": _round(cap * rng.uniform(0.50, 0.80, k), 1_000),
                    "quality": np.round(_round(rng.uniform(60, 95, k), 0.5), 1),
                    "plan_months": np.round(rng.uniform(0.5, 1.1, k), 1),
                    "report_months": np.round(rng.uniform(2.0, 3.3, k), 1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def make_bids() -> pd.DataFrame:
    """Bids for the 8 evaluation items' packages P1-P4 (seeded; see module notes)."""
    return _bids(make_evaluation_items(), SEED_BIDS)


def make_hitech_bids() -> pd.DataFrame:
    """Bids for the high-tech zone's service packages H1-H3 (seeded; see module notes)."""
    return _bids(make_hitech_services(), SEED_HITECH_BIDS)


def make_item_bids() -> pd.DataFrame:
    """Item-level bids for the 8 evaluation items, for package formation (seeded)."""
    rng = np.random.default_rng(SEED_ITEM_BIDS)
    items = make_evaluation_items()
    ag = make_agencies()
    agencies = ag["agency"].to_numpy()
    n_i, n_a = len(items), len(agencies)
    # agencies holding the item's qualification always bid; the others with probability 0.3
    held = ag["qualifications"].str.split(";").map(set).to_numpy()
    need = items["qualification"].to_numpy()
    qualified = np.array([[q == "any" or q in h for h in held] for q in need])
    bid = qualified | (rng.random((n_i, n_a)) < 0.3)
    ii, aa = np.nonzero(bid)
    k = len(ii)
    return pd.DataFrame(
        {
            "item": items["item"].to_numpy()[ii],
            "agency": agencies[aa],
            "price": _round(items["max_cost"].to_numpy()[ii] * rng.uniform(0.50, 0.80, k), 1_000),
            "quality": np.round(_round(rng.uniform(60, 95, k), 0.5), 1),
            "plan_months": np.round(rng.uniform(0.5, 1.0, k), 1),
            "report_months": np.round(rng.uniform(2.0, 3.2, k), 1),
        }
    )


def _check_item_bids(df: pd.DataFrame, probs: Problems) -> None:
    check_bids(df, probs=probs, key="item")


def _check_items(df: pd.DataFrame, probs: Problems) -> None:
    check_items(df, probs=probs)
    check_items(df, for_packages=True, probs=probs)


def _check_agencies(df: pd.DataFrame, probs: Problems) -> None:
    check_agencies(df, probs=probs)


def _check_bids(df: pd.DataFrame, probs: Problems) -> None:
    check_bids(df, probs=probs)


DATASETS = [
    Dataset(
        name="evaluation_items",
        file="evaluation_items.csv",
        provenance="synthetic",
        description="8 illustrative fiscal expenditure items for third-party key evaluation (synthetic numbers)",
        columns=ITEM_COLUMNS,
        generator=make_evaluation_items,
        check=_check_items,
    ),
    Dataset(
        name="hitech_services",
        file="hitech_services.csv",
        provenance="synthetic",
        description="High-tech zone full-process budget-performance service modules (synthetic numbers)",
        columns=ITEM_COLUMNS,
        generator=make_hitech_services,
        check=_check_items,
    ),
    Dataset(
        name="agencies",
        file="agencies.csv",
        provenance="synthetic",
        description="Fictional third-party evaluation agencies: qualifications, capacity, ties",
        columns=AGENCY_COLUMNS,
        generator=make_agencies,
        check=_check_agencies,
        nullable=("ties",),
    ),
    Dataset(
        name="bids",
        file="bids.csv",
        provenance="synthetic",
        description="Bids of the fictional agencies for the 8 items' packages P1-P4",
        columns=BID_COLUMNS,
        generator=make_bids,
        check=_check_bids,
    ),
    Dataset(
        name="hitech_bids",
        file="hitech_bids.csv",
        provenance="synthetic",
        description="Bids of the fictional agencies for the high-tech zone's service packages H1-H3",
        columns=BID_COLUMNS,
        generator=make_hitech_bids,
        check=_check_bids,
    ),
    Dataset(
        name="item_bids",
        file="item_bids.csv",
        provenance="synthetic",
        description="Item-level bids of the fictional agencies for the 8 items (package formation)",
        columns={"item": "string", **{k: v for k, v in BID_COLUMNS.items() if k != "package"}},
        generator=make_item_bids,
        check=_check_item_bids,
    ),
]
